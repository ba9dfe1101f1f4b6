/**
 * The learner's kernel choice by measurement (src/backends/gpu/learn/tune.ts) for a 64-64 tanh softmax
 * net (CartPole's shapes) at a minibatch of R rows, printing each candidate's median milliseconds and the
 * achieved GFLOP/s of the whole minibatch update counted as its dense products (2·rows·Σ MACs · 3).
 *   npx vite build --ssr bench/learner-tune.mts --outDir dist/learner-bench --config vite.cli.config.ts && \
 *   POLICYGRAD_ADAPTER=lavapipe node dist/learner-bench/main.js [rows] [reps]
 */
import { acquireDevice } from '../src/backends/gpu/device';
import { PipelineCache } from '../src/backends/gpu/pipeline-cache';
import { measureGpuPeak } from '../src/backends/gpu/peak';
import { netLayout } from '../src/policy';
import { timeLearnerKernels } from '../src/backends/gpu/learn/tune';

const rows = Number(process.argv[2] ?? 8192);
const reps = Number(process.argv[3] ?? 3);
const { device, adapterInfo } = await acquireDevice();
const cache = new PipelineCache(device);
const layout = netLayout({ obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
const peak0 = await measureGpuPeak(device, 0.5);
const t0 = performance.now();
const choice = await timeLearnerKernels({ device, cache, layout, obsDim: 4, actDim: 1, rows, maxRows: rows, reps, log: (m) => console.log(m) });
const wall = (performance.now() - t0) / 1000;
const peak1 = await measureGpuPeak(device, 0.5);
// forward + input grad (hidden layers) + weight grad: ≈ 3 products per MAC except the first layer's input grad
let macs = 0;
for (const l of [...layout.actorLayers, ...layout.criticLayers]) macs += l.inDim * l.outDim * (l === layout.actorLayers[0] || l === layout.criticLayers[0] ? 2 : 3);
console.log(`adapter ${adapterInfo.description ?? adapterInfo.device}; peak ${peak0.gflops.toFixed(2)} / ${peak1.gflops.toFixed(2)} GFLOP/s (before / after)`);
for (const [k, ms] of Object.entries(choice.times)) {
  const gf = (2 * rows * macs) / (ms * 1e6);
  console.log(`${k.padEnd(14)} ${ms.toFixed(2).padStart(8)} ms  ${gf.toFixed(2).padStart(6)} GFLOP/s dense-equivalent (${((100 * gf) / ((peak0.gflops + peak1.gflops) / 2)).toFixed(0)} % of peak)`);
}
console.log(`chosen: ${choice.gemm}/${choice.reductions} (${choice.source}); tuning took ${wall.toFixed(1)} s`);
device.destroy();
process.exit(0);
