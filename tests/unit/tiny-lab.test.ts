/**
 * The Tiny-MDP lab's added worlds and its log-axis ticks, against independent references:
 *  - the seed's scalar bandit (arms pay 1 and 0, p = σ(θ)): J = p and dJ/dθ = p(1 − p), checked
 *    against central differences of the exact J in θ and the hand formula, and the sampler's mean
 *    estimate against it within a CLT bound;
 *  - the corridor: its exact J (estimators/exact.ts on the env's own table) maximised numerically
 *    here in the test lands on 2 − √2, the hand-derived optimum; the lab's marked optimum is the same
 *    point; J(p) agrees with the Bellman equations solved by hand, and sampled returns of the env's
 *    own `step` average to J;
 *  - logTickLabel: 1, 10, 100, 1k, 10k … and 0.001, 1e-4 (never "0").
 */
import { describe, expect, it } from 'vitest';
import { corridorNext, CORRIDOR_GOAL } from '../../src/envs/corridor';
import { exactObjective } from '../../src/estimators/exact';
import { categoricalLogProb, categoricalLogProbGrad, softmax } from '../../src/policy/heads';
import { ppoClipLoss, ppoTerm } from '../../src/estimators/losses';
import { logAxisValues, logTickLabel } from '../../src/ui/ticks';
import {
  convergence,
  exactGrad,
  exactJ,
  jCurve,
  makeWorld,
  meanGrad,
  optimum,
  plainStep,
  ppoClipStep,
  sampleTrajectories,
  thetaFromProbs,
  visitKl,
  type Trajectory,
} from '../../src/ui/lab/tiny-model';

const sigma = (x: number) => 1 / (1 + Math.exp(-x));

describe('log-axis tick labels', () => {
  it('powers of ten read 1, 10, 100, 1k, 10k, 100k, 1M and 0.1, 0.01, 0.001, 1e-4', () => {
    const ups = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e9, 1e12].map(logTickLabel);
    expect(ups).toEqual(['1', '10', '100', '1k', '10k', '100k', '1M', '1G', '1T']);
    const downs = [0.1, 0.01, 0.001, 1e-4, 1e-5, 1e-12].map(logTickLabel);
    expect(downs).toEqual(['0.1', '0.01', '0.001', '1e-4', '1e-5', '1e-12']);
  });
  it('in-between ticks keep their digits; float noise is dropped; nothing reads "0"', () => {
    expect([2, 5, 20, 50, 2000, 2500, 5e4, 0.5, 0.05, 0.002, 2.5e-4].map(logTickLabel)).toEqual(['2', '5', '20', '50', '2k', '2.5k', '50k', '0.5', '0.05', '0.002', '2.5e-4']);
    expect(logTickLabel(0.1 + 0.2)).toBe('0.3');
    expect(logTickLabel(1000.0000000001)).toBe('1k');
    expect(logTickLabel(Math.pow(10, -3))).toBe('0.001');
    // every power of ten from 1e-15 to 1e15 names its own magnitude: parse it back
    const unit: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
    for (let e = -15; e <= 15; e++) {
      const v = 10 ** e;
      const s = logTickLabel(v);
      expect(s).not.toBe('0');
      const m = /^([\d.e-]+)([kMGT]?)$/.exec(s)!;
      expect((Number(m[1]) * (unit[m[2]] ?? 1)) / v).toBeCloseTo(1, 12);
    }
    // a log axis cannot show these: empty
    expect([0, -1, NaN, Infinity].map(logTickLabel)).toEqual(['', '', '', '']);
  });
  it('as uPlot axis values: null splits (thinned out by uPlot) stay blank', () => {
    expect(logAxisValues(null, [1, null, null, 10, null, 100, 1000])).toEqual(['1', '', '', '10', '', '100', '1k']);
    // the splits that read "1, 0, 0, 0" with uPlot's default (Intl, 3 decimals) on the lab's error axis
    expect(logAxisValues(null, [1e-4, 1e-3, 0.01, 0.1, 1]).reverse()).toEqual(['1', '0.1', '0.01', '0.001', '1e-4']);
  });
});

describe("the seed's scalar bandit: J = p = σ(θ), dJ/dθ = p(1 − p)", () => {
  const w = makeWorld('scalar-bandit');
  /** the world's θ vector for the scalar θ: z₀ pinned at 0, z₁ = θ */
  const vec = (theta: number) => Float64Array.of(0, theta);
  const J = (theta: number) => exactJ(w.model, vec(theta), 1);

  it('p = σ(θ) is the policy of the code that trains (heads.ts softmax of (0, θ))', () => {
    for (const theta of [-3, -0.4, 0, 1.7]) {
      const pi = new Float64Array(2);
      softmax(vec(theta), 0, 2, pi, 0);
      expect(pi[1]).toBeCloseTo(sigma(theta), 14);
      // the slider's θ for p is logit p
      expect(thetaFromProbs([sigma(theta)])[1]).toBeCloseTo(theta, 12);
    }
  });

  it('exact J = p and ∂J/∂θ = p(1 − p) = central differences of J(θ), for any γ', () => {
    for (const theta of [-4, -1.2, 0, 0.3, 2.5]) {
      const p = sigma(theta);
      expect(J(theta)).toBeCloseTo(p, 14);
      const h = 1e-5;
      const fd = (J(theta + h) - J(theta - h)) / (2 * h);
      for (const gamma of [1, 0.5]) {
        const g = exactGrad(w.model, vec(theta), gamma);
        expect(g[1]).toBeCloseTo(p * (1 - p), 14);
        expect(g[1]).toBeCloseTo(fd, 9);
      }
    }
  });

  it('sampled estimates (arm 1 pays 1, arm 0 pays 0) average to p(1 − p) within a CLT bound', () => {
    const p = 0.3;
    const th = thetaFromProbs([p]);
    const n = 20000;
    const trajs = sampleTrajectories(w, th, 0, n, 3, 1, 'reinforce', 0);
    // deterministic rewards: r = a
    for (const t of trajs.slice(0, 200)) expect(t.steps[0].r).toBe(t.steps[0].a);
    const m = meanGrad(trajs, 2);
    // ĝ(τ) = (1[a=1] − p)·r = (1 − p)·1[a=1]: mean p(1 − p), variance p(1 − p)²
    const se = (1 - p) * Math.sqrt(p * (1 - p) / n);
    expect(Math.abs(m[1] - p * (1 - p))).toBeLessThan(4 * se);
    // the convergence curve counts θ only (z₀ is not a parameter here)
    const exact = exactGrad(w.model, th, 1);
    const [ns, errs] = convergence(trajs, exact, 2, w.free);
    expect(ns[ns.length - 1]).toBe(n);
    expect(errs[errs.length - 1]).toBeCloseTo(Math.abs(m[1] - exact[1]), 14);
  });

  it('steps move θ only: z₀ stays 0 and the plain step is θ + α·ĝ', () => {
    const th = thetaFromProbs([0.4]);
    const trajs = sampleTrajectories(w, th, 0, 100, 1, 1, 'reinforce', 0);
    const g = meanGrad(trajs, 2);
    const plain = plainStep(w, th, g, 2, 1, trajs);
    expect(plain.theta[0]).toBe(0);
    expect(plain.theta[1]).toBeCloseTo(th[1] + 2 * g[1], 14);
    expect(plain.jAfter).toBeCloseTo(sigma(plain.theta[1]), 14);
    expect(ppoClipStep(w, th, 2, 0.2, 1, trajs).theta[0]).toBe(0);
    // J = p rises to the right end: no interior optimum to mark
    expect(optimum(w, 1)).toBeNull();
  });
});

describe('the corridor: the best stochastic policy is p(right) = 2 − √2', () => {
  const w = makeWorld('corridor');
  const Jp = (p: number, gamma = 1) => exactObjective(w.model, thetaFromProbs([p]), gamma);

  it('maximising its exact J numerically (ternary search here) lands on 2 − √2', () => {
    let lo = 0.01;
    let hi = 0.99;
    for (let it = 0; it < 200; it++) {
      const a = lo + (hi - lo) / 3;
      const b = hi - (hi - lo) / 3;
      if (Jp(a) < Jp(b)) lo = a;
      else hi = b;
    }
    const pStar = (lo + hi) / 2;
    expect(pStar).toBeCloseTo(2 - Math.SQRT2, 6);
    // the optimum's J: −(4 − 2p)/(p(1 − p)) at p = 2 − √2 is −(6 + 4√2) ≈ −11.657
    expect(Jp(pStar)).toBeCloseTo(-(6 + 4 * Math.SQRT2), 8);
    // the lab marks the same point (its own golden-section search on the same J)
    const best = optimum(w, 1)!;
    expect(best.p).toBeCloseTo(pStar, 6);
    expect(best.J).toBeCloseTo(Jp(pStar), 9);
    // and J(p) on its chart peaks there
    const ps = Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
    const js = jCurve(w, 1, ps);
    expect(ps[js.indexOf(Math.max(...js))]).toBe(0.59);
  });

  it('J(p) from exact.ts solves the Bellman equations written from corridorNext by hand', () => {
    // V(s) = −1 + p·V(next(s, right)) + (1 − p)·V(next(s, left)), V(G) = 0, from the env's own moves
    for (const p of [0.1, 0.35, 0.5, 0.8]) {
      for (const gamma of [1, 0.9]) {
        // Gauss–Seidel on the 3 unknowns until it settles
        const V = [0, 0, 0, 0];
        for (let it = 0; it < 20000; it++) {
          for (let s = 0; s < CORRIDOR_GOAL; s++) {
            const v = (a: number) => (corridorNext(s, a) === CORRIDOR_GOAL ? 0 : V[corridorNext(s, a)]);
            V[s] = -1 + gamma * (p * v(1) + (1 - p) * v(0));
          }
        }
        expect(Jp(p, gamma)).toBeCloseTo(V[0], 8);
      }
      // γ = 1 closed form of the same equations
      expect(Jp(p)).toBeCloseTo(-(4 - 2 * p) / (p * (1 - p)), 9);
    }
    // γ < 1 moves the optimum, and the lab's marker follows the exact J
    const b9 = optimum(w, 0.9)!;
    expect(Math.abs(b9.p - (2 - Math.SQRT2))).toBeGreaterThan(1e-3);
    expect(Jp(b9.p, 0.9)).toBeGreaterThan(Jp(b9.p - 1e-3, 0.9));
    expect(Jp(b9.p, 0.9)).toBeGreaterThan(Jp(b9.p + 1e-3, 0.9));
  });

  it('the lab never shows a J the solve cannot be trusted for: a far step gives "—" (NaN), never a positive J', () => {
    // γ = 1: J = −(4 − 2p)/(p(1 − p)) → −∞ as p → 0 or 1, where I − P_π is singular to double precision
    for (let z = -100; z <= 100; z += 0.5) {
      const th = Float64Array.of(0, z);
      const p = sigma(z);
      const j = exactJ(w.model, th, 1);
      if (Number.isNaN(j)) {
        // refused only where the episode would last beyond 10⁸ steps (J = −expected length here)
        expect(Math.abs(-(4 - 2 * p) / (p * (1 - p)))).toBeGreaterThan(1e8);
        continue;
      }
      expect(j).toBeLessThanOrEqual(-3); // at least three steps of −1 to the goal
      expect(j / (-(4 - 2 * p) / (p * (1 - p)))).toBeCloseTo(1, 6);
    }
    // the unconstrained step of the lab's default α = 20 from p = 0.4 lands far out: J after is "—"
    const th = thetaFromProbs([0.4]);
    const far = plainStep(w, th, Float64Array.of(4.5, -4.5), 20, 1, []);
    expect(far.jAfter).toBeNaN();
    expect(Array.from(exactGrad(w.model, far.theta, 1)).every(Number.isNaN)).toBe(true);
    // both ends of the scan were refused, and the trusted range reaches far past the slider's p ∈ [0.01, 0.99]
    expect(exactJ(w.model, Float64Array.of(0, -100), 1)).toBeNaN();
    expect(exactJ(w.model, Float64Array.of(0, 100), 1)).toBeNaN();
    expect(exactJ(w.model, Float64Array.of(0, -15), 1)).toBeCloseTo(-(4 - 2 * sigma(-15)) / (sigma(-15) * (1 - sigma(-15))), -1);
  });

  it("sampled returns of the env's own step average to the exact J; the trajectory list knows the position", () => {
    const p = 2 - Math.SQRT2;
    const th = thetaFromProbs([p]);
    const n = 4000;
    const trajs = sampleTrajectories(w, th, 0, n, 7, 1, 'reinforce-rtg', 0);
    const R = trajs.reduce((a, t) => a + t.ret, 0) / n;
    const sd = Math.sqrt(trajs.reduce((a, t) => a + (t.ret - R) ** 2, 0) / (n - 1));
    expect(Math.abs(R - exactJ(w.model, th, 1))).toBeLessThan((4.5 * sd) / Math.sqrt(n));
    for (const t of trajs.slice(0, 50)) {
      // every step is seen through the one shared row; positions follow corridorNext from S
      expect(t.steps.every((st) => st.s === 0)).toBe(true);
      expect(t.steps[0].state).toBe(0);
      for (let k = 1; k < t.steps.length; k++) expect(t.steps[k].state).toBe(corridorNext(t.steps[k - 1].state, t.steps[k - 1].a));
      const last = t.steps[t.steps.length - 1];
      if (t.steps.length < 200) expect(corridorNext(last.state, last.a)).toBe(CORRIDOR_GOAL);
    }
    // at the optimum the exact gradient vanishes
    const g = exactGrad(w.model, th, 1);
    expect(Math.abs(g[1])).toBeLessThan(1e-9);
  });
});

describe('the lab’s PPO-clip step and KL sum each distinct term once', () => {
  /** The per-sample reference: every (trajectory, t) term on its own, as the docstring states it. */
  function ppoPerSample(P: number, theta: ArrayLike<number>, alpha: number, eps: number, trajs: readonly Trajectory[], K: number): Float64Array {
    const th = Float64Array.from(theta);
    const term = ppoTerm();
    for (let it = 0; it < K; it++) {
      const grad = new Float64Array(P);
      for (const tr of trajs) {
        for (const st of tr.steps) {
          ppoClipLoss(categoricalLogProb(th, 2 * st.s, 2, st.a), Math.log(st.pa), st.disc * st.psi, eps, term);
          if (!term.clipped) categoricalLogProbGrad(th, 2 * st.s, 2, st.a, -term.grad / trajs.length, grad, 2 * st.s);
        }
      }
      for (let j = 0; j < P; j++) th[j] += (alpha / K) * grad[j];
    }
    return th;
  }

  it('equals the per-sample sums (twostate and corridor, Ψ of both signs, γ < 1)', () => {
    for (const [name, probs] of [['twostate', [0.3, 0.6]], ['corridor', [0.4]]] as const) {
      const w = makeWorld(name);
      const th = thetaFromProbs(probs);
      const trajs = sampleTrajectories(w, th, 0, 60, 4, 0.9, 'reinforce-baseline', exactJ(w.model, th, 0.9));
      const signs = new Set(trajs.flatMap((t) => t.steps.map((st) => Math.sign(st.psi))));
      expect(signs.has(1) && signs.has(-1)).toBe(true);
      const devs: number[] = [];
      for (const [alpha, K] of [[0.5, 20], [3, 40]]) {
        const ref = ppoPerSample(w.P, th, alpha, 0.2, trajs, K);
        const got = ppoClipStep(w, th, alpha, 0.2, 0.9, trajs, K);
        for (let j = 0; j < w.P; j++) expect(got.theta[j]).toBeCloseTo(ref[j], 10);
        devs.push(Number(/max \|ρ−1\| = ([\d.]+)/.exec(got.note)![1]));
        // KL over the visits, one term per visit
        let kl = 0;
        let n = 0;
        for (const tr of trajs) {
          for (const st of tr.steps) {
            for (let a = 0; a < 2; a++) {
              const lp = categoricalLogProb(th, 2 * st.s, 2, a);
              kl += Math.exp(lp) * (lp - categoricalLogProb(ref, 2 * st.s, 2, a));
            }
            n++;
          }
        }
        expect(visitKl(trajs, th, ref)).toBeCloseTo(kl / n, 12);
        expect(got.kl).toBeCloseTo(kl / n, 8);
      }
      // the steps run into the clip (a ratio leaves [1 − ε, 1 + ε]): the clipped branches are exercised
      expect(Math.max(...devs)).toBeGreaterThan(0.2);
    }
  });
});
