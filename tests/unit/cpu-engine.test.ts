/**
 * The CPU reference engine against independent references: a straightforward one-env-at-a-time
 * rollout written here from the env and policy contracts, the exact gradients of the tiny MDPs, and
 * learning outcomes known from the theory.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateConfig, type Config } from '../../src/core/config';
import { Purpose, uniform4 } from '../../src/core/rng';
import type { StepResult } from '../../src/core/types';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { makeEnv } from '../../src/envs';
import { netLayout, netSpecFor } from '../../src/policy/layout';
import { initParams } from '../../src/policy/init';
import { actorForward, createWorkspace, criticForward } from '../../src/policy/mlp';
import { categoricalLogProb, categoricalSample, gaussianLogProb, gaussianSample } from '../../src/policy/heads';
import { exactGradient, exactObjective } from '../../src/estimators/exact';
import { Trainer } from '../../src/train/trainer';
import { parseCheckpoint, serializeCheckpoint } from '../../src/train/checkpoint';

const cfg = (c: Partial<Config>): Config => validateConfig(c as Record<string, unknown>);

/**
 * One env at a time, one step at a time, B = 1 forwards: the obviously-correct rollout.
 * Returns per (t, e): action, logp, reward, flags, V(s_t), V(real s_{t+1}).
 */
function naiveRollout(config: Config) {
  const env = makeEnv(config.env);
  const layout = netLayout(netSpecFor(env, config));
  const theta = initParams(layout, config.seed);
  const ws = createWorkspace(layout, 1);
  const { N } = { N: config.numEnvs };
  const T = config.numSteps;
  const out: StepResult = { reward: 0, terminated: false, truncated: false };
  const rec: { a: number[]; logp: number; r: number; term: boolean; trunc: boolean; v: number; nv: number }[] = [];
  const states = Array.from({ length: N }, () => new Float32Array(env.stateDim));
  const k = new Array(N).fill(0);
  for (let e = 0; e < N; e++) env.reset(states[e], 0, uniform4(config.seed, Purpose.Reset, e, 0, 0));
  const obs = new Float32Array(env.obsDim);
  const z = new Float32Array(layout.headOutDim);
  const v = new Float32Array(1);
  const a = new Float32Array(env.actDim);
  for (let t = 0; t < T; t++) {
    for (let e = 0; e < N; e++) {
      env.observe(states[e], 0, obs, 0);
      criticForward(layout, theta, obs, 1, ws, v);
      const value = v[0];
      actorForward(layout, theta, obs, 1, ws, z);
      const u = uniform4(config.seed, Purpose.Action, e, k[e], 0);
      let logp: number;
      if (layout.spec.head.kind === 'gaussian') {
        gaussianSample(z, 0, theta, layout.logStdOffset, env.actDim, u, a, 0);
        logp = gaussianLogProb(a, 0, z, 0, theta, layout.logStdOffset, env.actDim);
      } else {
        a[0] = categoricalSample(z, 0, layout.headOutDim, u[0]);
        logp = categoricalLogProb(z, 0, layout.headOutDim, a[0]);
      }
      env.step(states[e], 0, a, 0, uniform4(config.seed, Purpose.Env, e, k[e], 0), out);
      env.observe(states[e], 0, obs, 0);
      criticForward(layout, theta, obs, 1, ws, v);
      rec[t * N + e] = { a: [...a], logp, r: out.reward, term: out.terminated, trunc: out.truncated && !out.terminated, v: value, nv: v[0] };
      k[e]++;
      if (out.terminated || out.truncated) env.reset(states[e], 0, uniform4(config.seed, Purpose.Reset, e, k[e], 0));
    }
  }
  return rec;
}

describe('CPU engine rollout', () => {
  it.each([
    ['cartpole', 4, 300],
    ['pendulum', 3, 450],
    ['twostate', 5, 80],
    ['limitorder', 4, 40],
  ] as const)('%s: batched collect equals the one-env-at-a-time rollout (actions, rewards, flags, V, V of the real next obs)', async (envName, N, T) => {
    const config = cfg({ env: envName, numEnvs: N, numSteps: T, seed: 7, hidden: [16, 16] });
    const engine = createCpuEngine(config);
    await engine.collect();
    const ref = naiveRollout(config);
    const ro = engine.rollout;
    const actDim = engine.env.actDim;
    let dones = 0;
    let truncs = 0;
    for (let i = 0; i < N * T; i++) {
      for (let d = 0; d < actDim; d++) expect(engine.actBuf[i * actDim + d]).toBeCloseTo(ref[i].a[d], 4);
      expect(engine.logpBuf[i]).toBeCloseTo(ref[i].logp, 4);
      expect(ro.rewards[i]).toBeCloseTo(ref[i].r, 4);
      expect(!!ro.terminated[i]).toBe(ref[i].term);
      expect(!!ro.truncated[i]).toBe(ref[i].trunc);
      expect(ro.values[i]).toBeCloseTo(ref[i].v, 4);
      expect(ro.nextValues[i]).toBeCloseTo(ref[i].nv, 4);
      if (ref[i].term || ref[i].trunc) dones++;
      if (ref[i].trunc) truncs++;
      // while an episode goes on, V(real next obs) is the next step's V(s)
      if (i + N < N * T && !ro.terminated[i] && !ro.truncated[i]) expect(ro.nextValues[i]).toBeCloseTo(ro.values[i + N], 5);
    }
    expect(dones).toBeGreaterThan(0);
    if (envName === 'pendulum') expect(truncs).toBe(2 * N); // time limit 200 inside 450 steps, twice per env
  });

  it('bootstraps a truncation with V(real last obs), not V of the reset state', async () => {
    const engine = createCpuEngine(cfg({ env: 'pendulum', numEnvs: 2, numSteps: 201, hidden: [8] }));
    await engine.collect();
    const ro = engine.rollout;
    const i = 199 * 2; // step t = 199 of env 0: the 200th step, truncated
    expect(ro.truncated[i]).toBe(1);
    expect(ro.terminated[i]).toBe(0);
    // the value at t = 200 is of the reset state, which differs from the real last obs
    expect(ro.nextValues[i]).not.toBeCloseTo(ro.values[i + 2], 3);
  });
});

describe('CPU engine episode statistics', () => {
  it('mean, min and max return equal those of the episodes read off the rollout (every episode starts in it)', async () => {
    for (const env of ['cartpole', 'pendulum'] as const) {
      const e = createCpuEngine(validateConfig({ env, numEnvs: 16, numSteps: 256, seed: 4, hidden: [8] }));
      await e.collect();
      const s = await e.update();
      const { T, N, rewards, terminated, truncated } = e.rollout;
      const returns: number[] = [];
      for (let n = 0; n < N; n++) {
        let g = 0;
        for (let t = 0; t < T; t++) {
          g += rewards[t * N + n];
          if (terminated[t * N + n] || truncated[t * N + n]) {
            returns.push(g);
            g = 0;
          }
        }
      }
      expect(returns.length).toBeGreaterThan(N / 2);
      expect(s.episodes).toBe(returns.length);
      expect(s.episodicReturn).toBeCloseTo(returns.reduce((a, b) => a + b, 0) / returns.length, 3);
      expect(s.episodicReturnMin).toBeCloseTo(Math.min(...returns), 3);
      expect(s.episodicReturnMax).toBeCloseTo(Math.max(...returns), 3);
      expect(s.episodicReturnMin).toBeLessThan(s.episodicReturnMax);
    }
  });
});

describe('CPU engine gradient estimates vs the exact gradient', () => {
  /** mean of each estimator along the exact direction within 3 standard errors of ‖∇J‖ */
  async function estimates(env: 'twostate' | 'corridor' | 'bandit', kinds: Parameters<ReturnType<typeof createCpuEngine>['gradientEstimates']>[0], exactCritic: boolean) {
    const e = makeEnv(env);
    const engine = createCpuEngine(cfg({ env, numEnvs: env === 'corridor' ? 8000 : 10000, numSteps: e.horizon, seed: 3, gamma: 1, lambda: 0.9 }));
    if (exactCritic) {
      const s = await engine.snapshot();
      const nA = 2;
      const nObs = e.tabular!.nStates;
      const ex = exactGradient(env, s.params.subarray(0, nObs * nA), 1);
      for (let o = 0; o < nObs; o++) s.params[nObs * nA + o] = ex.V[o];
      await engine.restore(s);
    }
    await engine.collect();
    return engine.gradientEstimates(kinds, 100, { episodes: 'first' });
  }

  function expectUnbiased(v: Awaited<ReturnType<typeof estimates>>) {
    const ref = v.reference!;
    const refNorm = Math.hypot(...ref);
    for (const e of v.estimators) {
      const p = e.projections;
      const m = p.reduce((a, b) => a + b, 0) / p.length;
      const sd = Math.sqrt(p.reduce((a, b) => a + (b - m) ** 2, 0) / (p.length - 1));
      expect(Math.abs(m - refNorm), `${e.kind}: ${m} vs ${refNorm} ± ${sd / Math.sqrt(p.length)}`).toBeLessThan((3 * sd) / Math.sqrt(p.length));
      // the whole vector: E‖mean − ∇J‖² = tr Σ / G for an unbiased estimator
      expect(e.bias2!, e.kind).toBeLessThan((9 * e.traceCov) / v.groups);
    }
  }

  it('twostate: every estimator is unbiased (actor-critic and GAE with the exact V); REINFORCE ≥ reward-to-go ≥ baseline in variance', async () => {
    const v = await estimates('twostate', ['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic', 'gae'], true);
    expect([...v.reference!]).toEqual([...exactGradient('twostate', new Float32Array(4), 1).grad]);
    expectUnbiased(v);
    const tr = Object.fromEntries(v.estimators.map((e) => [e.kind, e.traceCov]));
    expect(tr.reinforce).toBeGreaterThan(tr['reinforce-rtg']);
    expect(tr['reinforce-rtg']).toBeGreaterThan(tr['reinforce-baseline']);
  });

  it('corridor: the Monte-Carlo estimators are unbiased, with REINFORCE ≥ reward-to-go ≥ baseline in variance', async () => {
    const v = await estimates('corridor', ['reinforce', 'reinforce-rtg', 'reinforce-baseline'], false);
    expectUnbiased(v);
    const [r, rtg, b] = v.estimators.map((e) => e.traceCov);
    expect(r).toBeGreaterThan(rtg);
    expect(rtg).toBeGreaterThan(b);
  });

  it('bandit: REINFORCE mean equals p(1−p)(r₁−r₀) within 3 standard errors', async () => {
    const v = await estimates('bandit', ['reinforce'], false);
    expectUnbiased(v);
    expect(v.reference![1]).toBeCloseTo(0.25 * (0.8 - 0.2), 12);
  });
});

describe('CPU engine learning (seeded, deterministic)', () => {
  it('REINFORCE on the bandit converges to the better arm', async () => {
    const t = await Trainer.create({ env: 'bandit', algo: 'reinforce', numEnvs: 64, numSteps: 1, totalSteps: 64 * 300, lr: 0.05, annealLr: false, entCoef: 0, seed: 2 });
    await t.run();
    const theta = await t.engine.getParams();
    const p1 = 1 / (1 + Math.exp(theta[0] - theta[1]));
    expect(p1).toBeGreaterThan(0.95);
    t.dispose();
  });

  it('corridor: policy-gradient training reaches the aliased optimum p(right) ≈ 2 − √2 with v ≈ −11.6', async () => {
    const t = await Trainer.create({ env: 'corridor', algo: 'reinforce-baseline', numEnvs: 64, numSteps: 64, totalSteps: 64 * 64 * 120, lr: 0.02, annealLr: true, entCoef: 0, gamma: 1, seed: 4 });
    await t.run();
    const theta = await t.engine.getParams();
    const p = 1 / (1 + Math.exp(theta[0] - theta[1]));
    expect(Math.abs(p - (2 - Math.SQRT2))).toBeLessThan(0.05);
    expect(exactObjective('corridor', theta.subarray(0, 2), 1)).toBeGreaterThan(-11.75);
    t.dispose();
  });

  it('PPO on CartPole-v1 reaches a mean return ≥ 195 over the last 100 episodes within 30 720 env steps', async () => {
    const t = await Trainer.create({ env: 'cartpole', algo: 'ppo', numEnvs: 8, numSteps: 128, totalSteps: 30720, lr: 0.0025, seed: 1 });
    const s = await t.run();
    expect(s.steps).toBe(30720);
    expect(s.final_return).toBeGreaterThanOrEqual(195);
    // early episodes of the random policy are short (≈ 20 steps)
    expect(t.history[0].episodicReturn).toBeLessThan(50);
    t.dispose();
  }, 120_000);

  it('the same seed and config give the same curve, run after run', async () => {
    const run = async () => {
      const t = await Trainer.create({ env: 'cartpole', numEnvs: 4, numSteps: 32, totalSteps: 4 * 32 * 6, seed: 5, hidden: [16, 16] });
      await t.run();
      const p = await t.engine.getParams();
      t.dispose();
      return { rows: t.history.map((r) => [r.episodicReturn, r.policyLoss, r.valueLoss, r.approxKl]), p };
    };
    const a = await run();
    const b = await run();
    expect(b.rows).toEqual(a.rows);
    expect(Buffer.from(b.p.buffer).equals(Buffer.from(a.p.buffer))).toBe(true);
  });
});

describe('checkpoints', () => {
  it('2N updates equal N updates + save/load + N updates, bit for bit', async () => {
    const config: Partial<Config> = { env: 'cartpole', algo: 'ppo', numEnvs: 4, numSteps: 64, totalSteps: 4 * 64 * 8, seed: 9, hidden: [16, 16] };
    const a = await Trainer.create(config);
    await a.run();
    const pa = await a.engine.getParams();

    const b = await Trainer.create(config);
    await b.run({ maxUpdates: 4 });
    const text = serializeCheckpoint(await b.checkpoint());
    b.dispose();
    const c = await Trainer.fromCheckpoint(text);
    expect(c.update).toBe(4);
    await c.run();
    const pc = await c.engine.getParams();
    expect(Buffer.from(pc.buffer).equals(Buffer.from(pa.buffer))).toBe(true);
    const tail = (rows: typeof a.history) => rows.map((r) => [r.update, r.envSteps, r.episodicReturn, r.policyLoss, r.lr]);
    expect(tail(c.history)).toEqual(tail(a.history.slice(4)));
    const ck = parseCheckpoint(serializeCheckpoint(await c.checkpoint()));
    expect(ck.snapshot.adamT).toBe(8 * 4 * 4);
    a.dispose();
    c.dispose();
  });
});

describe('CPU engine update: pinned bit for bit', () => {
  /**
   * SHA-256 of θ, Adam m and v after two PPO updates with per-minibatch advantage normalisation over
   * uneven minibatches (128 samples in 42 + 43 + 43), recorded from the engine before it called
   * `normalizeAdvantages` (src/estimators/losses.ts) instead of its own copy. A refactor of the update
   * that keeps the arithmetic keeps these digests; one that changes them changes what the engine computes.
   */
  const PINNED: [string, string][] = [
    ['cartpole', '6dbe8ed179d9d866737174bac32c03600ab6864fcf60cd34bfff4ba8e26c8257'],
    ['pendulum', '9ad7a6a5423ca99e9ec870cf1455a38350d374de80db498ffa22e07c4db7800b'],
  ];
  const digestAfterTwoUpdates = async (c: Config) => {
    const e = createCpuEngine(c);
    for (let u = 0; u < 2; u++) {
      await e.collect();
      await e.update();
    }
    const h = createHash('sha256');
    for (const x of [e.params, e.adam.m, e.adam.v]) h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    return h.digest('hex');
  };
  it.each(PINNED)('%s: θ, m, v after two normalised-advantage PPO updates', async (env, want) => {
    const c = cfg({ env: env as Config['env'], algo: 'ppo', numEnvs: 4, numSteps: 32, minibatches: 3, hidden: [8], seed: 7 });
    expect(await digestAfterTwoUpdates(c)).toBe(want);
    // the normalisation is on the path being pinned
    expect(await digestAfterTwoUpdates({ ...c, normAdv: false })).not.toBe(want);
  });
});
