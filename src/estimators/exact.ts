/**
 * Exact objective and policy gradient of the tiny MDPs (bandit, twostate, corridor) under a tabular
 * softmax policy — the reference the gradient estimators are measured against.
 *
 * Policy: θ = logits [nObs][nActions], row-major (θ[o·nA + a]), the layout of the tabular actor
 * segment; a state s acts with the row o = obsOf(s) (corridor's three states share one row):
 *   π(a|s) = exp θ[o,a] / Σ_b exp θ[o,b]
 *
 * Policy evaluation (termination folded into the transition matrix: a terminal outcome contributes
 * its reward and no next state):
 *   r_π(s)     = Σ_a π(a|s) Σ_o p_o r_o
 *   P_π(s, s') = Σ_a π(a|s) Σ_{o: next=s', not terminal} p_o
 *   V          = (I − γ P_π)⁻¹ r_π
 *   Q(s,a)     = Σ_o p_o (r_o + γ (1 − terminal_o) V(next_o))
 *   J          = Σ_s start(s) V(s)
 * Policy-gradient theorem with the expected discounted visitation d(s) = Σ_t γ^t P(s_t = s, not ended):
 *   dᵀ = startᵀ (I − γ P_π)⁻¹
 *   ∇_θ[o,a] J = Σ_{s: obsOf(s)=o} d(s) Σ_b π(b|s) ∂log π(b|s)/∂θ[o,a] Q(s,b)
 *              = Σ_{s: obsOf(s)=o} d(s) π(a|s) (Q(s,a) − V(s))        (∂log π(b|s)/∂θ[o,a] = 1[a=b] − π(a|s))
 * The bandit uses the closed form J = Σ_a π(a) r̄_a, ∂J/∂θ_a = π(a)(r̄_a − J) (r̄_a = p_a; γ plays no role).
 *
 * J ignores the envs' time-limit truncation (twostate: 64 steps, probability (1−q)^64 ≈ 1e−8; corridor:
 * 200 steps, negligible for any policy that reaches the goal in a reasonable time): it is the value of
 * the untruncated MDP. With γ = 1 a policy that never terminates (corridor with π(right) ∈ {0, 1}) has
 * no finite value: I − P_π is singular and the results are NaN.
 */
import type { EnvDef } from '../core/types';
import { banditModel, corridorModel, tabularModelOf, twoStateModel, type TabularEnvName, type TabularModel } from '../envs/index';

/** Which tiny MDP: by name (default params), by env (its params) or as a model. */
export type ExactTarget = TabularEnvName | EnvDef | TabularModel;

export interface ExactResult {
  /** J(θ) = E[Σ_t γ^t r_t] from the start distribution */
  J: number;
  /** ∇_θ J, laid out like θ: [nObs][nActions] */
  grad: Float64Array;
  /** V^π(s) per MDP state [nStates] (0 for states never acted in) */
  V: Float64Array;
  /** Q^π(s,a) [nStates][nActions] */
  Q: Float64Array;
  /** expected discounted visitation d(s) = Σ_t γ^t P(s_t = s) [nStates] */
  d: Float64Array;
  /** π(a|s) [nStates][nActions] */
  pi: Float64Array;
}

/** The tabular model behind a target. */
export function modelOf(target: ExactTarget): TabularModel {
  if (typeof target === 'string') {
    switch (target) {
      case 'bandit':
        return banditModel();
      case 'twostate':
        return twoStateModel();
      case 'corridor':
        return corridorModel();
    }
    throw new Error(`no exact model for env ${String(target)}`);
  }
  if ('outcomes' in target) return target;
  const m = tabularModelOf(target);
  if (!m) throw new Error(`no exact model for env ${target.name}`);
  return m;
}

/** π(a|s) = softmax(θ[obsOf(s)])_a for every MDP state (uniform rows for states never acted in). */
export function tabularPolicy(model: TabularModel, theta: ArrayLike<number>): Float64Array {
  const nA = model.nActions;
  if (theta.length < model.nObs * nA) throw new Error(`theta has ${theta.length} entries, the ${model.env} table needs ${model.nObs * nA}`);
  const pi = new Float64Array(model.nStates * nA);
  for (let s = 0; s < model.nStates; s++) {
    const o = model.obsOf[s];
    if (o < 0) {
      pi.fill(1 / nA, s * nA, (s + 1) * nA);
      continue;
    }
    let mx = -Infinity;
    for (let a = 0; a < nA; a++) mx = Math.max(mx, theta[o * nA + a]);
    let z = 0;
    for (let a = 0; a < nA; a++) z += pi[s * nA + a] = Math.exp(theta[o * nA + a] - mx);
    for (let a = 0; a < nA; a++) pi[s * nA + a] /= z;
  }
  return pi;
}

/**
 * Solve A x = b in place for a small dense n×n A (row-major), Gaussian elimination with partial
 * pivoting. Returns x (in b); fills b with NaN if A is singular.
 */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[piv * n + c])) piv = r;
    if (!(Math.abs(A[piv * n + c]) > 1e-300)) return b.fill(NaN);
    if (piv !== c) {
      for (let k = 0; k < n; k++) {
        const tmp = A[c * n + k];
        A[c * n + k] = A[piv * n + k];
        A[piv * n + k] = tmp;
      }
      const tb = b[c];
      b[c] = b[piv];
      b[piv] = tb;
    }
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / A[c * n + c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) A[r * n + k] -= f * A[c * n + k];
      b[r] -= f * b[c];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let acc = b[r];
    for (let k = r + 1; k < n; k++) acc -= A[r * n + k] * b[k];
    b[r] = acc / A[r * n + r];
  }
  return b;
}

/**
 * The general solver (any tabular model, any γ ∈ [0, 1]): V = (I − γP_π)⁻¹ r_π, Q, dᵀ = startᵀ(I − γP_π)⁻¹,
 * ∇J by the policy-gradient theorem. `exactGradient` uses it for every env but the bandit.
 */
export function exactGradientTabular(model: TabularModel, theta: ArrayLike<number>, gamma: number): ExactResult {
  const n = model.nStates;
  const nA = model.nActions;
  const pi = tabularPolicy(model, theta);
  // A = I − γ P_π, r = r_π
  const A = new Float64Array(n * n);
  const At = new Float64Array(n * n);
  const r = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    A[s * n + s] = 1;
    if (model.obsOf[s] < 0) continue;
    for (let a = 0; a < nA; a++) {
      const w = pi[s * nA + a];
      for (const o of model.outcomes[s][a]) {
        r[s] += w * o.p * o.reward;
        if (!o.terminal) A[s * n + o.next] -= gamma * w * o.p;
      }
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) At[j * n + i] = A[i * n + j];
  const V = solve(A, r, n);
  const d = solve(At, Float64Array.from(model.start), n);
  const Q = new Float64Array(n * nA);
  for (let s = 0; s < n; s++) {
    if (model.obsOf[s] < 0) continue;
    for (let a = 0; a < nA; a++) {
      let q = 0;
      for (const o of model.outcomes[s][a]) q += o.p * (o.reward + (o.terminal ? 0 : gamma * V[o.next]));
      Q[s * nA + a] = q;
    }
  }
  let J = 0;
  for (let s = 0; s < n; s++) if (model.start[s] !== 0) J += model.start[s] * V[s];
  const grad = new Float64Array(model.nObs * nA);
  for (let s = 0; s < n; s++) {
    const o = model.obsOf[s];
    if (o < 0) continue;
    for (let a = 0; a < nA; a++) grad[o * nA + a] += d[s] * pi[s * nA + a] * (Q[s * nA + a] - V[s]);
  }
  return { J, grad, V, Q, d, pi };
}

/** The bandit in closed form: J = Σ_a π(a) r̄_a, ∂J/∂θ_a = π(a)(r̄_a − J), r̄_a = E[r | a] (= p_a). */
export function banditExact(model: TabularModel, theta: ArrayLike<number>): ExactResult {
  const nA = model.nActions;
  const pi = tabularPolicy(model, theta);
  const Q = new Float64Array(nA);
  let J = 0;
  for (let a = 0; a < nA; a++) {
    for (const o of model.outcomes[0][a]) Q[a] += o.p * o.reward;
    J += pi[a] * Q[a];
  }
  const grad = new Float64Array(nA);
  for (let a = 0; a < nA; a++) grad[a] = pi[a] * (Q[a] - J);
  return { J, grad, V: Float64Array.of(J), Q, d: Float64Array.of(1), pi };
}

/** J, ∇J, V, Q, d and π of a tiny MDP under the tabular softmax policy θ with discount γ. */
export function exactGradient(target: ExactTarget, theta: ArrayLike<number>, gamma: number): ExactResult {
  if (!(gamma >= 0 && gamma <= 1)) throw new Error(`gamma must be in [0, 1], got ${gamma}`);
  const model = modelOf(target);
  return model.env === 'bandit' ? banditExact(model, theta) : exactGradientTabular(model, theta, gamma);
}

/** J(θ) = E_τ~πθ[Σ_t γ^t r_t] of a tiny MDP (see `exactGradient`). */
export function exactObjective(target: ExactTarget, theta: ArrayLike<number>, gamma: number): number {
  return exactGradient(target, theta, gamma).J;
}
