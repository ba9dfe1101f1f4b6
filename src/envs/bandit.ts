/**
 * Two-armed Bernoulli bandit, one step per episode.
 *
 *   state [t]; obs [1] (one tabular row); actions {0, 1}
 *   reward = 1 if u0 < p_a else 0   (so r ~ Bernoulli(p_a), p = (0.2, 0.8))
 *   terminated after the one step; horizon 1.
 *
 * With a softmax policy π(1) = σ(z₁ − z₀): J = Σ_a π(a) p_a and ∂J/∂z_a = π(a)(p_a − J)
 * (so ∂J/∂z₁ = p(1−p)(p₁ − p₀) with p = π(1)); see estimators/exact.ts.
 */
import type { EnvDef, StepResult } from '../core/types';
import type { TabularModel } from './tabular';

export type BanditParams = {
  /** success probability of arm 0 */
  p0: number;
  /** success probability of arm 1 */
  p1: number;
};

export const BANDIT_PARAMS: Readonly<BanditParams> = Object.freeze({ p0: 0.2, p1: 0.8 });

export function makeBandit(overrides: Partial<BanditParams> = {}): EnvDef<BanditParams> {
  const params: BanditParams = Object.freeze({ ...BANDIT_PARAMS, ...overrides });
  const p0 = params.p0;
  const p1 = params.p1;
  return {
    name: 'bandit',
    params,
    obsDim: 1,
    stateDim: 1,
    action: { kind: 'discrete', n: 2 },
    actDim: 1,
    horizon: 1,
    tabular: { nStates: 1 },
    reset(s: Float32Array, off: number, _u: ArrayLike<number>): void {
      s[off] = 0;
    },
    step(s: Float32Array, off: number, a: ArrayLike<number>, aoff: number, u: ArrayLike<number>, out: StepResult): void {
      const p = a[aoff] > 0.5 ? p1 : p0;
      out.reward = u[0] < p ? 1 : 0;
      out.terminated = true;
      out.truncated = false;
      s[off] = s[off] + 1;
    },
    observe(_s: Float32Array, _off: number, obs: Float32Array, ooff: number): void {
      obs[ooff] = 1;
    },
  };
}

export const bandit = makeBandit();

/** The bandit as a tabular model: one state, each arm ends the episode with reward 1 w.p. p_a, else 0. */
export function banditModel(params: BanditParams = BANDIT_PARAMS): TabularModel {
  const arm = (p: number) => [
    { p, next: 0, reward: 1, terminal: true },
    { p: 1 - p, next: 0, reward: 0, terminal: true },
  ];
  return {
    env: 'bandit',
    nStates: 1,
    nActions: 2,
    nObs: 1,
    obsOf: [0],
    start: [1],
    outcomes: [[arm(params.p0), arm(params.p1)]],
    stateNames: ['s'],
    actionNames: ['arm 0', 'arm 1'],
  };
}
