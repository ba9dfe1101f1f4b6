import { describe, expect, it } from 'vitest';
import { boxMuller, Purpose, uniform4 } from '../../src/core/rng';
import type { StepResult } from '../../src/core/types';
import { fillProbability, limitorder, makeLimitOrder } from '../../src/envs/limitorder';

const f32 = Math.fround;
const newOut = (): StepResult => ({ reward: NaN, terminated: true, truncated: true });

function expectFreq(count: number, n: number, p: number): void {
  const se = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(count / n - p)).toBeLessThanOrEqual(4 * se + 1e-12);
}

describe('limitorder', () => {
  it('declares the contract shape and parameters', () => {
    expect(limitorder).toMatchObject({ name: 'limitorder', obsDim: 3, stateDim: 3, actDim: 2, horizon: 10 });
    expect(limitorder.action.kind).toBe('box');
    expect(limitorder.params).toEqual({ H: 10, sigma: 0.02, deltaMax: 0.1, kappa: 20, phi: 2, qEps: 1e-6 });
  });

  it('reset: q = 1, m = 0, t = 0 whatever the uniforms; obs [q, m/(σ√H), t/H]', () => {
    const s = new Float32Array(3).fill(9);
    limitorder.reset(s, 0, [0.1, 0.2, 0.3, 0.4]);
    expect(Array.from(s)).toEqual([1, 0, 0]);
    const obs = new Float32Array(3);
    limitorder.observe(new Float32Array([0.25, 0.01, 4]), 0, obs, 0);
    expect(obs[0]).toBe(0.25);
    expect(obs[1]).toBeCloseTo(f32(0.01) / (0.02 * Math.sqrt(10)), 6); // 0.1581
    expect(obs[2]).toBe(f32(0.4));
  });

  it('hand-checked step: fill sells f·q at 1 + m + δ, then m moves by σ·z', () => {
    // q = 1, m = 0.01, a = (0.5, 0.5): f = 0.5, δ = 0.05, P(fill) = e^{−1} ≈ 0.368; u0 = 0.3 fills
    const s = new Float32Array([1, 0.01, 0]);
    const out = newOut();
    const u = [0.3, 0.4, 0.7, 0.5];
    limitorder.step(s, 0, [0.5, 0.5], 0, u, out);
    expect(out.reward).toBeCloseTo(0.5 * (1 + 0.01 + 0.05), 7); // 0.53
    expect(s[0]).toBe(0.5);
    expect(s[1]).toBe(f32(f32(0.01) + 0.02 * boxMuller(0.4, 0.7)));
    expect(s[2]).toBe(1);
    expect(out.terminated).toBe(false);
    expect(out.truncated).toBe(false);
    // u0 = 0.4 > e^{−1}: no fill, no cash, same inventory; the price still moves
    const s2 = new Float32Array([1, 0.01, 0]);
    limitorder.step(s2, 0, [0.5, 0.5], 0, [0.4, 0.4, 0.7, 0.5], out);
    expect(out.reward).toBe(0);
    expect(s2[0]).toBe(1);
    expect(s2[1]).toBe(s[1]);
  });

  it('clips the raw action: f = clip(a0, 0, 1), δ = 0.1·clip(a1, 0, 1)', () => {
    const out = newOut();
    // a0 = −0.3 → f = 0: nothing sold even when filled
    const s = new Float32Array([0.8, 0, 2]);
    limitorder.step(s, 0, [-0.3, 0.2], 0, [1e-6, 0.5, 0.5, 0.5], out);
    expect(out.reward).toBe(0);
    expect(s[0]).toBe(f32(0.8));
    // a0 = 1.7 → f = 1, a1 = 3 → δ = 0.1: sells everything at 1 + m + 0.1 and ends (q ≤ 1e−6), no penalty
    const s2 = new Float32Array([0.8, 0.02, 2]);
    limitorder.step(s2, 0, [1.7, 3], 0, [0.1, 0.5, 0.5, 0.5], out);
    expect(out.reward).toBeCloseTo(0.8 * (1 + 0.02 + 0.1), 6);
    expect(s2[0]).toBe(0);
    expect(out.terminated).toBe(true);
    expect(out.truncated).toBe(false);
    // a1 = −5 → δ = 0: always filled (P = 1), at price 1 + m
    const s3 = new Float32Array([1, 0, 0]);
    limitorder.step(s3, 0, [0.25, -5], 0, [0.999999, 0.5, 0.5, 0.5], out);
    expect(out.reward).toBeCloseTo(0.25, 7);
  });

  it('fill frequency is exp(−κδ) for δ ∈ {0.0125, 0.05, 0.1} with uniforms from core/rng', () => {
    const s = new Float32Array(3);
    const u = new Float64Array(4);
    const out = newOut();
    const n = 20000;
    for (const [a1, delta] of [
      [0.125, 0.0125],
      [0.5, 0.05],
      [1, 0.1],
    ]) {
      const p = Math.exp(-20 * delta);
      expect(fillProbability(delta)).toBeCloseTo(p, 15);
      let fills = 0;
      for (let k = 0; k < n; k++) {
        limitorder.reset(s, 0, u);
        uniform4(41, Purpose.Env, 0, k, 0, u);
        limitorder.step(s, 0, [0.5, a1], 0, u, out);
        fills += +(s[0] < 1);
      }
      expectFreq(fills, n, p);
    }
  });

  it('terminates at t = H with the penalty φ·q_left (never truncated)', () => {
    const s = new Float32Array(3);
    const out = newOut();
    limitorder.reset(s, 0, [0.5, 0.5, 0.5, 0.5]);
    for (let k = 0; k < 10; k++) {
      limitorder.step(s, 0, [0, 0], 0, [0.5, 0.3, 0.6, 0.5], out); // f = 0: never sells
      expect(out.terminated).toBe(k === 9);
      expect(out.truncated).toBe(false);
      expect(out.reward).toBe(k === 9 ? -2 : 0); // −φ·1
    }
    const short = makeLimitOrder({ H: 3, phi: 0.5 });
    expect(short.horizon).toBe(3);
    const s2 = new Float32Array([0.4, 0, 2]);
    short.step(s2, 0, [0, 0], 0, [0.5, 0.5, 0.5, 0.5], out);
    expect(out.terminated).toBe(true);
    expect(out.reward).toBeCloseTo(-0.5 * 0.4, 7);
  });

  it('random episodes: q ∈ [0,1] non-increasing, return = cash − φ·q_left, terminal by H, m a σ random walk', () => {
    const seed = 3;
    const s = new Float32Array(3);
    const u = new Float64Array(4);
    const ua = new Float64Array(4);
    const a = new Float32Array(2);
    const out = newOut();
    let k = 0;
    let dmSum = 0;
    let dm2Sum = 0;
    let dmN = 0;
    let soldOut = 0;
    const bad: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok && bad.length < 5) bad.push(`${what} (k=${k})`);
    };
    for (let ep = 0; ep < 1000; ep++) {
      uniform4(seed, Purpose.Reset, 0, k, 0, u);
      limitorder.reset(s, 0, u);
      let ret = 0;
      let cash = 0;
      let len = 0;
      for (;;) {
        uniform4(seed, Purpose.Action, 0, k, 0, ua);
        a[0] = 0.3 + 0.5 * boxMuller(ua[0], ua[1]);
        a[1] = 0.4 + 0.5 * boxMuller(ua[2], ua[3]);
        const q0 = s[0];
        const m0 = s[1];
        uniform4(seed, Purpose.Env, 0, k, 0, u);
        limitorder.step(s, 0, a, 0, u, out);
        k++;
        len++;
        check(s[0] >= 0 && s[0] <= q0, 'q in [0, q_before]');
        const delta = 0.1 * Math.min(Math.max(a[1], 0), 1);
        cash += (q0 - s[0]) * (1 + m0 + delta); // what was sold, at the limit price
        const dm = s[1] - m0;
        check(Math.abs(dm - 0.02 * boxMuller(u[1], u[2])) < 1e-6, 'm step = σ·z');
        dmSum += dm;
        dm2Sum += dm * dm;
        dmN++;
        ret += out.reward;
        check(!out.truncated, 'never truncated');
        if (out.terminated) break;
        check(len < 10, 'terminal at H');
      }
      check(s[2] === len, 't = episode length');
      if (len < 10) {
        soldOut++;
        check(s[0] <= 1e-6, 'early end only when sold out');
        check(Math.abs(ret - cash) < 1e-5, 'return = cash');
      } else {
        check(Math.abs(ret - (cash - 2 * s[0])) < 1e-5, 'return = cash − φ·q_left');
      }
    }
    expect(bad).toEqual([]);
    expect(soldOut).toBeGreaterThan(0);
    expect(soldOut).toBeLessThan(1000);
    const mean = dmSum / dmN;
    const sd = Math.sqrt(dm2Sum / dmN - mean * mean);
    expect(Math.abs(mean)).toBeLessThan((4 * 0.02) / Math.sqrt(dmN));
    expect(sd).toBeCloseTo(0.02, 3);
  });
});
