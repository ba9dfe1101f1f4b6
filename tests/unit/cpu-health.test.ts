/**
 * The CPU engine's PPO health statistics and the trainer's live estimator comparison, each against a
 * computation written here: the critic targets by a plain per-env backward loop (GAE(γ, λ) + V) and
 * the explained variance as 1 − Var[R − V]/Var[R] with population variances; approx KL (k3) and the
 * clip fraction from the log-probs of the parameters the last epoch started from; the live columns
 * from `gradientEstimates` run directly on an identical engine's rollout (common random numbers).
 */
import { describe, expect, it } from 'vitest';
import { validateConfig, type Config } from '../../src/core/config';
import { ESTIMATORS } from '../../src/core/types';
import { createCpuEngine, type CpuEngine } from '../../src/backends/cpu/engine';
import { actorForward, createWorkspace } from '../../src/policy/mlp';
import { categoricalLogProb } from '../../src/policy/heads';
import { estimatorStats } from '../../src/estimators/variance';
import { Trainer } from '../../src/train/trainer';
import { ESTIMATOR_METRICS } from '../../src/train/metrics';

const cfg = (c: Partial<Config>): Config => validateConfig(c as Record<string, unknown>);

/** target_t = Â_t(γ, λ) + V_t, one env at a time (bootstrapped with V(real s_{t+1}) where the rollout or a time limit cuts). */
function naiveTargets(e: CpuEngine, gamma: number, lambda: number): number[] {
  const ro = e.rollout;
  const { N, T } = e;
  const out = new Array<number>(N * T).fill(0);
  for (let env = 0; env < N; env++) {
    let A = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + env;
      const boot = ro.terminated[i] ? 0 : ro.nextValues[i];
      const delta = ro.rewards[i] + gamma * boot - ro.values[i];
      const linked = t < T - 1 && !ro.terminated[i] && !ro.truncated[i];
      A = delta + (linked ? gamma * lambda * A : 0);
      out[i] = A + ro.values[i];
    }
  }
  return out;
}

const popVar = (x: number[]): number => {
  const m = x.reduce((s, v) => s + v, 0) / x.length;
  return x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length;
};

function naiveEv(e: CpuEngine, targets: number[]): number {
  const resid = targets.map((r, i) => r - e.rollout.values[i]);
  return 1 - popVar(resid) / popVar(targets);
}

describe('CPU engine: PPO health statistics', () => {
  it('PPO: explained variance, approx KL of the last epoch and the clip fraction over every minibatch run', async () => {
    // 2 epochs of 1 minibatch: epoch 2 starts from θ1 = θ after one step, which a 1-epoch twin reaches
    const base: Partial<Config> = { env: 'cartpole', algo: 'ppo', numEnvs: 8, numSteps: 32, seed: 4, hidden: [8], minibatches: 1, lr: 0.05, clip: 0.1 };
    const two = createCpuEngine(cfg({ ...base, epochs: 2 }));
    const one = createCpuEngine(cfg({ ...base, epochs: 1 }));
    await two.collect();
    await one.collect();
    const c = two.config;
    const targets = naiveTargets(two, c.gamma, c.lambda);
    const ev = naiveEv(two, targets);
    const s = await two.update();
    await one.update();
    expect(s.epochsRun).toBe(2);
    expect(Number.isFinite(ev)).toBe(true);
    expect(s.explainedVariance).toBeCloseTo(ev, 5);
    // k3 and |ρ − 1| > ε at θ1 over the whole batch, from log π_θ1 recomputed here and the rollout's log π_old
    const B = two.N * two.T;
    const ws = createWorkspace(two.layout, B);
    const z = new Float32Array(B * two.layout.headOutDim);
    actorForward(two.layout, one.params, two.obsBuf, B, ws, z);
    let k3 = 0;
    let clipped = 0;
    for (let i = 0; i < B; i++) {
      const rho = Math.exp(categoricalLogProb(z, i * 2, 2, two.actBuf[i]) - two.logpBuf[i]);
      k3 += rho - 1 - Math.log(rho);
      if (Math.abs(rho - 1) > c.clip) clipped++;
    }
    expect(clipped).toBeGreaterThan(0);
    expect(s.approxKl).toBeGreaterThan(0);
    expect(s.approxKl).toBeCloseTo(k3 / B, 5);
    // epoch 1 runs at the collecting θ (ratio 1: nothing clipped), epoch 2 at θ1
    expect(s.clipFrac).toBeCloseTo(clipped / (2 * B), 6);
  });

  it.each(['reinforce', 'actor-critic'] as const)('%s: no trust region (approx KL, clip fraction NaN), explained variance of its critic targets', async (algo) => {
    const e = createCpuEngine(cfg({ env: 'cartpole', algo, numEnvs: 8, numSteps: 32, seed: 2, hidden: [8] }));
    await e.collect();
    // the REINFORCE family's critic learns G_t (λ = 1), actor-critic's δ + V (λ = 0)
    const targets = naiveTargets(e, e.config.gamma, algo === 'reinforce' ? 1 : 0);
    const ev = naiveEv(e, targets);
    const s = await e.update();
    expect(s.approxKl).toBeNaN();
    expect(s.clipFrac).toBeNaN();
    expect(s.epochsRun).toBe(1);
    expect(s.explainedVariance).toBeCloseTo(ev, 5);
  });

  it('the trainer keeps the epochs actually run in its row (target-KL early stop)', async () => {
    const c: Partial<Config> = { env: 'cartpole', algo: 'ppo', numEnvs: 4, numSteps: 32, seed: 1, hidden: [8], epochs: 4, minibatches: 2, lr: 0.01, totalSteps: 256 };
    const all = await Trainer.create({ ...c, backend: 'cpu' });
    expect((await all.runUpdate()).epochsRun).toBe(4);
    const stopped = await Trainer.create({ ...c, backend: 'cpu', targetKl: 1e-9 });
    expect((await stopped.runUpdate()).epochsRun).toBe(1);
  });
});

describe('all estimators compared live', () => {
  it('cosineToMean of estimatorStats: hand-derived (rows e0, e1, (2, 2); mean (1, 1))', () => {
    const s = estimatorStats('gae', [1, 0, 0, 1, 2, 2], 3, 2, [1, 0]);
    // cos to (1, 1): 1/√2, 1/√2, 1
    expect(s.cosineToMean).toBeCloseTo((Math.SQRT2 + 1) / 3, 14);
  });

  it('every varianceEvery updates the row holds each Ψ\'s trace and cosine = gradientEstimates on the same rollout', async () => {
    const c: Partial<Config> = { env: 'cartpole', algo: 'actor-critic', numEnvs: 8, numSteps: 16, seed: 6, hidden: [8], varianceEvery: 2, varianceGroups: 4, totalSteps: 384, backend: 'cpu' };
    const t = await Trainer.create(c);
    const twin = createCpuEngine(cfg(c));
    const rows = [];
    for (let u = 0; u < 3; u++) rows.push(await t.runUpdate());
    for (let u = 0; u < 3; u++) {
      await twin.collect();
      const row = rows[u];
      if (u % 2 === 0) {
        const v = await twin.gradientEstimates(ESTIMATORS, 4);
        for (const s of v.estimators) {
          expect(row[ESTIMATOR_METRICS[s.kind].variance]).toBe(s.traceCov);
          expect(row[ESTIMATOR_METRICS[s.kind].cosine]).toBe(s.cosineToMean);
          expect(s.traceCov).toBeGreaterThan(0);
          expect(Math.abs(s.cosineToMean!)).toBeLessThanOrEqual(1);
        }
        // the trained Ψ's own columns stay
        const ac = v.estimators.find((s) => s.kind === 'actor-critic')!;
        expect(row.gradVariance).toBe(ac.traceCov);
        expect(row.gradSnr).toBe(ac.snr);
      } else {
        for (const k of ESTIMATORS) {
          expect(row[ESTIMATOR_METRICS[k].variance]).toBeNaN();
          expect(row[ESTIMATOR_METRICS[k].cosine]).toBeNaN();
        }
        expect(row.gradVariance).toBeNaN();
      }
      const s = await twin.update();
      expect(row.policyLoss).toBe(s.policyLoss);
      expect(row.explainedVariance).toBe(s.explainedVariance);
    }
  });
});
