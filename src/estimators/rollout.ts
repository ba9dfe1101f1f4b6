/**
 * The rollout buffer the estimators read: time-major arrays [T×N], sample (t, e) at index i = t·N + e
 * (all N envs of one step are contiguous, so a reverse scan over t with envs in the inner loop walks
 * memory forward row by row).
 *
 * Per sample (t, e):
 *   rewards[i]     r_t
 *   terminated[i]  1 if s_{t+1} is a terminal state of the MDP:   V(s_{t+1}) = 0
 *   truncated[i]   1 if a time limit cut the episode after a_t:   bootstrap with V(real s_{t+1})
 *                  (both 0 on an ordinary step; if both would hold, terminated wins)
 *   values[i]      V(s_t)
 *   nextValues[i]  V(real s_{t+1}): the critic of the real next observation, taken before any
 *                  auto-reset; equal to values[i + N] while the episode goes on. The engine stores it
 *                  as is (it does NOT substitute 0 after a termination); the estimators apply
 *                  (1 − terminated)·nextValues.
 *   mask[i]        optional: 1 for a real sample, 0 for padding (an env slot that was idle). A masked
 *                  sample gets Ψ = 0 and must be left out of losses and statistics; it also cuts the
 *                  segment before it, which is then bootstrapped like a truncation.
 *
 * The last step t = T−1 of an episode that is not done is cut like a truncation: the estimators
 * bootstrap it with nextValues.
 */

/** A float buffer an estimator writes into (f32 like the GPU, or f64 for slow references). */
export type FloatArray = Float32Array | Float64Array;

export interface Rollout {
  /** steps per env in this rollout */
  T: number;
  /** parallel envs */
  N: number;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  values: Float32Array;
  nextValues: Float32Array;
  mask?: Uint8Array;
}

/** Allocate a zeroed rollout of T steps × N envs (with a mask of ones when `withMask`). */
export function createRollout(T: number, N: number, withMask = false): Rollout {
  if (!(Number.isInteger(T) && T >= 1 && Number.isInteger(N) && N >= 1)) {
    throw new RangeError(`createRollout: T and N must be positive integers (got T=${T}, N=${N})`);
  }
  const n = T * N;
  const r: Rollout = {
    T,
    N,
    rewards: new Float32Array(n),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
    values: new Float32Array(n),
    nextValues: new Float32Array(n),
  };
  if (withMask) r.mask = new Uint8Array(n).fill(1);
  return r;
}

/** Throw if any array of `r`, or `out`, is shorter than T·N (a bug in the caller, not a user error). */
export function checkRollout(r: Rollout, out?: ArrayLike<number>): void {
  const n = r.T * r.N;
  const short =
    r.rewards.length < n ||
    r.terminated.length < n ||
    r.truncated.length < n ||
    r.values.length < n ||
    r.nextValues.length < n ||
    (r.mask !== undefined && r.mask.length < n) ||
    (out !== undefined && out.length < n);
  if (short) throw new RangeError(`rollout arrays (or out) shorter than T·N = ${r.T}·${r.N}`);
}

/**
 * Whether step t (flat index i = t·N + e) carries on into step t+1 of the same episode segment:
 *   linked_t = [t < T−1] · (1 − terminated_t) · (1 − truncated_t) · mask_t · mask_{t+1}.
 * Where it is 0 the segment ends at t: after a termination V = 0 is used, otherwise (truncation, the
 * rollout's last step, or a masked next sample) the segment is cut and bootstrapped with nextValues_t.
 */
export function linked(r: Rollout, t: number, i: number): boolean {
  if (t >= r.T - 1 || r.terminated[i] !== 0 || r.truncated[i] !== 0) return false;
  const m = r.mask;
  return m === undefined || (m[i] !== 0 && m[i + r.N] !== 0);
}

/** Whether sample i is real (no mask, or mask_i = 1). */
export function valid(r: Rollout, i: number): boolean {
  return r.mask === undefined || r.mask[i] !== 0;
}
