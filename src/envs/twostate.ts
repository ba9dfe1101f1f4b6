/**
 * A tiny 2-state, 2-action MDP with slip and random termination.
 *
 *   state [s, t]; obs one-hot(s) over 2 states; start s = 0; actions {0, 1}
 *   r(0,0) = +1, r(0,1) = 0, r(1,0) = 0, r(1,1) = +2          (reward depends on (s, a) only)
 *   s' = a, except with probability slip (u0 < slip) s' = 1 − a
 *   after every step: terminated with probability q (u1 < q)
 *   truncated when t reaches horizon = 64 (probability (1−q)^64 ≈ 1e-8; ignored by the exact J)
 */
import type { EnvDef, StepResult } from '../core/types';
import type { Outcome, TabularModel } from './tabular';

export type TwoStateParams = {
  r00: number;
  r01: number;
  r10: number;
  r11: number;
  /** probability of landing in the other state than the action asks for */
  slip: number;
  /** termination probability after every step */
  q: number;
  /** time limit */
  horizon: number;
};

export const TWOSTATE_PARAMS: Readonly<TwoStateParams> = Object.freeze({
  r00: 1,
  r01: 0,
  r10: 0,
  r11: 2,
  slip: 0.1,
  q: 0.25,
  horizon: 64,
});

export function makeTwoState(overrides: Partial<TwoStateParams> = {}): EnvDef<TwoStateParams> {
  const params: TwoStateParams = Object.freeze({ ...TWOSTATE_PARAMS, ...overrides });
  const { r00, r01, r10, r11, slip, q, horizon } = params;
  return {
    name: 'twostate',
    params,
    obsDim: 2,
    stateDim: 2,
    action: { kind: 'discrete', n: 2 },
    actDim: 1,
    horizon,
    tabular: { nStates: 2 },
    reset(s: Float32Array, off: number, _u: ArrayLike<number>): void {
      s[off] = 0;
      s[off + 1] = 0;
    },
    step(s: Float32Array, off: number, a: ArrayLike<number>, aoff: number, u: ArrayLike<number>, out: StepResult): void {
      const st = s[off] > 0.5 ? 1 : 0;
      const act = a[aoff] > 0.5 ? 1 : 0;
      out.reward = st === 0 ? (act === 0 ? r00 : r01) : act === 0 ? r10 : r11;
      const next = u[0] < slip ? 1 - act : act;
      const t = s[off + 1] + 1;
      out.terminated = u[1] < q;
      out.truncated = !out.terminated && t >= horizon;
      s[off] = next;
      s[off + 1] = t;
    },
    observe(s: Float32Array, off: number, obs: Float32Array, ooff: number): void {
      const st = s[off] > 0.5 ? 1 : 0;
      obs[ooff] = st === 0 ? 1 : 0;
      obs[ooff + 1] = st === 1 ? 1 : 0;
    },
  };
}

export const twostate = makeTwoState();

/**
 * The tabular model: for (s, a), four outcomes (landing state × end or not):
 *   p(s'=a, go on) = (1−slip)(1−q), p(s'=a, end) = (1−slip)q, p(s'=1−a, go on) = slip(1−q), p(s'=1−a, end) = slip·q.
 */
export function twoStateModel(params: TwoStateParams = TWOSTATE_PARAMS): TabularModel {
  const { slip, q } = params;
  const r = [
    [params.r00, params.r01],
    [params.r10, params.r11],
  ];
  const row = (s: number) =>
    [0, 1].map((a): Outcome[] => [
      { p: (1 - slip) * (1 - q), next: a, reward: r[s][a], terminal: false },
      { p: (1 - slip) * q, next: a, reward: r[s][a], terminal: true },
      { p: slip * (1 - q), next: 1 - a, reward: r[s][a], terminal: false },
      { p: slip * q, next: 1 - a, reward: r[s][a], terminal: true },
    ]);
  return {
    env: 'twostate',
    nStates: 2,
    nActions: 2,
    nObs: 2,
    obsOf: [0, 1],
    start: [1, 0],
    outcomes: [row(0), row(1)],
    stateNames: ['s0', 's1'],
    actionNames: ['go to s0', 'go to s1'],
  };
}
