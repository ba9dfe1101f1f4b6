/**
 * The GPU learner against the CPU reference math (tests/gpu/learn-reference.ts, built from
 * src/estimators, src/policy and src/optim): the minibatch gradient of every head (softmax, Gaussian
 * incl. log σ, tabular) and loss (PPO clip + value + entropy + KL penalty; plain −Ψ log π), whole
 * updates with several epochs / minibatches (permutation, normalisation, clipping, Adam), the statistics,
 * the target-KL early stop and the non-finite guard.
 */
import { describe, expect, it } from 'vitest';
import { GpuLearner, type LearnerBuffers, type LearnerOptions } from '../../src/backends/gpu/learn/learner';
import { initParams, netLayout, type NetLayout, type NetSpec } from '../../src/policy';
import { createAdamState } from '../../src/optim';
import { PhiloxStream, Purpose } from '../../src/core/rng';
import { cpuUpdate, randomData, type LearnData } from './learn-reference';
import { learnerBuffers, readBack, useGpu, withScopes, type GpuContext } from './helpers';
import { hasQuadSubgroups, STATS_FLOATS, statIndex, type GemmVariant, type ReduceVariant } from '../../src/backends/gpu/learn/layout';
import { gemmLanes, resolveGemmVariant } from '../../src/backends/gpu/learn/kernels';

const gpu = useGpu();

/**
 * Every kernel set is run against the reference, whatever the adapter: the SwiftShader ones (serial-
 * partial reductions with the register-blocked GEMM, plain or sharing B loads in subgroups of 4) and the
 * real-GPU one (barrier-tree reductions, tiled GEMM). A device without subgroups of exactly 4 lanes
 * cannot run 'quad': there the test checks that asking for it fails with a clear error, and runs 'simple'.
 */
interface Kernels {
  reductions: ReduceVariant;
  gemm: GemmVariant;
}
const VARIANTS: Kernels[] = [
  { reductions: 'serial', gemm: 'simple' },
  { reductions: 'serial', gemm: 'quad' },
  { reductions: 'tree', gemm: 'tiled' },
  { reductions: 'serial', gemm: 'wg' },
  { reductions: 'tree', gemm: 'wg' },
  { reductions: 'serial', gemm: 'wgsub' },
];

const SPECS: Record<string, NetSpec> = {
  softmax: { obsDim: 4, hidden: [16, 16], activation: 'tanh', head: { kind: 'softmax', n: 3 } },
  gaussian: { obsDim: 3, hidden: [20, 7], activation: 'relu', head: { kind: 'gaussian', dim: 2 } },
  tabular: { obsDim: 3, hidden: [], activation: 'tanh', head: { kind: 'tabular', nStates: 3, n: 2 } },
  // wide enough for 'quad' weight gradients (≥ 4 row blocks of 8 outputs), with partial blocks
  wide: { obsDim: 4, hidden: [36, 33], activation: 'tanh', head: { kind: 'softmax', n: 2 } },
};

function baseOptions(T: number, N: number): LearnerOptions {
  return {
    numEnvs: N,
    numSteps: T,
    psiKind: 'gae',
    loss: 'ppo',
    gamma: 0.97,
    lambda: 0.9,
    targetLambda: 0.9,
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
    seed: 7,
  };
}

/** θ from initParams, perturbed so that every head and layer carries signal (log σ ≠ 0, tables ≠ 0). */
function params(layout: NetLayout, seed: number): Float32Array {
  const th = initParams(layout, seed);
  const s = new PhiloxStream(seed, Purpose.Init, 1234);
  for (let i = 0; i < th.length; i++) th[i] += 0.2 * s.normal();
  return th;
}

interface Setup {
  layout: NetLayout;
  theta: Float32Array;
  data: LearnData;
  learner: GpuLearner;
  buffers: LearnerBuffers;
}

async function setup(ctx: GpuContext, spec: NetSpec, o: LearnerOptions, seed: number, kernels: Kernels, mutate?: (d: LearnData) => void): Promise<Setup> {
  const layout = netLayout(spec);
  const theta = params(layout, seed);
  const data = randomData(layout, theta, o.numSteps, o.numEnvs, seed);
  mutate?.(data);
  const d = ctx.device;
  if (kernels.gemm === 'quad' && !hasQuadSubgroups(d.adapterInfo, d.features.has('subgroups'))) {
    expect(() => resolveGemmVariant(d, 'quad')).toThrow(/subgroups of exactly 4 lanes/);
    kernels = { ...kernels, gemm: 'simple' };
  }
  if (kernels.gemm === 'wgsub' && gemmLanes(d) === 0) {
    expect(() => resolveGemmVariant(d, 'wgsub')).toThrow(/subgroups of 4 lanes or more/);
    kernels = { ...kernels, gemm: 'wg' };
  }
  const buffers = learnerBuffers(d, data, theta);
  const head = spec.head;
  const actDim = head.kind === 'gaussian' ? head.dim : 1;
  const learner = await GpuLearner.create({ device: d, cache: ctx.cache, layout, obsDim: spec.obsDim, actDim, options: o, buffers, reductions: kernels.reductions, gemm: kernels.gemm });
  return { layout, theta, data, learner, buffers };
}

async function readF32(ctx: GpuContext, b: GPUBuffer): Promise<Float32Array> {
  return new Float32Array(await readBack(ctx.device, b));
}

/** max_i |a_i − b_i| / max_i |b_i| */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

describe.each(VARIANTS)('kernels: $reductions reductions, $gemm GEMM', (reductions) => {
  describe('GPU learner gradient = CPU reference gradient', () => {
    const cases: Array<[string, string, Partial<LearnerOptions>]> = [
      ['softmax', 'ppo + value + entropy', {}],
      ['wide', 'ppo, layers wider than one register block', {}],
      ['softmax', 'ppo + KL penalty, no normalisation', { klCoef: 0.7, normAdv: false }],
      ['softmax', 'plain pg, Ψ = reinforce', { loss: 'pg', psiKind: 'reinforce', normAdv: false, entCoef: 0.05 }],
      ['gaussian', 'ppo (μ and log σ)', { entCoef: 0.1 }],
      ['gaussian', 'plain pg, Ψ = actor-critic', { loss: 'pg', psiKind: 'actor-critic', normAdv: false }],
      ['tabular', 'ppo', {}],
      ['tabular', 'plain pg, Ψ = reinforce-rtg', { loss: 'pg', psiKind: 'reinforce-rtg', normAdv: false }],
    ];
    it.each(cases)('%s head, %s', async (head, _what, over) => {
      const ctx = gpu();
      const o = { ...baseOptions(24, 16), ...over };
      await withScopes(ctx.device, async () => {
        const s = await setup(ctx, SPECS[head], o, 3, reductions);
        const stats = await s.learner.update({ lr: 1e-3, shuffleStream: 5 });
        const grad = await readF32(ctx, s.learner.grad);
        const cpu = cpuUpdate(s.layout, s.theta, createAdamState(s.layout.total), s.data, o, 1e-3, 5);
        expect(relErr(grad, cpu.firstGrad)).toBeLessThan(1e-3);
        // every segment carries signal (no silently zero layer)
        const segs = [...s.layout.actorLayers, ...s.layout.criticLayers];
        for (const l of segs) {
          let n2 = 0;
          for (let i = l.wOffset; i < l.bOffset + l.outDim; i++) n2 += grad[i] * grad[i];
          expect(n2).toBeGreaterThan(0);
        }
        const c = cpu.stats[0];
        expect(stats.policyLoss).toBeCloseTo(c.policyLoss, 4);
        expect(stats.valueLoss).toBeCloseTo(c.valueLoss, 3);
        expect(stats.entropy).toBeCloseTo(c.entropy, 4);
        // the minibatch's own k3 and clip fraction; the update reports them for PPO only (core.ts trustRegionStats)
        const raw = (f: 'approxKl' | 'clipFrac') => stats.perMinibatch[statIndex(f)];
        expect(raw('approxKl')).toBeCloseTo(c.approxKl, 5);
        expect(raw('clipFrac')).toBeCloseTo(c.clipFrac, 6);
        if (o.loss === 'ppo') {
          expect(stats.approxKl).toBe(raw('approxKl'));
          expect(stats.clipFrac).toBeCloseTo(raw('clipFrac'), 7);
        } else {
          expect(stats.approxKl).toBeNaN();
          expect(stats.clipFrac).toBeNaN();
        }
        expect(stats.gradNorm / c.gradNorm).toBeCloseTo(1, 4);
        expect(stats.epochsRun).toBe(1);
        expect(stats.stepsApplied).toBe(1);
        expect(stats.nonFinite).toBe(false);
        s.learner.destroy();
      });
    });

    // 'wide': its 33 × 36 layer is one of 'wgsub''s own weight-gradient blocks (main_weight_sub), ragged in rows and columns
    it.each(['gaussian', 'wide'])('many rows: 3 split-K chunks and ragged runs (2257 rows), gradient and statistics, %s', async (head) => {
      const ctx = gpu();
      const o = { ...baseOptions(37, 61), klCoef: 0.3 };
      await withScopes(ctx.device, async () => {
        const s = await setup(ctx, SPECS[head], o, 11, reductions);
        expect(s.learner.splits).toBe(3);
        const stats = await s.learner.update({ lr: 1e-3, shuffleStream: 2 });
        const grad = await readF32(ctx, s.learner.grad);
        const cpu = cpuUpdate(s.layout, s.theta, createAdamState(s.layout.total), s.data, o, 1e-3, 2);
        expect(relErr(grad, cpu.firstGrad)).toBeLessThan(1e-3);
        const c = cpu.stats[0];
        expect(stats.policyLoss).toBeCloseTo(c.policyLoss, 4);
        expect(stats.valueLoss / c.valueLoss).toBeCloseTo(1, 4);
        expect(stats.entropy).toBeCloseTo(c.entropy, 4);
        expect(stats.approxKl).toBeCloseTo(c.approxKl, 5);
        expect(stats.clipFrac).toBeCloseTo(c.clipFrac, 6);
        expect(stats.gradNorm / c.gradNorm).toBeCloseTo(1, 4);
        s.learner.destroy();
      });
    });
  });

  describe('GPU learner whole update = CPU reference update', () => {
    // 'wide' with 110 envs: 550-row minibatches, more than one 'wg' workgroup of 8 × 64 rows and every row
    // slot of a lane's block (the 60-row minibatches of the others fit in the first 64 rows)
    it.each([
      ['softmax', 12],
      ['gaussian', 12],
      ['tabular', 12],
      ['wide', 110],
    ])('%s: 3 epochs × 4 minibatches, %i envs, same θ, m, v, t', async (head, envs) => {
      const ctx = gpu();
      const o = { ...baseOptions(20, envs), epochs: 3, minibatches: 4, klCoef: 0.1 };
      await withScopes(ctx.device, async () => {
        const s = await setup(ctx, SPECS[head], o, 4, reductions);
        const lr = 3e-3;
        const stats = await s.learner.update({ lr, shuffleStream: 12 });
        const theta = await readF32(ctx, s.buffers.params);
        const m = await readF32(ctx, s.buffers.adamM);
        const cpu = cpuUpdate(s.layout, s.theta, createAdamState(s.layout.total), s.data, o, lr, 12);
        expect(stats.stepsApplied).toBe(12);
        expect(stats.adamT).toBe(12);
        // each Adam step moves θ by ≲ lr; allow 1% of one step of disagreement per parameter
        let worst = 0;
        for (let i = 0; i < theta.length; i++) worst = Math.max(worst, Math.abs(theta[i] - cpu.theta[i]));
        expect(worst).toBeLessThan(0.01 * lr);
        let moved = 0;
        for (let i = 0; i < theta.length; i++) moved = Math.max(moved, Math.abs(theta[i] - s.theta[i]));
        expect(moved).toBeGreaterThan(lr);
        expect(relErr(m, cpu.adam.m)).toBeLessThan(2e-3);
        const last = cpu.stats[cpu.stats.length - 1];
        expect(stats.policyLoss).toBeCloseTo(last.policyLoss, 3);
        expect(stats.approxKl).toBeCloseTo(last.approxKl, 4);
        for (let k = 0; k < cpu.stats.length; k++) expect(stats.perMinibatch[k * STATS_FLOATS + statIndex('gradNorm')] / cpu.stats[k].gradNorm).toBeCloseTo(1, 3);
        s.learner.destroy();
      });
    });

    it('a second update continues Adam (t = 2 bias correction) and matches', async () => {
      const ctx = gpu();
      const o = { ...baseOptions(16, 8), minibatches: 2 };
      await withScopes(ctx.device, async () => {
        const s = await setup(ctx, SPECS.softmax, o, 8, reductions);
        await s.learner.update({ lr: 2e-3, shuffleStream: 0 });
        const st = await s.learner.update({ lr: 1e-3, shuffleStream: 1 });
        const c1 = cpuUpdate(s.layout, s.theta, createAdamState(s.layout.total), s.data, o, 2e-3, 0);
        const c2 = cpuUpdate(s.layout, c1.theta, c1.adam, s.data, o, 1e-3, 1);
        const theta = await readF32(ctx, s.buffers.params);
        let worst = 0;
        for (let i = 0; i < theta.length; i++) worst = Math.max(worst, Math.abs(theta[i] - c2.theta[i]));
        expect(worst).toBeLessThan(0.01 * 2e-3);
        expect(st.adamT).toBe(4);
        s.learner.destroy();
      });
    });
  });

  describe('GPU learner control flow', () => {
    it('target-KL early stop after the first epoch, as the CPU reference', async () => {
      const ctx = gpu();
      const o = { ...baseOptions(16, 8), epochs: 4, minibatches: 2, targetKl: 1e-4 };
      await withScopes(ctx.device, async () => {
        const s = await setup(ctx, SPECS.softmax, o, 9, reductions);
        const stats = await s.learner.update({ lr: 1e-2, shuffleStream: 3 });
        const cpu = cpuUpdate(s.layout, s.theta, createAdamState(s.layout.total), s.data, o, 1e-2, 3);
        expect(cpu.epochsRun).toBe(1);
        expect(stats.epochsRun).toBe(1);
        expect(stats.stepsApplied).toBe(2);
        expect(Number.isNaN(stats.perMinibatch[2 * STATS_FLOATS + statIndex('policyLoss')])).toBe(true);
        // the profile's mean per minibatch counts only the 2 that ran (of 8 slots)
        expect(s.learner.slotsRun(stats)).toBe(cpu.epochsRun * o.minibatches);
        expect(s.learner.slotsRun(stats, 1)).toBe(1);
        const theta = await readF32(ctx, s.buffers.params);
        let worst = 0;
        for (let i = 0; i < theta.length; i++) worst = Math.max(worst, Math.abs(theta[i] - cpu.theta[i]));
        expect(worst).toBeLessThan(1e-4);
        s.learner.destroy();
      });
    });

    it('a non-finite reward flags the update, stops it, and leaves θ, m, v untouched', async () => {
      const ctx = gpu();
      const o = { ...baseOptions(8, 8), epochs: 2 };
      await withScopes(ctx.device, async () => {
        const s = await setup(ctx, SPECS.softmax, o, 10, reductions, (d) => {
          d.rollout.rewards[5] = NaN;
        });
        const stats = await s.learner.update({ lr: 1e-2, shuffleStream: 0 });
        expect(stats.nonFinite).toBe(true);
        // the learner stops at the faulty minibatch (the engine then rolls the whole update back)
        expect(stats.epochsRun).toBe(1);
        expect(stats.stepsApplied).toBe(0);
        expect(stats.adamT).toBe(0);
        expect(Array.from(await readF32(ctx, s.buffers.params))).toEqual(Array.from(s.theta));
        expect((await readF32(ctx, s.buffers.adamV)).every((x) => x === 0)).toBe(true);
        s.learner.destroy();
      });
    });
  });
});
