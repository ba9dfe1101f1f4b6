/**
 * Pendulum-v1, exactly as Gymnasium's gymnasium/envs/classic_control/pendulum.py, with the TimeLimit
 * of 200 steps.
 *
 *   state [θ, θ̇, t]; obs [cos θ, sin θ, θ̇]; action torque u, box [−2, 2], clipped here
 *   u      = clip(a, −2, 2)
 *   reward = −(angle_normalize(θ)² + 0.1·θ̇² + 0.001·u²)                (from the OLD θ, θ̇)
 *   θ̇'     = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, −8, 8)
 *   θ'     = θ + θ̇'·dt                                               (θ itself is never wrapped)
 *   never terminated; truncated when t reaches 200.
 *   reset: θ = −π + 2π·u0, θ̇ = −1 + 2·u1.
 *
 * Arithmetic is float64 in Gymnasium's operation order (NumPy 1.x promotion: the float32 torque is
 * widened to float64); the state is stored as float32 between steps.
 */
import type { EnvDef, StepResult } from '../core/types';

export type PendulumParams = {
  maxSpeed: number;
  maxTorque: number;
  dt: number;
  g: number;
  m: number;
  l: number;
  /** reset draws θ uniformly in [−resetTheta, resetTheta) and θ̇ in [−resetThetaDot, resetThetaDot) */
  resetTheta: number;
  resetThetaDot: number;
  /** TimeLimit max_episode_steps */
  maxEpisodeSteps: number;
};

export const PENDULUM_PARAMS: Readonly<PendulumParams> = Object.freeze({
  maxSpeed: 8,
  maxTorque: 2.0,
  dt: 0.05,
  g: 10.0,
  m: 1.0,
  l: 1.0,
  resetTheta: Math.PI,
  resetThetaDot: 1.0,
  maxEpisodeSteps: 200,
});

const TWO_PI = 2 * Math.PI;

/**
 * Gymnasium's angle_normalize: ((x + π) mod 2π) − π with Python/NumPy's floored modulo
 * (the remainder takes the divisor's sign), i.e. a result in [−π, π).
 */
export function angleNormalize(x: number): number {
  let r = (x + Math.PI) % TWO_PI; // IEEE fmod, exact
  if (r < 0) r += TWO_PI;
  return r - Math.PI;
}

export function makePendulum(overrides: Partial<PendulumParams> = {}): EnvDef<PendulumParams> {
  const params: PendulumParams = Object.freeze({ ...PENDULUM_PARAMS, ...overrides });
  const { maxSpeed, maxTorque, dt, g, m, l, resetTheta, resetThetaDot, maxEpisodeSteps } = params;
  const gravityTerm = (3 * g) / (2 * l); // 3 * g / (2 * l)
  const torqueTerm = 3.0 / (m * (l * l)); // 3.0 / (m * l**2)
  return {
    name: 'pendulum',
    params,
    obsDim: 3,
    stateDim: 3,
    action: { kind: 'box', low: [-maxTorque], high: [maxTorque] },
    actDim: 1,
    horizon: maxEpisodeSteps,
    reset(s: Float32Array, off: number, u: ArrayLike<number>): void {
      s[off] = -resetTheta + 2 * resetTheta * u[0];
      s[off + 1] = -resetThetaDot + 2 * resetThetaDot * u[1];
      s[off + 2] = 0;
    },
    step(s: Float32Array, off: number, a: ArrayLike<number>, aoff: number, _u: ArrayLike<number>, out: StepResult): void {
      const th = s[off];
      const thDot = s[off + 1];
      const t = s[off + 2] + 1;
      const u = Math.min(Math.max(a[aoff], -maxTorque), maxTorque);
      const an = angleNormalize(th);
      const costs = an * an + 0.1 * (thDot * thDot) + 0.001 * (u * u);
      let newThDot = thDot + (gravityTerm * Math.sin(th) + torqueTerm * u) * dt;
      newThDot = Math.min(Math.max(newThDot, -maxSpeed), maxSpeed);
      s[off] = th + newThDot * dt;
      s[off + 1] = newThDot;
      s[off + 2] = t;
      out.reward = -costs;
      out.terminated = false;
      out.truncated = t >= maxEpisodeSteps;
    },
    observe(s: Float32Array, off: number, obs: Float32Array, ooff: number): void {
      const th = s[off];
      obs[ooff] = Math.cos(th);
      obs[ooff + 1] = Math.sin(th);
      obs[ooff + 2] = s[off + 1];
    },
  };
}

export const pendulum = makePendulum();
