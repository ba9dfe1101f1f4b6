/**
 * The engine core: every decision both backends make the same way, made once here. A backend is then
 * only where the arithmetic runs (src/backends/cpu: TypeScript loops; src/backends/gpu: WebGPU kernels).
 *
 *   updatePlan(config)     algo → Ψ kind, loss, epochs, minibatches, normalisation, KL terms, critic λ
 *   lrAt(...)              the learning rate of an update (CleanRL's linear annealing when enabled)
 *   assembleStats(...)     UpdateStats from the episode sums and the learner's statistics
 *   validateSnapshot(...)  the portable engine state of a checkpoint, checked against this run
 *   exactReference(...)    the exact ∇J of the tiny MDPs (the reference of gradientEstimates)
 *   attachExact(...)       bias² of each estimator against it
 *
 * Layers: imports src/core, src/envs, src/estimators, src/optim only.
 */
import type { Config } from '../core/config';
import { CheckpointError } from '../core/errors';
import type { EngineSnapshot, EnvDef, EstimatorKind, EstimatorStats, UpdateStats } from '../core/types';
import { tabularModelOf } from '../envs';
import { exactGradient } from '../estimators/exact';
import { psiKindFor } from '../estimators/returns';
import { bias2 } from '../estimators/variance';
import { linearLr } from '../optim/schedule';

/** What an update of this run does, whatever the backend. */
export interface UpdatePlan {
  /** the Ψ the actor trains with ('gae' for PPO) */
  psiKind: EstimatorKind;
  /** 'ppo': clipped surrogate; 'pg': −Ψ log π */
  loss: 'ppo' | 'pg';
  epochs: number;
  minibatches: number;
  /** normalise Ψ per minibatch */
  normAdv: boolean;
  /** β_KL of the k3 penalty (0 = off) */
  klCoef: number;
  /** target-KL early stop (0 = off) */
  targetKl: number;
  /**
   * critic target = GAE(γ, targetLambda) + V: λ for 'gae' (and PPO), 0 for actor-critic (δ + V), 1 for
   * the REINFORCE family (G_t)
   */
  targetLambda: number;
  /** 'reinforce-baseline': fold mean G_t into the running-mean baseline after each applied update */
  runningBaseline: boolean;
}

/**
 * PPO: the config's epochs, minibatches, normAdv, KL terms, GAE Ψ and λ-return targets. The plain
 * policy-gradient algorithms: one full-batch step (1 epoch, 1 minibatch), no normalisation, no KL terms,
 * loss −Ψ log π with their own Ψ, critic on λ-return targets with their λ (DESIGN.md: "target = G_t or
 * Â_t + V(s_t)"; docs/design-notes.md "Every algorithm trains the critic").
 */
export function updatePlan(config: Config): UpdatePlan {
  const ppo = config.algo === 'ppo';
  const psiKind = psiKindFor(config.algo);
  return {
    psiKind,
    loss: ppo ? 'ppo' : 'pg',
    epochs: ppo ? config.epochs : 1,
    minibatches: ppo ? Math.min(config.minibatches, config.numEnvs * config.numSteps) : 1,
    normAdv: ppo ? config.normAdv : false,
    klCoef: ppo ? config.klCoef : 0,
    targetKl: ppo ? config.targetKl : 0,
    targetLambda: psiKind === 'gae' ? config.lambda : psiKind === 'actor-critic' ? 0 : 1,
    runningBaseline: psiKind === 'reinforce-baseline',
  };
}

/** The permutation stream of an update's first epoch (epoch e uses stream + e): updates done · epochs. */
export function shuffleStreamOf(plan: UpdatePlan, updatesDone: number): number {
  return updatesDone * plan.epochs;
}

/** The learning rate of the update after `updatesDone` (CleanRL's linear annealing when enabled). */
export function lrAt(config: Config, updatesDone: number, numUpdates: number): number {
  return config.annealLr ? linearLr(config.lr, updatesDone + 1, numUpdates) : config.lr;
}

/** The episodes that finished in one rollout, as sums (both engines accumulate these). */
export interface EpisodeSums {
  sumReturn: number;
  sumLength: number;
  count: number;
  /** smallest / largest finished return (anything when count = 0) */
  min: number;
  max: number;
}

/** The losses and gradient norm of one minibatch (UpdateStats' fields of the same names). */
export type LossStats = Pick<UpdateStats, 'policyLoss' | 'valueLoss' | 'entropy' | 'approxKl' | 'clipFrac' | 'gradNorm'>;

/** The learner's statistics of one update (the last minibatch run's losses, CleanRL). */
export type LearnSummary = LossStats & Pick<UpdateStats, 'epochsRun' | 'nonFinite'>;

export function assembleStats(update: number, envSteps: number, ep: EpisodeSums, ls: LearnSummary, lr: number): UpdateStats {
  const any = ep.count > 0;
  return {
    update,
    envSteps,
    episodicReturn: any ? ep.sumReturn / ep.count : NaN,
    episodicLength: any ? ep.sumLength / ep.count : NaN,
    episodicReturnMin: any ? ep.min : NaN,
    episodicReturnMax: any ? ep.max : NaN,
    episodes: ep.count,
    policyLoss: ls.policyLoss,
    valueLoss: ls.valueLoss,
    entropy: ls.entropy,
    approxKl: ls.approxKl,
    clipFrac: ls.clipFrac,
    gradNorm: ls.gradNorm,
    lr,
    epochsRun: ls.epochsRun,
    nonFinite: ls.nonFinite,
  };
}

/** The portable engine state (EngineSnapshot.state) both engines write and read. */
export interface PortableState {
  /** [N][stateDim] */
  envState: Float32Array;
  /** [N] per-env step index k */
  envStep: Uint32Array;
  /** [N] running return of the episode in progress */
  epReturn: Float64Array;
  /** [N] its length */
  epLength: Uint32Array;
}

/**
 * Check a snapshot against this run (parameter count, env count, state size) and return its portable
 * state; a CheckpointError says what does not fit.
 */
export function validateSnapshot(s: EngineSnapshot, run: { paramCount: number; numEnvs: number; stateDim: number }): PortableState {
  const need = <T extends Float32Array | Float64Array | Uint32Array>(name: string, len: number, ctor: new (n: number) => T): T => {
    const a = s.state[name];
    if (!a || !(a instanceof ctor) || a.length !== len) {
      throw new CheckpointError(`checkpoint does not fit this run: state ${name} must be ${ctor.name}[${len}] (was it saved with another env count or backend?)`);
    }
    return a as T;
  };
  const N = run.numEnvs;
  if (s.params.length !== run.paramCount) throw new CheckpointError(`checkpoint has ${s.params.length} parameters, the network has ${run.paramCount}`);
  return {
    envState: need('envState', N * run.stateDim, Float32Array),
    envStep: need('envStep', N, Uint32Array),
    epReturn: need('epReturn', N, Float64Array),
    epLength: need('epLength', N, Uint32Array),
  };
}

/** The baseline scalars of a snapshot (absent ones: a fresh baseline). */
export function baselineScalars(s: EngineSnapshot): { baseline: number; baselineCount: number } {
  return { baseline: s.scalars.baseline ?? 0, baselineCount: s.scalars.baselineCount ?? 0 };
}

/** Whether `exactReference` knows ∇J for this env (the tiny MDPs). */
export function hasExactReference(env: EnvDef): boolean {
  return tabularModelOf(env) !== undefined;
}

/**
 * The exact ∇J w.r.t. the actor parameters θ[0 … actorSize) on the tiny envs (tabular actor = logits
 * table at offset 0); undefined elsewhere.
 */
export function exactReference(env: EnvDef, theta: Float32Array, actorSize: number, gamma: number): Float64Array | undefined {
  const model = tabularModelOf(env);
  return model ? Float64Array.from(exactGradient(model, theta.subarray(0, actorSize), gamma).grad) : undefined;
}

/** Set each estimator's bias² = ‖mean − reference‖² when a reference is known; returns the list. */
export function attachExact(estimators: EstimatorStats[], reference: Float64Array | undefined, actorSize: number): EstimatorStats[] {
  if (reference) for (const s of estimators) s.bias2 = bias2(s.mean, reference, actorSize);
  return estimators;
}
