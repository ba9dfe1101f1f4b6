/**
 * Kernel choice by measurement: time the learner's applicable kernel sets (GEMM variant × reduction
 * variant) on the run's own network and a minibatch of (up to `maxRows` of) its own rows, and pick the
 * fastest. Nothing here looks at the adapter's name; gemmVariantFor / reduceVariantFor (layout.ts) are
 * only the fallback when timing fails. POLICYGRAD_GEMM / POLICYGRAD_REDUCE (Node) restrict the candidates
 * to the forced variant(s); with both set nothing is timed.
 *
 * Usage (engine creation; autotune.ts caches the answer per adapter and shapes):
 *   const choice = await timeLearnerKernels({ device, cache, layout, obsDim, actDim, rows: minibatchRows });
 *   const learner = await GpuLearner.create({ …, gemm: choice.gemm, reductions: choice.reductions });
 */
import type { NetLayout } from '../../../policy/layout';
import { initParams } from '../../../policy';
import type { PipelineCache } from '../pipeline-cache';
import { fastest as fastestName, median } from '../autotune';
import { gemmVariantFromEnv, reduceVariantFromEnv } from './kernels';
import { GEMM_VARIANTS, gemmVariantFor, hasQuadSubgroups, reduceVariantFor, wgSubgroupLanes, type AdapterTraits, type GemmVariant, type ReduceVariant } from './layout';
import { GpuLearner, type LearnerBuffers, type LearnerOptions } from './learner';

/** One kernel set of the learner. */
export interface KernelSet {
  gemm: GemmVariant;
  reductions: ReduceVariant;
}

/** The chosen set and the median milliseconds of one timed minibatch update per candidate ('wg/serial': 12.3). */
export interface KernelChoice extends KernelSet {
  times: Record<string, number>;
  /** 'timed', or why the fallback was taken ('forced' by the environment, 'fallback: <error>') */
  source: string;
}

/** The key of a kernel set in KernelChoice.times. */
export function kernelSetKey(k: KernelSet): string {
  return `${k.gemm}/${k.reductions}`;
}

const REDUCE_VARIANTS: readonly ReduceVariant[] = ['serial', 'tree'];

/**
 * Timed samples per close candidate (the median is kept). 3 were too few on a loaded 2-core machine: in
 * one lavapipe bench the same 8192-row shape, tuned twice, ranked 'wgsub/serial' and 'wgsub/tree' both
 * ways (57.21 vs 69.77 ms, then 55.17 vs 51.37), and the tree pick cost the 4096-env train cell about
 * 8 % (its column sums 90.6 ms per minibatch against 32.2 ms serial).
 */
export const TUNE_REPS = 5;

/** After the first timed round, only candidates within this factor of the best are timed again. */
const CUT = 1.5;

/**
 * The kernel sets a device can run: every GEMM variant × every reduction variant, without 'quad' unless
 * the device has subgroups of exactly 4 lanes, nor 'wgsub' without subgroups of 4 lanes or more;
 * POLICYGRAD_GEMM / POLICYGRAD_REDUCE keep only theirs.
 */
export function kernelCandidates(device: GPUDevice): KernelSet[] {
  const info = (device as { adapterInfo?: AdapterTraits }).adapterInfo;
  const quad = hasQuadSubgroups(info, device.features.has('subgroups'));
  const sub = wgSubgroupLanes(info, device.features.has('subgroups')) > 0;
  const g = gemmVariantFromEnv();
  const r = reduceVariantFromEnv();
  const out: KernelSet[] = [];
  for (const gemm of g ? [g] : GEMM_VARIANTS.filter((v) => (v !== 'quad' || quad) && (v !== 'wgsub' || sub))) {
    for (const reductions of r ? [r] : REDUCE_VARIANTS) out.push({ gemm, reductions });
  }
  return out;
}

/** The adapter-name fallback (layout.ts), with the environment's overrides. */
export function fallbackKernels(device: GPUDevice): KernelSet {
  const info = (device as { adapterInfo?: AdapterTraits }).adapterInfo;
  return {
    gemm: gemmVariantFromEnv() ?? gemmVariantFor(info, device.features.has('subgroups')),
    reductions: reduceVariantFromEnv() ?? reduceVariantFor(info),
  };
}

export { median };

/** The fastest candidate of `times` (ties: the earlier one in `order`; autotune.ts `fastest`). */
export function fastest(order: readonly KernelSet[], times: Record<string, number>): KernelSet | undefined {
  const best = fastestName(times, order.map(kernelSetKey));
  return order.find((k) => kernelSetKey(k) === best);
}

/**
 * Time each candidate kernel set: one PPO minibatch update (gather, advantage statistics, forward, loss,
 * backward, reductions, clip, Adam with lr = 0, so θ does not move) of min(rows, maxRows) rows of
 * synthetic data through the run's network `layout`, wall clock from submit to onSubmittedWorkDone,
 * after one warm-up update (the driver may compile lazily). Round 1 times every candidate once; rounds
 * 2 … reps (TUNE_REPS) (interleaved, since load on a shared machine drifts) only those within 1.5× of the best so
 * far; each candidate's time is the median of its samples. Returns the fastest set; if timing fails (an
 * exception or a WebGPU error), the adapter-name fallback.
 *   rows      the run's minibatch rows (numEnvs·numSteps / minibatches)
 *   candidates default kernelCandidates(device)
 */
export async function timeLearnerKernels(args: {
  device: GPUDevice;
  cache: PipelineCache;
  layout: NetLayout;
  obsDim: number;
  actDim: number;
  rows: number;
  candidates?: readonly KernelSet[];
  reps?: number;
  maxRows?: number;
  log?: (msg: string) => void;
}): Promise<KernelChoice> {
  const { device, cache, layout, obsDim, actDim } = args;
  const candidates = args.candidates ?? kernelCandidates(device);
  if (candidates.length === 1) return { ...candidates[0], times: {}, source: 'forced' };
  const rows = Math.max(1, Math.min(args.rows, args.maxRows ?? 8192));
  const reps = Math.max(1, args.reps ?? TUNE_REPS);
  const owned: GPUBuffer[] = [];
  const times: Record<string, number> = {};
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  let failure: unknown;
  try {
    const buffers = syntheticBuffers(device, layout, obsDim, actDim, rows, owned);
    const options = timingOptions(rows);
    const learners = new Map<string, GpuLearner>();
    const samples = new Map<string, number[]>();
    const timeOne = async (l: GpuLearner, stream: number): Promise<number> => {
      const enc = device.createCommandEncoder({ label: 'learn tune' });
      l.encodeUpdate(enc, { lr: 0, shuffleStream: stream });
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    try {
      // round 1: build, warm up (the driver may compile lazily), one timed update each
      for (const k of candidates) {
        const l = await GpuLearner.create({ device, cache, layout, obsDim, actDim, options, buffers, gemm: k.gemm, reductions: k.reductions });
        learners.set(kernelSetKey(k), l);
        await timeOne(l, 0);
        samples.set(kernelSetKey(k), [await timeOne(l, 1)]);
      }
      // later rounds, interleaved (load on a shared machine drifts): only candidates within CUT of the best so far
      for (let r = 1; r < reps; r++) {
        const best = Math.min(...[...samples.values()].map(median));
        for (const [key, l] of learners) {
          const xs = samples.get(key)!;
          if (median(xs) <= CUT * best) xs.push(await timeOne(l, 1 + r));
        }
      }
    } finally {
      for (const l of learners.values()) l.destroy();
    }
    for (const [key, xs] of samples) {
      times[key] = median(xs);
      args.log?.(`learner kernels ${key}: ${times[key].toFixed(2)} ms per ${rows}-row minibatch (${xs.length} timed)`);
    }
  } catch (e) {
    failure = e;
  } finally {
    const oom = await device.popErrorScope();
    const validation = await device.popErrorScope();
    failure ??= validation ?? oom ?? undefined;
    for (const b of owned) b.destroy();
  }
  const best = failure === undefined ? fastest(candidates, times) : undefined;
  if (!best) {
    const why = failure instanceof Error ? failure.message : failure ? String((failure as GPUError).message ?? failure) : 'no candidate timed';
    args.log?.(`learner kernels: timing failed (${why}); choosing by adapter`);
    return { ...fallbackKernels(device), times, source: `fallback: ${why}` };
  }
  return { ...best, times, source: 'timed' };
}

/** One PPO minibatch over `rows` samples (T = 1, N = rows), everything on so that every kernel runs. */
function timingOptions(rows: number): LearnerOptions {
  return {
    numEnvs: rows,
    numSteps: 1,
    psiKind: 'gae',
    loss: 'ppo',
    gamma: 0.99,
    lambda: 0.95,
    targetLambda: 0.95,
    epochs: 1,
    minibatches: 1,
    normAdv: true,
    clip: 0.2,
    entCoef: 0.01,
    vfCoef: 0.5,
    klCoef: 0,
    targetKl: 0,
    maxGradNorm: 0.5,
    adamEps: 1e-5,
    seed: 1,
  };
}

/** Finite synthetic rollout buffers for `rows` samples and θ from initParams (values do not change the work). */
function syntheticBuffers(device: GPUDevice, layout: NetLayout, obsDim: number, actDim: number, rows: number, owned: GPUBuffer[]): LearnerBuffers {
  const mk = (data: Float32Array | Uint32Array): GPUBuffer => {
    const b = device.createBuffer({ label: 'learn tune', size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    owned.push(b);
    return b;
  };
  const wave = (n: number, scale: number, phase: number): Float32Array => Float32Array.from({ length: n }, (_, i) => scale * Math.sin(0.7 * i + phase));
  const P = layout.total;
  return {
    obs: mk(wave(rows * obsDim, 1, 0.1)),
    actions: mk(new Float32Array(rows * actDim)),
    logp: mk(wave(rows, 0.2, 0.3).map((v) => v - 0.7)),
    values: mk(wave(rows, 0.5, 0.5)),
    rewards: mk(wave(rows, 1, 0.9)),
    nextValues: mk(wave(rows, 0.5, 1.3)),
    flags: mk(new Uint32Array(rows)),
    params: mk(initParams(layout, 1)),
    adamM: mk(new Float32Array(P)),
    adamV: mk(new Float32Array(P)),
  };
}
