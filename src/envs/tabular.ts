/**
 * Tabular models of the tiny environments (bandit, twostate, corridor) as plain data: every
 * (state, action) pair lists its possible outcomes with their probabilities. The env's `step` samples
 * from exactly this table (each env file builds both from the same params); estimators/exact.ts solves
 * it for J(θ) and ∇J, and the UI's teaching panels draw it.
 *
 *   P(s', r, end | s, a) = Σ over outcomes o of (s,a) with o.next = s', o.reward = r, o.terminal = end of o.p
 *
 * A `terminal` outcome ends the episode: the value after it is 0 whatever `next` is (twostate ends by a
 * coin flip after an ordinary transition, so `next` is still the state the agent lands in; corridor's
 * terminal state G is a state of its own that is never acted in, with no outcomes).
 */
import type { EnvName } from '../core/types';

export const TABULAR_ENVS = ['bandit', 'twostate', 'corridor'] as const satisfies readonly EnvName[];
export type TabularEnvName = (typeof TABULAR_ENVS)[number];

/** One possible result of taking action a in state s. */
export interface Outcome {
  /** probability of this outcome given (s, a) */
  readonly p: number;
  /** the MDP state reached (an index < nStates) */
  readonly next: number;
  readonly reward: number;
  /** the episode ends with this outcome: V after it is 0 */
  readonly terminal: boolean;
}

export interface TabularModel {
  readonly env: TabularEnvName;
  /** MDP states, including absorbing terminal states that are never acted in (no outcomes) */
  readonly nStates: number;
  readonly nActions: number;
  /** rows of the tabular policy = the env's `tabular.nStates` (fewer than nStates when states are aliased) */
  readonly nObs: number;
  /** the policy row the agent sees in each MDP state (−1 for states never acted in) */
  readonly obsOf: readonly number[];
  /** start distribution over MDP states (sums to 1) */
  readonly start: readonly number[];
  /** outcomes[s][a]: the outcomes of taking a in s (probabilities sum to 1; empty rows for never-acted states) */
  readonly outcomes: readonly (readonly (readonly Outcome[])[])[];
  readonly stateNames: readonly string[];
  readonly actionNames: readonly string[];
}

/** Throws if a model is malformed (probabilities not summing to 1, indices out of range). */
export function checkModel(m: TabularModel): void {
  const fail = (msg: string): never => {
    throw new Error(`tabular model ${m.env}: ${msg}`);
  };
  if (m.start.length !== m.nStates || m.obsOf.length !== m.nStates || m.outcomes.length !== m.nStates) fail('array lengths');
  if (Math.abs(m.start.reduce((a, b) => a + b, 0) - 1) > 1e-12) fail('start does not sum to 1');
  for (let s = 0; s < m.nStates; s++) {
    const row = m.outcomes[s];
    if (row.length !== m.nActions) fail(`outcomes[${s}] needs ${m.nActions} actions`);
    const acted = row.some((os) => os.length > 0);
    if (acted !== m.obsOf[s] >= 0) fail(`state ${s}: obsOf and outcomes disagree`);
    if (m.obsOf[s] >= m.nObs) fail(`state ${s}: obs row out of range`);
    if (!acted) continue;
    for (let a = 0; a < m.nActions; a++) {
      let sum = 0;
      for (const o of row[a]) {
        if (!(o.p >= 0) || o.next < 0 || o.next >= m.nStates || !Number.isInteger(o.next)) fail(`bad outcome at (${s},${a})`);
        sum += o.p;
      }
      if (Math.abs(sum - 1) > 1e-12) fail(`outcomes at (${s},${a}) sum to ${sum}`);
    }
  }
}
