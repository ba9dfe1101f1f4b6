/**
 * Every WGSL env twin (shaders/envs/<name>.wgsl) against its TS env (src/envs/<name>.ts): 10 000+
 * random states and actions per env, each stepped once with the contract's RNG keys
 * (Env: (seed, env, k), Reset on done: (seed, env, k+1)) and auto-reset — real next observation,
 * reward, terminated / truncated flags, and the state after auto-reset with its observation.
 * Tolerance: the TS envs compute in float64 and store float32; the twins compute in float32, so states
 * agree to a few f32 ulps (relative 2e-6 plus a small absolute term), and a termination may flip only
 * when the TS quantity sits within that tolerance of its threshold (counted, must be rare).
 */
import { describe, expect, it } from 'vitest';
import probeCode from '../../shaders/test/env_probe.wgsl?raw';
import { PhiloxStream, Purpose, uniform4 } from '../../src/core/rng';
import { ENV_NAMES, type EnvDef, type EnvName, type StepResult } from '../../src/core/types';
import { ENVS } from '../../src/envs';
import { StructLayout, UniformWriter } from '../../src/backends/gpu/dispatch';
import { envModule } from '../../src/backends/gpu/env-shaders';
import { readBack, runProgram, storageBuffer, uniformBuffer, useGpu, withScopes } from './helpers';

const gpu = useGpu();
const M = 10_000;
const SEED = 2024;
const PROBE = new StructLayout([
  ['count', 'u32'],
  ['seed', 'u32'],
]);

/** Random float32 states (t last) and raw actions that exercise every branch, termination and truncation included. */
function makeCases(env: EnvDef, rng: PhiloxStream) {
  const sd = env.stateDim;
  const states = new Float32Array(M * sd);
  const actions = new Float32Array(M * env.actDim);
  const keys = new Uint32Array(M * 2);
  const U = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
  const int = (n: number) => Math.floor(rng.uniform() * n);
  for (let i = 0; i < M; i++) {
    const s = states.subarray(i * sd, (i + 1) * sd);
    // t: often just before the time limit (truncation), else anywhere in the episode
    const tNear = rng.uniform() < 0.15;
    const tIn = (h: number) => (tNear ? h - 1 : int(h));
    switch (env.name) {
      case 'bandit':
        s[0] = 0;
        break;
      case 'twostate':
        s[0] = int(2);
        s[1] = tIn(env.horizon);
        break;
      case 'corridor':
        s[0] = int(3);
        s[1] = tIn(env.horizon);
        break;
      case 'cartpole':
        // straddle the thresholds |x| = 2.4 and |θ| = 0.2094 so that ~1/3 of the steps terminate
        s[0] = U(-2.6, 2.6);
        s[1] = U(-3, 3);
        s[2] = U(-0.26, 0.26);
        s[3] = U(-3, 3);
        s[4] = tIn(env.horizon);
        break;
      case 'pendulum':
        s[0] = U(-4 * Math.PI, 4 * Math.PI);
        s[1] = U(-8, 8);
        s[2] = tIn(env.horizon);
        break;
      case 'limitorder':
        s[0] = rng.uniform() < 0.1 ? U(0, 3e-6) : U(0, 1);
        s[1] = U(-0.1, 0.1);
        s[2] = tIn(env.horizon);
        break;
    }
    if (env.action.kind === 'discrete') actions[i] = int(env.action.n);
    else for (let j = 0; j < env.actDim; j++) actions[i * env.actDim + j] = env.name === 'pendulum' ? U(-3, 3) : U(-0.5, 1.5);
    keys[2 * i] = int(4096);
    keys[2 * i + 1] = rng.uniform() < 0.5 ? int(1000) : rng.nextU32() >>> 1;
  }
  return { states, actions, keys };
}

interface Result {
  state: Float32Array;
  realObs: Float32Array;
  obs: Float32Array;
  reward: Float32Array;
  flags: Uint32Array;
}

/** The TS reference: step, observe the real next obs, auto-reset on done, observe again. */
function reference(env: EnvDef, c: ReturnType<typeof makeCases>): Result {
  const sd = env.stateDim;
  const od = env.obsDim;
  const state = new Float32Array(c.states);
  const r: Result = { state, realObs: new Float32Array(M * od), obs: new Float32Array(M * od), reward: new Float32Array(M), flags: new Uint32Array(M) };
  const u = new Float64Array(4);
  const out: StepResult = { reward: 0, terminated: false, truncated: false };
  for (let i = 0; i < M; i++) {
    const e = c.keys[2 * i];
    const k = c.keys[2 * i + 1];
    uniform4(SEED, Purpose.Env, e, k, 0, u);
    env.step(state, i * sd, c.actions, i * env.actDim, u, out);
    r.reward[i] = out.reward;
    r.flags[i] = (out.terminated ? 1 : 0) | (out.truncated ? 2 : 0);
    env.observe(state, i * sd, r.realObs, i * od);
    if (out.terminated || out.truncated) env.reset(state, i * sd, uniform4(SEED, Purpose.Reset, e, k + 1, 0, u));
    env.observe(state, i * sd, r.obs, i * od);
  }
  return r;
}

async function runTwin(env: EnvDef, c: ReturnType<typeof makeCases>): Promise<Result> {
  const ctx = gpu();
  const d = ctx.device;
  const mod = envModule(env);
  return withScopes(d, async () => {
    const b = {
      probe: uniformBuffer(d, new UniformWriter(PROBE).setAll({ count: M, seed: SEED }).data),
      states: storageBuffer(d, c.states),
      actions: storageBuffer(d, c.actions),
      keys: storageBuffer(d, c.keys),
      out_state: storageBuffer(d, M * env.stateDim * 4),
      real_obs: storageBuffer(d, M * env.obsDim * 4),
      out_obs: storageBuffer(d, M * env.obsDim * 4),
      reward_flags: storageBuffer(d, M * 8),
    };
    const bindings = [
      { name: 'probe', kind: 'uniform' as const },
      ...(['states', 'actions', 'keys'] as const).map((name) => ({ name, kind: 'read-only-storage' as const })),
      ...(['out_state', 'real_obs', 'out_obs', 'reward_flags'] as const).map((name) => ({ name, kind: 'storage' as const })),
    ];
    await runProgram(ctx, { name: `env-probe-${env.name}`, code: mod.code + probeCode, bindings, constants: mod.constants }, b, M);
    const rf = new Float32Array(await readBack(d, b.reward_flags));
    const res: Result = {
      state: new Float32Array(await readBack(d, b.out_state)),
      realObs: new Float32Array(await readBack(d, b.real_obs)),
      obs: new Float32Array(await readBack(d, b.out_obs)),
      reward: rf.filter((_, i) => i % 2 === 0),
      flags: Uint32Array.from(rf.filter((_, i) => i % 2 === 1)),
    };
    for (const x of Object.values(b)) x.destroy();
    return res;
  });
}

/** |g − w| ≤ rel·|w| + abs */
function close(g: number, w: number, rel: number, abs: number): boolean {
  return Math.abs(g - w) <= rel * Math.abs(w) + abs;
}

// per env: relative tolerance, absolute tolerance (float32 arithmetic vs float64 + one rounding)
const TOL: Record<EnvName, [number, number]> = {
  bandit: [0, 0],
  twostate: [0, 0],
  corridor: [0, 0],
  cartpole: [2e-6, 1e-6],
  // angle_normalize of |θ| up to 4π in f32: (θ + π) mod 2π loses ~1 ulp of 4π ≈ 1e-6 before squaring
  pendulum: [2e-6, 2e-5],
  // m/(σ√H) in the obs divides by 0.063: 16× the state's absolute error
  limitorder: [2e-6, 2e-6],
};

describe.each(ENV_NAMES)('WGSL twin of %s', (name) => {
  it(`steps ${M} random states the same way, with auto-reset and the real last obs kept`, async () => {
    const env = ENVS[name];
    const c = makeCases(env, new PhiloxStream(99, Purpose.Init, ENV_NAMES.indexOf(name)));
    const want = reference(env, c);
    const got = await runTwin(env, c);
    const [rel, abs] = TOL[name];
    const sd = env.stateDim;
    const od = env.obsDim;
    let flips = 0;
    let done = 0;
    let truncs = 0;
    const bad: string[] = [];
    for (let i = 0; i < M; i++) {
      if (want.flags[i] & 1) done++;
      if (want.flags[i] & 2) truncs++;
      if (got.flags[i] !== want.flags[i]) {
        // allowed only at a threshold (float32 vs float64 decides the other way): CartPole's |x|, |θ|
        flips++;
        continue;
      }
      if (!close(got.reward[i], want.reward[i], rel, abs)) bad.push(`reward[${i}] ${got.reward[i]} vs ${want.reward[i]}`);
      for (let j = 0; j < od; j++) {
        if (!close(got.realObs[i * od + j], want.realObs[i * od + j], rel, abs)) bad.push(`realObs[${i},${j}] ${got.realObs[i * od + j]} vs ${want.realObs[i * od + j]}`);
        if (!close(got.obs[i * od + j], want.obs[i * od + j], rel, abs)) bad.push(`obs[${i},${j}] ${got.obs[i * od + j]} vs ${want.obs[i * od + j]}`);
      }
      for (let j = 0; j < sd; j++) {
        if (!close(got.state[i * sd + j], want.state[i * sd + j], rel, abs)) bad.push(`state[${i},${j}] ${got.state[i * sd + j]} vs ${want.state[i * sd + j]}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(flips).toBeLessThanOrEqual(name === 'cartpole' ? 3 : 0);
    // the cases really exercise termination / truncation / auto-reset
    if (name !== 'pendulum') expect(done).toBeGreaterThan(M / 20);
    if (env.horizon > 1 && name !== 'limitorder') expect(truncs).toBeGreaterThan(M / 50);
  });
});
