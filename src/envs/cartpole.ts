/**
 * CartPole-v1, exactly as Gymnasium's gymnasium/envs/classic_control/cartpole.py (Barto, Sutton &
 * Anderson 1983), Euler integration, with the TimeLimit of 500 steps.
 *
 *   state [x, ẋ, θ, θ̇, t]; obs [x, ẋ, θ, θ̇]; actions 0 = push left (F = −10), 1 = push right (F = +10)
 *   temp = (F + m_p·l·θ̇²·sin θ) / (m_c + m_p)
 *   θ̈    = (g·sin θ − cos θ·temp) / (l·(4/3 − m_p·cos²θ / (m_c + m_p)))
 *   ẍ    = temp − m_p·l·θ̈·cos θ / (m_c + m_p)
 *   x ← x + τẋ,  ẋ ← ẋ + τẍ,  θ ← θ + τθ̇,  θ̇ ← θ̇ + τθ̈            (τ = 0.02, all from the old values)
 *   terminated = |x| > 2.4 or |θ| > 12·2π/360;  reward 1 on every step, the terminal one included;
 *   truncated when t reaches 500 (unless terminated).
 *   reset: each of the four = −0.05 + 0.1·u_i.
 *
 * Arithmetic is float64 in Gymnasium's operation order; the state is stored as float32 between steps
 * (Gymnasium keeps float64 and returns float32 observations: the only difference, one rounding per step).
 * Termination is decided on the float64 result, as in Gymnasium.
 */
import type { EnvDef, StepResult } from '../core/types';

export type CartPoleParams = {
  gravity: number;
  masscart: number;
  masspole: number;
  /** half the pole's length */
  length: number;
  forceMag: number;
  /** seconds between state updates */
  tau: number;
  thetaThresholdRadians: number;
  xThreshold: number;
  /** reset draws each state variable uniformly in [resetLow, resetHigh) */
  resetLow: number;
  resetHigh: number;
  /** TimeLimit max_episode_steps */
  maxEpisodeSteps: number;
};

export const CARTPOLE_PARAMS: Readonly<CartPoleParams> = Object.freeze({
  gravity: 9.8,
  masscart: 1.0,
  masspole: 0.1,
  length: 0.5,
  forceMag: 10.0,
  tau: 0.02,
  thetaThresholdRadians: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
  resetLow: -0.05,
  resetHigh: 0.05,
  maxEpisodeSteps: 500,
});

export function makeCartPole(overrides: Partial<CartPoleParams> = {}): EnvDef<CartPoleParams> {
  const params: CartPoleParams = Object.freeze({ ...CARTPOLE_PARAMS, ...overrides });
  const { gravity, masspole, length, forceMag, tau, thetaThresholdRadians, xThreshold, resetLow, resetHigh, maxEpisodeSteps } = params;
  const totalMass = masspole + params.masscart;
  const polemassLength = masspole * length;
  const resetSpan = resetHigh - resetLow;
  return {
    name: 'cartpole',
    params,
    obsDim: 4,
    stateDim: 5,
    action: { kind: 'discrete', n: 2 },
    actDim: 1,
    horizon: maxEpisodeSteps,
    reset(s: Float32Array, off: number, u: ArrayLike<number>): void {
      s[off] = resetLow + resetSpan * u[0];
      s[off + 1] = resetLow + resetSpan * u[1];
      s[off + 2] = resetLow + resetSpan * u[2];
      s[off + 3] = resetLow + resetSpan * u[3];
      s[off + 4] = 0;
    },
    step(s: Float32Array, off: number, a: ArrayLike<number>, aoff: number, _u: ArrayLike<number>, out: StepResult): void {
      const x = s[off];
      const xDot = s[off + 1];
      const theta = s[off + 2];
      const thetaDot = s[off + 3];
      const t = s[off + 4] + 1;
      const force = a[aoff] > 0.5 ? forceMag : -forceMag;
      const cos = Math.cos(theta);
      const sin = Math.sin(theta);
      // Gymnasium's operation order (Python ** 2 is an exact square, left-associative * and /)
      const temp = (force + polemassLength * (thetaDot * thetaDot) * sin) / totalMass;
      const thetaAcc = (gravity * sin - cos * temp) / (length * (4.0 / 3.0 - (masspole * (cos * cos)) / totalMass));
      const xAcc = temp - (polemassLength * thetaAcc * cos) / totalMass;
      const x1 = x + tau * xDot;
      const theta1 = theta + tau * thetaDot;
      s[off] = x1;
      s[off + 1] = xDot + tau * xAcc;
      s[off + 2] = theta1;
      s[off + 3] = thetaDot + tau * thetaAcc;
      s[off + 4] = t;
      out.terminated = x1 < -xThreshold || x1 > xThreshold || theta1 < -thetaThresholdRadians || theta1 > thetaThresholdRadians;
      out.truncated = !out.terminated && t >= maxEpisodeSteps;
      out.reward = 1;
    },
    observe(s: Float32Array, off: number, obs: Float32Array, ooff: number): void {
      obs[ooff] = s[off];
      obs[ooff + 1] = s[off + 1];
      obs[ooff + 2] = s[off + 2];
      obs[ooff + 3] = s[off + 3];
    },
  };
}

export const cartpole = makeCartPole();
