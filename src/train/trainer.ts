/**
 * The backend-agnostic trainer: one loop you can read top to bottom (CleanRL style).
 *
 *   for update = 1 … numUpdates:
 *     engine.collect()                      rollout of numEnvs × numSteps on the backend
 *     engine.gradientEstimates(all Ψ, G)    every `varianceEvery` updates: variance and cosine of every
 *                                           estimator on this rollout (the trained Ψ's: gradVariance, gradSnr)
 *     engine.update()                       advantages, losses, gradients, optimiser step(s)
 *     emit a MetricRow (fixed names in metrics.ts)
 *
 * It never branches on the backend except where one is chosen (`createEngine`; `startTrainer` adds the
 * page's fallback to the CPU engine when no GPU engine can be had).
 *
 * A lost WebGPU device (driver reset, `device.destroy()`) does not end the run: GPU runs keep the
 * engine's snapshot every `snapshotEvery` updates; on a DeviceLostError the trainer builds a new engine
 * (a new device; the CPU engine if no GPU engine can be built), restores that snapshot, drops the rows
 * after it (`onRewind`) and runs those updates again — the same RNG counters give the same rollouts.
 * `EngineOptions.notice` says so. This is the one recovery path: the page's worker and the CLI use it.
 */
import { numUpdatesOf, validateConfig, type Config } from '../core/config';
import { CheckpointError, ConfigError, DeviceLostError, UserError } from '../core/errors';
import { ESTIMATORS, type Backend, type Engine, type EngineSnapshot, type Trajectory } from '../core/types';
import { psiKindFor } from '../estimators/returns';
import { linearLr } from '../optim/schedule';
import { createCpuEngine } from '../backends/cpu/engine';
import type { AdapterChoice } from '../backends/gpu/device';
import { checkCompatible, makeCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint';
import { LIVE_HYPER_FIELDS, type HyperChange, type LiveHyper } from '../core/types';
import { validateLiveHyper } from '../backends/core';
import { ESTIMATOR_METRICS, meanOfLastEpisodes, unmeasuredEstimators, type MetricRow } from './metrics';

export { numUpdatesOf, validateLiveHyper };

/** The run hit `maxFaults` consecutive non-finite updates; the engine holds the last good state. */
export class NumericalFaultError extends UserError {
  override readonly name = 'NumericalFaultError';
}

export interface EngineOptions {
  /** a WebGPU entry point (navigator.gpu in the browser, the `webgpu` package's create([]) in Node) */
  gpu?: GPU;
  /** Node: which WebGPU adapter ('default', 'swiftshader', 'lavapipe'; default POLICYGRAD_ADAPTER) */
  adapter?: AdapterChoice;
  /** called with a one-line notice the user should see (e.g. "using SwiftShader"; 'warn': a recovered device loss) */
  notice?: (msg: string, level?: 'info' | 'warn') => void;
  /** use this engine instead of building one (tests, fault injection) */
  engine?: Engine;
  /** GPU: time every kernel with timestamp queries (engine.lastProfile()) */
  profile?: boolean;
  /** rebuild the engine after a lost device (default: createEngine(config) with these options) */
  rebuild?: (config: Config) => Promise<Engine>;
  /**
   * Engines on a device that can be lost: read the training state back every this many updates
   * (default `SNAPSHOT_EVERY`); a lost device costs at most that many updates, which are run again.
   */
  snapshotEvery?: number;
  /** a recovery went back to the snapshot after `update`: the rows after it are dropped and run again */
  onRewind?: (update: number) => void;
}

/**
 * How often a GPU run reads its whole training state back for device-loss recovery: a lost device is
 * rare, a read-back of parameters, optimiser and env state after every update is not free.
 */
export const SNAPSHOT_EVERY = 10;

/** How many device losses one run recovers from before giving up. */
const MAX_RECOVERIES = 3;

/** The one place a backend is chosen. */
export async function createEngine(config: Config, opts: EngineOptions = {}): Promise<Engine> {
  if (opts.engine) return opts.engine;
  if (config.backend === 'cpu') return createCpuEngine(config);
  const { createGpuEngine } = await import('../backends/gpu/engine');
  return createGpuEngine(config, opts);
}

/**
 * Engines for several seeds of one configuration that run batched (one per seed, in order), or
 * undefined where the backend runs seeds one after another (the CPU engine). On the GPU every seed's
 * envs go through one rollout dispatch (createGpuSeedEngines); drive the engines' Trainers
 * concurrently: each engine's collect() waits for its live siblings.
 */
export async function createSeedEngines(config: Config, seeds: readonly number[], opts: EngineOptions = {}): Promise<Engine[] | undefined> {
  if (config.backend === 'cpu' || seeds.length < 2) return undefined;
  const { createGpuSeedEngines } = await import('../backends/gpu/engine');
  return createGpuSeedEngines(config, seeds, opts);
}

/**
 * Whether a WebGPU entry point (the browser's navigator.gpu) can give an adapter: `{ gpu }`, or why
 * not in one line.
 */
export async function probeGpu(gpu: GPU | undefined): Promise<{ gpu?: GPU; reason: string }> {
  if (!gpu) return { reason: 'WebGPU is not available in this browser (navigator.gpu is missing)' };
  try {
    const a = await gpu.requestAdapter();
    if (!a) return { reason: 'WebGPU is present but no GPU adapter is available' };
  } catch (e) {
    return { reason: `the WebGPU adapter request failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { gpu, reason: '' };
}

/** Where a run landed: its backend, in words, and why it is not on the GPU it asked for. */
export interface Placement {
  backend: Backend;
  /** 'WebGPU engine', 'CPU engine', or '<reason>; running on the CPU engine' */
  detail: string;
  /** set when a GPU request runs on the CPU engine */
  reason?: string;
}

export interface StartOptions extends EngineOptions {
  /** continue from this checkpoint (its text or parsed form; the config overrides its non-shape fields) */
  checkpoint?: string | Checkpoint;
  /**
   * A GPU request that cannot be met runs on the CPU engine and says why (the page). Without it the
   * error is thrown (the CLI). Config and checkpoint errors are the user's and always thrown.
   */
  fallback?: boolean;
  /** known before trying: why no GPU can be had here (from `probeGpu`); the GPU engine is not tried */
  gpuUnavailable?: string;
}

/**
 * Build a Trainer for `config` (from `opts.checkpoint` if given), choosing the backend: the config's,
 * or with `fallback` the CPU engine when WebGPU is missing or the GPU engine fails to start.
 */
export async function startTrainer(config: Config, opts: StartOptions = {}): Promise<{ trainer: Trainer } & Placement> {
  const { checkpoint, fallback, gpuUnavailable, ...engineOpts } = opts;
  const build = async (c: Config): Promise<Trainer> => {
    if (checkpoint === undefined) return Trainer.create(c, engineOpts);
    const parsed = typeof checkpoint === 'string' ? parseCheckpoint(checkpoint) : checkpoint;
    // both engines read and write the same portable snapshot (parameters, optimiser, env states)
    if (parsed.backend !== c.backend) engineOpts.notice?.(`the checkpoint was written by the ${parsed.backend.toUpperCase()} engine; it continues on the ${c.backend.toUpperCase()} engine.`, 'info');
    return Trainer.fromCheckpoint(parsed, c, engineOpts);
  };
  if (config.backend !== 'gpu') return { trainer: await build(config), backend: 'cpu', detail: 'CPU engine' };
  const onCpu = async (reason: string) => ({ trainer: await build({ ...config, backend: 'cpu' }), backend: 'cpu' as const, detail: `${reason}; running on the CPU engine`, reason });
  if (fallback && gpuUnavailable !== undefined) return onCpu(gpuUnavailable);
  try {
    return { trainer: await build(config), backend: 'gpu', detail: 'WebGPU engine' };
  } catch (e) {
    if (!fallback || e instanceof ConfigError || e instanceof CheckpointError) throw e;
    return onCpu(`the GPU engine could not start (${e instanceof Error ? e.message : String(e)})`);
  }
}

type Schedule = Pick<Config, 'lr' | 'annealLr' | 'totalSteps' | 'numEnvs' | 'numSteps'>;

function describeSchedule(c: Schedule): string {
  return c.annealLr ? `lr ${c.lr} annealed linearly over ${numUpdatesOf(c)} updates` : `constant lr ${c.lr}`;
}

/**
 * One line when a run resumed after `update` updates follows a different learning-rate schedule than
 * the checkpoint's run (with annealing on, a larger totalSteps stretches the schedule); null when the
 * schedule is the same or no update is left to run.
 */
export function scheduleChange(checkpoint: Schedule, run: Schedule, update: number): string | null {
  const was = describeSchedule(checkpoint);
  const now = describeSchedule(run);
  const U = numUpdatesOf(run);
  if (was === now || update >= U) return null;
  const next = run.annealLr ? linearLr(run.lr, update + 1, U) : run.lr;
  return `the learning-rate schedule differs from the checkpoint's: ${now} (the checkpoint's: ${was}); update ${update + 1} uses lr ${Number(next.toPrecision(6))}`;
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
  /** one line per recovered device loss (also sent to EngineOptions.notice) */
  readonly recoveries: string[] = [];
  private wall0 = performance.now();
  private wallPrev = 0;
  private consecutiveFaults = 0;
  /** GPU runs: the engine state after a good update (every `snapshotEvery`), to rebuild from after a lost device */
  private lastGood: EngineSnapshot | null = null;
  private current: Engine;
  /**
   * Live hyperparameter changes (setHyper), oldest first; a resumed run's begin with its checkpoint's
   * (already in its config: `inherited` of them). The summary, the checkpoint and `--set` replay them.
   */
  readonly changes: HyperChange[] = [];
  private inherited = 0;
  /** the live values this trainer started with (its own changes are folded onto them: liveAt) */
  private baseHyper: Required<LiveHyper>;
  /** the update being run now (null between updates): a change made meanwhile starts with the next */
  private running: number | null = null;

  private constructor(
    readonly config: Config,
    engine: Engine,
    private readonly opts: EngineOptions,
    private updatesDone = 0,
  ) {
    this.numUpdates = numUpdatesOf(config);
    this.current = engine;
    this.baseHyper = { lambda: config.lambda, lr: config.lr, entCoef: config.entCoef, clip: config.clip };
  }

  /** The engine the run is on now (a new one after a recovered device loss). */
  get engine(): Engine {
    return this.current;
  }

  /** Validate `config` (partial configs are filled with defaults) and build its engine. */
  static async create(config: Partial<Config> | Config, opts: EngineOptions = {}): Promise<Trainer> {
    const c = validateConfig(config as Record<string, unknown>);
    const t = new Trainer(c, await createEngine(c, opts), opts);
    await t.keepLastGood();
    return t;
  }

  /**
   * Continue from a checkpoint (its text or parsed form). `overrides` may extend the run
   * (e.g. totalSteps, backend); shape fields must match the checkpoint. A learning-rate schedule
   * that differs from the checkpoint's (`scheduleChange`) is reported through `opts.notice`.
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
    const t = new Trainer(config, engine, opts, c.snapshot.update);
    t.changes.push(...(c.changes ?? []));
    t.inherited = t.changes.length;
    await t.keepLastGood();
    const change = scheduleChange(c.config, config, c.snapshot.update);
    if (change) opts.notice?.(change);
    return t;
  }

  /** Engines on a device that can be lost keep their state every `snapshotEvery` updates (and at the start). */
  private async keepLastGood(): Promise<void> {
    if (!this.current.deviceLost) return;
    const every = Math.max(1, this.opts.snapshotEvery ?? SNAPSHOT_EVERY);
    if (this.lastGood === null || this.updatesDone % every === 0 || this.done) this.lastGood = await this.current.snapshot();
  }

  /**
   * The device under the engine was lost: build a new engine (GPU first, else CPU), restore the last
   * good snapshot, and carry on. Throws the original error when there is nothing to restore.
   */
  private async recover(e: DeviceLostError): Promise<void> {
    const snap = this.lastGood;
    if (!snap || this.recoveries.length >= MAX_RECOVERIES) throw e;
    try {
      this.current.dispose();
    } catch {
      /* it went with the device */
    }
    const say = this.opts.notice ?? (() => {});
    let engine: Engine;
    let where = 'a new GPU device';
    try {
      engine = this.opts.rebuild ? await this.opts.rebuild(this.config) : await createEngine(this.config, { ...this.opts, engine: undefined });
    } catch (e2) {
      where = `the CPU engine (no new GPU engine: ${(e2 as Error).message})`;
      engine = createCpuEngine({ ...this.config, backend: 'cpu' });
    }
    await engine.restore(snap);
    this.current = engine;
    if (snap.update < this.updatesDone) {
      // the updates after the snapshot are run again: their rows go
      this.updatesDone = snap.update;
      const keep = this.history.findIndex((r) => r.update > snap.update);
      if (keep >= 0) this.history.length = keep;
      this.consecutiveFaults = 0;
      this.opts.onRewind?.(snap.update);
    }
    const line = `${e.message}; continuing on ${where} from update ${snap.update}`;
    this.recoveries.push(line);
    say(line, 'warn');
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
    try {
      for (;;) {
        try {
          this.syncHyper();
          this.running = this.updatesDone + 1;
          const row = await this.runUpdateOnce();
          await this.keepLastGood();
          return row;
        } catch (e) {
          if (!(e instanceof DeviceLostError)) throw e;
          await this.recover(e);
        }
      }
    } finally {
      this.running = null;
    }
  }

  /**
   * Live hyperparameters (issue #12): check `values` with the config field table (one ConfigError
   * naming the field and its range; nothing applied), record them as a change from the first update
   * that has not begun, and show them in `config`. The engine takes them as that update begins, so a
   * change made while an update runs (the page's worker) starts with the next one. A new lr replaces
   * the schedule's base lr (`lrAt`). Returns the change: { update: the first update using it, values }.
   */
  setHyper(values: LiveHyper): HyperChange {
    const v = validateLiveHyper(values);
    const update = this.firstUnstarted;
    if (update > this.numUpdates) throw new UserError(`training is complete (${this.numUpdates} updates): no update is left to change`);
    const last = this.changes.length > this.inherited ? this.changes[this.changes.length - 1] : undefined;
    if (last?.update === update) Object.assign(last.values, v);
    else this.changes.push({ update, values: { ...v } });
    Object.assign(this.config, v);
    return { update, values: v };
  }

  /** The first update that has not begun: a change made now holds from there (past numUpdates: none is left). */
  get firstUnstarted(): number {
    return (this.running ?? this.updatesDone) + 1;
  }

  /** The live values this trainer started with (a fresh run's update 1; a resumed run's checkpoint config). */
  get startHyper(): Required<LiveHyper> {
    return { ...this.baseHyper };
  }

  /** The live values update `u` runs with: the start's, then this trainer's own changes up to u. */
  private liveAt(u: number): Required<LiveHyper> {
    const v = { ...this.baseHyper };
    for (const c of this.changes.slice(this.inherited)) if (c.update <= u) Object.assign(v, c.values);
    return v;
  }

  /** Before an update: give the engine the live values of that update (after a change, or a rebuilt engine redoing older updates). */
  private syncHyper(): void {
    const want = this.liveAt(this.updatesDone + 1);
    const diff: LiveHyper = {};
    for (const k of LIVE_HYPER_FIELDS) if (this.engine.config[k] !== want[k]) diff[k] = want[k];
    if (Object.keys(diff).length > 0) this.engine.setHyper(diff);
  }

  private async runUpdateOnce(): Promise<MetricRow> {
    const t0 = performance.now();
    await this.engine.collect();
    let gradVariance = NaN;
    let gradSnr = NaN;
    const compared = unmeasuredEstimators();
    const every = this.config.varianceEvery;
    if (every > 0 && this.updatesDone % every === 0) {
      // every Ψ on this rollout (common random numbers), whichever one trains
      const v = await this.engine.gradientEstimates(ESTIMATORS, this.config.varianceGroups);
      for (const e of v.estimators) {
        compared[ESTIMATOR_METRICS[e.kind].variance] = e.traceCov;
        compared[ESTIMATOR_METRICS[e.kind].cosine] = e.cosineToMean ?? NaN;
      }
      const trained = v.estimators.find((e) => e.kind === psiKindFor(this.config.algo))!;
      gradVariance = trained.traceCov;
      gradSnr = trained.snr;
    }
    const s = await this.engine.update();
    this.updatesDone = s.update;
    const t1 = performance.now();
    const row: MetricRow = {
      ...s,
      wallS: (t1 - this.wall0) / 1000,
      sps: (this.config.numEnvs * this.config.numSteps) / Math.max(1e-9, (t1 - t0) / 1000),
      gradVariance,
      gradSnr,
      ...compared,
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

  /** Env `env`'s steps of the last rollout (Engine.trajectory): what the page's agent view plays back. */
  async trajectory(env: number): Promise<Trajectory> {
    return this.engine.trajectory(env);
  }

  async checkpoint(): Promise<Checkpoint> {
    return makeCheckpoint(this.config, this.engine.backend, this.engine.paramCount, await this.engine.snapshot(), this.changes.map((c) => ({ update: c.update, values: { ...c.values } })));
  }

  dispose(): void {
    this.engine.dispose();
  }
}
