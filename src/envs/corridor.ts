/**
 * Short corridor with switched actions (Sutton & Barto, 2nd ed., Example 13.1).
 *
 *   states 0 (start), 1, 2, terminal 3 (G); state [s, t]; actions 0 = left, 1 = right
 *   in state 1 the actions are switched (right moves left, left moves right);
 *   left in state 0 stays in 0; reward −1 every step; deterministic.
 *   obs is the SAME [1] in every state (aliased): a tabular policy has one row, so the best it can do
 *   is a stochastic policy, p = π(right) = 2 − √2 ≈ 0.586 with J ≈ −11.66 (γ = 1).
 *   truncated when t reaches horizon = 200.
 */
import type { EnvDef, StepResult } from '../core/types';
import type { Outcome, TabularModel } from './tabular';

export type CorridorParams = {
  /** reward of every step */
  stepReward: number;
  /** time limit */
  horizon: number;
};

export const CORRIDOR_PARAMS: Readonly<CorridorParams> = Object.freeze({ stepReward: -1, horizon: 200 });

/** The goal state's index. */
export const CORRIDOR_GOAL = 3;
/** The state whose actions are switched. */
export const CORRIDOR_SWITCHED = 1;

/** Where action a (0 left, 1 right) leads from s ∈ {0,1,2}: the actions are switched in state 1; left in 0 stays. */
export function corridorNext(s: number, a: number): number {
  const right = s === CORRIDOR_SWITCHED ? a === 0 : a === 1;
  return right ? s + 1 : s > 0 ? s - 1 : 0;
}

export function makeCorridor(overrides: Partial<CorridorParams> = {}): EnvDef<CorridorParams> {
  const params: CorridorParams = Object.freeze({ ...CORRIDOR_PARAMS, ...overrides });
  const { stepReward, horizon } = params;
  return {
    name: 'corridor',
    params,
    obsDim: 1,
    stateDim: 2,
    action: { kind: 'discrete', n: 2 },
    actDim: 1,
    horizon,
    tabular: { nStates: 1 },
    reset(s: Float32Array, off: number, _u: ArrayLike<number>): void {
      s[off] = 0;
      s[off + 1] = 0;
    },
    step(s: Float32Array, off: number, a: ArrayLike<number>, aoff: number, _u: ArrayLike<number>, out: StepResult): void {
      const next = corridorNext(Math.round(s[off]), a[aoff] > 0.5 ? 1 : 0);
      const t = s[off + 1] + 1;
      out.reward = stepReward;
      out.terminated = next === CORRIDOR_GOAL;
      out.truncated = !out.terminated && t >= horizon;
      s[off] = next;
      s[off + 1] = t;
    },
    observe(_s: Float32Array, _off: number, obs: Float32Array, ooff: number): void {
      obs[ooff] = 1;
    },
  };
}

export const corridor = makeCorridor();

/** The tabular model: deterministic moves (p = 1), every state acted in sees policy row 0; G has no outcomes. */
export function corridorModel(params: CorridorParams = CORRIDOR_PARAMS): TabularModel {
  const outcomes: Outcome[][][] = [];
  for (let s = 0; s < CORRIDOR_GOAL; s++) {
    outcomes.push(
      [0, 1].map((a) => {
        const next = corridorNext(s, a);
        return [{ p: 1, next, reward: params.stepReward, terminal: next === CORRIDOR_GOAL }];
      }),
    );
  }
  outcomes.push([[], []]);
  return {
    env: 'corridor',
    nStates: 4,
    nActions: 2,
    nObs: 1,
    obsOf: [0, 0, 0, -1],
    start: [1, 0, 0, 0],
    outcomes,
    stateNames: ['S', '1 (switched)', '2', 'G'],
    actionNames: ['left', 'right'],
  };
}
