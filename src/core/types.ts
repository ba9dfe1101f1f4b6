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
  approxKl: number;
  clipFrac: number;
  /** global gradient norm before clipping (last minibatch) */
  gradNorm: number;
  /** learning rate used in this update */
  lr: number;
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
