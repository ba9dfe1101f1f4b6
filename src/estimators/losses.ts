/**
 * Per-sample losses and their derivatives, allocation-free (a reusable `out` object per call site).
 * Every loss here is a quantity to MINIMISE; the engine averages it over a minibatch and chains the
 * returned derivative into the policy / critic backward pass. With the conventions of CleanRL's
 * ppo.py, the per-sample total is
 *   ℓ = ℓ_pg + c_v · ℓ_V − β · H + β_KL · k3
 * (c_v = vfCoef, β = entCoef, β_KL = klCoef).
 */

/** A scalar loss and its derivative w.r.t. its one input (log π_new, V or H — each function says). */
export interface LossTerm {
  value: number;
  grad: number;
}

/** The PPO surrogate term; `clipped` marks samples whose gradient is cut to 0 by the clip. */
export interface PpoTerm extends LossTerm {
  clipped: boolean;
}

export function lossTerm(): LossTerm {
  return { value: 0, grad: 0 };
}

export function ppoTerm(): PpoTerm {
  return { value: 0, grad: 0, clipped: false };
}

/**
 * Score-function (vanilla policy-gradient) loss, whose gradient is −∇log π · Ψ:
 *   ℓ = −Ψ · log π(a|s),   ∂ℓ/∂log π = −Ψ
 */
export function pgLoss(logp: number, psi: number, out: LossTerm): LossTerm {
  out.value = -psi * logp;
  out.grad = -psi;
  return out;
}

/**
 * PPO clipped surrogate (Schulman et al. 2017), as a loss:
 *   ρ = π_new(a|s) / π_old(a|s) = exp(log π_new − log π_old)
 *   ℓ = −min(ρ Â, clip(ρ, 1−ε, 1+ε) Â)
 *   ∂ℓ/∂log π_new = −ρ Â  (∂ρ/∂log π_new = ρ),  or 0 on the clipped branch:
 *   clipped ⇔ (Â > 0 and ρ > 1+ε) or (Â < 0 and ρ < 1−ε)
 * (elsewhere min picks ρÂ, including the flat side ρ < 1−ε with Â > 0 and ρ > 1+ε with Â < 0).
 */
export function ppoClipLoss(logpNew: number, logpOld: number, adv: number, eps: number, out: PpoTerm): PpoTerm {
  const ratio = Math.exp(logpNew - logpOld);
  const clipped = (adv > 0 && ratio > 1 + eps) || (adv < 0 && ratio < 1 - eps);
  if (clipped) {
    out.value = -(adv > 0 ? 1 + eps : 1 - eps) * adv;
    out.grad = 0;
  } else {
    out.value = -ratio * adv;
    out.grad = -ratio * adv;
  }
  out.clipped = clipped;
  return out;
}

/**
 * Whether the ratio lies outside the clip range, |ρ − 1| > ε (CleanRL's `clipfracs`, regardless of
 * the sign of Â). Its mean over a minibatch is `losses/clipfrac`.
 */
export function outsideClip(logpNew: number, logpOld: number, eps: number): boolean {
  return Math.abs(Math.exp(logpNew - logpOld) - 1) > eps;
}

/** Fraction of k < n with |exp(logRatio[k]) − 1| > ε, logRatio = log π_new − log π_old. */
export function clipFraction(logRatio: ArrayLike<number>, n: number, eps: number): number {
  let c = 0;
  for (let k = 0; k < n; k++) if (Math.abs(Math.exp(logRatio[k]) - 1) > eps) c++;
  return n === 0 ? 0 : c / n;
}

/**
 * Approximate KL(π_old ‖ π_new) from a sample a ~ π_old, Schulman's k3 estimator (CleanRL's approx_kl):
 *   k3 = (ρ − 1) − log ρ  ≥ 0,   unbiased since E_old[ρ] = 1;   k3 ≈ ½ (log ρ)² for small log ρ
 */
export function approxKl(logpNew: number, logpOld: number): number {
  const logRatio = logpNew - logpOld;
  return Math.expm1(logRatio) - logRatio;
}

/** ∂k3/∂log π_new = ρ − 1. */
export function approxKlGrad(logpNew: number, logpOld: number): number {
  return Math.expm1(logpNew - logpOld);
}

/**
 * KL penalty (the KL-limited step of the teaching toggle):
 *   ℓ = β_KL · k3,   ∂ℓ/∂log π_new = β_KL (ρ − 1)
 */
export function klPenalty(logpNew: number, logpOld: number, betaKl: number, out: LossTerm): LossTerm {
  out.value = betaKl * approxKl(logpNew, logpOld);
  out.grad = betaKl * approxKlGrad(logpNew, logpOld);
  return out;
}

/**
 * Critic loss (CleanRL's unclipped value loss, before the vfCoef weight):
 *   ℓ_V = ½ (V − target)²,   ∂ℓ_V/∂V = V − target
 */
export function criticLoss(v: number, target: number, out: LossTerm): LossTerm {
  const d = v - target;
  out.value = 0.5 * d * d;
  out.grad = d;
  return out;
}

/**
 * Entropy bonus + β·H written as a loss:
 *   ℓ_H = −β · H,   ∂ℓ_H/∂H = −β
 * (chain with the head's ∂H/∂z: categorical −π_k(log π_k + H), Gaussian ∂H/∂log σ = 1).
 */
export function entropyBonus(entropy: number, beta: number, out: LossTerm): LossTerm {
  out.value = -beta * entropy;
  out.grad = -beta;
  return out;
}

/**
 * Advantage normalisation over an index set (a minibatch), as CleanRL:
 *   out[k] = (Â_{idx[start+k]} − μ) / (σ + eps),  k = 0 … count−1
 *   μ = mean, σ = unbiased standard deviation (÷(count−1), torch's `std()`); σ = 0 when count < 2.
 * `out` is compact (minibatch order) and must not alias `adv` unless idx is the identity.
 */
export function normalizeAdvantages<A extends Float32Array | Float64Array>(
  adv: ArrayLike<number>,
  idx: ArrayLike<number>,
  start: number,
  count: number,
  out: A,
  eps = 1e-8,
): A {
  let s = 0;
  for (let k = 0; k < count; k++) s += adv[idx[start + k]];
  const mu = count > 0 ? s / count : 0;
  let ss = 0;
  for (let k = 0; k < count; k++) {
    const d = adv[idx[start + k]] - mu;
    ss += d * d;
  }
  const sigma = count > 1 ? Math.sqrt(ss / (count - 1)) : 0;
  const inv = 1 / (sigma + eps);
  for (let k = 0; k < count; k++) out[k] = (adv[idx[start + k]] - mu) * inv;
  return out;
}
