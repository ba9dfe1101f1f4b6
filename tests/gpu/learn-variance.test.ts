/**
 * The GPU variance pass (per-group score-function gradients for several Ψ, then mean, trace of the
 * covariance, ‖mean‖² and projections on the device) against the CPU reference: per-group gradients
 * from src/policy (float64) and the statistics of src/estimators/variance.ts.
 */
import { describe, expect, it } from 'vitest';
import { GpuLearner, type LearnerOptions } from '../../src/backends/gpu/learn/learner';
import { initParams, netLayout, type NetSpec } from '../../src/policy';
import { ESTIMATORS } from '../../src/core/types';
import { gradMean, projections, sqNorm, traceCov } from '../../src/estimators';
import { PhiloxStream, Purpose } from '../../src/core/rng';
import { cpuGroupGradients, randomData } from './learn-reference';
import { storageBuffer, useGpu, withScopes } from './helpers';
import type { GemmVariant, ReduceVariant } from '../../src/backends/gpu/learn/layout';

const gpu = useGpu();

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

// every reduction variant with the adapter's fallback GEMM, and the 'wg' GEMM (feature-major workspace) with both
const KERNELS: Array<{ reductions: ReduceVariant; gemm?: GemmVariant }> = [
  { reductions: 'serial' },
  { reductions: 'tree' },
  { reductions: 'serial', gemm: 'wg' },
  { reductions: 'tree', gemm: 'wg' },
];

describe.each(KERNELS)('GPU gradient variance (reductions: $reductions, GEMM: $gemm)', ({ reductions, gemm }) => {
  it.each([
    ['softmax', { obsDim: 4, hidden: [16, 16], activation: 'tanh', head: { kind: 'softmax', n: 2 } } as NetSpec],
    ['gaussian', { obsDim: 3, hidden: [8], activation: 'tanh', head: { kind: 'gaussian', dim: 2 } } as NetSpec],
  ])('%s: every Ψ, 4 uneven env groups, statistics = variance.ts', async (_name, spec) => {
    const { device, cache } = gpu();
    const T = 12;
    const N = 22; // groups of 5, 6, 5, 6 envs
    const G = 4;
    const layout = netLayout(spec);
    const theta = initParams(layout, 5);
    const s = new PhiloxStream(5, Purpose.Init, 77);
    for (let i = 0; i < theta.length; i++) theta[i] += 0.3 * s.normal();
    const data = randomData(layout, theta, T, N, 6);
    const o: LearnerOptions = {
      numEnvs: N, numSteps: T, psiKind: 'gae', loss: 'ppo', gamma: 0.95, lambda: 0.8, targetLambda: 0.8, epochs: 1, minibatches: 1,
      normAdv: true, clip: 0.2, entCoef: 0, vfCoef: 0.5, klCoef: 0, targetKl: 0, maxGradNorm: 0.5, adamEps: 1e-5, seed: 1,
    };
    await withScopes(device, async () => {
      const actDim = spec.head.kind === 'gaussian' ? spec.head.dim : 1;
      const learner = await GpuLearner.create({
        device, cache, layout, obsDim: spec.obsDim, actDim, options: o, reductions, gemm,
        buffers: {
          obs: storageBuffer(device, data.obs), actions: storageBuffer(device, data.actions), logp: storageBuffer(device, data.logp),
          values: storageBuffer(device, data.rollout.values), rewards: storageBuffer(device, data.rollout.rewards),
          nextValues: storageBuffer(device, data.rollout.nextValues), flags: storageBuffer(device, data.flags),
          params: storageBuffer(device, theta), adamM: storageBuffer(device, layout.total * 4), adamV: storageBuffer(device, layout.total * 4),
        },
      });
      const baseline = 0.4;
      const res = await learner.gradientEstimates(ESTIMATORS, G, { baseline, keepGroupGrads: true });
      const Pa = layout.actorSize;
      const cpuGrads = ESTIMATORS.map((k) => cpuGroupGradients(layout, theta, data, k, G, o.gamma, o.lambda, baseline));
      const dir = new Float64Array(Pa);
      {
        const m0 = gradMean(flat(cpuGrads[0], Pa), G, Pa, new Float64Array(Pa));
        const n = Math.sqrt(sqNorm(m0, Pa));
        for (let p = 0; p < Pa; p++) dir[p] = m0[p] / n;
      }
      expect(maxRel(res.direction, dir)).toBeLessThan(1e-3);
      ESTIMATORS.forEach((kind, k) => {
        const cg = flat(cpuGrads[k], Pa);
        expect(maxRel(res.groupGrads![k], cg)).toBeLessThan(1e-3);
        const mean = gradMean(cg, G, Pa, new Float64Array(Pa));
        const e = res.estimators[k];
        expect(e.kind).toBe(kind);
        expect(maxRel(e.mean, mean)).toBeLessThan(1e-3);
        expect(e.traceCov / traceCov(cg, G, Pa, mean)).toBeCloseTo(1, 3);
        expect(e.meanSqNorm / sqNorm(mean, Pa)).toBeCloseTo(1, 3);
        expect(maxRel(e.projections, projections(cg, G, Pa, dir, new Float64Array(G)))).toBeLessThan(1e-3);
      });
      // Ψ differ: the estimators' variances are not all equal
      expect(new Set(res.estimators.map((e) => e.traceCov.toPrecision(4))).size).toBeGreaterThan(3);
      // parameters untouched
      learner.destroy();
    });
  });
});

function flat(rows: Float64Array[], P: number): Float64Array {
  const out = new Float64Array(rows.length * P);
  rows.forEach((r, g) => out.set(r, g * P));
  return out;
}
