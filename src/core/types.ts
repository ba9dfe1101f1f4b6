/**
 * Shared types and contracts. Every layer below core imports its vocabulary from here; the contracts
 * (env, engine, checkpoint) are documented once, here.
 */
import type { Config } from './config';

export const ENV_NAMES = ['bandit', 'twostate', 'corridor', 'cartpole', 'pendulum', 'limitorder'] as const;
export type EnvName = (typeof ENV_NAMES)[number];

/** Training algorithms: the five Ψ estimators with a plain policy-gradient step, and PPO (GAE advantages). */
export const ALGOS = ['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic', 'gae', 'ppo'] as const;
export type Algo = (typeof ALGOS)[number];

/** The Ψ_t choices of the score-function gradient (DESIGN.md "The theory"). */
export const ESTIMATORS = ['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic', 'gae'] as const;
export type EstimatorKind = (typeof ESTIMATORS)[number];

export const BACKENDS = ['cpu', 'gpu'] as const;
export type Backend = (typeof BACKENDS)[number];

export const ACTIVATIONS = ['tanh', 'relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Action / observation spaces as data. A box's dimension is `low.length`. */
export type Space =
  | { kind: 'discrete'; n: number }
  | { kind: 'box'; low: number[]; high: number[] };

/** What one env step reports besides the new state (a reusable object: no allocation per step). */
export interface StepResult {
  reward: number;
  /** the MDP reached a terminal state: V(s_{t+1}) = 0 */
  terminated: boolean;
  /** the time limit cut the episode: bootstrap with V(real s_{t+1}) */
  truncated: boolean;
}

/**
 * An environment, gymnax style: pure functions over a flat float32 state slice, parameters as data.
 *
 * State layout: `stateDim` floats per env at `s[off … off+stateDim−1]`; the last float is the step
 * count t within the episode (used for truncation at `horizon`). States are float32 on both backends.
 * Randomness comes in as four uniforms in (0,1) drawn by the engine from the counter-based RNG
 * (core/rng.ts): `reset` gets (Purpose.Reset, env, k, 0) where k is the per-env step index whose
 * observation the new episode starts at; `step` gets (Purpose.Env, env, k, 0) for per-env step k.
 * Actions: a discrete action is its index stored as a float (actDim = 1); a box action is `actDim`
 * floats, the raw (unclipped) sample — the env clips it where its original does.
 * Auto-reset is the engine's job: after a step that ends the episode it keeps the real last
 * observation for bootstrapping, then calls `reset`.
 *
 * `params` holds the environment's constants (Gymnasium's values by default).
 */
export interface EnvDef<P = Record<string, number>> {
  readonly name: EnvName;
  readonly params: P;
  readonly obsDim: number;
  readonly stateDim: number;
  readonly action: Space;
  readonly actDim: number;
  /** time limit: `truncated` is set when t reaches it (unless terminated at the same step) */
  readonly horizon: number;
  /** tiny envs with a tabular policy: observations are one-hot over `nStates` */
  readonly tabular?: { nStates: number };
  reset(s: Float32Array, off: number, u: ArrayLike<number>): void;
  step(s: Float32Array, off: number, a: ArrayLike<number>, aoff: number, u: ArrayLike<number>, out: StepResult): void;
  observe(s: Float32Array, off: number, obs: Float32Array, ooff: number): void;
}

/** Statistics of one update, as the engine reports them. The trainer maps them to fixed metric names. */
export interface UpdateStats {
  /** updates done so far, this one included */
  update: number;
  /** env steps collected so far (numEnvs × numSteps per update) */
  envSteps: number;
  /** mean real (undiscounted, unnormalised) return of the episodes that finished in this rollout; NaN if none */
  episodicReturn: number;
  /** mean length of those episodes; NaN if none */
  episodicLength: number;
  /** smallest and largest return among those episodes (the curves' min–max band); NaN if none */
  episodicReturnMin: number;
  episodicReturnMax: number;
  /** how many episodes finished in this rollout */
  episodes: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  /** mean k3 estimate of KL(π_old‖π) of the last minibatch run (PPO; NaN for the other algorithms: no trust region) */
  approxKl: number;
  /** fraction of the update's samples (all minibatches run) with ratio outside [1−ε, 1+ε] (PPO; NaN otherwise) */
  clipFrac: number;
  /** 1 − Var[R − V] / Var[R] over the update's batch: R the critic's targets, V the rollout's values (NaN if Var[R] = 0) */
  explainedVariance: number;
  /** global gradient norm before clipping (last minibatch) */
  gradNorm: number;
  /** learning rate used in this update */
  lr: number;
  /** GAE λ, entropy coefficient β and PPO clip ε in force for this update (live hyperparameters: Engine.setHyper) */
  lambda: number;
  entCoef: number;
  clip: number;
  /** epochs actually run (PPO target-KL early stop can cut them) */
  epochsRun: number;
  /** true if a non-finite loss, gradient or parameter appeared (the update was not applied) */
  nonFinite: boolean;
}

/** One estimator's gradient statistics over G disjoint env groups of one rollout. */
export interface EstimatorStats {
  kind: EstimatorKind;
  /** mean over groups of the per-group gradient of J w.r.t. the actor parameters */
  mean: Float64Array;
  /** trace of the covariance of the per-group gradient estimates */
  traceCov: number;
  /** signal-to-noise ‖mean‖² / traceCov */
  snr: number;
  /** each group's estimate projected on `VarianceStats.direction` (for histograms) */
  projections: Float64Array;
  /** ‖mean − reference‖² when a reference gradient is known */
  bias2?: number;
  /** mean over groups of cos(ĝ_g, mean): how well one group's estimate points along the average */
  cosineToMean?: number;
  /** mean pairwise cos(ĝ_g, ĝ_h) over the G group estimates (with GradientEstimateOptions.cosine) */
  pairwiseCosine?: number;
  /** mean over groups of cos(ĝ_g, ∇J): against opts.reference, else the exact ∇J (with opts.cosine) */
  cosineToReference?: number;
}

export interface VarianceStats {
  groups: number;
  /** episodes / env steps behind the estimate */
  envSteps: number;
  /** unit vector the projections are taken on (the reference gradient's direction when known) */
  direction: Float64Array;
  /** exact ∇J on the tiny envs (bandit, twostate, corridor); absent elsewhere */
  reference?: Float64Array;
  estimators: EstimatorStats[];
}

/**
 * Everything needed to continue a run exactly: parameters, optimiser state, env and RNG counters,
 * episode accumulators. Arrays are float32/float64/uint32 so a resume on the same backend is
 * bit-identical. Snapshots are portable: both engines write and read the same keys, so a snapshot
 * taken by either engine continues on the other (docs/design-notes.md, "Engine interface").
 */
export interface EngineSnapshot {
  update: number;
  envSteps: number;
  params: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  adamT: number;
  /** the portable engine state, the same keys on every backend: envState, envStep, epReturn (f64), epLength */
  state: Record<string, Float32Array | Float64Array | Uint32Array>;
  /** named scalars, the same on every backend (the running baseline: baseline, baselineCount) */
  scalars: Record<string, number>;
}

export interface GradientEstimateOptions {
  /**
   * 'first': use only each env's first episode of the rollout, and only if it ended inside it (the
   * tiny envs' exact comparisons: every env starts from reset, numSteps ≥ the horizon). 'all' (default):
   * every step, episodes cut by the rollout end bootstrapped with V.
   */
  episodes?: 'all' | 'first';
  /** the critic's λ for the 'gae' estimator (default: config.lambda) */
  lambda?: number;
  /** also pairwiseCosine and cosineToReference (O(G²·P), so only when asked: the cosine-vs-samples lab) */
  cosine?: boolean;
  /** the target of cosineToReference where the engine knows no exact ∇J (a Monte-Carlo estimate) */
  reference?: ArrayLike<number>;
}

/**
 * π(·|s_t) at every step of a trajectory: a categorical's probabilities [T][n], or a diagonal Gaussian's
 * mean [T][actDim] and (state-independent) σ [actDim].
 */
export type TrajectoryDist =
  | { kind: 'categorical'; n: number; probs: Float32Array }
  | { kind: 'gaussian'; mean: Float32Array; std: Float32Array };

/**
 * One env's steps of the last collected rollout (`Engine.trajectory`), for watching the agent act.
 * Per step t (arrays [T] unless noted): the observation the action was taken in, the action, π(·|s_t)
 * of the policy that collected the rollout, log π(a_t|s_t) as recorded, V(s_t), V(real s_{t+1}), r_t,
 * the done flags and Â_t = GAE(γ, λ) of the run (bootstrapped where the rollout cuts an episode).
 */
export interface Trajectory {
  envName: EnvName;
  /** the env's index among the run's numEnvs */
  env: number;
  T: number;
  obsDim: number;
  actDim: number;
  stateDim: number;
  /** the env's own step index k of step 0 (core/rng.ts keys) */
  k0: number;
  gamma: number;
  lambda: number;
  /** [T][obsDim] */
  obs: Float32Array;
  /** [T][actDim] (discrete: the index as a float; box: the raw, unclipped sample) */
  actions: Float32Array;
  /**
   * [T][stateDim] the env state each action was taken in, re-simulated on the host from the rollout's
   * start state with the recorded actions and the engine's RNG (exact for the discrete envs; for the
   * continuous ones `obs` is the record, the state may differ from the GPU's by float rounding)
   */
  states: Float32Array;
  dist: TrajectoryDist;
  /** log π(a_t|s_t) as the rollout recorded it */
  logProb: Float32Array;
  values: Float32Array;
  nextValues: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  advantages: Float32Array;
}

/** The hyperparameters that may change while a run trains (`Engine.setHyper`), by config field name. */
export const LIVE_HYPER_FIELDS = ['lambda', 'lr', 'entCoef', 'clip'] as const;
export type LiveHyperField = (typeof LIVE_HYPER_FIELDS)[number];
export type LiveHyper = Partial<Pick<Config, LiveHyperField>>;

/** A live change: `values` hold from update `update` (the first update that uses them) on. */
export interface HyperChange {
  update: number;
  values: LiveHyper;
}

/** The one interface both backends implement (DESIGN.md "One engine, two backends"). */
export interface Engine {
  readonly backend: Backend;
  readonly config: Config;
  /** number of floats in the flat parameter vector (actor then critic) */
  readonly paramCount: number;
  /** where the arithmetic runs, in one line: the WebGPU adapter's name, or the CPU reference engine */
  readonly where: string;
  /** one rollout of numEnvs × numSteps, all on the backend */
  collect(): Promise<void>;
  /** advantages, losses, gradients, optimiser step(s) on the last rollout */
  update(): Promise<UpdateStats>;
  /**
   * Gradient estimates with several Ψ on the last collected rollout (common random numbers: the same
   * trajectories for every estimator), over `groups` disjoint groups of envs.
   */
  gradientEstimates(kinds: readonly EstimatorKind[], groups: number, opts?: GradientEstimateOptions): Promise<VarianceStats>;
  getParams(): Promise<Float32Array>;
  /**
   * Change live hyperparameters (validated: ConfigError, nothing applied): the next update and every
   * one after it uses them; `config` shows them. A new lr replaces the schedule's base lr (`lrAt`).
   */
  setHyper(values: LiveHyper): void;
  /**
   * Env `env`'s steps of the last collected rollout (still there after `update`; UserError before the
   * first collect, after a restore, or for an index outside [0, numEnvs)). Reads back only that env's slice.
   */
  trajectory(env: number): Promise<Trajectory>;
  snapshot(): Promise<EngineSnapshot>;
  restore(s: EngineSnapshot): Promise<void>;
  /** wait until all work submitted to the backend has finished (GPU: the queue drains; timings need it) */
  sync?(): Promise<void>;
  /** GPU engines: why the device was lost ("destroyed: …"), or null while it is alive */
  deviceLost?(): string | null;
  /** GPU engines created with profiling: per-kernel report of the last collect and update */
  lastProfile?(): KernelProfile;
  dispose(): void;
}

/**
 * Per-kernel GPU time of an engine's last collect / update (ms, from timestamp queries), the work each
 * kernel did (FLOPs counted from the shapes) and the kernel choices made at creation (autotune).
 */
export interface KernelProfile {
  /** kernel label → GPU milliseconds */
  ms: Record<string, number>;
  /** kernel label → floating-point operations of that work (where counted) */
  flops: Record<string, number>;
  /** dispatches per update (rollout + learner) and bytes read back to the host per update */
  dispatchesPerUpdate?: number;
  bytesReadPerUpdate?: number;
  /** what was chosen, and each candidate's measured ms: "rollout" → { choice, times } */
  choices: Record<string, { choice: string; times: Record<string, number>; cached: boolean }>;
}
