/**
 * The CPU reference engine: batched rollouts, advantages, losses, gradients and Adam in Float32Array
 * loops. It is the ground truth the GPU engine is tested against, so it is written to be read:
 *
 *   collect():  for t = 0 … T−1 (all N envs at once):
 *                 values[t]  = V(obs)                         critic forward (batched)
 *                 z          = actor(obs)                     actor forward (batched)
 *                 a ~ π(·|z) with uniform4(seed, Action, e, k)
 *                 env.step(s, a, uniform4(seed, Env, e, k))   → r, terminated, truncated
 *                 nextValues[t] = V(real next obs)             before any auto-reset
 *                 done ⇒ record the episode, reset with uniform4(seed, Reset, e, k+1)
 *   update():   Ψ / advantages (src/estimators), the critic's explained variance over the batch
 *               (targets vs the rollout's V) → `learnerUpdate` (./update.ts, pure: for epoch,
 *               minibatch: forward, per-sample loss derivatives, backward, clip, Adam); a non-finite
 *               loss, gradient or parameter rolls the whole update back to the parameters and
 *               optimiser state it started from.
 * What an update does (Ψ kind, loss, epochs, critic λ, learning rate), the statistics, the snapshot
 * checks and the exact-gradient comparison are the engine core's (src/backends/core.ts), shared with
 * the GPU engine.
 *
 * k is the env's own step index (EnvDef contract in core/types.ts); every random draw is a pure
 * function of (seed, purpose, env, k), so the GPU engine reproduces the same stream.
 * Nothing is allocated per step or per sample; large batches are processed in chunks so the
 * workspace stays small.
 */
import { numUpdatesOf, type Config } from '../../core/config';
import { UserError } from '../../core/errors';
import { Purpose, uniform4 } from '../../core/rng';
import type {
  Engine, EngineSnapshot, EnvDef, EstimatorKind, EstimatorStats, GradientEstimateOptions, StepResult, Trajectory, UpdateStats, VarianceStats,
} from '../../core/types';
import { makeEnv } from '../../envs';
import {
  netLayout, netSpecFor, type NetLayout,
} from '../../policy/layout';
import { initParams } from '../../policy/init';
import { actorBackward, actorForward, createWorkspace, criticForward, type Workspace } from '../../policy/mlp';
import {
  categoricalLogProb, categoricalLogProbGrad, categoricalSample, gaussianLogProb, gaussianLogProbGrad, gaussianSample,
} from '../../policy/heads';
import { createRollout, type Rollout } from '../../estimators/rollout';
import { computePsi, criticTargets, gae, rewardToGo } from '../../estimators/returns';
import { maskedMean, RunningMeanBaseline } from '../../estimators/baseline';
import { estimatorStats, pickDirection } from '../../estimators/variance';
import { explainedVariance } from '../../estimators/explained-variance';
import { createAdamState, type AdamState } from '../../optim/adam';
import {
  assembleStats, assembleTrajectory, attachCosines, attachExact, baselineScalars, checkTrajectoryEnv, exactReference, lrAt, shuffleStreamOf, trustRegionStats, updatePlan, validateSnapshot,
  type UpdatePlan,
} from '../core';
import { validateLiveHyper } from '../core';
import type { LiveHyper } from '../../core/types';
import { CHUNK, createLearnerScratch, learnerUpdate, type LearnerScratch, type LearnerUpdateOptions } from './update';

export interface CpuEngineOptions {
  /** use this environment instead of `makeEnv(config.env)` (fault-injection tests) */
  env?: EnvDef;
}

export function createCpuEngine(config: Config, opts: CpuEngineOptions = {}): CpuEngine {
  return new CpuEngine(config, opts);
}

export class CpuEngine implements Engine {
  readonly backend = 'cpu' as const;
  readonly where = 'cpu (TypeScript reference engine)';
  readonly env: EnvDef;
  readonly layout: NetLayout;
  readonly paramCount: number;
  readonly numUpdates: number;
  readonly N: number;
  readonly T: number;

  /** θ = [actor | critic] */
  params: Float32Array;
  adam: AdamState;
  /** what an update does (engine core) */
  plan: UpdatePlan;
  /** the plan and the coefficients the learner takes (rebuilt by setHyper) */
  private learnOptions: LearnerUpdateOptions;
  private baseline: RunningMeanBaseline;
  private updates = 0;
  private envSteps = 0;

  // env side (persist across rollouts)
  private envState: Float32Array;
  /** the observation each env acts on next (after any auto-reset) */
  private obs: Float32Array;
  /** the real observation after the last step (before any auto-reset) */
  private nextObs: Float32Array;
  /** per-env step index k */
  private envStep: Uint32Array;
  private epReturn: Float64Array;
  private epLength: Uint32Array;

  // rollout buffers, time-major [T×N]
  readonly rollout: Rollout;
  readonly obsBuf: Float32Array;
  readonly actBuf: Float32Array;
  readonly logpBuf: Float32Array;
  private collected = false;
  /** each env's state and step index when the last rollout began (for `trajectory`) */
  private startState: Float32Array;
  private startStep: Uint32Array;
  /** which θ collected the last rollout: `params` (no update since), `backupParams` (after it), none yet */
  private rolloutPolicy: 'none' | 'params' | 'backup' = 'none';
  private epSum = 0;
  private epLenSum = 0;
  private epCount = 0;
  private epMin = Infinity;
  private epMax = -Infinity;

  // scratch
  private ws: Workspace;
  private headOut: Float32Array;
  private curValues: Float32Array;
  private u = new Float64Array(4);
  private stepOut: StepResult = { reward: 0, terminated: false, truncated: false };
  private psi: Float32Array;
  private targets: Float32Array;
  /** the learner's buffers (permutation, gathered minibatch, workspace, gradient) */
  private learn: LearnerScratch;
  private cObs: Float32Array;
  private cAct: Float32Array;
  private cOut: Float32Array;
  private cDOut: Float32Array;
  private cDLogStd: Float32Array;
  private backupParams: Float32Array;
  private backupM: Float32Array;
  private backupV: Float32Array;

  /** the engine's own copy of the run's config: setHyper changes it, never the caller's */
  readonly config: Config;

  constructor(config: Config, opts: CpuEngineOptions = {}) {
    this.config = { ...config };
    this.env = opts.env ?? makeEnv(config.env);
    this.layout = netLayout(netSpecFor(this.env, config));
    this.paramCount = this.layout.total;
    this.numUpdates = numUpdatesOf(config);
    const N = (this.N = config.numEnvs);
    const T = (this.T = config.numSteps);
    const { obsDim, stateDim, actDim } = this.env;
    const hd = this.layout.headOutDim;
    const P = this.paramCount;

    this.params = initParams(this.layout, config.seed);
    this.adam = createAdamState(P);
    this.plan = updatePlan(config);
    this.learnOptions = this.learnerOptions();
    this.baseline = new RunningMeanBaseline(config.baselineDecay);

    this.envState = new Float32Array(N * stateDim);
    this.obs = new Float32Array(N * obsDim);
    this.nextObs = new Float32Array(N * obsDim);
    this.envStep = new Uint32Array(N);
    this.epReturn = new Float64Array(N);
    this.epLength = new Uint32Array(N);
    this.startState = new Float32Array(N * stateDim);
    this.startStep = new Uint32Array(N);

    this.rollout = createRollout(T, N, true);
    this.obsBuf = new Float32Array(T * N * obsDim);
    this.actBuf = new Float32Array(T * N * actDim);
    this.logpBuf = new Float32Array(T * N);

    this.ws = createWorkspace(this.layout, Math.max(N, CHUNK));
    this.headOut = new Float32Array(N * hd);
    this.curValues = new Float32Array(N);
    this.psi = new Float32Array(T * N);
    this.targets = new Float32Array(T * N);
    this.learn = createLearnerScratch(this.layout, T * N);
    this.cObs = new Float32Array(CHUNK * obsDim);
    this.cAct = new Float32Array(CHUNK * actDim);
    this.cOut = new Float32Array(CHUNK * hd);
    this.cDOut = new Float32Array(CHUNK * hd);
    this.cDLogStd = new Float32Array(CHUNK * hd);
    this.backupParams = new Float32Array(P);
    this.backupM = new Float32Array(P);
    this.backupV = new Float32Array(P);

    for (let e = 0; e < N; e++) this.resetEnv(e, 0);
  }

  private learnerOptions(): LearnerUpdateOptions {
    const c = this.config;
    return { ...this.plan, clip: c.clip, entCoef: c.entCoef, vfCoef: c.vfCoef, maxGradNorm: c.maxGradNorm, adamEps: c.adamEps, seed: c.seed };
  }

  /** Live hyperparameters (Engine.setHyper): λ, lr, β, ε from the next update on; the plan follows λ. */
  setHyper(values: LiveHyper): void {
    Object.assign(this.config, validateLiveHyper(values));
    this.plan = updatePlan(this.config);
    this.learnOptions = this.learnerOptions();
  }

  /** Start a new episode in env e whose first observation is acted on at step k. */
  private resetEnv(e: number, k: number): void {
    const { stateDim, obsDim } = this.env;
    uniform4(this.config.seed, Purpose.Reset, e, k, 0, this.u);
    this.env.reset(this.envState, e * stateDim, this.u);
    this.env.observe(this.envState, e * stateDim, this.obs, e * obsDim);
    this.epReturn[e] = 0;
    this.epLength[e] = 0;
  }

  async collect(): Promise<void> {
    const { N, T, env, layout, params, ws, rollout: ro } = this;
    const { obsDim, stateDim, actDim } = env;
    const hd = layout.headOutDim;
    const head = layout.spec.head;
    const seed = this.config.seed;
    const u = this.u;
    const out = this.stepOut;
    const ls = layout.logStdOffset;
    this.epSum = 0;
    this.epLenSum = 0;
    this.epCount = 0;
    this.epMin = Infinity;
    this.epMax = -Infinity;
    ro.mask!.fill(1);
    this.startState.set(this.envState);
    this.startStep.set(this.envStep);

    // values of the current observations under the current parameters
    criticForward(layout, params, this.obs, N, ws, this.curValues);
    for (let t = 0; t < T; t++) {
      const row = t * N;
      this.obsBuf.set(this.obs, row * obsDim);
      ro.values.set(this.curValues, row);
      actorForward(layout, params, this.obs, N, ws, this.headOut);
      for (let e = 0; e < N; e++) {
        const i = row + e;
        const k = this.envStep[e];
        const ao = i * actDim;
        uniform4(seed, Purpose.Action, e, k, 0, u);
        if (head.kind === 'gaussian') {
          gaussianSample(this.headOut, e * hd, params, ls, actDim, u, this.actBuf, ao);
          this.logpBuf[i] = gaussianLogProb(this.actBuf, ao, this.headOut, e * hd, params, ls, actDim);
        } else {
          const a = categoricalSample(this.headOut, e * hd, hd, u[0]);
          this.actBuf[ao] = a;
          this.logpBuf[i] = categoricalLogProb(this.headOut, e * hd, hd, a);
        }
        uniform4(seed, Purpose.Env, e, k, 0, u);
        env.step(this.envState, e * stateDim, this.actBuf, ao, u, out);
        ro.rewards[i] = out.reward;
        ro.terminated[i] = out.terminated ? 1 : 0;
        ro.truncated[i] = out.truncated && !out.terminated ? 1 : 0;
        this.epReturn[e] += out.reward;
        this.epLength[e]++;
        env.observe(this.envState, e * stateDim, this.nextObs, e * obsDim);
        this.envStep[e] = k + 1;
      }
      // V(real next obs), before auto-reset
      criticForward(layout, params, this.nextObs, N, ws, this.curValues);
      ro.nextValues.set(this.curValues, row);
      for (let e = 0; e < N; e++) {
        const i = row + e;
        if (ro.terminated[i] || ro.truncated[i]) {
          this.epSum += this.epReturn[e];
          this.epLenSum += this.epLength[e];
          this.epCount++;
          this.epMin = Math.min(this.epMin, this.epReturn[e]);
          this.epMax = Math.max(this.epMax, this.epReturn[e]);
          this.resetEnv(e, this.envStep[e]);
        } else {
          for (let j = 0; j < obsDim; j++) this.obs[e * obsDim + j] = this.nextObs[e * obsDim + j];
        }
      }
      // the value of each env's next observation: V(real next obs) unless it was reset
      for (let e = 0; e < N; e++) {
        const i = row + e;
        if (ro.terminated[i] || ro.truncated[i]) {
          criticForward(layout, params, this.obs.subarray(e * obsDim, (e + 1) * obsDim), 1, ws, this.curValues.subarray(e, e + 1));
        }
      }
    }
    this.envSteps += N * T;
    this.collected = true;
    this.rolloutPolicy = 'params';
  }

  async update(): Promise<UpdateStats> {
    if (!this.collected) throw new Error('update() before collect()');
    const c = this.config;
    const plan = this.plan;
    const ro = this.rollout;
    const B = this.N * this.T;
    const kind = plan.psiKind;
    const lr = lrAt(c, this.updates, this.numUpdates);

    // Ψ (policy signal) and critic targets
    if (kind === 'gae' || kind === 'actor-critic') {
      gae(ro, c.gamma, plan.targetLambda, this.psi);
      criticTargets(ro, this.psi, this.targets);
    } else {
      rewardToGo(ro, c.gamma, this.targets);
      computePsi(kind, ro, c.gamma, c.lambda, this.baseline.value, this.psi);
      if (plan.runningBaseline) this.baseline.update(this.targets, B, ro.mask);
    }

    this.backupParams.set(this.params);
    this.backupM.set(this.adam.m);
    this.backupV.set(this.adam.v);
    const backupT = this.adam.t;
    this.rolloutPolicy = 'backup';

    const batch = { B, obs: this.obsBuf, actions: this.actBuf, logp: this.logpBuf, psi: this.psi, targets: this.targets };
    const r = learnerUpdate(this.layout, this.params, this.adam, batch, this.learnOptions, lr, shuffleStreamOf(plan, this.updates), this.learn);
    if (r.nonFinite) {
      // roll back to the last good parameters and optimiser state
      this.params.set(this.backupParams);
      this.adam.m.set(this.backupM);
      this.adam.v.set(this.backupV);
      this.adam.t = backupT;
    }
    this.updates++;
    this.collected = false;
    // the clip fraction over every minibatch run (CleanRL's mean of clipfracs), KL of the last
    let clipped = 0;
    let samples = 0;
    for (const s of r.perMinibatch) {
      clipped += s.clipped;
      samples += s.rows;
    }
    const last = r.perMinibatch[r.perMinibatch.length - 1];
    const ep = { sumReturn: this.epSum, sumLength: this.epLenSum, count: this.epCount, min: this.epMin, max: this.epMax };
    return assembleStats(this.updates, this.envSteps, ep, {
      policyLoss: last.policyLoss,
      valueLoss: last.valueLoss,
      entropy: last.entropy,
      ...trustRegionStats(plan.loss, last.approxKl, samples > 0 ? clipped / samples : NaN),
      explainedVariance: explainedVariance(this.targets, ro.values, B),
      gradNorm: last.gradNorm,
      epochsRun: r.epochsRun,
      nonFinite: r.nonFinite,
    }, lr, c);
  }

  /**
   * Per-group gradients of the score-function estimator Σ_t ∇log π(a_t|s_t) Ψ_t on the last rollout,
   * for each Ψ in `kinds` (same trajectories for all: common random numbers). Group g holds the
   * contiguous block of envs with ⌊e·G/N⌋ = g. Each group's estimate is the mean over its envs of
   * Σ_t ∇log π Ψ_t (per trajectory, as in the theory), w.r.t. the actor parameters.
   * The constant baseline b of 'reinforce-baseline' is the running mean of past rollouts; before any
   * update it is the mean of G_t over this rollout (an O(1/n) dependence on the batch).
   */
  async gradientEstimates(kinds: readonly EstimatorKind[], groups: number, opts: GradientEstimateOptions = {}): Promise<VarianceStats> {
    if (!this.collected) throw new Error('gradientEstimates() before collect()');
    const { N, T, layout, params, ws, env, rollout: ro } = this;
    const { obsDim, actDim } = env;
    const G = Math.max(2, Math.min(groups, N));
    const c = this.config;
    const hd = layout.headOutDim;
    const head = layout.spec.head;
    const ls = layout.logStdOffset;
    const Pa = layout.actorSize;
    const B = N * T;
    const lambda = opts.lambda ?? c.lambda;

    // 'first': keep each env's first episode only if it ended inside the rollout
    const mask = ro.mask!;
    mask.fill(1);
    if (opts.episodes === 'first') {
      for (let e = 0; e < N; e++) {
        let end = -1;
        for (let t = 0; t < T; t++) {
          const i = t * N + e;
          if (ro.terminated[i] || ro.truncated[i]) {
            end = t;
            break;
          }
        }
        for (let t = 0; t < T; t++) if (end < 0 || t > end) mask[t * N + e] = 0;
      }
    }
    const envsInGroup = new Float64Array(G);
    for (let e = 0; e < N; e++) {
      if (opts.episodes === 'first' && !mask[e]) continue;
      envsInGroup[Math.floor((e * G) / N)]++;
    }

    // score-function weights per sample, then one backward per group and estimator
    const grads = new Float64Array(G * Pa);
    const scratch = new Float64Array(this.paramCount);
    const results: EstimatorStats[] = [];
    const all: Float64Array[] = [];
    let b = this.baseline.value;
    if (this.baseline.count === 0 && kinds.includes('reinforce-baseline')) {
      rewardToGo(ro, c.gamma, this.psi);
      b = maskedMean(this.psi, B, mask);
    }
    for (const kind of kinds) {
      computePsi(kind, ro, c.gamma, lambda, b, this.psi);
      grads.fill(0);
      for (let g = 0; g < G; g++) {
        const e0 = Math.ceil((g * N) / G);
        const e1 = Math.ceil(((g + 1) * N) / G);
        scratch.fill(0);
        const w = envsInGroup[g] > 0 ? 1 / envsInGroup[g] : 0;
        // the group's samples: (t, e) for e in [e0, e1), in chunks
        const ne = e1 - e0;
        const total = ne * T;
        for (let c0 = 0; c0 < total; c0 += CHUNK) {
          const cn = Math.min(CHUNK, total - c0);
          for (let j = 0; j < cn; j++) {
            const t = Math.floor((c0 + j) / ne);
            const i = t * N + e0 + ((c0 + j) % ne);
            for (let d = 0; d < obsDim; d++) this.cObs[j * obsDim + d] = this.obsBuf[i * obsDim + d];
            for (let d = 0; d < actDim; d++) this.cAct[j * actDim + d] = this.actBuf[i * actDim + d];
          }
          actorForward(layout, params, this.cObs, cn, ws, this.cOut);
          this.cDOut.fill(0, 0, cn * hd);
          this.cDLogStd.fill(0, 0, cn * hd);
          for (let j = 0; j < cn; j++) {
            const t = Math.floor((c0 + j) / ne);
            const i = t * N + e0 + ((c0 + j) % ne);
            if (!mask[i]) continue;
            const s = this.psi[i] * w;
            const o = j * hd;
            if (head.kind === 'gaussian') gaussianLogProbGrad(this.cAct, j * actDim, this.cOut, o, params, ls, actDim, s, this.cDOut, o, this.cDLogStd, o);
            else categoricalLogProbGrad(this.cOut, o, hd, this.cAct[j], s, this.cDOut, o);
          }
          actorBackward(layout, params, this.cObs, cn, ws, this.cDOut, scratch, head.kind === 'gaussian' ? this.cDLogStd : null);
        }
        for (let p = 0; p < Pa; p++) grads[g * Pa + p] = scratch[p];
      }
      all.push(grads.slice());
    }
    // the steps the estimates used ('first': the kept episodes), counted before the mask is reset
    let steps = 0;
    if (opts.episodes === 'first') {
      for (let i = 0; i < B; i++) steps += mask[i];
    } else steps = B;
    mask.fill(1);

    // reference: the exact ∇J on the tiny envs (engine core)
    const reference = exactReference(env, params, Pa, c.gamma);
    const fallbackMean = new Float64Array(Pa);
    if (all.length) for (let g = 0; g < G; g++) for (let p = 0; p < Pa; p++) fallbackMean[p] += all[0][g * Pa + p] / G;
    const direction = pickDirection(reference, fallbackMean, Pa, new Float64Array(Pa));
    kinds.forEach((kind, k) => results.push(estimatorStats(kind, all[k], G, Pa, direction)));
    attachExact(results, reference, Pa);
    if (opts.cosine) attachCosines(results, all, G, Pa, opts.reference ?? reference);
    return { groups: G, envSteps: steps, direction, reference, estimators: results };
  }

  async getParams(): Promise<Float32Array> {
    return this.params.slice();
  }

  async trajectory(e: number): Promise<Trajectory> {
    const { N, T, env, rollout: ro } = this;
    checkTrajectoryEnv(e, N);
    if (this.rolloutPolicy === 'none') throw new UserError('trajectory: no rollout collected yet (since the start or the last restore)');
    const { obsDim, actDim, stateDim } = env;
    const col = <A extends Float32Array | Uint8Array>(src: A, make: (n: number) => A): A => {
      const out = make(T);
      for (let t = 0; t < T; t++) out[t] = src[t * N + e];
      return out;
    };
    const f32 = (n: number) => new Float32Array(n);
    const u8 = (n: number) => new Uint8Array(n);
    const obs = new Float32Array(T * obsDim);
    const actions = new Float32Array(T * actDim);
    for (let t = 0; t < T; t++) {
      const i = t * N + e;
      obs.set(this.obsBuf.subarray(i * obsDim, (i + 1) * obsDim), t * obsDim);
      actions.set(this.actBuf.subarray(i * actDim, (i + 1) * actDim), t * actDim);
    }
    return assembleTrajectory(env, this.layout, this.config, {
      env: e,
      k0: this.startStep[e],
      obs,
      actions,
      logProb: col(this.logpBuf, f32),
      values: col(ro.values, f32),
      nextValues: col(ro.nextValues, f32),
      rewards: col(ro.rewards, f32),
      terminated: col(ro.terminated, u8),
      truncated: col(ro.truncated, u8),
      state0: this.startState.slice(e * stateDim, (e + 1) * stateDim),
      params: (this.rolloutPolicy === 'params' ? this.params : this.backupParams).slice(),
    });
  }

  async snapshot(): Promise<EngineSnapshot> {
    return {
      update: this.updates,
      envSteps: this.envSteps,
      params: this.params.slice(),
      adamM: this.adam.m.slice(),
      adamV: this.adam.v.slice(),
      adamT: this.adam.t,
      // the portable engine state (the GPU engine writes the same keys and layouts):
      // envState [N][stateDim] f32, envStep [N] u32, epReturn [N] f64, epLength [N] u32
      state: {
        envState: this.envState.slice(),
        envStep: this.envStep.slice(),
        epReturn: this.epReturn.slice(),
        epLength: this.epLength.slice(),
      },
      scalars: { ...this.baseline.state() },
    };
  }

  async restore(s: EngineSnapshot): Promise<void> {
    const { N, env } = this;
    const { envState, envStep, epReturn, epLength } = validateSnapshot(s, { paramCount: this.paramCount, numEnvs: N, stateDim: env.stateDim });
    this.params.set(s.params);
    this.adam.m.set(s.adamM);
    this.adam.v.set(s.adamV);
    this.adam.t = s.adamT;
    this.envState.set(envState);
    // the observation each env acts on next is a function of its state
    for (let e = 0; e < N; e++) env.observe(this.envState, e * env.stateDim, this.obs, e * env.obsDim);
    this.envStep.set(envStep);
    this.epReturn.set(epReturn);
    this.epLength.set(epLength);
    this.updates = s.update;
    this.envSteps = s.envSteps;
    this.baseline.restore(baselineScalars(s));
    this.collected = false;
    this.rolloutPolicy = 'none';
  }

  dispose(): void {}
}

