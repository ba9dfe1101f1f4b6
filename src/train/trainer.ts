/**
 * The backend-agnostic trainer: one loop you can read top to bottom (CleanRL style).
 *
 *   for update = 1 … numUpdates:
 *     engine.collect()                      rollout of numEnvs × numSteps on the backend
 *     engine.gradientEstimates([Ψ], G)      every `varianceEvery` updates: variance of the gradient
 *     engine.update()                       advantages, losses, gradients, optimiser step(s)
 *     emit a MetricRow (fixed names in metrics.ts)
 *
 * It never branches on the backend except where one is chosen (`createEngine`).
 */
import { numUpdatesOf, validateConfig, type Config } from '../core/config';
import { UserError } from '../core/errors';
import type { Engine } from '../core/types';
import { psiKindFor } from '../estimators/returns';
import { createCpuEngine } from '../backends/cpu/engine';
import { checkCompatible, makeCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint';
import { meanOfLastEpisodes, type MetricRow } from './metrics';

export { numUpdatesOf };

/** The run hit `maxFaults` consecutive non-finite updates; the engine holds the last good state. */
export class NumericalFaultError extends UserError {
  override readonly name = 'NumericalFaultError';
}

export interface EngineOptions {
  /** a WebGPU entry point (navigator.gpu in the browser, the `webgpu` package's create([]) in Node) */
  gpu?: GPU;
  /** called with a one-line notice the user should see (e.g. "using SwiftShader") */
  notice?: (msg: string) => void;
  /** use this engine instead of building one (tests, fault injection) */
  engine?: Engine;
}

/** The one place a backend is chosen. */
export async function createEngine(config: Config, opts: EngineOptions = {}): Promise<Engine> {
  if (opts.engine) return opts.engine;
  if (config.backend === 'cpu') return createCpuEngine(config);
  const { createGpuEngine } = await import('../backends/gpu/engine');
  return createGpuEngine(config, opts);
}



export interface RunSummary {
  steps: number;
  updates: number;
  wall_s: number;
  /** mean return of the last 100 finished episodes */
  final_return: number;
  sps: number;
  nonFiniteUpdates: number;
}

export class Trainer {
  readonly history: MetricRow[] = [];
  readonly numUpdates: number;
  private wall0 = performance.now();
  private wallPrev = 0;
  private consecutiveFaults = 0;

  private constructor(
    readonly config: Config,
    readonly engine: Engine,
    private updatesDone = 0,
  ) {
    this.numUpdates = numUpdatesOf(config);
  }

  /** Validate `config` (partial configs are filled with defaults) and build its engine. */
  static async create(config: Partial<Config> | Config, opts: EngineOptions = {}): Promise<Trainer> {
    const c = validateConfig(config as Record<string, unknown>);
    return new Trainer(c, await createEngine(c, opts));
  }

  /**
   * Continue from a checkpoint (its text or parsed form). `overrides` may extend the run
   * (e.g. totalSteps, backend); shape fields must match the checkpoint.
   */
  static async fromCheckpoint(ck: string | Checkpoint, overrides: Partial<Config> = {}, opts: EngineOptions = {}): Promise<Trainer> {
    const c = typeof ck === 'string' ? parseCheckpoint(ck) : ck;
    const config = validateConfig({ ...c.config, ...overrides });
    const engine = await createEngine(config, opts);
    try {
      checkCompatible(c, config, engine.paramCount);
      await engine.restore(c.snapshot);
    } catch (e) {
      engine.dispose();
      throw e;
    }
    return new Trainer(config, engine, c.snapshot.update);
  }

  get update(): number {
    return this.updatesDone;
  }
  get done(): boolean {
    return this.updatesDone >= this.numUpdates;
  }

  /** One rollout + update; returns its metric row (also appended to `history`). */
  async runUpdate(): Promise<MetricRow> {
    if (this.done) throw new UserError(`training is complete (${this.numUpdates} updates)`);
    const t0 = performance.now();
    await this.engine.collect();
    let gradVariance = NaN;
    let gradSnr = NaN;
    const every = this.config.varianceEvery;
    if (every > 0 && this.updatesDone % every === 0) {
      const v = await this.engine.gradientEstimates([psiKindFor(this.config.algo)], this.config.varianceGroups);
      gradVariance = v.estimators[0].traceCov;
      gradSnr = v.estimators[0].snr;
    }
    const s = await this.engine.update();
    this.updatesDone = s.update;
    const t1 = performance.now();
    const row: MetricRow = {
      update: s.update,
      envSteps: s.envSteps,
      wallS: (t1 - this.wall0) / 1000,
      sps: (this.config.numEnvs * this.config.numSteps) / Math.max(1e-9, (t1 - t0) / 1000),
      episodicReturn: s.episodicReturn,
      episodicLength: s.episodicLength,
      episodes: s.episodes,
      policyLoss: s.policyLoss,
      valueLoss: s.valueLoss,
      entropy: s.entropy,
      approxKl: s.approxKl,
      clipFrac: s.clipFrac,
      gradNorm: s.gradNorm,
      lr: s.lr,
      nonFinite: s.nonFinite,
      gradVariance,
      gradSnr,
    };
    this.wallPrev = row.wallS;
    this.history.push(row);
    // a non-finite update was rolled back by the engine; too many in a row end the run
    this.consecutiveFaults = s.nonFinite ? this.consecutiveFaults + 1 : 0;
    if (this.consecutiveFaults >= this.config.maxFaults) {
      throw new NumericalFaultError(
        `${this.consecutiveFaults} consecutive updates had a non-finite loss, gradient or parameter (each was rolled back); stopping at update ${s.update} with the last good parameters — lower --lr or check the environment's rewards`,
      );
    }
    return row;
  }

  /** Train until done (or `maxUpdates` more, or the signal aborts), calling `onUpdate` per update. */
  async run(opts: { onUpdate?: (row: MetricRow) => void; signal?: AbortSignal; maxUpdates?: number } = {}): Promise<RunSummary> {
    let n = 0;
    while (!this.done && !opts.signal?.aborted && (opts.maxUpdates === undefined || n < opts.maxUpdates)) {
      const row = await this.runUpdate();
      opts.onUpdate?.(row);
      n++;
    }
    return this.summary();
  }

  summary(): RunSummary {
    const last = this.history[this.history.length - 1];
    const steps = last?.envSteps ?? 0;
    const firstSteps = this.history.length ? this.history[0].envSteps - this.config.numEnvs * this.config.numSteps : 0;
    return {
      steps,
      updates: this.updatesDone,
      wall_s: this.wallPrev,
      final_return: meanOfLastEpisodes(this.history, 100),
      sps: this.wallPrev > 0 ? (steps - firstSteps) / this.wallPrev : 0,
      nonFiniteUpdates: this.history.filter((r) => r.nonFinite).length,
    };
  }

  async checkpoint(): Promise<Checkpoint> {
    return makeCheckpoint(this.config, this.engine.backend, this.engine.paramCount, await this.engine.snapshot());
  }

  dispose(): void {
    this.engine.dispose();
  }
}
