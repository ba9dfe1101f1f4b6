/**
 * Micro-benchmark of the learner's dense-layer products (GemmProgram) per variant and mode on one
 * 64 × 64 tanh layer over R rows, checked against a float64 CPU product. Needs `?raw` WGSL imports, so
 * it is bundled first:
 *   npx vite build --ssr bench/learner-gemm.mts --outDir dist/learner-bench --config vite.cli.config.ts && \
 *   POLICYGRAD_ADAPTER=lavapipe node dist/learner-bench/learner-gemm.js [rows] [variants] [reps]
 */
import { acquireDevice } from '../src/backends/gpu/device';
import { PipelineCache } from '../src/backends/gpu/pipeline-cache';
import { GemmProgram, type GemmLayer, type GemmMode, type MatrixView } from '../src/backends/gpu/learn/kernels';
import { LEARN_CTRL, LEARN_PARAMS, type GemmVariant } from '../src/backends/gpu/learn/layout';
import { UniformWriter } from '../src/backends/gpu/dispatch';
import { measureGpuPeak } from '../src/backends/gpu/peak';

const rows = Number(process.argv[2] ?? 32768);
const variants = (process.argv[3] ?? 'wg,simple,tiled').split(',') as GemmVariant[];
const reps = Number(process.argv[4] ?? 5);
const IN = Number(process.env.GEMM_IN ?? 64);
const OUT = Number(process.env.GEMM_OUT ?? 64);

const { device, adapterInfo } = await acquireDevice();
console.log(`adapter: ${adapterInfo.description ?? adapterInfo.device} rows ${rows} layer ${IN}→${OUT}`);
const cache = new PipelineCache(device);
const S = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const buf = (data: Float32Array | number): GPUBuffer => {
  const size = typeof data === 'number' ? data * 4 : data.byteLength;
  const b = device.createBuffer({ size: Math.max(16, size), usage: S });
  if (typeof data !== 'number') device.queue.writeBuffer(b, 0, data);
  return b;
};
const rnd = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (Math.random() * 2 - 1) * scale);

const layer: GemmLayer = { inDim: IN, outDim: OUT, wOffset: 0, bOffset: IN * OUT, wT: 0, act: 1 };
const theta = rnd(IN * OUT + OUT, 0.2);
const X = rnd(rows * IN); // logical X[b][i]
const D = rnd(rows * OUT); // logical dY[b][o]
const H = Float32Array.from(X, (v) => Math.tanh(v));
const chunks = Math.max(1, Math.ceil(rows / 1024));
const params = new UniformWriter(LEARN_PARAMS).setAll({ rows, groups: 1, subSplit: chunks, units: rows, unitRows: 1, gradStride: IN * OUT + OUT, gradCount: IN * OUT + OUT });
const pBuf = device.createBuffer({ size: LEARN_PARAMS.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(pBuf, 0, params.data);
const ctrl = buf(LEARN_CTRL.size / 4);
const thetaB = buf(theta);

function layoutOf(m: Float32Array, cols: number, fm: boolean): Float32Array {
  if (!fm) return m;
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

async function read(b: GPUBuffer, n: number): Promise<Float32Array> {
  const st = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const e = device.createCommandEncoder();
  e.copyBufferToBuffer(b, 0, st, 0, n * 4);
  device.queue.submit([e.finish()]);
  await st.mapAsync(GPUMapMode.READ);
  const r = new Float32Array(st.getMappedRange().slice(0));
  st.destroy();
  return r;
}

// float64 references
const refFwd = new Float64Array(rows * OUT);
const refIn = new Float64Array(rows * IN);
const refW = new Float64Array(IN * OUT);
for (let b = 0; b < rows; b++) {
  for (let o = 0; o < OUT; o++) {
    let z = theta[IN * OUT + o];
    for (let i = 0; i < IN; i++) z += X[b * IN + i] * theta[o * IN + i];
    refFwd[b * OUT + o] = Math.tanh(z);
  }
  for (let i = 0; i < IN; i++) {
    let s = 0;
    for (let o = 0; o < OUT; o++) s += D[b * OUT + o] * theta[o * IN + i];
    refIn[b * IN + i] = s * (1 - H[b * IN + i] * H[b * IN + i]);
  }
}
for (let o = 0; o < OUT; o++) for (let i = 0; i < IN; i++) {
  let s = 0;
  for (let b = 0; b < rows; b++) s += D[b * OUT + o] * X[b * IN + i];
  refW[o * IN + i] = s;
}

const peak = async (): Promise<void> => {
  const p = await measureGpuPeak(device, 0.5);
  console.log(`peak ${p.gflops.toFixed(2)} GFLOP/s`);
};
await peak();
for (const variant of variants) {
  const fm = process.env.GEMM_FM === '1' || (variant === 'wg' && process.env.GEMM_FM !== '0');
  const view = (cols: number): MatrixView => (fm ? { stride: 1, offset: 0, colStride: rows } : { stride: cols, offset: 0 });
  const xB = buf(layoutOf(X, IN, fm));
  const dB = buf(layoutOf(D, OUT, fm));
  const hB = buf(layoutOf(H, IN, fm));
  const yB = buf(rows * OUT);
  const dxB = buf(rows * IN);
  const pw = buf(chunks * (IN * OUT + OUT));
  const modes: Array<[GemmMode, MatrixView, MatrixView, MatrixView, GPUBuffer, GPUBuffer, GPUBuffer]> = [
    ['forward', view(IN), view(IN), view(OUT), xB, xB, yB],
    ['inputGrad', view(OUT), view(IN), view(IN), dB, hB, dxB],
    ['weightGrad', view(OUT), view(IN), { stride: 1, offset: 0 }, dB, xB, pw],
  ];
  for (const [mode, s0, s1, dv, b0, b1, bd] of modes) {
    const t0 = performance.now();
    const p = await new GemmProgram(mode, mode === 'inputGrad' ? { ...layer, act: 1 } : layer, s0, s1, dv, variant).build(cache);
    const compile = performance.now() - t0;
    const geom = device.createBuffer({ size: 64, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(geom, 0, p.geometry());
    const bg = p.bindGroup({ params: pBuf, ctrl, theta: thetaB, src0: b0, src1: b1, dst: bd, geom });
    const times: number[] = [];
    for (let r = 0; r < reps + 1; r++) {
      const e = device.createCommandEncoder();
      const pass = e.beginComputePass();
      p.encode(pass, bg, rows, chunks);
      pass.end();
      const t = performance.now();
      device.queue.submit([e.finish()]);
      await device.queue.onSubmittedWorkDone();
      if (r > 0) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const ms = times[times.length >> 1];
    const gflops = (2 * rows * IN * OUT) / (ms * 1e6);
    // check
    let err = 0;
    let den = 0;
    if (mode === 'forward') {
      const y = await read(yB, rows * OUT);
      for (let b = 0; b < rows; b++) for (let o = 0; o < OUT; o++) {
        const g = fm ? y[o * rows + b] : y[b * OUT + o];
        err = Math.max(err, Math.abs(g - refFwd[b * OUT + o]));
        den = Math.max(den, Math.abs(refFwd[b * OUT + o]));
      }
    } else if (mode === 'inputGrad') {
      const y = await read(dxB, rows * IN);
      for (let b = 0; b < rows; b++) for (let i = 0; i < IN; i++) {
        const g = fm ? y[i * rows + b] : y[b * IN + i];
        err = Math.max(err, Math.abs(g - refIn[b * IN + i]));
        den = Math.max(den, Math.abs(refIn[b * IN + i]));
      }
    } else {
      const y = await read(pw, chunks * (IN * OUT + OUT));
      for (let k = 0; k < IN * OUT; k++) {
        let s = 0;
        for (let c = 0; c < chunks; c++) s += y[c * (IN * OUT + OUT) + k];
        err = Math.max(err, Math.abs(s - refW[k]));
        den = Math.max(den, Math.abs(refW[k]));
      }
    }
    console.log(`${variant.padEnd(7)} ${mode.padEnd(11)} ${ms.toFixed(2).padStart(8)} ms ${gflops.toFixed(2).padStart(6)} GFLOP/s  rel err ${(err / den).toExponential(1)}  compile ${(compile / 1000).toFixed(1)} s`);
  }
  for (const b of [xB, dB, hB, yB, dxB, pw]) b.destroy();
}
await peak();
device.destroy();
process.exit(0);
