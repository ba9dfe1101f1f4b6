/**
 * Engine.trajectory on the CPU engine against independent references: the env's own step function
 * re-simulates the recorded rewards, flags, observations and states from the rollout's start state
 * (taken from a snapshot) with the recorded actions and the engine's RNG keys; the recorded actions
 * are the samples of the recorded π(·|s_t) with the Action uniforms; Â_t equals a GAE rolled by hand
 * here (a plain backward loop in float64, not estimators/returns.ts).
 */
import { describe, expect, it } from 'vitest';
import { validateConfig, type Config } from '../../src/core/config';
import { UserError } from '../../src/core/errors';
import { Purpose, boxMuller, sampleCategorical, uniform4 } from '../../src/core/rng';
import type { StepResult, Trajectory } from '../../src/core/types';
import { createCpuEngine, type CpuEngine } from '../../src/backends/cpu/engine';
import { makeEnv } from '../../src/envs';
import { CORRIDOR_SWITCHED, corridorNext } from '../../src/envs/corridor';
import { criticForward, createWorkspace } from '../../src/policy/mlp';

const cfg = (c: Partial<Config>): Config => validateConfig(c as Record<string, unknown>);

/** Â_t = δ_t + γλ·[episode goes on]·Â_{t+1}, δ_t = r_t + γ(1 − term_t)V'_t − V_t; cut at the rollout end. */
function handGae(tr: Trajectory, gamma: number, lambda: number): number[] {
  const adv = new Array<number>(tr.T).fill(0);
  let next = 0;
  for (let t = tr.T - 1; t >= 0; t--) {
    const goesOn = t < tr.T - 1 && !tr.terminated[t] && !tr.truncated[t];
    const delta = tr.rewards[t] + gamma * (tr.terminated[t] ? 0 : tr.nextValues[t]) - tr.values[t];
    adv[t] = delta + gamma * lambda * (goesOn ? next : 0);
    next = adv[t];
  }
  return adv;
}

/**
 * Re-simulate env e from `state0` at step index k0 with the recorded actions: per step the state and
 * obs it was in, then the reward and flags; after a done, the reset the engine does (Reset at k+1).
 */
function resimulate(config: Config, e: number, state0: Float32Array, k0: number, tr: Trajectory) {
  const env = makeEnv(config.env);
  const s = Float32Array.from(state0);
  const out: StepResult = { reward: 0, terminated: false, truncated: false };
  const obs = new Float32Array(env.obsDim);
  const rec = { states: [] as number[], obs: [] as number[], rewards: [] as number[], terminated: [] as number[], truncated: [] as number[] };
  let k = k0;
  for (let t = 0; t < tr.T; t++) {
    rec.states.push(...s);
    env.observe(s, 0, obs, 0);
    rec.obs.push(...obs);
    env.step(s, 0, tr.actions, t * env.actDim, uniform4(config.seed, Purpose.Env, e, k, 0), out);
    k++;
    rec.rewards.push(out.reward);
    rec.terminated.push(out.terminated ? 1 : 0);
    rec.truncated.push(out.truncated && !out.terminated ? 1 : 0);
    if (out.terminated || out.truncated) env.reset(s, 0, uniform4(config.seed, Purpose.Reset, e, k, 0));
  }
  return rec;
}

/** The start state of env e from a snapshot (the portable state: envState [N][stateDim], envStep [N]). */
async function startOf(engine: CpuEngine, e: number): Promise<{ state0: Float32Array; k0: number }> {
  const snap = await engine.snapshot();
  const sd = engine.env.stateDim;
  return { state0: (snap.state.envState as Float32Array).slice(e * sd, (e + 1) * sd), k0: (snap.state.envStep as Uint32Array)[e] };
}

const f32 = (x: number) => Math.fround(x);

describe('CPU engine trajectory', () => {
  it('cartpole: rewards, flags, observations and states re-simulate exactly; actions are samples of π; Â is GAE', async () => {
    const config = cfg({ env: 'cartpole', numEnvs: 5, numSteps: 96, seed: 11, hidden: [8], gamma: 0.98, lambda: 0.9, backend: 'cpu' });
    const engine = createCpuEngine(config);
    // two rollouts: the second starts mid-episode (k0 > 0, a state not from reset)
    await engine.collect();
    await engine.update();
    const e = 3;
    const { state0, k0 } = await startOf(engine, e);
    const theta = await engine.getParams();
    await engine.collect();
    const tr = await engine.trajectory(e);
    expect(tr.envName).toBe('cartpole');
    expect([tr.env, tr.T, tr.obsDim, tr.actDim, tr.stateDim, tr.k0]).toEqual([e, 96, 4, 1, 5, k0]);
    expect(k0).toBe(96);
    const sim = resimulate(config, e, state0, k0, tr);
    expect([...tr.rewards]).toEqual(sim.rewards.map(f32));
    expect([...tr.terminated]).toEqual(sim.terminated);
    expect([...tr.truncated]).toEqual(sim.truncated);
    expect([...tr.obs]).toEqual(sim.obs.map(f32));
    expect([...tr.states]).toEqual(sim.states.map(f32));
    const episodesEnded = sim.terminated.reduce((a, b) => a + b, 0);
    expect(episodesEnded).toBeGreaterThanOrEqual(2); // a random CartPole policy falls within ~20 steps

    // π(·|s_t): the recorded action is the inverse-CDF sample of the recorded probabilities with u0 of
    // uniform4(seed, Action, e, k); log π(a_t|s_t) is the log of its probability
    expect(tr.dist.kind).toBe('categorical');
    if (tr.dist.kind !== 'categorical') return;
    expect(tr.dist.n).toBe(2);
    for (let t = 0; t < tr.T; t++) {
      const p = tr.dist.probs.subarray(2 * t, 2 * t + 2);
      expect(p[0] + p[1]).toBeCloseTo(1, 6);
      const u = uniform4(config.seed, Purpose.Action, e, k0 + t, 0);
      expect(sampleCategorical(p, 0, 2, u[0])).toBe(tr.actions[t]);
      expect(Math.log(p[tr.actions[t]])).toBeCloseTo(tr.logProb[t], 5);
    }
    // V(s_t): the critic of the collecting θ on the recorded observations
    const ws = createWorkspace(engine.layout, tr.T);
    const v = new Float32Array(tr.T);
    criticForward(engine.layout, theta, tr.obs, tr.T, ws, v);
    expect([...tr.values]).toEqual([...v]);

    const hand = handGae(tr, 0.98, 0.9);
    for (let t = 0; t < tr.T; t++) expect(Math.abs(tr.advantages[t] - hand[t])).toBeLessThan(1e-5 * (1 + Math.abs(hand[t])));
    expect([tr.gamma, tr.lambda]).toEqual([0.98, 0.9]);

    // after the update the record is unchanged: the distribution is the collecting policy's
    await engine.update();
    const after = await engine.trajectory(e);
    expect([...after.logProb]).toEqual([...tr.logProb]);
    expect([...(after.dist as { probs: Float32Array }).probs]).toEqual([...tr.dist.probs]);
    expect([...after.advantages]).toEqual([...tr.advantages]);
  });

  it('pendulum: Gaussian μ and σ reproduce the actions and log-probs; a truncation at 200 is bootstrapped and reset', async () => {
    const config = cfg({ env: 'pendulum', numEnvs: 2, numSteps: 128, seed: 4, hidden: [8], gamma: 0.95, lambda: 0.8, backend: 'cpu' });
    const engine = createCpuEngine(config);
    await engine.collect();
    await engine.update();
    const e = 1;
    const { state0, k0 } = await startOf(engine, e);
    await engine.collect();
    const tr = await engine.trajectory(e);
    const sim = resimulate(config, e, state0, k0, tr);
    expect([...tr.rewards]).toEqual(sim.rewards.map(f32));
    expect([...tr.obs]).toEqual(sim.obs.map(f32));
    expect([...tr.states]).toEqual(sim.states.map(f32));
    // steps 128 … 255 of the env: the time limit cuts the episode after its 200th step (t = 71)
    expect([...tr.truncated].indexOf(1)).toBe(71);
    expect([...tr.terminated].every((x) => x === 0)).toBe(true);
    expect(tr.states[72 * 3 + 2]).toBe(0); // the reset state's step count
    expect(tr.dist.kind).toBe('gaussian');
    if (tr.dist.kind !== 'gaussian') return;
    const sigma = tr.dist.std[0];
    expect(sigma).toBeCloseTo(Math.exp((await engine.getParams())[engine.layout.logStdOffset]), 6);
    for (let t = 0; t < tr.T; t++) {
      const mu = tr.dist.mean[t];
      const u = uniform4(config.seed, Purpose.Action, e, k0 + t, 0);
      expect(tr.actions[t]).toBeCloseTo(mu + sigma * boxMuller(u[0], u[1], 0), 4);
      const d = (tr.actions[t] - mu) / sigma;
      expect(tr.logProb[t]).toBeCloseTo(-0.5 * d * d - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI), 4);
    }
    const hand = handGae(tr, 0.95, 0.8);
    for (let t = 0; t < tr.T; t++) expect(Math.abs(tr.advantages[t] - hand[t])).toBeLessThan(1e-5 * (1 + Math.abs(hand[t])));
    // at the truncation the advantage is bootstrapped with V(real s_200), not the reset state's value
    expect(tr.advantages[71]).toBeCloseTo(tr.rewards[71] + 0.95 * tr.nextValues[71] - tr.values[71], 5);
  });

  it('corridor: the states hold the hidden cell (obs is aliased) and follow the switched moves', async () => {
    const config = cfg({ env: 'corridor', numEnvs: 3, numSteps: 64, seed: 2, backend: 'cpu' });
    const engine = createCpuEngine(config);
    const { state0, k0 } = await startOf(engine, 0);
    await engine.collect();
    const tr = await engine.trajectory(0);
    const sim = resimulate(config, 0, state0, k0, tr);
    expect([...tr.states]).toEqual(sim.states);
    expect([...tr.obs].every((o) => o === 1)).toBe(true);
    let visitedSwitched = false;
    for (let t = 0; t + 1 < tr.T; t++) {
      const cell = tr.states[2 * t];
      visitedSwitched ||= cell === CORRIDOR_SWITCHED;
      const next = tr.terminated[t] ? 0 : corridorNext(cell, tr.actions[t]);
      expect(tr.states[2 * (t + 1)]).toBe(next);
    }
    expect(visitedSwitched).toBe(true);
    expect(tr.terminated.some((x) => x === 1)).toBe(true);
  });

  it('bad requests: before any rollout, after a restore, and an env index outside [0, numEnvs)', async () => {
    const config = cfg({ env: 'twostate', numEnvs: 4, numSteps: 8, seed: 1, backend: 'cpu' });
    const engine = createCpuEngine(config);
    await expect(engine.trajectory(0)).rejects.toThrow(/no rollout collected yet/);
    const snap = await engine.snapshot();
    await engine.collect();
    for (const bad of [-1, 4, 1.5, NaN]) {
      const err = await engine.trajectory(bad).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/env must be an integer in \[0, 3\]/);
    }
    expect((await engine.trajectory(3)).T).toBe(8);
    await engine.restore(snap);
    await expect(engine.trajectory(0)).rejects.toBeInstanceOf(UserError);
  });
});
