import { describe, expect, it } from 'vitest';
import { PhiloxStream, Purpose, sampleCategorical, uniform4 } from '../../src/core/rng';
import { ESTIMATORS } from '../../src/core/types';
import {
  computePsi,
  createRollout,
  criticTargets,
  episodeReturn,
  gae,
  maskedMean,
  psiKindFor,
  rewardToGo,
  RunningMeanBaseline,
  runningMean,
  tdErrors,
  gradMean,
  projections,
  traceCov,
  type Rollout,
} from '../../src/estimators';

// ---------------------------------------------------------------------------------------------------
// A slow, obviously-correct reference (CleanRL habit): per env, cut the time line into explicit
// episode segments, then write every quantity as the explicit finite sum of the theory.
// ---------------------------------------------------------------------------------------------------

type Segment = { start: number; end: number }; // inclusive step range of one env

/** Explicit segments of env e: a segment ends at a termination, a truncation, the last step, or before a masked step. */
function segmentsOf(r: Rollout, e: number): Segment[] {
  const segs: Segment[] = [];
  let start = -1;
  for (let t = 0; t < r.T; t++) {
    const i = t * r.N + e;
    if (r.mask && r.mask[i] === 0) {
      if (start >= 0) segs.push({ start, end: t - 1 });
      start = -1;
      continue;
    }
    if (start < 0) start = t;
    if (r.terminated[i] || r.truncated[i] || t === r.T - 1) {
      segs.push({ start, end: t });
      start = -1;
    }
  }
  return segs;
}

/** V used after step i: 0 after a termination, else V(real next obs). */
function bootstrapAfter(r: Rollout, i: number): number {
  return r.terminated[i] ? 0 : r.nextValues[i];
}

function deltaRef(r: Rollout, i: number, gamma: number): number {
  return r.rewards[i] + gamma * bootstrapAfter(r, i) - r.values[i];
}

/** Reference Ψ for every sample, 0 on masked samples. */
function reference(r: Rollout, kind: 'delta' | 'gae' | 'rtg' | 'episode', gamma: number, lambda = 0): Float64Array {
  const out = new Float64Array(r.T * r.N);
  const at = (t: number, e: number) => t * r.N + e;
  for (let e = 0; e < r.N; e++) {
    for (const { start, end } of segmentsOf(r, e)) {
      for (let t = start; t <= end; t++) {
        let v = 0;
        if (kind === 'delta') v = deltaRef(r, at(t, e), gamma);
        if (kind === 'gae') {
          // Â_t = Σ_{l=0}^{end−t} (γλ)^l δ_{t+l}
          for (let l = 0; l <= end - t; l++) v += Math.pow(gamma * lambda, l) * deltaRef(r, at(t + l, e), gamma);
        }
        if (kind === 'rtg' || kind === 'episode') {
          // G_t = Σ_{k=t}^{end} γ^{k−t} r_k + γ^{end−t+1} V_boot ; the episode return is G at the segment start
          const t0 = kind === 'rtg' ? t : start;
          for (let k = t0; k <= end; k++) v += Math.pow(gamma, k - t0) * r.rewards[at(k, e)];
          v += Math.pow(gamma, end - t0 + 1) * bootstrapAfter(r, at(end, e));
        }
        out[at(t, e)] = v;
      }
    }
  }
  return out;
}

/**
 * Random rollout with mixed terminations and truncations (sometimes both flags, sometimes a mask).
 * nextValues[t] = values[t+1] while the episode goes on; after a done or at the last step it is an
 * independent draw (the value of the real last observation, unrelated to the auto-reset state).
 */
function randomRollout(s: PhiloxStream, withMask: boolean): Rollout {
  const T = 1 + Math.floor(s.uniform() * 30);
  const N = 1 + Math.floor(s.uniform() * 7);
  const r = createRollout(T, N, withMask);
  const n = T * N;
  for (let i = 0; i < n; i++) {
    r.rewards[i] = 2 * s.normal();
    r.values[i] = s.normal();
    const u = s.uniform();
    r.terminated[i] = u < 0.12 ? 1 : 0;
    r.truncated[i] = u > 0.9 || (u < 0.03) ? 1 : 0; // u < 0.03: both flags (terminated wins)
    if (r.mask) r.mask[i] = s.uniform() < 0.15 ? 0 : 1;
  }
  for (let i = 0; i < n; i++) {
    const t = Math.floor(i / N);
    const goesOn = t < T - 1 && !r.terminated[i] && !r.truncated[i];
    r.nextValues[i] = goesOn ? r.values[i + N] : s.normal();
  }
  return r;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, n: number, tol: number): void {
  for (let i = 0; i < n; i++) {
    const scale = Math.max(1, Math.abs(want[i]));
    if (!(Math.abs(got[i] - want[i]) <= tol * scale)) {
      throw new Error(`index ${i}: got ${got[i]}, want ${want[i]} (tol ${tol})`);
    }
  }
}

/** Build a one-env rollout from plain arrays. */
function rollout1(rw: number[], v: number[], nv: number[], term: number[], trunc: number[]): Rollout {
  const r = createRollout(rw.length, 1);
  r.rewards.set(rw);
  r.values.set(v);
  r.nextValues.set(nv);
  r.terminated.set(term);
  r.truncated.set(trunc);
  return r;
}

describe('hand-derived numbers', () => {
  it("GAE on the seed's δ = (1.0, 0.5, −0.2), γ = 0.9: Â₀ = 1.0 at λ = 0 and 1.288 at λ = 1", () => {
    // V = (0.5, 1.0, 0.4), terminated after step 2. Rewards chosen so that the δ's are the seed's:
    //   δ₀ = r₀ + 0.9·V₁ − V₀ = r₀ + 0.9 − 0.5  = 1.0  ⇒ r₀ = 0.6
    //   δ₁ = r₁ + 0.9·V₂ − V₁ = r₁ + 0.36 − 1.0 = 0.5  ⇒ r₁ = 1.14
    //   δ₂ = r₂ + 0·V'  − V₂ = r₂ − 0.4        = −0.2 ⇒ r₂ = 0.2  (V' = 7 is ignored: terminated)
    const r = rollout1([0.6, 1.14, 0.2], [0.5, 1.0, 0.4], [1.0, 0.4, 7], [0, 0, 1], [0, 0, 0]);
    const out = new Float64Array(3);
    tdErrors(r, 0.9, out);
    expectClose(out, [1.0, 0.5, -0.2], 3, 1e-6);
    gae(r, 0.9, 0, out);
    expect(out[0]).toBeCloseTo(1.0, 6);
    // λ = 1: Â₀ = 1.0 + 0.9·0.5 + 0.81·(−0.2) = 1.0 + 0.45 − 0.162 = 1.288
    //        Â₁ = 0.5 + 0.9·(−0.2) = 0.32,  Â₂ = −0.2
    gae(r, 0.9, 1, out);
    expectClose(out, [1.288, 0.32, -0.2], 3, 1e-6);
    // λ = 0.5: Â₂ = −0.2, Â₁ = 0.5 + 0.45·(−0.2) = 0.41, Â₀ = 1.0 + 0.45·0.41 = 1.1845
    gae(r, 0.9, 0.5, out);
    expectClose(out, [1.1845, 0.41, -0.2], 3, 1e-6);
  });

  it('two-step actor-critic TD(0), terminated vs truncated at the end', () => {
    // γ = 0.9, r = (1, 2), V(s₀) = 0.5, V(s₁) = 1.5, V(real s₂) = 3.
    // Terminated after step 1:
    //   δ₀ = 1 + 0.9·1.5 − 0.5 = 1 + 1.35 − 0.5 = 1.85
    //   δ₁ = 2 + 0.9·0   − 1.5 = 0.5            (V(s₂) = 0 at a terminal state)
    const out = new Float64Array(2);
    tdErrors(rollout1([1, 2], [0.5, 1.5], [1.5, 3], [0, 1], [0, 0]), 0.9, out);
    expectClose(out, [1.85, 0.5], 2, 1e-6);
    // Truncated after step 1: bootstrap with V(real s₂) = 3:
    //   δ₁ = 2 + 0.9·3 − 1.5 = 2 + 2.7 − 1.5 = 3.2
    tdErrors(rollout1([1, 2], [0.5, 1.5], [1.5, 3], [0, 0], [0, 1]), 0.9, out);
    expectClose(out, [1.85, 3.2], 2, 1e-6);
    // Neither: the rollout's last step is cut like a truncation, same numbers.
    tdErrors(rollout1([1, 2], [0.5, 1.5], [1.5, 3], [0, 0], [0, 0]), 0.9, out);
    expectClose(out, [1.85, 3.2], 2, 1e-6);
  });

  it('reward-to-go and full-return REINFORCE on a two-env rollout', () => {
    // γ = 0.5, T = 5, N = 2 (index t·2 + e).
    // env 0: rewards 1,2,4 | 8,16 — terminated at t = 2 and t = 4 (two complete episodes)
    //   G = (1 + 0.5·2 + 0.25·4, 2 + 0.5·4, 4 | 8 + 0.5·16, 16) = (3, 4, 4 | 16, 16)
    //   R = 3 on the first segment, 16 on the second
    // env 1: rewards 1,1 | 2,2,2 — truncated at t = 1 with V(real s₂) = 10, then cut at t = 4 with V' = 4
    //   G₁ = 1 + 0.5·10 = 6, G₀ = 1 + 0.5·6 = 4;  G₄ = 2 + 0.5·4 = 4, G₃ = 2 + 0.5·4 = 4, G₂ = 2 + 0.5·4 = 4
    //   R = 4 on both segments (1 + 0.5 + 0.25·10 = 4; 2 + 1 + 0.5 + 0.125·4 = 4)
    const r = createRollout(5, 2);
    r.rewards.set([1, 1, 2, 1, 4, 2, 8, 2, 16, 2]);
    r.terminated.set([0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
    r.truncated.set([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    r.nextValues.set([0, 0, 0, 10, 99, 0, 0, 0, 99, 4]); // 99 after terminations: must be ignored
    const out = new Float64Array(10);
    rewardToGo(r, 0.5, out);
    expectClose(out, [3, 4, 4, 6, 4, 4, 16, 4, 16, 4], 10, 1e-12);
    episodeReturn(r, 0.5, out);
    expectClose(out, [3, 4, 3, 4, 3, 4, 16, 4, 16, 4], 10, 1e-12);
  });
});

describe('against the slow reference on random rollouts', () => {
  const cases = 300;
  it('GAE, TD errors, reward-to-go and episode return equal the explicit sums (any γ, λ ∈ [0,1])', () => {
    const s = new PhiloxStream(11, Purpose.Init);
    const out = new Float64Array(30 * 7);
    for (let c = 0; c < cases; c++) {
      const r = randomRollout(s, c % 3 === 0);
      const n = r.T * r.N;
      // endpoints included: γ, λ ∈ {0, 1} and random interiors
      const gamma = c % 10 === 0 ? 1 : c % 10 === 1 ? 0 : s.uniform();
      const lambda = c % 7 === 0 ? 1 : c % 7 === 1 ? 0 : s.uniform();
      expectClose(gae(r, gamma, lambda, out), reference(r, 'gae', gamma, lambda), n, 1e-9);
      expectClose(tdErrors(r, gamma, out), reference(r, 'delta', gamma), n, 1e-9);
      expectClose(rewardToGo(r, gamma, out), reference(r, 'rtg', gamma), n, 1e-9);
      expectClose(episodeReturn(r, gamma, out), reference(r, 'episode', gamma), n, 1e-9);
    }
  });

  it('an f32 output agrees with the f64 reference to f32 precision', () => {
    const s = new PhiloxStream(12, Purpose.Init);
    const out = new Float32Array(30 * 7);
    for (let c = 0; c < 50; c++) {
      const r = randomRollout(s, false);
      expectClose(gae(r, 0.99, 0.95, out), reference(r, 'gae', 0.99, 0.95), r.T * r.N, 1e-5);
    }
  });

  it('λ = 0 is TD(0) and λ = 1 is G_t − V(s_t) (bootstrapped)', () => {
    const s = new PhiloxStream(13, Purpose.Init);
    const a = new Float64Array(30 * 7);
    const b = new Float64Array(30 * 7);
    for (let c = 0; c < 100; c++) {
      const r = randomRollout(s, c % 4 === 0);
      const n = r.T * r.N;
      const gamma = s.uniform();
      expect(Array.from(gae(r, gamma, 0, a).subarray(0, n))).toEqual(Array.from(tdErrors(r, gamma, b).subarray(0, n)));
      gae(r, gamma, 1, a);
      rewardToGo(r, gamma, b);
      for (let i = 0; i < n; i++) if (!r.mask || r.mask[i]) b[i] -= r.values[i];
      expectClose(a, b, n, 1e-9);
    }
  });

  it('masked samples get Ψ = 0 for every estimator', () => {
    const s = new PhiloxStream(14, Purpose.Init);
    const out = new Float64Array(30 * 7);
    for (let c = 0; c < 40; c++) {
      const r = randomRollout(s, true);
      for (const kind of ESTIMATORS) {
        computePsi(kind, r, 0.9, 0.8, 0.3, out);
        for (let i = 0; i < r.T * r.N; i++) if (r.mask![i] === 0) expect(out[i]).toBe(0);
      }
    }
  });
});

describe('bootstrapping', () => {
  /** All four Ψ's (γ = 0.9, λ = 0.7) of r, concatenated per kind. */
  function allPsi(r: Rollout): Float64Array[] {
    const n = r.T * r.N;
    return (['reinforce', 'reinforce-rtg', 'actor-critic', 'gae'] as const).map((k) =>
      computePsi(k, r, 0.9, 0.7, 0, new Float64Array(n)),
    );
  }

  it('after termination V = 0, after truncation V(real last obs), never V(auto-reset state)', () => {
    const s = new PhiloxStream(21, Purpose.Init);
    let terminations = 0;
    let truncations = 0;
    for (let c = 0; c < 30; c++) {
      const r = randomRollout(s, false);
      const { T, N } = r;
      const base = allPsi(r);
      for (let t = 0; t < T - 1; t++) {
        for (let e = 0; e < N; e++) {
          const i = t * N + e;
          if (!r.terminated[i] && !r.truncated[i]) continue;
          // 1) the value of the auto-reset state s_{t+1} (values[i+N]) must not reach any step ≤ t of env e
          const saved = r.values[i + N];
          r.values[i + N] = saved + 1000;
          const moved = allPsi(r);
          r.values[i + N] = saved;
          for (let k = 0; k < moved.length; k++) {
            for (let tt = 0; tt <= t; tt++) expect(moved[k][tt * N + e]).toBe(base[k][tt * N + e]);
          }
          // 2) nextValues at a termination is ignored everywhere; at a truncation it is the bootstrap:
          //    Â_t and δ_t move by γΔ, G_t by γΔ
          const savedNext = r.nextValues[i];
          r.nextValues[i] = savedNext + 1;
          const after = allPsi(r);
          r.nextValues[i] = savedNext;
          const [, rtg, td, adv] = [0, 1, 2, 3].map((k) => after[k][i] - base[k][i]);
          if (r.terminated[i]) {
            terminations++;
            for (let k = 0; k < after.length; k++) expectClose(after[k], base[k], T * N, 0);
          } else {
            truncations++;
            expect(td).toBeCloseTo(0.9, 5);
            expect(adv).toBeCloseTo(0.9, 5);
            expect(rtg).toBeCloseTo(0.9, 5);
          }
        }
      }
    }
    expect(terminations).toBeGreaterThan(20);
    expect(truncations).toBeGreaterThan(20);
  });

  it('the last rollout step is cut like a truncation (bootstrapped with nextValues)', () => {
    // One step, not done: Â = δ = r + γV' − V = 1 + 0.9·2 − 0.5 = 2.3 ; G = 1 + 0.9·2 = 2.8
    const r = rollout1([1], [0.5], [2], [0], [0]);
    const out = new Float64Array(1);
    expect(gae(r, 0.9, 0.95, out)[0]).toBeCloseTo(2.3, 6);
    expect(rewardToGo(r, 0.9, out)[0]).toBeCloseTo(2.8, 6);
    expect(episodeReturn(r, 0.9, out)[0]).toBeCloseTo(2.8, 6);
  });

  it('a valid step followed by a masked one is bootstrapped; the next valid step starts a new segment', () => {
    // steps: valid, masked, valid(last). γ = 0.5, rewards 1, 100, 2, V' = (4, 100, 6), V = 0.
    //   G₀ = 1 + 0.5·4 = 3 (cut before the masked step), G₁ = 0 (masked), G₂ = 2 + 0.5·6 = 5
    const r = createRollout(3, 1, true);
    r.rewards.set([1, 100, 2]);
    r.nextValues.set([4, 100, 6]);
    r.mask!.set([1, 0, 1]);
    const out = new Float64Array(3);
    expectClose(rewardToGo(r, 0.5, out), [3, 0, 5], 3, 1e-12);
    expectClose(episodeReturn(r, 0.5, out), [3, 0, 5], 3, 1e-12);
    expectClose(gae(r, 0.5, 1, out), [3, 0, 5], 3, 1e-12);
  });
});

describe('computePsi and critic targets', () => {
  it('dispatches each kind to its formula; reinforce-baseline is G − b', () => {
    const s = new PhiloxStream(31, Purpose.Init);
    const r = randomRollout(s, false);
    const n = r.T * r.N;
    const got = new Float64Array(n);
    const want = new Float64Array(n);
    const g = 0.97;
    expectClose(computePsi('reinforce', r, g, 0.5, 9, got), reference(r, 'episode', g), n, 1e-9);
    expectClose(computePsi('reinforce-rtg', r, g, 0.5, 9, got), reference(r, 'rtg', g), n, 1e-9);
    const rtg = reference(r, 'rtg', g);
    for (let i = 0; i < n; i++) want[i] = rtg[i] - 0.75;
    expectClose(computePsi('reinforce-baseline', r, g, 0.5, 0.75, got), want, n, 1e-9);
    expectClose(computePsi('actor-critic', r, g, 0.5, 9, got), reference(r, 'delta', g), n, 1e-9);
    expectClose(computePsi('gae', r, g, 0.5, 9, got), reference(r, 'gae', g, 0.5), n, 1e-9);
    expect(psiKindFor('ppo')).toBe('gae');
    expect(psiKindFor('actor-critic')).toBe('actor-critic');
  });

  it('critic target Â + V equals the bootstrapped G at λ = 1 and r + γV′ at λ = 0', () => {
    const s = new PhiloxStream(32, Purpose.Init);
    const r = randomRollout(s, false);
    const n = r.T * r.N;
    const t = new Float64Array(n);
    criticTargets(r, gae(r, 0.9, 1, t), t); // out aliases adv
    expectClose(t, reference(r, 'rtg', 0.9), n, 1e-9);
    criticTargets(r, gae(r, 0.9, 0, t), t);
    const want = new Float64Array(n);
    for (let i = 0; i < n; i++) want[i] = r.rewards[i] + 0.9 * (r.terminated[i] ? 0 : r.nextValues[i]);
    expectClose(t, want, n, 1e-9);
  });
});

describe('running-mean baseline', () => {
  it('seeds with the first batch mean, then b ← decay·b + (1 − decay)·m over the valid entries', () => {
    const b = new RunningMeanBaseline(0.9);
    expect(b.update(new Float32Array([1, 3]), 2)).toBe(2); // first: b = mean = 2
    // second batch mean 4 (the masked 100 is left out): b = 0.9·2 + 0.1·4 = 2.2
    expect(b.update(new Float32Array([4, 100, 4]), 3, new Uint8Array([1, 0, 1]))).toBeCloseTo(2.2, 12);
    expect(b.update(new Float32Array([5]), 1, new Uint8Array([0]))).toBeCloseTo(2.2, 12); // nothing valid
    const c = new RunningMeanBaseline(0.9);
    c.restore(b.state());
    expect(c.update(new Float32Array([0]), 1)).toBeCloseTo(0.9 * 2.2, 12);
    expect(runningMean(5, 1, 0.25, true)).toBe(1);
    expect(runningMean(5, 1, 0.25, false)).toBe(0.25 * 5 + 0.75 * 1);
    expect(maskedMean([1, 2, 3], 3)).toBe(2);
    expect(() => new RunningMeanBaseline(1)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------------
// Statistics on the two-armed Bernoulli bandit, written here as a pure function: 2 arms, success
// probabilities (0.2, 0.8), softmax over 2 logits z. One step, terminated.
//   π = softmax(z), p = π₁;  ∇_z log π(a) = e_a − π;  J = Σ_a π_a r̄_a;  ∂J/∂z₁ = p(1−p)(r̄₁ − r̄₀) = −∂J/∂z₀
// ---------------------------------------------------------------------------------------------------
describe('REINFORCE on the bandit (statistical, common random numbers)', () => {
  const P_ARM = [0.2, 0.8];
  const z = [0.4, -0.1];
  const e1 = Math.exp(z[1] - z[0]);
  const pi = [1 / (1 + e1), e1 / (1 + e1)];
  const p = pi[1];

  /** M bandit episodes as a T = 1 rollout; actions and rewards drawn with core/rng. */
  function play(seed: number, M: number): { r: Rollout; actions: Uint8Array } {
    const r = createRollout(1, M);
    const actions = new Uint8Array(M);
    const u = new Float64Array(4);
    for (let k = 0; k < M; k++) {
      uniform4(seed, Purpose.Action, k, 0, 0, u);
      const a = sampleCategorical(pi, 0, 2, u[0]);
      actions[k] = a;
      r.rewards[k] = u[1] < P_ARM[a] ? 1 : 0;
      r.terminated[k] = 1;
    }
    return { r, actions };
  }

  /** Per-sample gradient estimates ĝ_k = (e_{a_k} − π) Ψ_k as M groups of P = 2. */
  function grads(actions: Uint8Array, psi: ArrayLike<number>, M: number): Float64Array {
    const g = new Float64Array(2 * M);
    for (let k = 0; k < M; k++) {
      g[2 * k] = ((actions[k] === 0 ? 1 : 0) - pi[0]) * psi[k];
      g[2 * k + 1] = ((actions[k] === 1 ? 1 : 0) - pi[1]) * psi[k];
    }
    return g;
  }

  /** Mean and standard error of x[0 … M−1]. */
  function meanSe(x: ArrayLike<number>, M: number): { mean: number; se: number } {
    let s = 0;
    for (let k = 0; k < M; k++) s += x[k];
    const mean = s / M;
    let ss = 0;
    for (let k = 0; k < M; k++) ss += (x[k] - mean) ** 2;
    return { mean, se: Math.sqrt(ss / (M - 1) / M) };
  }

  /** Exact trace of Cov[ĝ] by enumerating (a, reward) with Ψ = reward − b. */
  function exactTrace(b: number): number {
    let m0 = 0;
    let m1 = 0;
    let s2 = 0;
    for (let a = 0; a < 2; a++) {
      for (let rew = 0; rew < 2; rew++) {
        const prob = pi[a] * (rew === 1 ? P_ARM[a] : 1 - P_ARM[a]);
        const g0 = ((a === 0 ? 1 : 0) - pi[0]) * (rew - b);
        const g1 = ((a === 1 ? 1 : 0) - pi[1]) * (rew - b);
        m0 += prob * g0;
        m1 += prob * g1;
        s2 += prob * (g0 * g0 + g1 * g1);
      }
    }
    return s2 - m0 * m0 - m1 * m1;
  }

  const M = 40000;
  it('E[∇log π] = 0; the REINFORCE mean is p(1−p)(r₁−r₀); a constant baseline keeps the mean and cuts the variance', () => {
    // The baseline comes from an independent warm-up batch (running mean of G), as in training.
    const warm = play(101, 2000);
    const G = rewardToGo(warm.r, 0.99, new Float64Array(2000));
    const baseline = new RunningMeanBaseline(0.9);
    const b = baseline.update(G, 2000);
    const J = pi[0] * P_ARM[0] + pi[1] * P_ARM[1];
    expect(Math.abs(b - J)).toBeLessThan(0.05);

    const { r, actions } = play(202, M);
    const psiPlain = computePsi('reinforce', r, 0.99, 0.95, 0, new Float64Array(M));
    const psiBase = computePsi('reinforce-baseline', r, 0.99, 0.95, b, new Float64Array(M));
    const gPlain = grads(actions, psiPlain, M);
    const gBase = grads(actions, psiBase, M);

    // E[∇_{z₁} log π] = 0 (score of the sampled action, Ψ ≡ 1)
    const score = grads(actions, new Float64Array(M).fill(1), M);
    const s1 = meanSe(projections(score, M, 2, [0, 1], new Float64Array(M)), M);
    expect(Math.abs(s1.mean)).toBeLessThan(3 * s1.se);

    // REINFORCE mean along z₁ equals p(1−p)(r̄₁ − r̄₀), with and without the baseline
    const truth = p * (1 - p) * (P_ARM[1] - P_ARM[0]);
    const plain = meanSe(projections(gPlain, M, 2, [0, 1], new Float64Array(M)), M);
    const based = meanSe(projections(gBase, M, 2, [0, 1], new Float64Array(M)), M);
    expect(Math.abs(plain.mean - truth)).toBeLessThan(3 * plain.se);
    expect(Math.abs(based.mean - truth)).toBeLessThan(3 * based.se);
    // the paired difference −b·∇log π has mean 0 within 3 standard errors
    const diff = new Float64Array(M);
    for (let k = 0; k < M; k++) diff[k] = gBase[2 * k + 1] - gPlain[2 * k + 1];
    const d = meanSe(diff, M);
    expect(Math.abs(d.mean)).toBeLessThan(3 * d.se);
    // the z₀ component is the mirror image (Σ_k ∂J/∂z_k = 0)
    expect(gradMean(gPlain, M, 2, new Float64Array(2))[0]).toBeCloseTo(-plain.mean, 12);

    // variance: the sample trace matches the exact enumeration, and the baseline cuts it
    const trPlain = traceCov(gPlain, M, 2, gradMean(gPlain, M, 2, new Float64Array(2)));
    const trBase = traceCov(gBase, M, 2, gradMean(gBase, M, 2, new Float64Array(2)));
    expect(Math.abs(trPlain / exactTrace(0) - 1)).toBeLessThan(0.05);
    expect(Math.abs(trBase / exactTrace(b) - 1)).toBeLessThan(0.05);
    expect(trBase).toBeLessThan(0.6 * trPlain);
  });
});
