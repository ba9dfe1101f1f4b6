/**
 * Test helper of the GPU learner tests: the CPU engine's learner update (src/backends/cpu/update.ts, a
 * pure function with its own finite-difference test, tests/unit/cpu-update.test.ts) run in float64 as
 * the reference, and random rollouts / GPU buffers for it.
 */
import type { LossStats } from '../../src/backends/core';
import { PhiloxStream, Purpose } from '../../src/core/rng';
import type { EstimatorKind } from '../../src/core/types';
import { computePsi, createRollout, criticTargets, gae, type Rollout } from '../../src/estimators';
import {
  actorBackward,
  actorForward,
  categoricalLogProb,
  categoricalLogProbGrad,
  createWorkspace,
  gaussianLogProb,
  gaussianLogProbGrad,
  type NetLayout,
} from '../../src/policy';
import type { AdamState } from '../../src/optim';
import { FLAG_PADDING, FLAG_TERMINATED, FLAG_TRUNCATED } from '../../src/backends/gpu/learn/layout';
import type { LearnerOptions } from '../../src/backends/gpu/learn/learner';
import { createLearnerScratch, learnerUpdate } from '../../src/backends/cpu/update';

/** A rollout plus the per-sample policy data the learner reads. */
export interface LearnData {
  rollout: Rollout;
  obs: Float32Array;
  actions: Float32Array;
  logp: Float32Array;
  flags: Uint32Array;
}

/**
 * Random data for `layout`: obs ~ N(0,1) (one-hot for tabular), actions valid for the head, logp_old =
 * log π_θ(a|s) + N(0, logpNoise²) (so ratios ≠ 1 and some are clipped), values, next values and rewards
 * ~ N(0,1), ~8% terminations and ~6% truncations.
 */
export function randomData(layout: NetLayout, theta: Float32Array, T: number, N: number, seed: number, logpNoise = 0.3): LearnData {
  const s = new PhiloxStream(seed, Purpose.Init, 99);
  const B = T * N;
  const od = layout.spec.obsDim;
  const head = layout.spec.head;
  const actDim = head.kind === 'gaussian' ? head.dim : 1;
  const obs = new Float32Array(B * od);
  const actions = new Float32Array(B * actDim);
  for (let i = 0; i < B; i++) {
    if (head.kind === 'tabular') obs[i * od + Math.floor(s.uniform() * head.nStates)] = 1;
    else for (let k = 0; k < od; k++) obs[i * od + k] = s.normal();
    if (head.kind === 'gaussian') for (let k = 0; k < actDim; k++) actions[i * actDim + k] = s.normal();
    else actions[i] = Math.floor(s.uniform() * head.n);
  }
  const rollout = createRollout(T, N);
  const flags = new Uint32Array(B);
  for (let i = 0; i < B; i++) {
    rollout.rewards[i] = s.normal();
    rollout.values[i] = s.normal();
    rollout.nextValues[i] = s.normal();
    const u = s.uniform();
    if (u < 0.08) rollout.terminated[i] = 1;
    else if (u < 0.14) rollout.truncated[i] = 1;
    flags[i] = (rollout.terminated[i] ? FLAG_TERMINATED : 0) | (rollout.truncated[i] ? FLAG_TRUNCATED : 0);
  }
  void FLAG_PADDING;
  const logp = logProbs(layout, theta, obs, actions, B);
  for (let i = 0; i < B; i++) logp[i] += logpNoise * s.normal();
  return { rollout, obs, actions, logp, flags };
}

/** log π_θ(a_i|s_i) for every sample (float64 forward). */
export function logProbs(layout: NetLayout, theta: Float32Array, obs: Float32Array, actions: Float32Array, B: number): Float32Array {
  const ws = createWorkspace(layout, B, 'f64');
  const n = layout.headOutDim;
  const out = new Float64Array(B * n);
  actorForward(layout, Float64Array.from(theta), Float64Array.from(obs), B, ws, out);
  const lp = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    if (layout.spec.head.kind === 'gaussian') lp[i] = gaussianLogProb(actions, i * n, out, i * n, theta, layout.logStdOffset, n);
    else lp[i] = categoricalLogProb(out, i * n, n, actions[i]);
  }
  return lp;
}

export type CpuMinibatchStats = LossStats;

export interface CpuUpdateResult {
  theta: Float32Array;
  adam: AdamState;
  /** the gradient (before clipping) of the first minibatch */
  firstGrad: Float64Array;
  stats: CpuMinibatchStats[];
  epochsRun: number;
}

/**
 * One learner update on the CPU, as the GPU learner documents it: Ψ and targets by returns.ts, then the
 * CPU engine's own pure learner (src/backends/cpu/update.ts `learnerUpdate`: the Feistel permutation
 * per epoch (stream = shuffleStream + e), minibatches [⌊mB/M⌋, ⌊(m+1)B/M⌋), per-minibatch
 * normalisation, losses.ts / heads.ts per sample, mlp.ts backward, global-norm clip, Adam, CleanRL's
 * target-KL stop after an epoch), run in float64 (activations, head outputs and sums).
 */
export function cpuUpdate(
  layout: NetLayout,
  theta0: Float32Array,
  adam0: AdamState,
  d: LearnData,
  o: LearnerOptions,
  lr: number,
  shuffleStream: number,
  baseline = 0,
): CpuUpdateResult {
  const { T, N } = d.rollout;
  const B = T * N;
  const theta = Float32Array.from(theta0);
  const adam: AdamState = { m: Float32Array.from(adam0.m), v: Float32Array.from(adam0.v), t: adam0.t };
  const psi = computePsi(o.psiKind, d.rollout, o.gamma, o.lambda, baseline, new Float32Array(B));
  const targets = criticTargets(d.rollout, gae(d.rollout, o.gamma, o.targetLambda, new Float32Array(B)), new Float32Array(B));
  const firstGrad = new Float64Array(layout.total);
  const batch = { B, obs: d.obs, actions: d.actions, logp: d.logp, psi, targets };
  const r = learnerUpdate(layout, theta, adam, batch, o, lr, shuffleStream, createLearnerScratch(layout, B, 'f64', B), firstGrad);
  const stats = r.perMinibatch.map(({ policyLoss, valueLoss, entropy, approxKl, clipFrac, gradNorm }) => ({ policyLoss, valueLoss, entropy, approxKl, clipFrac, gradNorm }));
  return { theta, adam, firstGrad, stats, epochsRun: r.epochsRun };
}

/** Per-group score-function gradients of the actor (the variance pass), float64:
 *   ĝ_g = (1/(T·n_g)) Σ_{t, e∈g} ∇ log π(a|s) Ψ_t,  group g = envs [⌊gN/G⌋, ⌊(g+1)N/G⌋). */
export function cpuGroupGradients(layout: NetLayout, theta: Float32Array, d: LearnData, kind: EstimatorKind, G: number, gamma: number, lambda: number, baseline: number): Float64Array[] {
  const { T, N } = d.rollout;
  const B = T * N;
  const psi = computePsi(kind, d.rollout, gamma, lambda, baseline, new Float32Array(B));
  const od = layout.spec.obsDim;
  const n = layout.headOutDim;
  const gauss = layout.spec.head.kind === 'gaussian';
  const actDim = gauss ? n : 1;
  const Pa = layout.actorSize;
  const th = Float64Array.from(theta);
  const out: Float64Array[] = [];
  for (let g = 0; g < G; g++) {
    const e0 = Math.floor((g * N) / G);
    const e1 = Math.floor(((g + 1) * N) / G);
    const R = T * (e1 - e0);
    const ws = createWorkspace(layout, R, 'f64');
    const obs = new Float64Array(R * od);
    const act = new Float64Array(R * actDim);
    const w = new Float64Array(R);
    let j = 0;
    for (let t = 0; t < T; t++) {
      for (let e = e0; e < e1; e++, j++) {
        const i = t * N + e;
        for (let k = 0; k < od; k++) obs[j * od + k] = d.obs[i * od + k];
        for (let k = 0; k < actDim; k++) act[j * actDim + k] = d.actions[i * actDim + k];
        w[j] = psi[i] / R;
      }
    }
    const z = new Float64Array(R * n);
    actorForward(layout, th, obs, R, ws, z);
    const dz = new Float64Array(R * n);
    const dls = new Float64Array(R * n);
    for (let k = 0; k < R; k++) {
      if (gauss) gaussianLogProbGrad(act, k * n, z, k * n, th, layout.logStdOffset, n, w[k], dz, k * n, dls, k * n);
      else categoricalLogProbGrad(z, k * n, n, act[k], w[k], dz, k * n);
    }
    const grad = new Float64Array(layout.total);
    actorBackward(layout, th, obs, R, ws, dz, grad, gauss ? dls : null);
    out.push(grad.slice(0, Pa));
  }
  return out;
}
