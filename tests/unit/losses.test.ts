import { describe, expect, it } from 'vitest';
import { PhiloxStream, Purpose } from '../../src/core/rng';
import {
  approxKl,
  approxKlGrad,
  clipFraction,
  criticLoss,
  entropyBonus,
  klPenalty,
  lossTerm,
  normalizeAdvantages,
  outsideClip,
  pgLoss,
  ppoClipLoss,
  ppoTerm,
} from '../../src/estimators';

/** Central finite difference of f at x. */
function fd(f: (x: number) => number, x: number, h = 1e-6): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

describe('PPO clipped surrogate', () => {
  const eps = 0.2;
  const term = ppoTerm();
  const loss = (logpNew: number, logpOld: number, adv: number) => ppoClipLoss(logpNew, logpOld, adv, eps, ppoTerm()).value;

  it('value equals −min(ρÂ, clip(ρ, 1−ε, 1+ε)Â) computed directly', () => {
    for (let lr = -0.6; lr <= 0.6; lr += 0.05) {
      for (const adv of [-1.7, -0.3, 0, 0.4, 2.5]) {
        const rho = Math.exp(lr);
        const want = -Math.min(rho * adv, Math.min(Math.max(rho, 1 - eps), 1 + eps) * adv);
        expect(ppoClipLoss(-1 + lr, -1, adv, eps, term).value).toBeCloseTo(want, 12);
      }
    }
  });

  it('the gradient is exactly 0 on the clipped branch and matches finite differences elsewhere', () => {
    const logpOld = -0.9;
    let clippedSeen = 0;
    let openSeen = 0;
    for (let lr = -0.6; lr <= 0.6; lr += 0.01) {
      for (const adv of [-1.7, -0.3, 0.4, 2.5]) {
        const rho = Math.exp(lr);
        // skip points within the FD step of the kinks at ρ = 1 ± ε
        if (Math.abs(rho - (1 + eps)) < 1e-4 || Math.abs(rho - (1 - eps)) < 1e-4) continue;
        ppoClipLoss(logpOld + lr, logpOld, adv, eps, term);
        const shouldClip = (adv > 0 && rho > 1 + eps) || (adv < 0 && rho < 1 - eps);
        expect(term.clipped).toBe(shouldClip);
        const num = fd((x) => loss(x, logpOld, adv), logpOld + lr);
        if (shouldClip) {
          clippedSeen++;
          expect(term.grad).toBe(0);
          expect(Math.abs(num)).toBeLessThan(1e-8);
        } else {
          openSeen++;
          expect(term.grad).toBeCloseTo(-rho * adv, 12);
          expect(term.grad).toBeCloseTo(num, 6);
        }
      }
    }
    expect(clippedSeen).toBeGreaterThan(50);
    expect(openSeen).toBeGreaterThan(50);
  });

  it('the flat sides that are NOT clipped keep the gradient (ρ < 1−ε with Â > 0, ρ > 1+ε with Â < 0)', () => {
    ppoClipLoss(Math.log(0.5), 0, 1, eps, term); // ρ = 0.5, Â = 1: min picks ρÂ
    expect(term.clipped).toBe(false);
    expect(term.grad).toBeCloseTo(-0.5, 12);
    ppoClipLoss(Math.log(1.5), 0, -2, eps, term); // ρ = 1.5, Â = −2: min picks ρÂ = −3
    expect(term.clipped).toBe(false);
    expect(term.value).toBeCloseTo(3, 12);
    expect(term.grad).toBeCloseTo(3, 12);
  });

  it('clip fraction counts |ρ − 1| > ε regardless of the sign of Â', () => {
    const lr = [Math.log(1.3), Math.log(0.7), Math.log(1.1), 0, Math.log(0.95)];
    expect(clipFraction(lr, 5, eps)).toBeCloseTo(2 / 5, 12);
    expect(lr.map((x) => outsideClip(x - 1, -1, eps))).toEqual([true, true, false, false, false]);
    expect(clipFraction(lr, 0, eps)).toBe(0);
  });
});

describe('approximate KL (k3)', () => {
  it('is ≥ 0, ≈ ½(log ρ)² for small log ρ, and its derivative ρ − 1 matches finite differences', () => {
    const s = new PhiloxStream(3, Purpose.Init);
    for (let k = 0; k < 500; k++) {
      const old = -3 * s.uniform();
      const nu = old + 2 * s.normal();
      expect(approxKl(nu, old)).toBeGreaterThanOrEqual(0);
      expect(approxKlGrad(nu, old)).toBeCloseTo(Math.exp(nu - old) - 1, 10);
      expect(approxKlGrad(nu, old)).toBeCloseTo(fd((x) => approxKl(x, old), nu), 5);
    }
    for (const x of [1e-2, -1e-2, 1e-3, -3e-4, 1e-6]) {
      // k3 = eˣ − 1 − x = x²/2 + x³/6 + …, so the relative gap to x²/2 is ≈ x/3
      expect(Math.abs(approxKl(-1 + x, -1) / (0.5 * x * x) - 1)).toBeLessThan(Math.abs(x));
    }
    expect(approxKl(-0.7, -0.7)).toBe(0);
  });

  it('averaged over a ~ π_old it is exactly KL(π_old ‖ π_new) (enumeration over a categorical)', () => {
    const old = [0.1, 0.6, 0.3];
    const nu = [0.25, 0.35, 0.4];
    let est = 0;
    let kl = 0;
    for (let a = 0; a < 3; a++) {
      est += old[a] * approxKl(Math.log(nu[a]), Math.log(old[a]));
      kl += old[a] * Math.log(old[a] / nu[a]);
    }
    expect(est).toBeCloseTo(kl, 12);
  });

  it('KL penalty is β·k3 with derivative β(ρ − 1)', () => {
    const t = klPenalty(-0.4, -0.9, 3, lossTerm());
    expect(t.value).toBeCloseTo(3 * (Math.exp(0.5) - 1 - 0.5), 12);
    expect(t.grad).toBeCloseTo(fd((x) => klPenalty(x, -0.9, 3, lossTerm()).value, -0.4), 6);
  });
});

describe('critic, entropy and score-function losses', () => {
  it('critic ½(V − target)² and its derivative V − target', () => {
    const t = criticLoss(1.5, -0.5, lossTerm());
    expect(t.value).toBe(2); // ½·2²
    expect(t.grad).toBe(2);
    for (const [v, y] of [[0.3, 0.7], [-2, 4], [5, 5]]) {
      expect(criticLoss(v, y, t).grad).toBeCloseTo(fd((x) => criticLoss(x, y, lossTerm()).value, v), 8);
    }
  });

  it('entropy bonus −βH and pg loss −Ψ log π with their derivatives', () => {
    const t = entropyBonus(0.69, 0.01, lossTerm());
    expect(t.value).toBeCloseTo(-0.0069, 12);
    expect(t.grad).toBe(-0.01);
    pgLoss(-1.2, 2.5, t);
    expect(t.value).toBeCloseTo(3, 12);
    expect(t.grad).toBeCloseTo(fd((x) => pgLoss(x, 2.5, lossTerm()).value, -1.2), 8);
  });
});

describe('advantage normalisation over an index set', () => {
  it('gives mean 0 and (unbiased) std 1 over the chosen indices, in minibatch order', () => {
    const s = new PhiloxStream(5, Purpose.Init);
    const n = 257;
    const adv = new Float32Array(n);
    for (let i = 0; i < n; i++) adv[i] = 3 + 4 * s.normal();
    // a permutation-like index list; normalise the slice [40, 40+100)
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = (i * 97) % n;
    const out = new Float64Array(100);
    normalizeAdvantages(adv, idx, 40, 100, out);
    let m = 0;
    for (let k = 0; k < 100; k++) m += out[k];
    m /= 100;
    let v = 0;
    for (let k = 0; k < 100; k++) v += (out[k] - m) ** 2;
    expect(m).toBeCloseTo(0, 10);
    expect(Math.sqrt(v / 99)).toBeCloseTo(1, 6);
    // order preserved: the map is increasing affine
    for (let k = 1; k < 100; k++) {
      expect(Math.sign(out[k] - out[0])).toBe(Math.sign(adv[idx[40 + k]] - adv[idx[40]]));
    }
    // a single sample normalises to 0; a constant set to 0 (σ = 0, eps keeps it finite)
    expect(normalizeAdvantages([5], [0], 0, 1, new Float64Array(1))[0]).toBe(0);
    expect(Array.from(normalizeAdvantages([2, 2, 2], [0, 1, 2], 0, 3, new Float64Array(3)))).toEqual([0, 0, 0]);
  });
});
