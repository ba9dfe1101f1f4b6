import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors';
import { Purpose, uniform4 } from '../../src/core/rng';
import { ENV_NAMES, type EnvDef, type StepResult } from '../../src/core/types';
import { bandit, banditModel } from '../../src/envs/bandit';
import { corridor, corridorModel } from '../../src/envs/corridor';
import { checkModel, ENVS, makeEnv, tabularModelOf, type TabularModel } from '../../src/envs/index';
import { twostate, twoStateModel } from '../../src/envs/twostate';

const newOut = (): StepResult => ({ reward: NaN, terminated: false, truncated: false });

/** Frequency check: |count/n − p| within 4 standard errors √(p(1−p)/n). */
function expectFreq(count: number, n: number, p: number): void {
  const se = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(count / n - p)).toBeLessThanOrEqual(4 * se + 1e-12);
}

describe('bandit', () => {
  it('declares the contract shape', () => {
    expect(bandit).toMatchObject({ name: 'bandit', obsDim: 1, stateDim: 1, actDim: 1, horizon: 1, tabular: { nStates: 1 } });
    expect(bandit.action).toEqual({ kind: 'discrete', n: 2 });
  });

  it('reward = 1 iff u0 < p_a, terminated after one step, t counts', () => {
    const s = new Float32Array(1);
    const out = newOut();
    bandit.reset(s, 0, [0.9, 0.9, 0.9, 0.9]);
    expect(s[0]).toBe(0);
    const cases: [number, number, number][] = [
      [0, 0.19, 1],
      [0, 0.21, 0],
      [1, 0.79, 1],
      [1, 0.81, 0],
    ];
    for (const [a, u0, r] of cases) {
      s[0] = 0;
      bandit.step(s, 0, [a], 0, [u0, 0.5, 0.5, 0.5], out);
      expect(out).toEqual({ reward: r, terminated: true, truncated: false });
      expect(s[0]).toBe(1);
    }
    const obs = new Float32Array([5]);
    bandit.observe(s, 0, obs, 0);
    expect(obs[0]).toBe(1);
  });

  it('arm success frequencies are (0.2, 0.8) with uniforms from core/rng', () => {
    const s = new Float32Array(1);
    const u = new Float64Array(4);
    const out = newOut();
    const n = 20000;
    for (const [a, p] of [
      [0, 0.2],
      [1, 0.8],
    ]) {
      let wins = 0;
      for (let k = 0; k < n; k++) {
        bandit.reset(s, 0, u);
        uniform4(17, Purpose.Env, a, k, 0, u);
        bandit.step(s, 0, [a], 0, u, out);
        wins += out.reward;
      }
      expectFreq(wins, n, p);
    }
  });
});

describe('twostate', () => {
  it('declares the contract shape and starts in s = 0', () => {
    expect(twostate).toMatchObject({ name: 'twostate', obsDim: 2, stateDim: 2, actDim: 1, horizon: 64, tabular: { nStates: 2 } });
    const s = new Float32Array([1, 9]);
    twostate.reset(s, 0, [0.3, 0.3, 0.3, 0.3]);
    expect(Array.from(s)).toEqual([0, 0]);
    const obs = new Float32Array(2);
    twostate.observe(s, 0, obs, 0);
    expect(Array.from(obs)).toEqual([1, 0]);
    twostate.observe(new Float32Array([1, 3]), 0, obs, 0);
    expect(Array.from(obs)).toEqual([0, 1]);
  });

  it('rewards r(0,0)=1, r(0,1)=0, r(1,0)=0, r(1,1)=2; next = a unless u0 < 0.1; ends iff u1 < 0.25', () => {
    const out = newOut();
    const want = [
      [1, 0],
      [0, 2],
    ];
    for (const st of [0, 1]) {
      for (const a of [0, 1]) {
        for (const [u0, u1, next, term] of [
          [0.5, 0.5, a, false],
          [0.05, 0.5, 1 - a, false],
          [0.5, 0.2, a, true],
          [0.09, 0.24, 1 - a, true],
        ] as const) {
          const s = new Float32Array([st, 5]);
          twostate.step(s, 0, [a], 0, [u0, u1, 0.5, 0.5], out);
          expect(out).toEqual({ reward: want[st][a], terminated: term, truncated: false });
          expect(Array.from(s)).toEqual([next, 6]);
        }
      }
    }
  });

  it('slip and termination frequencies are 0.1 and 0.25 with uniforms from core/rng', () => {
    const s = new Float32Array(2);
    const u = new Float64Array(4);
    const out = newOut();
    const n = 20000;
    let slips = 0;
    let ends = 0;
    let both = 0;
    for (let k = 0; k < n; k++) {
      const a = k & 1;
      s[0] = (k >> 1) & 1;
      s[1] = 0;
      uniform4(23, Purpose.Env, 0, k, 0, u);
      twostate.step(s, 0, [a], 0, u, out);
      const slip = s[0] !== a;
      slips += +slip;
      ends += +out.terminated;
      both += +(slip && out.terminated);
    }
    expectFreq(slips, n, 0.1);
    expectFreq(ends, n, 0.25);
    expectFreq(both, n, 0.025); // independent
  });

  it('truncates when t reaches 64 unless terminated', () => {
    const out = newOut();
    const s = new Float32Array([0, 63]);
    twostate.step(s, 0, [0], 0, [0.5, 0.5, 0.5, 0.5], out);
    expect(out).toEqual({ reward: 1, terminated: false, truncated: true });
    s[1] = 62;
    twostate.step(s, 0, [0], 0, [0.5, 0.5, 0.5, 0.5], out);
    expect(out.truncated).toBe(false);
    s[1] = 63;
    twostate.step(s, 0, [0], 0, [0.5, 0.1, 0.5, 0.5], out);
    expect(out).toEqual({ reward: 1, terminated: true, truncated: false });
  });
});

describe('corridor (Sutton & Barto Ex. 13.1)', () => {
  it('declares the contract shape; every state looks the same', () => {
    expect(corridor).toMatchObject({ name: 'corridor', obsDim: 1, stateDim: 2, actDim: 1, horizon: 200, tabular: { nStates: 1 } });
    const obs = new Float32Array(1);
    for (const st of [0, 1, 2]) {
      obs[0] = 0;
      corridor.observe(new Float32Array([st, 4]), 0, obs, 0);
      expect(obs[0]).toBe(1);
    }
  });

  it('moves by hand: left in S stays, the middle state is switched, right from 2 reaches the goal', () => {
    const table: [number, number, number][] = [
      // [state, action (0 left, 1 right), next]
      [0, 0, 0],
      [0, 1, 1],
      [1, 0, 2], // switched: left goes right
      [1, 1, 0], // switched: right goes left
      [2, 0, 1],
      [2, 1, 3],
    ];
    const out = newOut();
    for (const [st, a, next] of table) {
      const s = new Float32Array([st, 10]);
      corridor.step(s, 0, [a], 0, [0.5, 0.5, 0.5, 0.5], out);
      expect(s[0]).toBe(next);
      expect(s[1]).toBe(11);
      expect(out).toEqual({ reward: -1, terminated: next === 3, truncated: false });
    }
  });

  it('the shortest episode R, L, R takes 3 steps, return −3; truncation at 200', () => {
    const s = new Float32Array(2);
    const out = newOut();
    corridor.reset(s, 0, [0.5, 0.5, 0.5, 0.5]);
    let ret = 0;
    for (const a of [1, 0, 1]) {
      corridor.step(s, 0, [a], 0, [0.5, 0.5, 0.5, 0.5], out);
      ret += out.reward;
    }
    expect(out.terminated).toBe(true);
    expect(ret).toBe(-3);
    corridor.reset(s, 0, [0.5, 0.5, 0.5, 0.5]);
    for (let k = 0; k < 200; k++) {
      corridor.step(s, 0, [0], 0, [0.5, 0.5, 0.5, 0.5], out); // always left: stuck in S
      expect(out.truncated).toBe(k === 199);
      expect(out.terminated).toBe(false);
    }
  });
});

describe('tabular models', () => {
  it('are well formed and agree with env.tabular', () => {
    for (const env of [bandit, twostate, corridor]) {
      const m = tabularModelOf(env)!;
      checkModel(m);
      expect(m.env).toBe(env.name);
      expect(m.nObs).toBe(env.tabular!.nStates);
      expect(m.nActions).toBe(2);
    }
    for (const env of [ENVS.cartpole, ENVS.pendulum, ENVS.limitorder]) expect(tabularModelOf(env)).toBeUndefined();
  });

  it('hold the stated numbers', () => {
    const b = banditModel();
    expect(b.outcomes[0][1]).toEqual([
      { p: 0.8, next: 0, reward: 1, terminal: true },
      { p: 1 - 0.8, next: 0, reward: 0, terminal: true },
    ]);
    const t = twoStateModel();
    // (s=1, a=0): reward 0; land in 0 w.p. 0.9, in 1 w.p. 0.1; end w.p. 0.25
    expect(t.outcomes[1][0]).toEqual([
      { p: 0.9 * 0.75, next: 0, reward: 0, terminal: false },
      { p: 0.9 * 0.25, next: 0, reward: 0, terminal: true },
      { p: 0.1 * 0.75, next: 1, reward: 0, terminal: false },
      { p: 0.1 * 0.25, next: 1, reward: 0, terminal: true },
    ]);
    expect(t.outcomes[1][1][0].reward).toBe(2);
    expect(t.outcomes[0][0][0].reward).toBe(1);
    const c = corridorModel();
    expect(c.obsOf).toEqual([0, 0, 0, -1]);
    expect(c.outcomes[1][1]).toEqual([{ p: 1, next: 0, reward: -1, terminal: false }]);
    expect(c.outcomes[2][1]).toEqual([{ p: 1, next: 3, reward: -1, terminal: true }]);
    expect(() => checkModel({ ...c, start: [0.5, 0, 0, 0] })).toThrow(/start/);
  });

  /** Sample each (s, a) of the env 8000 times and compare outcome frequencies with the model's p. */
  function sampleAgainstModel(env: EnvDef, m: TabularModel, setState: (s: Float32Array, st: number) => void, stateOf: (s: Float32Array) => number) {
    const s = new Float32Array(env.stateDim);
    const u = new Float64Array(4);
    const out = newOut();
    const n = 8000;
    for (let st = 0; st < m.nStates; st++) {
      if (m.obsOf[st] < 0) continue;
      for (let a = 0; a < m.nActions; a++) {
        const counts = new Map<string, number>();
        for (let k = 0; k < n; k++) {
          setState(s, st);
          uniform4(31, Purpose.Env, st * 2 + a, k, 0, u);
          env.step(s, 0, [a], 0, u, out);
          const key = `${stateOf(s)}|${out.reward}|${out.terminated}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        const want = new Map<string, number>();
        for (const o of m.outcomes[st][a]) {
          const key = `${o.next}|${o.reward}|${o.terminal}`;
          want.set(key, (want.get(key) ?? 0) + o.p);
        }
        for (const key of counts.keys()) expect(want.has(key), `unexpected outcome ${key} at (${st},${a})`).toBe(true);
        for (const [key, p] of want) expectFreq(counts.get(key) ?? 0, n, p);
      }
    }
  }

  it('the envs sample exactly their models (outcome frequencies within 4 SE)', () => {
    sampleAgainstModel(bandit, banditModel(), (s) => (s[0] = 0), () => 0);
    const st2 = (s: Float32Array, st: number) => {
      s[0] = st;
      s[1] = 0;
    };
    sampleAgainstModel(twostate, twoStateModel(), st2, (s) => s[0]);
    sampleAgainstModel(corridor, corridorModel(), st2, (s) => s[0]);
    sampleAgainstModel(makeEnv('twostate', { slip: 0.3, q: 0.6 }), tabularModelOf(makeEnv('twostate', { slip: 0.3, q: 0.6 }))!, st2, (s) => s[0]);
  });
});

describe('registry', () => {
  it('ENVS has every name, each under its own name', () => {
    expect(Object.keys(ENVS).sort()).toEqual([...ENV_NAMES].sort());
    for (const name of ENV_NAMES) {
      expect(ENVS[name].name).toBe(name);
      expect(makeEnv(name)).toBe(ENVS[name]);
      expect(ENVS[name].actDim).toBe(ENVS[name].action.kind === 'discrete' ? 1 : (ENVS[name].action as { low: number[] }).low.length);
    }
  });

  it('makeEnv applies overrides and rejects unknown names, parameters and values', () => {
    const e = makeEnv('twostate', { q: 0.5, horizon: 10 });
    expect(e.params.q).toBe(0.5);
    expect(e.params.slip).toBe(0.1);
    expect(e.horizon).toBe(10);
    expect(ENVS.twostate.params.q).toBe(0.25);
    expect(makeEnv('cartpole', { maxEpisodeSteps: 200 }).horizon).toBe(200);
    expect(() => makeEnv('nope')).toThrow(ConfigError);
    expect(() => makeEnv('cartpole', { gravityy: 1 })).toThrow(/unknown cartpole parameter/);
    expect(() => makeEnv('pendulum', { g: NaN })).toThrow(ConfigError);
  });

  it('every env reads and writes only its own state, obs and action slices', () => {
    for (const name of ENV_NAMES) {
      const env = ENVS[name];
      const D = env.stateDim;
      const s = new Float32Array(3 * D).fill(-7);
      const u = new Float64Array([0.3, 0.6, 0.2, 0.9]);
      env.reset(s, D, u);
      expect(s[2 * D - 1]).toBe(0); // t = 0, the last float
      const a = new Float32Array(3 * env.actDim).fill(0.5);
      a.fill(1, env.actDim, 2 * env.actDim);
      const out = newOut();
      env.step(s, D, a, env.actDim, u, out);
      expect(s[2 * D - 1]).toBe(1);
      expect(Array.from(s.subarray(0, D)).every((v) => v === -7)).toBe(true);
      expect(Array.from(s.subarray(2 * D)).every((v) => v === -7)).toBe(true);
      const obs = new Float32Array(3 * env.obsDim).fill(-3);
      env.observe(s, D, obs, env.obsDim);
      expect(Array.from(obs.subarray(0, env.obsDim)).every((v) => v === -3)).toBe(true);
      expect(Array.from(obs.subarray(2 * env.obsDim)).every((v) => v === -3)).toBe(true);
      expect(Array.from(obs.subarray(env.obsDim, 2 * env.obsDim)).every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(out.reward)).toBe(true);
    }
  });
});
