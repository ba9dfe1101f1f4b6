import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { boxMuller, PhiloxStream, Purpose, uniform4 } from '../../src/core/rng';
import type { StepResult } from '../../src/core/types';
import { angleNormalize, pendulum } from '../../src/envs/pendulum';

/** Python's float modulo (floored: the result takes the divisor's sign), as CPython's float_rem. */
function pyMod(x: number, w: number): number {
  let mod = x % w; // C fmod
  if (mod !== 0) {
    if (w < 0 !== mod < 0) mod += w;
  } else {
    mod = w < 0 ? -0 : 0;
  }
  return mod;
}

/**
 * Independent float64 transcription of Gymnasium's PendulumEnv.step and angle_normalize
 * (Farama-Foundation/Gymnasium, gymnasium/envs/classic_control/pendulum.py), written from the original.
 */
function gymAngleNormalize(x: number): number {
  return pyMod(x + Math.PI, 2 * Math.PI) - Math.PI;
}
function gymPendulumStep(state: number[], action: number): { state: number[]; reward: number } {
  const max_speed = 8;
  const max_torque = 2.0;
  const dt = 0.05;
  const g = 10.0;
  const m = 1.0;
  const l = 1.0;
  const [th, thdot] = state;
  const u = Math.min(Math.max(action, -max_torque), max_torque); // np.clip(u, -max_torque, max_torque)[0]
  const costs = gymAngleNormalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2;
  let newthdot = thdot + (((3 * g) / (2 * l)) * Math.sin(th) + (3.0 / (m * l ** 2)) * u) * dt;
  newthdot = Math.min(Math.max(newthdot, -max_speed), max_speed);
  const newth = th + newthdot * dt;
  return { state: [newth, newthdot], reward: -costs };
}

const f32 = Math.fround;

function stepFrom(state: number[], action: number, t = 0) {
  const s = new Float32Array([...state, t]);
  const out: StepResult = { reward: NaN, terminated: true, truncated: true };
  pendulum.step(s, 0, [action], 0, [0.5, 0.5, 0.5, 0.5], out);
  return { s, out };
}

describe('pendulum: declared shape', () => {
  it('matches the contract', () => {
    expect(pendulum.name).toBe('pendulum');
    expect(pendulum.stateDim).toBe(3);
    expect(pendulum.obsDim).toBe(3);
    expect(pendulum.actDim).toBe(1);
    expect(pendulum.action).toEqual({ kind: 'box', low: [-2], high: [2] });
    expect(pendulum.horizon).toBe(200);
  });
});

describe('angle_normalize', () => {
  it('uses the floored modulo: hand-checked values', () => {
    expect(angleNormalize(0)).toBe(0);
    expect(angleNormalize(Math.PI)).toBe(-Math.PI); // (2π mod 2π) − π
    expect(angleNormalize(-Math.PI)).toBe(-Math.PI);
    expect(angleNormalize((3 * Math.PI) / 2)).toBeCloseTo(-Math.PI / 2, 14);
    expect(angleNormalize((-3 * Math.PI) / 2)).toBeCloseTo(Math.PI / 2, 14);
    expect(angleNormalize(7)).toBeCloseTo(7 - 2 * Math.PI, 14);
    expect(angleNormalize(-7)).toBeCloseTo(-7 + 2 * Math.PI, 14);
    expect(angleNormalize(-20)).toBeCloseTo(-20 + 6 * Math.PI, 13);
  });
  it('equals the transcription and lands in [−π, π) a multiple of 2π away', () => {
    const r = new PhiloxStream(2, Purpose.Init);
    for (let i = 0; i < 1000; i++) {
      const x = (2 * r.uniform() - 1) * 60;
      const y = angleNormalize(x);
      expect(y).toBe(gymAngleNormalize(x));
      expect(y).toBeGreaterThanOrEqual(-Math.PI);
      expect(y).toBeLessThan(Math.PI);
      const k = (x - y) / (2 * Math.PI);
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-12);
    }
  });
});

describe('pendulum vs the transcription of Gymnasium', () => {
  it('one step from 1000 random float32 states and raw torques', () => {
    const r = new PhiloxStream(13, Purpose.Init);
    for (let i = 0; i < 1000; i++) {
      const st = [f32((2 * r.uniform() - 1) * 20), f32((2 * r.uniform() - 1) * 8)];
      const action = f32((2 * r.uniform() - 1) * 4); // half of them outside [−2, 2]
      const ref = gymPendulumStep(st, action);
      const { s, out } = stepFrom(st, action, 3);
      expect([s[0], s[1]]).toEqual(ref.state.map(f32));
      expect(out.reward).toBe(ref.reward);
      expect(out.terminated).toBe(false);
      expect(out.truncated).toBe(false);
      expect(s[2]).toBe(4);
    }
  });

  it('episodes driven by Gaussian actions from core/rng: exact trace, truncation at t = 200, never terminated', () => {
    const seed = 9;
    const u = new Float64Array(4);
    const s = new Float32Array(3);
    const out: StepResult = { reward: 0, terminated: false, truncated: false };
    uniform4(seed, Purpose.Reset, 0, 0, 0, u);
    pendulum.reset(s, 0, u);
    let ref = [f32(-Math.PI + 2 * Math.PI * u[0]), f32(-1 + 2 * u[1])];
    let truncations = 0;
    for (let k = 0; k < 600; k++) {
      uniform4(seed, Purpose.Action, 0, k, 0, u);
      const a = f32(1.5 * boxMuller(u[0], u[1])); // μ = 0, σ = 1.5: often beyond ±2
      const r = gymPendulumStep(ref, a);
      pendulum.step(s, 0, [a], 0, u, out);
      ref = r.state.map(f32);
      expect([s[0], s[1]]).toEqual(ref);
      expect(out.reward).toBe(r.reward);
      expect(out.terminated).toBe(false);
      expect(out.truncated).toBe((k + 1) % 200 === 0);
      if (out.truncated) {
        truncations++;
        uniform4(seed, Purpose.Reset, 0, k + 1, 0, u);
        pendulum.reset(s, 0, u);
        ref = [f32(-Math.PI + 2 * Math.PI * u[0]), f32(-1 + 2 * u[1])];
      }
    }
    expect(truncations).toBe(3);
  });
});

describe('pendulum vs traces recorded from Gymnasium 1.3.0 itself', () => {
  // tests/unit/fixtures/gymnasium-traces.json, made by gen_gymnasium_traces.py with gym.make("Pendulum-v1")
  const fx = JSON.parse(readFileSync(new URL('./fixtures/gymnasium-traces.json', import.meta.url), 'utf8'));
  const eps = fx.pendulum as { start: number[]; actions: number[]; f32: number[][]; f64: number[][]; reward: number[]; terminated: boolean[]; truncated: boolean[] }[];
  it.each(eps.map((e, i) => [i, e] as const))('episode %i: 200 steps, states, rewards, truncation', (_i, ep) => {
    expect(ep.actions.length).toBe(200);
    const s = new Float32Array([...ep.start, 0]);
    const out: StepResult = { reward: 0, terminated: false, truncated: false };
    for (let k = 0; k < ep.actions.length; k++) {
      pendulum.step(s, 0, [ep.actions[k]], 0, [0.5, 0.5, 0.5, 0.5], out);
      for (let j = 0; j < 2; j++) {
        // bit-exact: the fixture was recorded with the state rounded to float32 after every step, as here
        expect(s[j]).toBe(ep.f32[k][j]);
      }
      expect(out.reward).toBeCloseTo(ep.reward[k], 12); // NumPy and V8 may round the last float64 bit differently
      expect(out.terminated).toBe(ep.terminated[k]);
      expect(out.truncated).toBe(ep.truncated[k]);
    }
    expect(out.truncated).toBe(true);
    // the untouched float64 Gymnasium run stays close for the first steps (float32 storage is the only difference)
    const s2 = new Float32Array([...ep.start, 0]);
    for (let k = 0; k < 20; k++) {
      pendulum.step(s2, 0, [ep.actions[k]], 0, [0.5, 0.5, 0.5, 0.5], out);
      expect(s2[0]).toBeCloseTo(ep.f64[k][0], 5);
      expect(s2[1]).toBeCloseTo(ep.f64[k][1], 5);
    }
  });
});

describe('pendulum: hand-checked cases', () => {
  it('upright at rest with u = 2: reward −0.004, θ̇′ = 3·2·0.05 = 0.3, θ′ = 0.015', () => {
    const { s, out } = stepFrom([0, 0], 2);
    expect(out.reward).toBeCloseTo(-0.004, 15);
    expect(s[1]).toBe(f32(0.3));
    expect(s[0]).toBe(f32(0.3 * 0.05));
    expect(s[2]).toBe(1);
  });

  it('torque is clipped to ±2 in both the dynamics and the cost', () => {
    const a = stepFrom([0.5, 0.1], 2);
    for (const big of [2.0000001, 3, 100, 1e30, Infinity]) {
      const b = stepFrom([0.5, 0.1], big);
      expect(b.out.reward).toBe(a.out.reward);
      expect(Array.from(b.s)).toEqual(Array.from(a.s));
    }
    const c = stepFrom([0.5, 0.1], -2);
    const d = stepFrom([0.5, 0.1], -55);
    expect(d.out.reward).toBe(c.out.reward);
    expect(Array.from(d.s)).toEqual(Array.from(c.s));
    // hand: θ = π/2 (float32), θ̇ = 0, u = −3 → −2: θ̇′ = (15·sin θ − 6)·0.05 ≈ 0.45, θ′ = θ + 0.0225
    const th = f32(Math.PI / 2);
    const h = stepFrom([th, 0], -3);
    expect(h.s[1]).toBeCloseTo(0.45, 6);
    expect(h.s[0]).toBeCloseTo(th + 0.0225, 6);
    expect(h.out.reward).toBeCloseTo(-(th * th + 0.004), 12);
  });

  it('the cost uses the normalised angle: θ and θ ± 2π cost the same', () => {
    const base = stepFrom([0.3, 1], 0.5).out.reward;
    expect(base).toBeCloseTo(-(0.3 ** 2 + 0.1 + 0.00025), 6);
    expect(stepFrom([0.3 + 2 * Math.PI, 1], 0.5).out.reward).toBeCloseTo(base, 5);
    expect(stepFrom([0.3 - 4 * Math.PI, 1], 0.5).out.reward).toBeCloseTo(base, 5);
    // hanging down (θ = π) costs π² (+ 0.1·θ̇²), the worst angle
    expect(stepFrom([f32(Math.PI), 0], 0).out.reward).toBeCloseTo(-(Math.PI ** 2), 5);
  });

  it('angular speed is clipped to ±8', () => {
    const { s } = stepFrom([Math.PI / 2, 7.9], 2); // 7.9 + (15 + 6)·0.05 = 8.95 → 8
    expect(s[1]).toBe(8);
    expect(s[0]).toBe(f32(f32(Math.PI / 2) + 8 * 0.05));
    expect(stepFrom([-Math.PI / 2, -7.9], -2).s[1]).toBe(-8);
  });

  it('never terminates; truncates when t reaches 200', () => {
    expect(stepFrom([3, 8], 2, 198).out).toMatchObject({ terminated: false, truncated: false });
    expect(stepFrom([3, 8], 2, 199).out).toMatchObject({ terminated: false, truncated: true });
  });

  it('reset: θ = −π + 2π·u0 ∈ [−π, π), θ̇ = −1 + 2·u1 ∈ [−1, 1), t = 0; only u0, u1 matter', () => {
    const s = new Float32Array(3).fill(5);
    pendulum.reset(s, 0, [0.25, 0.75, 0.1, 0.9]);
    expect(Array.from(s)).toEqual([f32(-Math.PI / 2), 0.5, 0]);
    const u = new Float64Array(4);
    let m0 = 0;
    for (let k = 0; k < 500; k++) {
      uniform4(4, Purpose.Reset, 1, k, 0, u);
      pendulum.reset(s, 0, u);
      expect(s[0]).toBe(f32(-Math.PI + 2 * Math.PI * u[0]));
      expect(s[1]).toBe(f32(-1 + 2 * u[1]));
      expect(Math.abs(s[0])).toBeLessThanOrEqual(f32(Math.PI));
      expect(Math.abs(s[1])).toBeLessThanOrEqual(1);
      expect(s[2]).toBe(0);
      const other = new Float32Array(3);
      pendulum.reset(other, 0, [u[0], u[1], 0.5, 0.5]);
      expect(other).toEqual(s);
      m0 += s[0];
    }
    expect(Math.abs(m0 / 500)).toBeLessThan(4 * Math.sqrt((Math.PI ** 2) / 3 / 500));
  });

  it('observe: [cos θ, sin θ, θ̇]', () => {
    const s = new Float32Array([0, 0, 0, f32(2.5), f32(-3.25), 4]);
    const obs = new Float32Array(3);
    pendulum.observe(s, 3, obs, 0);
    expect(Array.from(obs)).toEqual([f32(Math.cos(f32(2.5))), f32(Math.sin(f32(2.5))), -3.25]);
  });
});
