/**
 * The CPU learner as pure functions: one minibatch step (`minibatchUpdate`) and the epochs ×
 * minibatches loop around it (`learnerUpdate`). The CPU engine calls `learnerUpdate` on its rollout;
 * the GPU parity tests (tests/gpu/learn-reference.ts) call the same functions, in float64, as the
 * reference the GPU learner is held to. Both take everything they use as arguments: θ, the Adam
 * state, the batch's per-sample data (obs, actions, log π_old, Ψ, critic targets) and the options; θ
 * and the Adam state are updated in place (pass copies to keep the originals).
 *
 *   minibatch loss   ℓ = mean_b [ ℓ_pg + c_v ½(V − target)² − β H + β_KL k3 ]
 *                    ℓ_pg: PPO clipped surrogate ('ppo') or −Ψ log π ('pg'); Ψ normalised over the
 *                    minibatch (unbiased std, normalizeAdvantages) when `normAdv`
 *   gradient         heads.ts per sample, mlp.ts backward, in chunks of `chunk` rows
 *   step             clipByGlobalNorm, then Adam; a non-finite loss, gradient or parameter stops
 *                    (the caller rolls back)
 *   loop             per epoch the Feistel permutation (seed, shuffleStream + epoch), minibatch m =
 *                    positions [⌊mB/M⌋, ⌊(m+1)B/M⌋); CleanRL's target-KL stop after an epoch
 */
import { FeistelPermutation } from '../../core/rng';
import type { NetLayout } from '../../policy/layout';
import { actorBackward, actorForward, createWorkspace, criticBackward, criticForward, type Vec, type Workspace } from '../../policy/mlp';
import {
  categoricalEntropy, categoricalEntropyGrad, categoricalLogProb, categoricalLogProbGrad,
  gaussianEntropy, gaussianEntropyGrad, gaussianLogProb, gaussianLogProbGrad,
} from '../../policy/heads';
import {
  approxKl, criticLoss, klPenalty, lossTerm, normalizeAdvantages, outsideClip, pgLoss, ppoClipLoss, ppoTerm,
} from '../../estimators/losses';
import { adamStep, type AdamState } from '../../optim/adam';
import { clipByGlobalNorm } from '../../optim/clip';

/** Rows per forward/backward chunk (bounds the workspace). */
export const CHUNK = 1024;

/** What one minibatch step does (a subset of the GPU LearnerOptions, and of core.ts UpdatePlan + Config). */
export interface MinibatchOptions {
  /** 'ppo': clipped surrogate; 'pg': −Ψ log π */
  loss: 'ppo' | 'pg';
  /** normalise Ψ over the minibatch */
  normAdv: boolean;
  clip: number;
  entCoef: number;
  vfCoef: number;
  /** β_KL of the k3 penalty (0 = off) */
  klCoef: number;
  maxGradNorm: number;
  adamEps: number;
  beta1?: number;
  beta2?: number;
}

/** One minibatch, compact (row j = the minibatch's j-th sample). */
export interface Minibatch {
  /** rows */
  n: number;
  /** [n][obsDim] */
  obs: Vec;
  /** [n][actDim] (discrete: the index as a float) */
  actions: Vec;
  /** [n] log π_old(a|s) */
  logp: ArrayLike<number>;
  /** [n] Ψ (before any normalisation) */
  psi: ArrayLike<number>;
  /** [n] critic targets */
  targets: ArrayLike<number>;
}

export interface MinibatchStats {
  /** samples in the minibatch */
  rows: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  /** mean k3 estimate of KL(π_old‖π) */
  approxKl: number;
  /** samples whose ratio lies outside [1−ε, 1+ε] */
  clipped: number;
  clipFrac: number;
  /** global gradient norm before clipping */
  gradNorm: number;
  /** a non-finite loss, gradient or parameter appeared (when before Adam, no step was taken) */
  nonFinite: boolean;
}

/**
 * Reusable buffers of the minibatch step: the workspace and per-chunk head outputs in the chosen
 * precision ('f32' as the engine, 'f64' for references and gradient checks), and the gradient.
 */
export interface MinibatchScratch {
  readonly precision: 'f32' | 'f64';
  readonly chunk: number;
  readonly ws: Workspace;
  /** ∂ℓ/∂θ of the last minibatch (after clipping, once minibatchUpdate has run) */
  readonly grad: Float64Array;
  out: Vec;
  dOut: Vec;
  dLogStd: Vec;
  v: Vec;
  dV: Vec;
  /** normalised advantages of the minibatch, float64 */
  adv: Float64Array;
  /** 0, 1, 2, … (normalizeAdvantages' index) */
  iota: Uint32Array;
}

export function createMinibatchScratch(layout: NetLayout, precision: 'f32' | 'f64' = 'f32', chunk = CHUNK): MinibatchScratch {
  const mk = (n: number): Vec => (precision === 'f64' ? new Float64Array(n) : new Float32Array(n));
  const hd = layout.headOutDim;
  return {
    precision,
    chunk,
    ws: createWorkspace(layout, chunk, precision),
    grad: new Float64Array(layout.total),
    out: mk(chunk * hd),
    dOut: mk(chunk * hd),
    dLogStd: mk(chunk * hd),
    v: mk(chunk),
    dV: mk(chunk),
    adv: new Float64Array(0),
    iota: new Uint32Array(0),
  };
}

/**
 * scratch.grad = ∇θ of the minibatch loss (module comment) at θ; returns the loss terms (gradNorm 0,
 * nonFinite false: minibatchUpdate fills them).
 */
export function minibatchGradient(layout: NetLayout, theta: Float32Array, mb: Minibatch, o: MinibatchOptions, sc: MinibatchScratch): MinibatchStats {
  const obsDim = layout.spec.obsDim;
  const hd = layout.headOutDim;
  const head = layout.spec.head;
  const gauss = head.kind === 'gaussian';
  const actDim = gauss ? hd : 1;
  const ls = layout.logStdOffset;
  const ppo = o.loss === 'ppo';
  const { ws, grad, out, dOut, dLogStd, v, dV } = sc;
  const th: Vec = sc.precision === 'f64' ? Float64Array.from(theta) : theta;
  const n = mb.n;
  const inv = 1 / n;
  grad.fill(0);

  // advantage normalisation over the minibatch (torch's unbiased std, CleanRL)
  let adv: ArrayLike<number> = mb.psi;
  if (o.normAdv) {
    if (sc.adv.length < n) sc.adv = new Float64Array(n);
    if (sc.iota.length < n) {
      sc.iota = new Uint32Array(n);
      for (let j = 0; j < n; j++) sc.iota[j] = j;
    }
    adv = normalizeAdvantages(mb.psi, sc.iota, 0, n, sc.adv);
  }

  const term = ppoTerm();
  const lt = lossTerm();
  const kl = lossTerm();
  let pl = 0, vl = 0, ent = 0, akl = 0, clipped = 0;
  for (let c0 = 0; c0 < n; c0 += sc.chunk) {
    const cn = Math.min(sc.chunk, n - c0);
    const cObs = mb.obs.subarray(c0 * obsDim, (c0 + cn) * obsDim);
    const cAct = mb.actions.subarray(c0 * actDim, (c0 + cn) * actDim);
    actorForward(layout, th, cObs, cn, ws, out);
    dOut.fill(0, 0, cn * hd);
    dLogStd.fill(0, 0, cn * hd);
    for (let j = 0; j < cn; j++) {
      const o0 = j * hd;
      let logp: number;
      let h: number;
      if (gauss) {
        logp = gaussianLogProb(cAct, j * actDim, out, o0, th, ls, actDim);
        h = gaussianEntropy(th, ls, actDim);
      } else {
        logp = categoricalLogProb(out, o0, hd, cAct[j]);
        h = categoricalEntropy(out, o0, hd);
      }
      const a = adv[c0 + j];
      const old = mb.logp[c0 + j];
      let dLogp: number;
      if (ppo) {
        ppoClipLoss(logp, old, a, o.clip, term);
        pl += term.value;
        dLogp = term.grad;
      } else {
        pgLoss(logp, a, lt);
        pl += lt.value;
        dLogp = lt.grad;
      }
      if (outsideClip(logp, old, o.clip)) clipped++;
      akl += approxKl(logp, old);
      if (o.klCoef > 0) {
        klPenalty(logp, old, o.klCoef, kl);
        dLogp += kl.grad;
      }
      ent += h;
      // ∂ℓ/∂(head) = (∂ℓ/∂log π)·∂log π/∂(head) − β ∂H/∂(head), all ÷ n
      if (gauss) {
        gaussianLogProbGrad(cAct, j * actDim, out, o0, th, ls, actDim, dLogp * inv, dOut, o0, dLogStd, o0);
        gaussianEntropyGrad(actDim, -o.entCoef * inv, dLogStd, o0);
      } else {
        categoricalLogProbGrad(out, o0, hd, cAct[j], dLogp * inv, dOut, o0);
        if (o.entCoef > 0) categoricalEntropyGrad(out, o0, hd, -o.entCoef * inv, dOut, o0);
      }
    }
    actorBackward(layout, th, cObs, cn, ws, dOut, grad, gauss ? dLogStd : null);
    criticForward(layout, th, cObs, cn, ws, v);
    for (let j = 0; j < cn; j++) {
      criticLoss(v[j], mb.targets[c0 + j], lt);
      vl += lt.value;
      dV[j] = o.vfCoef * lt.grad * inv;
    }
    criticBackward(layout, th, cObs, cn, ws, dV, grad);
  }
  return {
    rows: n,
    policyLoss: pl * inv,
    valueLoss: vl * inv,
    entropy: ent * inv,
    approxKl: akl * inv,
    clipped,
    clipFrac: clipped * inv,
    gradNorm: 0,
    nonFinite: false,
  };
}

/**
 * One minibatch step in place on θ and the Adam state: gradient (minibatchGradient), global-norm
 * clip, Adam with learning rate `lr`. `gradOut`, when given, receives the gradient before clipping.
 * A non-finite norm or loss takes no step; a non-finite parameter after the step is reported (the
 * caller rolls the update back).
 */
export function minibatchUpdate(
  layout: NetLayout,
  theta: Float32Array,
  adam: AdamState,
  mb: Minibatch,
  o: MinibatchOptions,
  lr: number,
  sc: MinibatchScratch,
  gradOut?: Float64Array,
): MinibatchStats {
  const s = minibatchGradient(layout, theta, mb, o, sc);
  if (gradOut) gradOut.set(sc.grad);
  const norm = clipByGlobalNorm(sc.grad, o.maxGradNorm);
  s.gradNorm = norm;
  if (!Number.isFinite(norm) || !Number.isFinite(s.policyLoss) || !Number.isFinite(s.valueLoss)) {
    s.nonFinite = true;
    return s;
  }
  adamStep(theta, sc.grad, adam, lr, o.adamEps, o.beta1, o.beta2);
  if (!allFinite(theta)) s.nonFinite = true;
  return s;
}

/** The whole batch of one update, time-major sample order i = t·N + e. */
export interface UpdateBatch {
  /** samples B */
  B: number;
  obs: Vec;
  actions: Vec;
  logp: ArrayLike<number>;
  psi: ArrayLike<number>;
  targets: ArrayLike<number>;
}

export interface LearnerUpdateOptions extends MinibatchOptions {
  epochs: number;
  minibatches: number;
  /** CleanRL's early stop: after an epoch, stop if the last minibatch's approxKl exceeds it (0 = off) */
  targetKl: number;
  /** the permutation key */
  seed: number;
}

export interface LearnerUpdateResult {
  /** every minibatch run, in order */
  perMinibatch: MinibatchStats[];
  /** epochs completed */
  epochsRun: number;
  /** the update stopped at a non-finite minibatch (θ and Adam may be partly updated: roll back) */
  nonFinite: boolean;
}

/** Reusable buffers of `learnerUpdate`: the minibatch step's, the permutation and the gathered minibatch (grown to the largest minibatch on first use). */
export interface LearnerScratch {
  readonly mb: MinibatchScratch;
  readonly idx: Uint32Array;
  /** rows the gathered-minibatch arrays hold */
  rows: number;
  obs: Vec;
  actions: Vec;
  logp: Float64Array;
  psi: Float64Array;
  targets: Float64Array;
}

export function createLearnerScratch(layout: NetLayout, B: number, precision: 'f32' | 'f64' = 'f32', chunk = CHUNK): LearnerScratch {
  const mb = createMinibatchScratch(layout, precision, chunk);
  const mk = (n: number): Vec => (precision === 'f64' ? new Float64Array(n) : new Float32Array(n));
  return { mb, idx: new Uint32Array(B), rows: 0, obs: mk(0), actions: mk(0), logp: new Float64Array(0), psi: new Float64Array(0), targets: new Float64Array(0) };
}

function ensureRows(layout: NetLayout, sc: LearnerScratch, rows: number): void {
  if (sc.rows >= rows) return;
  const obsDim = layout.spec.obsDim;
  const actDim = layout.spec.head.kind === 'gaussian' ? layout.headOutDim : 1;
  const mk = (n: number): Vec => (sc.mb.precision === 'f64' ? new Float64Array(n) : new Float32Array(n));
  sc.rows = rows;
  sc.obs = mk(rows * obsDim);
  sc.actions = mk(rows * actDim);
  // float64: holds any caller's values exactly (the engine's float32 ones included)
  sc.logp = new Float64Array(rows);
  sc.psi = new Float64Array(rows);
  sc.targets = new Float64Array(rows);
}

/**
 * One learner update over `batch` (module comment): epochs × minibatches of minibatchUpdate, θ and
 * Adam in place. `shuffleStream` keys epoch e's permutation as stream shuffleStream + e (the engines
 * use update·epochs). `firstGrad`, when given, receives the first minibatch's gradient before clipping.
 */
export function learnerUpdate(
  layout: NetLayout,
  theta: Float32Array,
  adam: AdamState,
  batch: UpdateBatch,
  o: LearnerUpdateOptions,
  lr: number,
  shuffleStream: number,
  sc: LearnerScratch,
  firstGrad?: Float64Array,
): LearnerUpdateResult {
  const B = batch.B;
  const obsDim = layout.spec.obsDim;
  const actDim = layout.spec.head.kind === 'gaussian' ? layout.headOutDim : 1;
  const M = o.minibatches;
  const perMinibatch: MinibatchStats[] = [];
  let epochsRun = 0;
  let lastKl = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const perm = new FeistelPermutation(B, o.seed, shuffleStream + epoch);
    for (let i = 0; i < B; i++) sc.idx[i] = perm.at(i);
    for (let m = 0; m < M; m++) {
      const lo = Math.floor((m * B) / M);
      const hi = Math.floor(((m + 1) * B) / M);
      const n = hi - lo;
      ensureRows(layout, sc, n);
      for (let j = 0; j < n; j++) {
        const i = sc.idx[lo + j];
        for (let d = 0; d < obsDim; d++) sc.obs[j * obsDim + d] = batch.obs[i * obsDim + d];
        for (let d = 0; d < actDim; d++) sc.actions[j * actDim + d] = batch.actions[i * actDim + d];
        sc.logp[j] = batch.logp[i];
        sc.psi[j] = batch.psi[i];
        sc.targets[j] = batch.targets[i];
      }
      const mb: Minibatch = { n, obs: sc.obs, actions: sc.actions, logp: sc.logp, psi: sc.psi, targets: sc.targets };
      const s = minibatchUpdate(layout, theta, adam, mb, o, lr, sc.mb, perMinibatch.length === 0 ? firstGrad : undefined);
      perMinibatch.push(s);
      lastKl = s.approxKl;
      if (s.nonFinite) return { perMinibatch, epochsRun, nonFinite: true };
    }
    epochsRun++;
    if (o.targetKl > 0 && lastKl > o.targetKl) break;
  }
  return { perMinibatch, epochsRun, nonFinite: false };
}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
