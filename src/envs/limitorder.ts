/**
 * Selling an inventory with limit orders over a short horizon against a random-walk mid price.
 *
 *   state [q, m, t]: inventory q ∈ [0, 1] (starts at 1), mid-price deviation m (starts at 0), step t
 *   obs   [q, m/(σ√H), t/H]
 *   action (raw 2-D Gaussian sample): order fraction f = clip(a0, 0, 1), limit offset δ = δmax·clip(a1, 0, 1)
 *   each step:  filled with probability exp(−κδ)  (u0 < exp(−κδ)):
 *                 reward = f·q·(1 + m + δ)   (cash received),  q ← q − f·q
 *               then m ← m + σ·z,  z = boxMuller(u1, u2)
 *   terminated when q ≤ 1e−6, or when t reaches H — at t = H the leftover is penalised:
 *               reward −= φ·q_left
 *   horizon = H (the episode always terminates there; never truncated).
 * So an episode's undiscounted return = cash received − φ·(inventory left at H).
 * Defaults: H = 10, σ = 0.02, δmax = 0.1, κ = 20, φ = 2.
 */
import { boxMuller } from '../core/rng';
import type { EnvDef, StepResult } from '../core/types';

export type LimitOrderParams = {
  /** steps per episode */
  H: number;
  /** mid-price volatility per step */
  sigma: number;
  /** largest limit-price offset */
  deltaMax: number;
  /** fill-probability decay: P(fill) = exp(−κδ) */
  kappa: number;
  /** penalty per unit of inventory left at H */
  phi: number;
  /** inventory at or below this counts as sold out */
  qEps: number;
};

export const LIMITORDER_PARAMS: Readonly<LimitOrderParams> = Object.freeze({
  H: 10,
  sigma: 0.02,
  deltaMax: 0.1,
  kappa: 20,
  phi: 2,
  qEps: 1e-6,
});

/** P(fill) = exp(−κδ) for a limit offset δ (exported for the tests and the UI). */
export function fillProbability(delta: number, params: LimitOrderParams = LIMITORDER_PARAMS): number {
  return Math.exp(-params.kappa * delta);
}

export function makeLimitOrder(overrides: Partial<LimitOrderParams> = {}): EnvDef<LimitOrderParams> {
  const params: LimitOrderParams = Object.freeze({ ...LIMITORDER_PARAMS, ...overrides });
  const { H, sigma, deltaMax, kappa, phi, qEps } = params;
  const mScale = sigma * Math.sqrt(H);
  return {
    name: 'limitorder',
    params,
    obsDim: 3,
    stateDim: 3,
    action: { kind: 'box', low: [0, 0], high: [1, 1] },
    actDim: 2,
    horizon: H,
    reset(s: Float32Array, off: number, _u: ArrayLike<number>): void {
      s[off] = 1;
      s[off + 1] = 0;
      s[off + 2] = 0;
    },
    step(s: Float32Array, off: number, a: ArrayLike<number>, aoff: number, u: ArrayLike<number>, out: StepResult): void {
      let q = s[off];
      let m = s[off + 1];
      const t = s[off + 2] + 1;
      const f = Math.min(Math.max(a[aoff], 0), 1);
      const delta = deltaMax * Math.min(Math.max(a[aoff + 1], 0), 1);
      let reward = 0;
      if (u[0] < Math.exp(-kappa * delta)) {
        const sold = f * q;
        reward = sold * (1 + m + delta);
        q -= sold;
      }
      m += sigma * boxMuller(u[1], u[2]);
      const atH = t >= H;
      if (atH) reward -= phi * q;
      s[off] = q;
      s[off + 1] = m;
      s[off + 2] = t;
      out.reward = reward;
      out.terminated = atH || q <= qEps;
      out.truncated = false;
    },
    observe(s: Float32Array, off: number, obs: Float32Array, ooff: number): void {
      obs[ooff] = s[off];
      obs[ooff + 1] = s[off + 1] / mScale;
      obs[ooff + 2] = s[off + 2] / H;
    },
  };
}

export const limitorder = makeLimitOrder();
