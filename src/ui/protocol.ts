/**
 * The typed messages between the page and the training worker (src/ui/worker.ts). The page sends
 * validated configs; the worker owns the Trainers and answers with metric rows, state changes,
 * notices and results. Structured clone carries typed arrays as they are.
 */
import type { Config } from '../core/config';
import type { Backend, EstimatorKind, VarianceStats, Trajectory } from '../core/types';
import type { MetricRow } from '../train/metrics';
import type { LiveHyper } from '../core/types';
import type { VarianceSweep } from '../train/variance-lab';

/** per estimator kind: bias² and variance per λ of the sweep (src/train/variance-lab.ts) */
export type { VarianceSweep };

/** One side-by-side run (one estimator / algorithm, and one seed of it) of the trainer page. */
export interface RunSpec {
  config: Config;
  /**
   * set when an estimator trains several seeds: the run's name in notices and errors ("ppo seed 2"),
   * and its checkpoint files are named with the seed
   */
  label?: string;
  /** a checkpoint's text to continue from (the config then overrides its non-shape fields) */
  checkpoint?: string;
}

export type ToWorker =
  | { type: 'train-start'; runId: number; runs: RunSpec[] }
  | { type: 'train-pause'; runId: number }
  | { type: 'train-resume'; runId: number }
  | { type: 'train-reset'; runId: number }
  | { type: 'train-checkpoint'; reqId: number; runId: number; index: number }
  /** env `env`'s steps of run `index`'s last rollout (answered with 'trajectory') */
  | { type: 'train-trajectory'; reqId: number; runId: number; index: number; env: number }
  /** test hook: make the GPU device of run `index` be lost (GPUDevice.destroy()) */
  | { type: 'train-lose-device'; runId: number; index: number }
  /**
   * live hyperparameters (λ, lr, entCoef, clip): every run of the session uses them from its next
   * update; answered per run with 'train-hyper-applied', or once with 'error' naming the bad field
   */
  | { type: 'train-hyper'; runId: number; values: LiveHyper }
  /**
   * Variance lab: build an engine for `config`, train `warmup` updates, freeze the policy, collect one
   * rollout, then gradient statistics of `kinds` on it for every λ in `lambdas` (same rollout).
   */
  | { type: 'variance-setup'; reqId: number; config: Config; warmup: number; kinds: EstimatorKind[]; groups: number; lambdas: number[]; lambda: number }
  /** Variance lab: recompute on the same rollout with another λ */
  | { type: 'variance-lambda'; reqId: number; lambda: number }
  /** Variance lab: the accumulation frames (n = 1, 2, 4, … envs per group) on the same rollout at λ */
  | { type: 'variance-frames'; reqId: number; lambda: number }
  /**
   * Variance lab, cosine similarity vs samples (src/train/variance-lab.ts `cosineVsSamples`): K =
   * config.varianceGroups estimates of n state-action pairs for each n in `samples`
   */
  | { type: 'variance-cosine'; reqId: number; config: Config; warmup: number; kinds: EstimatorKind[]; samples: number[]; referencePairs: number }
  /** Benchmark: env-steps/s per (backend, numEnvs) */
  | { type: 'bench'; reqId: number; config: Config; envCounts: number[]; backends: Backend[]; updates: number };

export type RunState = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'error';

export type FromWorker =
  | { type: 'train-row'; runId: number; index: number; row: MetricRow }
  /** the series of run `index` restarts after update `update` (continuing from an older checkpoint) */
  | { type: 'train-rewind'; runId: number; index: number; update: number }
  | { type: 'train-state'; runId: number; state: RunState; message?: string; field?: string }
  /** the backend run `index` actually uses (GPU may fall back to CPU) */
  | { type: 'train-backend'; runId: number; index: number; backend: Backend; detail: string }
  | { type: 'checkpoint'; reqId: number; text: string; name: string }
  /** run `index` uses `values` from update `update` on (the first update that uses them: the chart mark) */
  | { type: 'train-hyper-applied'; runId: number; index: number; update: number; values: LiveHyper }
  | { type: 'trajectory'; reqId: number; runId: number; index: number; trajectory: Trajectory }
  /** run `index`'s checkpoint at `update` was written to IndexedDB (src/ui/autosave.ts) */
  | { type: 'autosaved'; runId: number; index: number; update: number }
  /**
   * `actor`: the frozen policy's actor parameters when the env is tabular (θ = logits [nObs][nActions],
   * the layout of `stats.reference`), so the page can show the point the exact ∇J is taken at.
   */
  | { type: 'variance-result'; reqId: number; lambda: number; stats: VarianceStats; backend: Backend; reference: 'exact' | 'monte-carlo'; actor?: number[]; numSteps: number }
  | { type: 'variance-sweep'; reqId: number; sweep: VarianceSweep }
  /** the accumulation frames (src/train/variance-lab.ts `VarianceLab.frames`) at λ */
  | { type: 'variance-frames'; reqId: number; lambda: number; frames: import('../train/variance-lab').VarianceFrames }
  /** the cosine curve so far (after every point; `done` with the last) */
  | { type: 'variance-cosine-curve'; reqId: number; curve: import('../train/variance-lab').CosineCurve; done: boolean }
  | { type: 'bench-point'; reqId: number; backend: Backend; numEnvs: number; sps: number }
  | { type: 'bench-done'; reqId: number }
  | { type: 'notice'; level: 'info' | 'warn' | 'error'; message: string }
  /** a request failed; `field` names a config field when the cause is one */
  | { type: 'error'; reqId?: number; runId?: number; message: string; field?: string };
