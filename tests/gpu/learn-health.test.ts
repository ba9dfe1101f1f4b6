/**
 * The GPU side of the PPO health statistics and the live estimator comparison, against the CPU
 * formulas on the same data: the critic's explained variance of explained_variance.wgsl against
 * src/estimators/explained-variance.ts (targets from src/estimators/returns.ts; with padded samples
 * and with constant targets), the update's clip fraction over every minibatch run against the CPU
 * reference's per-minibatch ones, and — engine against engine on one config — explained variance,
 * approx KL and clip fraction (NaN on both for the plain policy-gradient algorithms) and each
 * estimator's cosine to the groups' mean (src/estimators/variance.ts meanCosineTo).
 */
import { describe, expect, it } from 'vitest';
import { GpuLearner, type LearnerOptions } from '../../src/backends/gpu/learn/learner';
import { FLAG_PADDING, minibatchBounds } from '../../src/backends/gpu/learn/layout';
import { initParams, netLayout, type NetSpec } from '../../src/policy';
import { createAdamState } from '../../src/optim';
import { validateConfig, type Config } from '../../src/core/config';
import { ESTIMATORS } from '../../src/core/types';
import { criticTargets, gae } from '../../src/estimators/returns';
import { explainedVariance } from '../../src/estimators/explained-variance';
import { gradMean, meanCosineTo } from '../../src/estimators/variance';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { createGpuEngine } from '../../src/backends/gpu/engine';
import { cpuUpdate, randomData, type LearnData } from './learn-reference';
import { learnerBuffers, readBack, useGpu, withScopes, type GpuContext } from './helpers';

const gpu = useGpu();
const SPEC: NetSpec = { obsDim: 4, hidden: [16], activation: 'tanh', head: { kind: 'softmax', n: 3 } };
const cfg = (c: Partial<Config>): Config => validateConfig(c as Record<string, unknown>);

function options(T: number, N: number, over: Partial<LearnerOptions> = {}): LearnerOptions {
  return {
    numEnvs: N, numSteps: T, psiKind: 'gae', loss: 'ppo', gamma: 0.97, lambda: 0.9, targetLambda: 0.9, epochs: 1, minibatches: 1,
    normAdv: true, clip: 0.2, entCoef: 0.01, vfCoef: 0.5, klCoef: 0, targetKl: 0, maxGradNorm: 0.5, adamEps: 1e-5, seed: 7, ...over,
  };
}

async function setup(ctx: GpuContext, o: LearnerOptions, seed: number, mutate?: (d: LearnData) => void) {
  const layout = netLayout(SPEC);
  const theta = initParams(layout, seed);
  const data = randomData(layout, theta, o.numSteps, o.numEnvs, seed);
  mutate?.(data);
  const d = ctx.device;
  const buffers = learnerBuffers(d, data, theta);
  const learner = await GpuLearner.create({ device: d, cache: ctx.cache, layout, obsDim: SPEC.obsDim, actDim: 1, options: o, buffers });
  return { layout, theta, data, learner };
}

describe('GPU learner: explained variance of the critic (explained_variance.wgsl = explainedVariance)', () => {
  it('over a ragged batch (533 samples, 256 lanes): the targets of returns.ts and the rollout values', async () => {
    const ctx = gpu();
    const o = options(13, 41);
    await withScopes(ctx.device, async () => {
      const s = await setup(ctx, o, 3);
      const stats = await s.learner.update({ lr: 1e-3, shuffleStream: 0 });
      const B = o.numSteps * o.numEnvs;
      const adv = new Float64Array(B);
      const targets = new Float64Array(B);
      gae(s.data.rollout, o.gamma, o.targetLambda, adv);
      criticTargets(s.data.rollout, adv, targets);
      const want = explainedVariance(targets, s.data.rollout.values, B);
      expect(Math.abs(want)).toBeGreaterThan(0.01);
      expect(stats.explainedVariance).toBeCloseTo(want, 4);
      s.learner.destroy();
    });
  });

  it('padded samples do not count; constant targets give NaN', async () => {
    const ctx = gpu();
    const o = options(16, 24);
    await withScopes(ctx.device, async () => {
      // env 0..5: their last 4 steps are padding (not real samples)
      const s = await setup(ctx, o, 5, (d) => {
        for (let e = 0; e < 6; e++) for (let t = 12; t < 16; t++) d.flags[t * 24 + e] |= FLAG_PADDING;
      });
      const stats = await s.learner.update({ lr: 1e-3, shuffleStream: 0 });
      // the scan's record aux = (Ψ, target, log π_old, valid) read back: the reduction's own inputs
      const aux = new Float32Array(await readBack(ctx.device, s.learner.aux));
      const B = 16 * 24;
      const tg = Float64Array.from({ length: B }, (_, i) => aux[4 * i + 1]);
      const valid = Float64Array.from({ length: B }, (_, i) => aux[4 * i + 3]);
      expect(valid.reduce((a, v) => a + v, 0)).toBe(B - 24);
      const want = explainedVariance(tg, s.data.rollout.values, B, valid);
      expect(stats.explainedVariance).toBeCloseTo(want, 4);
      // the padded samples' values would move it
      expect(Math.abs(explainedVariance(tg, s.data.rollout.values, B) - want)).toBeGreaterThan(1e-3);
      s.learner.destroy();

      const flat = await setup(ctx, o, 6, (d) => {
        d.rollout.rewards.fill(0);
        d.rollout.values.fill(0);
        d.rollout.nextValues.fill(0);
      });
      expect((await flat.learner.update({ lr: 1e-3, shuffleStream: 0 })).explainedVariance).toBeNaN();
      flat.learner.destroy();
    });
  });
});

describe('GPU learner: the update\'s clip fraction and trust-region statistics', () => {
  it('3 epochs × 4 minibatches: clip fraction = Σ n·clipFrac / Σ n over the CPU reference\'s minibatches; KL of the last', async () => {
    const ctx = gpu();
    const o = options(20, 12, { epochs: 3, minibatches: 4 });
    await withScopes(ctx.device, async () => {
      const s = await setup(ctx, o, 8);
      const lr = 3e-3;
      const stats = await s.learner.update({ lr, shuffleStream: 4 });
      const cpu = cpuUpdate(s.layout, s.theta, createAdamState(s.layout.total), s.data, o, lr, 4);
      const B = o.numSteps * o.numEnvs;
      let clipped = 0;
      cpu.stats.forEach((c, k) => {
        const [a, b] = minibatchBounds(k % o.minibatches, o.minibatches, B);
        clipped += (b - a) * c.clipFrac;
      });
      expect(clipped).toBeGreaterThan(0);
      expect(stats.clipFrac).toBeCloseTo(clipped / (o.epochs * B), 5);
      expect(stats.approxKl).toBeCloseTo(cpu.stats[cpu.stats.length - 1].approxKl, 4);
      s.learner.destroy();
    });
  });
});

describe('GPU engine = CPU engine: health statistics and the live estimator comparison', () => {
  it.each([
    ['ppo', { epochs: 2, minibatches: 2, lr: 0.01 }],
    ['reinforce', {}],
  ] as const)('%s: explained variance, approx KL and clip fraction of one update', async (algo, over) => {
    const ctx = gpu();
    const c = cfg({ env: 'cartpole', algo, numEnvs: 32, numSteps: 32, seed: 3, hidden: [16, 16], backend: 'gpu', ...over });
    await withScopes(ctx.device, async () => {
      const g = await createGpuEngine(c, { device: ctx.acquired });
      const e = createCpuEngine(c);
      await g.collect();
      await e.collect();
      const sg = await g.update();
      const sc = await e.update();
      expect(Number.isFinite(sc.explainedVariance)).toBe(true);
      expect(sg.explainedVariance).toBeCloseTo(sc.explainedVariance, 4);
      expect(sg.epochsRun).toBe(sc.epochsRun);
      if (algo === 'ppo') {
        expect(sc.approxKl).toBeGreaterThan(0);
        expect(sg.approxKl / sc.approxKl).toBeCloseTo(1, 2);
        expect(sg.clipFrac).toBeCloseTo(sc.clipFrac, 3);
      } else {
        for (const s of [sg, sc]) {
          expect(s.approxKl).toBeNaN();
          expect(s.clipFrac).toBeNaN();
        }
      }
      g.dispose();
    });
  });

  it('cosine to the groups\' mean: the GPU\'s = meanCosineTo of its per-group estimates = the CPU engine\'s', async () => {
    const ctx = gpu();
    const c = cfg({ env: 'twostate', algo: 'reinforce', numEnvs: 64, numSteps: 8, seed: 11, backend: 'gpu' });
    await withScopes(ctx.device, async () => {
      const g = await createGpuEngine(c, { device: ctx.acquired });
      const e = createCpuEngine(c);
      await g.collect();
      await e.collect();
      const G = 8;
      const vg = await g.gradientEstimates(ESTIMATORS, G);
      const vc = await e.gradientEstimates(ESTIMATORS, G);
      const Pa = vg.estimators[0].mean.length;
      // the learner's own per-group estimates, read back
      const learner = (g as unknown as { learner: GpuLearner }).learner;
      const r = await learner.gradientEstimates(ESTIMATORS, G, { keepGroupGrads: true });
      ESTIMATORS.forEach((kind, k) => {
        const gg = r.groupGrads![k];
        expect(r.estimators[k].cosineToMean).toBeCloseTo(meanCosineTo(gg, G, Pa, gradMean(gg, G, Pa, new Float64Array(Pa))), 5);
        const cg = vg.estimators[k].cosineToMean!;
        const cc = vc.estimators[k].cosineToMean!;
        expect(vg.estimators[k].kind).toBe(kind);
        expect(Number.isFinite(cc)).toBe(true);
        expect(cg).toBeCloseTo(cc, 3);
        // the same estimates: before any running-baseline update both take b = this batch's mean G_t
        expect(vg.estimators[k].traceCov / vc.estimators[k].traceCov).toBeCloseTo(1, 3);
      });
      g.dispose();
    });
  });
});
