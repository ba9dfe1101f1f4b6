import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { PhiloxStream, Purpose, uniform4 } from '../../src/core/rng';
import type { StepResult } from '../../src/core/types';
import { cartpole, makeCartPole } from '../../src/envs/cartpole';

/**
 * Independent float64 transcription of Gymnasium's CartPoleEnv.step
 * (Farama-Foundation/Gymnasium, gymnasium/envs/classic_control/cartpole.py, Euler integrator),
 * written from the original, not from src/envs/cartpole.ts.
 */
function gymCartPoleStep(state: number[], action: number): { state: number[]; reward: number; terminated: boolean } {
  const gravity = 9.8;
  const masscart = 1.0;
  const masspole = 0.1;
  const total_mass = masspole + masscart;
  const length = 0.5;
  const polemass_length = masspole * length;
  const force_mag = 10.0;
  const tau = 0.02;
  const theta_threshold_radians = (12 * 2 * Math.PI) / 360;
  const x_threshold = 2.4;

  let [x, x_dot, theta, theta_dot] = state;
  const force = action === 1 ? force_mag : -force_mag;
  const costheta = Math.cos(theta);
  const sintheta = Math.sin(theta);
  const temp = (force + polemass_length * theta_dot ** 2 * sintheta) / total_mass;
  const thetaacc = (gravity * sintheta - costheta * temp) / (length * (4.0 / 3.0 - (masspole * costheta ** 2) / total_mass));
  const xacc = temp - (polemass_length * thetaacc * costheta) / total_mass;
  x = x + tau * x_dot;
  x_dot = x_dot + tau * xacc;
  theta = theta + tau * theta_dot;
  theta_dot = theta_dot + tau * thetaacc;
  const terminated = x < -x_threshold || x > x_threshold || theta < -theta_threshold_radians || theta > theta_threshold_radians;
  return { state: [x, x_dot, theta, theta_dot], reward: 1.0, terminated };
}

const f32 = Math.fround;
/** next float32 above / below a float32 value */
const f32Next = (v: number, dir: 1 | -1): number => {
  const b = new Float32Array([v]);
  const i = new Int32Array(b.buffer);
  i[0] += v >= 0 ? dir : -dir;
  return b[0];
};

function stepFrom(state: number[], action: number, t = 0) {
  const s = new Float32Array([...state, t]);
  const out: StepResult = { reward: NaN, terminated: false, truncated: false };
  cartpole.step(s, 0, [action], 0, [0.5, 0.5, 0.5, 0.5], out);
  return { s, out };
}

describe('cartpole: declared shape', () => {
  it('matches the contract', () => {
    expect(cartpole.name).toBe('cartpole');
    expect(cartpole.stateDim).toBe(5);
    expect(cartpole.obsDim).toBe(4);
    expect(cartpole.actDim).toBe(1);
    expect(cartpole.action).toEqual({ kind: 'discrete', n: 2 });
    expect(cartpole.horizon).toBe(500);
    expect(cartpole.tabular).toBeUndefined();
    expect(cartpole.params.thetaThresholdRadians).toBe((12 * 2 * Math.PI) / 360);
  });
});

describe('cartpole vs the transcription of Gymnasium', () => {
  it('one step from 1000 random float32 states equals the float64 step rounded to float32', () => {
    const r = new PhiloxStream(11, Purpose.Init);
    const span = [2.6, 3, 0.25, 3.5];
    for (let i = 0; i < 1000; i++) {
      const st = span.map((w) => f32((2 * r.uniform() - 1) * w));
      const action = r.uniform() < 0.5 ? 0 : 1;
      const ref = gymCartPoleStep(st, action);
      const { s, out } = stepFrom(st, action, 7);
      expect([s[0], s[1], s[2], s[3]]).toEqual(ref.state.map(f32));
      expect(s[4]).toBe(8);
      expect(out.terminated).toBe(ref.terminated);
      expect(out.reward).toBe(1);
      expect(out.truncated).toBe(false);
    }
  });

  it('a trace of 1000 steps with resets from core/rng uniforms equals the float32-stored transcription', () => {
    const seed = 5;
    const u = new Float64Array(4);
    const s = new Float32Array(10); // env at offset 5, to exercise `off`
    const off = 5;
    const out: StepResult = { reward: 0, terminated: false, truncated: false };
    uniform4(seed, Purpose.Reset, 0, 0, 0, u);
    cartpole.reset(s, off, u);
    let ref = [0, 1, 2, 3].map((i) => f32(-0.05 + 0.1 * u[i]));
    let episodes = 0;
    let terminations = 0;
    for (let k = 0; k < 1000; k++) {
      uniform4(seed, Purpose.Action, 0, k, 0, u);
      const action = u[0] < 0.5 ? 0 : 1;
      const a = new Float32Array([9, action]);
      const r = gymCartPoleStep(ref, action);
      cartpole.step(s, off, a, 1, u, out);
      ref = r.state.map(f32);
      expect(Array.from(s.subarray(off, off + 4))).toEqual(ref);
      expect(out.terminated).toBe(r.terminated);
      if (out.terminated || out.truncated) {
        episodes++;
        if (out.terminated) terminations++;
        uniform4(seed, Purpose.Reset, 0, k + 1, 0, u);
        cartpole.reset(s, off, u);
        ref = [0, 1, 2, 3].map((i) => f32(-0.05 + 0.1 * u[i]));
      }
    }
    expect(episodes).toBeGreaterThan(20); // random actions fail in ~20 steps
    expect(terminations).toBe(episodes);
  });
});

describe('cartpole vs traces recorded from Gymnasium 1.3.0 itself', () => {
  // tests/unit/fixtures/gymnasium-traces.json, made by gen_gymnasium_traces.py with gym.make("CartPole-v1")
  const fx = JSON.parse(readFileSync(new URL('./fixtures/gymnasium-traces.json', import.meta.url), 'utf8'));
  const eps = fx.cartpole as { start: number[]; actions: number[]; f32: number[][]; f64: number[][]; reward: number[]; terminated: boolean[]; truncated: boolean[] }[];
  it.each(eps.map((e, i) => [i, e] as const))('episode %i: states, rewards, flags', (_i, ep) => {
    const s = new Float32Array([...ep.start, 0]);
    const out: StepResult = { reward: 0, terminated: false, truncated: false };
    for (let k = 0; k < ep.actions.length; k++) {
      cartpole.step(s, 0, [ep.actions[k]], 0, [0.5, 0.5, 0.5, 0.5], out);
      for (let j = 0; j < 4; j++) {
        // bit-exact: the fixture was recorded with the state rounded to float32 after every step, as here
        expect(s[j]).toBe(ep.f32[k][j]);
        if (k < ep.f64.length) expect(s[j]).toBeCloseTo(ep.f64[k][j], 4); // float32 storage drift only
      }
      expect(out.reward).toBe(ep.reward[k]);
      expect(out.terminated).toBe(ep.terminated[k]);
      expect(out.truncated).toBe(ep.truncated[k]);
    }
    expect(out.terminated).toBe(true);
  });
});

describe('cartpole: hand-checked cases', () => {
  it('first step from the zero state, push right: exact rational numbers', () => {
    // F = 10, θ = 0: temp = 10/1.1 = 100/11; θ̈ = −temp / (0.5(4/3 − 0.1/1.1)) = −(100/11)/(41/66) = −600/41;
    // ẍ = temp − 0.05·θ̈/1.1 = 100/11 + 300/451 = 4400/451; ẋ' = 0.02·ẍ = 88/451; θ̇' = 0.02·θ̈ = −12/41.
    const { s, out } = stepFrom([0, 0, 0, 0], 1);
    expect(s[0]).toBe(0);
    expect(s[1]).toBe(f32(88 / 451));
    expect(s[2]).toBe(0);
    expect(s[3]).toBe(f32(-12 / 41));
    expect(s[4]).toBe(1);
    expect(out).toEqual({ reward: 1, terminated: false, truncated: false });
    // second step, push left: x'' = 0.02·88/451, θ'' = 0.02·(−12/41) (Euler uses the old velocities)
    const out2: StepResult = { reward: 0, terminated: false, truncated: false };
    cartpole.step(s, 0, [0], 0, [0, 0, 0, 0], out2);
    expect(s[0]).toBeCloseTo((0.02 * 88) / 451, 8);
    expect(s[2]).toBeCloseTo((0.02 * -12) / 41, 8);
  });

  it('pushing left mirrors pushing right', () => {
    const { s } = stepFrom([0, 0, 0, 0], 0);
    expect(s[1]).toBe(f32(-88 / 451));
    expect(s[3]).toBe(f32(12 / 41));
  });

  it('terminates strictly beyond ±2.4: neighbouring float32 positions on either side', () => {
    const inside = f32Next(f32(2.4), -1); // 2.39999986 < 2.4
    const outside = f32(2.4); // 2.40000010 > 2.4 (2.4 is not a float32)
    expect(inside).toBeLessThan(2.4);
    expect(outside).toBeGreaterThan(2.4);
    for (const sign of [1, -1]) {
      const a = stepFrom([sign * inside, 0, 0, 0], 1);
      expect(a.out.terminated).toBe(false);
      const b = stepFrom([sign * outside, 0, 0, 0], 1);
      expect(b.out.terminated).toBe(true);
      expect(b.out.reward).toBe(1); // reward 1 on the terminal step
      expect(gymCartPoleStep([sign * inside, 0, 0, 0], 1).terminated).toBe(false);
      expect(gymCartPoleStep([sign * outside, 0, 0, 0], 1).terminated).toBe(true);
    }
    // by motion: x = 2.39, ẋ = 0.4 → x' = 2.398 (inside); ẋ = 0.6 → 2.402 (outside)
    expect(stepFrom([2.39, 0.4, 0, 0], 1).out.terminated).toBe(false);
    expect(stepFrom([2.39, 0.6, 0, 0], 1).out.terminated).toBe(true);
    expect(stepFrom([-2.39, -0.6, 0, 0], 0).out.terminated).toBe(true);
  });

  it('terminates strictly beyond ±12° = 0.20943951 rad', () => {
    const thr = (12 * 2 * Math.PI) / 360;
    const below = f32(thr) < thr ? f32(thr) : f32Next(f32(thr), -1);
    const above = f32(thr) > thr ? f32(thr) : f32Next(f32(thr), 1);
    for (const sign of [1, -1]) {
      expect(stepFrom([0, 0, sign * below, 0], 1).out.terminated).toBe(false);
      expect(stepFrom([0, 0, sign * above, 0], 1).out.terminated).toBe(true);
    }
    // 11.9° and 12.1° reached by motion
    const deg = Math.PI / 180;
    expect(stepFrom([0, 0, 11.9 * deg - 0.02 * 0.1, 0.1], 1).out.terminated).toBe(false);
    expect(stepFrom([0, 0, 12.1 * deg - 0.02 * 0.1, 0.1], 1).out.terminated).toBe(true);
  });

  it('truncates when t reaches 500, unless terminated at the same step', () => {
    expect(stepFrom([0, 0, 0, 0], 1, 498).out).toEqual({ reward: 1, terminated: false, truncated: false });
    const at = stepFrom([0, 0, 0, 0], 1, 499);
    expect(at.out).toEqual({ reward: 1, terminated: false, truncated: true });
    expect(at.s[4]).toBe(500);
    expect(stepFrom([2.45, 0, 0, 0], 1, 499).out).toEqual({ reward: 1, terminated: true, truncated: false });
    const short = makeCartPole({ maxEpisodeSteps: 3 });
    expect(short.horizon).toBe(3);
    const s = new Float32Array([0, 0, 0, 0, 2]);
    const out: StepResult = { reward: 0, terminated: false, truncated: false };
    short.step(s, 0, [1], 0, [0, 0, 0, 0], out);
    expect(out.truncated).toBe(true);
  });

  it('reset: each variable = −0.05 + 0.1·u_i in [−0.05, 0.05), t = 0, a pure function of the uniforms', () => {
    const s = new Float32Array(5).fill(7);
    cartpole.reset(s, 0, [1e-9, 0.25, 0.5, 1 - 1e-9]);
    expect(Array.from(s)).toEqual([f32(-0.05 + 1e-10), f32(-0.025), 0, f32(0.05 - 1e-10), 0]);
    const u = new Float64Array(4);
    const seen: number[] = [];
    for (let k = 0; k < 500; k++) {
      uniform4(3, Purpose.Reset, k % 7, k, 0, u);
      cartpole.reset(s, 0, u);
      for (let i = 0; i < 4; i++) {
        expect(s[i]).toBe(f32(-0.05 + 0.1 * u[i]));
        expect(Math.abs(s[i])).toBeLessThanOrEqual(0.05);
        seen.push(s[i]);
      }
      const again = new Float32Array(5);
      cartpole.reset(again, 0, u);
      expect(again).toEqual(s);
    }
    // uniform over the range: mean ≈ 0, variance ≈ 0.1²/12
    const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
    const varr = seen.reduce((a, b) => a + (b - mean) ** 2, 0) / seen.length;
    expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(0.01 / 12 / seen.length));
    expect(varr).toBeCloseTo(0.01 / 12, 4);
  });

  it('observe copies the first four state floats', () => {
    const s = new Float32Array([0.1, -0.2, 0.03, 0.4, 17]);
    const obs = new Float32Array(6);
    cartpole.observe(s, 0, obs, 2);
    expect(Array.from(obs)).toEqual([0, 0, f32(0.1), f32(-0.2), f32(0.03), f32(0.4)]);
  });
});
