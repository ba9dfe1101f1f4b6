import { describe, expect, it } from 'vitest';
import { PhiloxStream, Purpose, sampleCategorical, uniform4 } from '../../src/core/rng';
import type { EnvDef, StepResult } from '../../src/core/types';
import { banditModel, ENVS, makeEnv } from '../../src/envs/index';
import { exactGradient, exactGradientTabular, exactObjective, type ExactTarget } from '../../src/estimators/exact';

const logit = (p: number) => Math.log(p / (1 - p));

function randomTheta(n: number, r: PhiloxStream, scale = 2): Float64Array {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = (2 * r.uniform() - 1) * scale;
  return t;
}

/** Central finite differences of J: (J(θ + h e_i) − J(θ − h e_i)) / 2h. */
function fdGrad(target: ExactTarget, theta: Float64Array, gamma: number, h = 1e-5): Float64Array {
  const g = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    const tp = Float64Array.from(theta);
    const tm = Float64Array.from(theta);
    tp[i] += h;
    tm[i] -= h;
    g[i] = (exactObjective(target, tp, gamma) - exactObjective(target, tm, gamma)) / (2 * h);
  }
  return g;
}

describe('∇J equals central finite differences of J', () => {
  const r = new PhiloxStream(99, Purpose.Init);
  const cases: [ExactTarget, number][] = [
    ['bandit', 2],
    ['twostate', 4],
    ['corridor', 2],
  ];
  for (const [target, n] of cases) {
    for (const gamma of [1, 0.9]) {
      it(`${String(target)}, γ = ${gamma}, 5 random θ`, () => {
        for (let rep = 0; rep < 5; rep++) {
          const theta = randomTheta(n, r);
          const { grad, J } = exactGradient(target, theta, gamma);
          expect(Number.isFinite(J)).toBe(true);
          const fd = fdGrad(target, theta, gamma);
          for (let i = 0; i < n; i++) expect(grad[i]).toBeCloseTo(fd[i], 6);
        }
      });
    }
  }
  it('also for a model with other params (twostate slip 0.3, q 0.1, γ = 0.95)', () => {
    const env = makeEnv('twostate', { slip: 0.3, q: 0.1 });
    const theta = randomTheta(4, r);
    const { grad } = exactGradient(env, theta, 0.95);
    const fd = fdGrad(env, theta, 0.95);
    for (let i = 0; i < 4; i++) expect(grad[i]).toBeCloseTo(fd[i], 6);
  });
});

describe('bandit', () => {
  it('∂J/∂z₁ = p(1−p)(r₁ − r₀), J = 0.2(1−p) + 0.8p with p = π(1)', () => {
    for (const p of [0.1, 0.37, 0.5, 0.9]) {
      const theta = [0.3, 0.3 + logit(p)];
      const { J, grad, pi } = exactGradient('bandit', theta, 0.99);
      expect(pi[1]).toBeCloseTo(p, 14);
      expect(J).toBeCloseTo(0.2 * (1 - p) + 0.8 * p, 14);
      expect(grad[1]).toBeCloseTo(p * (1 - p) * (0.8 - 0.2), 14);
      expect(grad[0]).toBeCloseTo(-p * (1 - p) * (0.8 - 0.2), 14);
    }
  });
  it('the closed form equals the general linear solve on the bandit model', () => {
    const theta = [-0.4, 1.1];
    const a = exactGradient('bandit', theta, 1);
    const b = exactGradientTabular(banditModel(), theta, 1);
    expect(a.J).toBeCloseTo(b.J, 14);
    for (let i = 0; i < 2; i++) expect(a.grad[i]).toBeCloseTo(b.grad[i], 14);
  });
});

describe('twostate', () => {
  it('uniform policy, γ = 1, by hand: V = (2.75, 3.25)', () => {
    // With π uniform the next state is 0 or 1 w.p. ½ each (0.5·0.9 + 0.5·0.1); continuing w.p. 0.75:
    // V(s) = r̄(s) + 0.75·M, M = (V0 + V1)/2, r̄ = (0.5, 1) → M = 0.75 + 0.75M → M = 3.
    const { J, V, Q, d } = exactGradient('twostate', [0, 0, 0, 0], 1);
    expect(V[0]).toBeCloseTo(2.75, 12);
    expect(V[1]).toBeCloseTo(3.25, 12);
    expect(J).toBeCloseTo(2.75, 12);
    // Q(0,0) = 1 + 0.75(0.9 V0 + 0.1 V1)
    expect(Q[0]).toBeCloseTo(1 + 0.75 * (0.9 * 2.75 + 0.1 * 3.25), 12);
    // total discounted visitation = expected episode length = 1/q = 4
    expect(d[0] + d[1]).toBeCloseTo(4, 12);
  });
  it('uses the env params: q = 0.5 gives M = 1.5, V0 = 1.25', () => {
    expect(exactObjective(makeEnv('twostate', { q: 0.5 }), [0, 0, 0, 0], 1)).toBeCloseTo(1.25, 12);
  });
});

describe('corridor (Sutton & Barto Ex. 13.1)', () => {
  /**
   * By hand, p = π(right), γ = 1 (state 1 switched):
   *   V0 = −1 + (1−p)V0 + pV1,  V1 = −1 + pV0 + (1−p)V2,  V2 = −1 + (1−p)V1
   * ⇒ V1 = V0 + 1/p, V2 = −1 + (1−p)V1, and p(1−p)V0 = −2(2−p) ⇒ J(p) = V0 = (2p − 4)/(p(1−p)).
   * dJ/dp = 0 ⇔ p² − 4p + 2 = 0 ⇔ p* = 2 − √2 ≈ 0.586, J(p*) = −2√2/(3√2 − 4) ≈ −11.657.
   */
  const closed = (p: number) => (2 * p - 4) / (p * (1 - p));

  it('J(p) and V equal the hand-derived closed form', () => {
    for (const p of [0.05, 0.3, 0.5, 0.586, 0.8, 0.97]) {
      const { J, V } = exactGradient('corridor', [0.2, 0.2 + logit(p)], 1);
      expect(J).toBeCloseTo(closed(p), 9);
      expect(V[1]).toBeCloseTo(closed(p) + 1 / p, 9);
      expect(V[2]).toBeCloseTo(-1 + (1 - p) * (closed(p) + 1 / p), 9);
      expect(V[3]).toBe(0);
    }
  });

  it('the maximum over p is at p ≈ 0.59 with J ≈ −11.6', () => {
    let best = -Infinity;
    let bestP = 0;
    for (let i = 1; i < 1000; i++) {
      const p = i / 1000;
      const J = exactObjective('corridor', [0, logit(p)], 1);
      if (J > best) {
        best = J;
        bestP = p;
      }
    }
    expect(Math.abs(bestP - 0.59)).toBeLessThan(0.01);
    expect(bestP).toBeCloseTo(2 - Math.SQRT2, 3);
    expect(best).toBeCloseTo(-11.657, 3);
    // at p* exactly: the closed-form optimum, and ∇J vanishes
    const { J, grad } = exactGradient('corridor', [0, logit(2 - Math.SQRT2)], 1);
    expect(J).toBeCloseTo((-2 * Math.SQRT2) / (3 * Math.SQRT2 - 4), 9);
    expect(J).toBeGreaterThanOrEqual(best);
    expect(Math.abs(grad[0]) + Math.abs(grad[1])).toBeLessThan(1e-9);
  });

  it('the discounted visitation sums to the expected episode length −J (reward −1 a step)', () => {
    const { J, d } = exactGradient('corridor', [0, 0.4], 1);
    expect(d[0] + d[1] + d[2]).toBeCloseTo(-J, 10);
  });

  it('a never-ending policy under γ = 1 has no finite value (NaN), and γ < 1 still works', () => {
    expect(exactObjective('corridor', [0, 1000], 1)).toBeNaN();
    expect(exactObjective('corridor', [0, 1000], 0.5)).toBeCloseTo(-1 / (1 - 0.5), 10);
  });
});

describe('Monte-Carlo returns of the env step functions agree with the exact J (within 3 SE)', () => {
  /**
   * Simulate `episodes` episodes of `env` under the tabular softmax θ: actions from
   * sampleCategorical(π(row), u0) with uniform4(seed, Action, env=i, k), transitions with
   * uniform4(seed, Env, i, k), resets with uniform4(seed, Reset, i, 0). Returns mean and SE of Σ γ^t r_t.
   */
  function monteCarlo(env: EnvDef, theta: ArrayLike<number>, gamma: number, episodes: number, seed: number) {
    const nA = 2;
    const nRows = env.tabular!.nStates;
    const pi = new Float64Array(nRows * nA);
    for (let o = 0; o < nRows; o++) {
      const z0 = Math.exp(theta[o * nA]);
      const z1 = Math.exp(theta[o * nA + 1]);
      pi[o * nA] = z0 / (z0 + z1);
      pi[o * nA + 1] = z1 / (z0 + z1);
    }
    const s = new Float32Array(env.stateDim);
    const obs = new Float32Array(env.obsDim);
    const act = new Float32Array(1);
    const u = new Float64Array(4);
    const out: StepResult = { reward: 0, terminated: false, truncated: false };
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < episodes; i++) {
      env.reset(s, 0, uniform4(seed, Purpose.Reset, i, 0, 0, u));
      let G = 0;
      let disc = 1;
      for (let k = 0; ; k++) {
        env.observe(s, 0, obs, 0);
        const row = nRows === 1 ? 0 : obs.indexOf(1);
        act[0] = sampleCategorical(pi, row * nA, nA, uniform4(seed, Purpose.Action, i, k, 0, u)[0]);
        env.step(s, 0, act, 0, uniform4(seed, Purpose.Env, i, k, 0, u), out);
        G += disc * out.reward;
        disc *= gamma;
        if (out.terminated || out.truncated) break;
      }
      sum += G;
      sum2 += G * G;
    }
    const mean = sum / episodes;
    const se = Math.sqrt((sum2 / episodes - mean * mean) / episodes);
    return { mean, se };
  }

  const cases: [keyof typeof ENVS, number[], number, number][] = [
    ['bandit', [0.3, -0.5], 1, 20000],
    ['twostate', [0.5, -0.2, -1, 1.3], 1, 8000],
    ['twostate', [-0.7, 0.4, 0.9, 0.1], 0.9, 8000],
    ['corridor', [0, logit(0.6)], 1, 4000],
    ['corridor', [0, logit(0.35)], 0.9, 4000],
  ];
  it.each(cases)('%s θ=%j γ=%d', (name, theta, gamma, episodes) => {
    const env = ENVS[name];
    const J = exactObjective(env, theta, gamma);
    const { mean, se } = monteCarlo(env, theta, gamma, episodes, 2024);
    expect(se).toBeGreaterThan(0);
    expect(Math.abs(mean - J)).toBeLessThan(3 * se);
  });
});
