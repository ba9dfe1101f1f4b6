/**
 * The training worker: owns the Trainers so the page stays responsive. It speaks the typed protocol
 * of ./protocol.ts and is a thin caller of src/train: `startTrainer` chooses the backend (navigator.gpu
 * when WebGPU works in the worker; else, or when the GPU engine cannot start, the CPU engine, and the
 * page is told why), `VarianceLab` is the variance lab's procedure (as `policygrad variance`'s), and
 * `measure` is the benchmark's measuring loop (as `policygrad bench`'s). A lost GPU device is the
 * Trainer's to recover from (src/train/trainer.ts: a new GPU device, else the CPU engine, from its last
 * snapshot); the worker only tells the page (notices, `train-rewind`, `train-backend`).
 */
/// <reference lib="webworker" />
import { validateConfig } from '../core/config';
import { ConfigError, DeviceLostError, UserError } from '../core/errors';
import type { Backend, Engine, Trajectory } from '../core/types';
import { createEngine, createSeedEngines, probeGpu as probe, startTrainer, type StartOptions, Trainer } from '../train/trainer';
import { validateLiveHyper } from '../train/trainer';
import type { LiveHyper } from '../core/types';
import { serializeCheckpoint, type Checkpoint } from '../train/checkpoint';
import { measure } from '../train/bench';
import { VarianceLab } from '../train/variance-lab';
import { saveCheckpoint } from './autosave';
import type { FromWorker, RunSpec, ToWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

function post(m: FromWorker): void {
  self.postMessage(m);
}

function tick(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// Choosing the backend

let gpuProbe: Promise<{ gpu?: GPU; reason: string }> | null = null;

/** navigator.gpu with a usable adapter, or why not (probed once per worker). */
function probeGpu(): Promise<{ gpu?: GPU; reason: string }> {
  gpuProbe ??= probe((self.navigator as Navigator & { gpu?: GPU }).gpu);
  return gpuProbe;
}

function notice(level: 'info' | 'warn' | 'error', message: string): void {
  post({ type: 'notice', level, message });
}

/**
 * How this worker builds a run's engine (src/train/trainer.ts `startTrainer`): a GPU request gets the
 * probed navigator.gpu, or the CPU engine when it cannot be had; notices are prefixed with `label`.
 */
async function placement(label: string, backend: Backend): Promise<StartOptions> {
  const p = backend === 'gpu' ? await probeGpu() : undefined;
  return {
    gpu: p?.gpu,
    gpuUnavailable: p && !p.gpu ? p.reason : undefined,
    fallback: true,
    notice: (m, level = 'info') => notice(level, `${label}: ${m}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Training: several runs side by side, one update of each in turn (the seeds of one estimator on the
// GPU: one batch, their updates at the same time)

/** Every run's checkpoint is written to IndexedDB this often (and when it ends or pauses). */
const CHECKPOINT_EVERY = 10;

class TrainSession {
  trainers: Trainer[] = [];
  backends: Backend[] = [];
  /** runs that update together: one batch of seeds (createSeedEngines), else one run each */
  private groups: number[][] = [];
  private paused = false;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    readonly runId: number,
    readonly specs: RunSpec[],
  ) {}

  private state(state: 'starting' | 'running' | 'paused' | 'done' | 'error' | 'idle', message?: string, field?: string): void {
    post({ type: 'train-state', runId: this.runId, state, message, field });
  }

  async start(): Promise<void> {
    this.state('starting');
    let engines: (Engine | undefined)[] = [];
    try {
      engines = await this.seedBatches();
      for (let i = 0; i < this.specs.length; i++) {
        const s = this.specs[i];
        const onRewind = (update: number) => post({ type: 'train-rewind', runId: this.runId, index: i, update });
        const { trainer, backend, detail } = await startTrainer(s.config, { ...(await placement(s.label ?? s.config.algo, s.config.backend)), checkpoint: s.checkpoint, onRewind, engine: engines[i] });
        if (this.stopped) {
          trainer.dispose();
          for (const en of engines.slice(i + 1)) en?.dispose();
          return;
        }
        this.trainers.push(trainer);
        this.backends.push(backend);
        const batch = engines[i] ? this.groups.find((g) => g.includes(i))?.length : undefined;
        post({ type: 'train-backend', runId: this.runId, index: i, backend, detail: batch ? `${detail}, ${batch} seeds batched in one rollout` : detail });
        if (i === 0 && s.config.backend === 'gpu' && backend === 'cpu') notice('warn', `${detail}.`);
        if (s.checkpoint !== undefined) post({ type: 'train-rewind', runId: this.runId, index: i, update: trainer.update });
      }
    } catch (e) {
      // batched engines of runs that never got their Trainer
      for (const en of engines) if (en && !this.trainers.some((t) => t.engine === en)) en.dispose();
      this.dispose();
      const field = e instanceof ConfigError ? e.field : undefined;
      this.state('error', e instanceof UserError ? e.message : `could not start: ${errorMessage(e)}`, field);
      return;
    }
    this.state(this.paused ? 'paused' : 'running');
    await this.loop();
  }

  /**
   * Engines for the runs that are seeds of one GPU configuration (same config but the seed, no
   * checkpoint): one batch each (createSeedEngines: one rollout dispatch for all its seeds), by run
   * index; `groups` records which runs update together. A batch that cannot start leaves its runs to
   * start one by one (startTrainer: its own GPU engine, else the CPU engine, and why).
   */
  private async seedBatches(): Promise<(Engine | undefined)[]> {
    const engines: (Engine | undefined)[] = this.specs.map(() => undefined);
    const byConfig = new Map<string, number[]>();
    this.specs.forEach((s, i) => {
      const key = s.config.backend === 'gpu' && s.checkpoint === undefined ? JSON.stringify({ ...s.config, seed: 0 }) : `run ${i}`;
      byConfig.set(key, [...(byConfig.get(key) ?? []), i]);
    });
    this.groups = [];
    for (const runs of byConfig.values()) {
      const first = this.specs[runs[0]];
      const p = runs.length > 1 ? await probeGpu() : undefined;
      if (p?.gpu) {
        try {
          const batch = await createSeedEngines(first.config, runs.map((i) => this.specs[i].config.seed), { gpu: p.gpu, notice: (m, level = 'info') => notice(level, `${first.label ?? first.config.algo}: ${m}`) });
          batch?.forEach((e, k) => (engines[runs[k]] = e));
        } catch {
          /* each run starts on its own (and says why if it cannot) */
        }
      }
      if (runs.every((i) => engines[i])) this.groups.push(runs);
      else this.groups.push(...runs.map((i) => [i]));
    }
    return engines;
  }

  /** One update of run i; false when it ended the session (an error). */
  private async step(i: number): Promise<boolean> {
    const t = this.trainers[i];
    try {
      const row = await t.runUpdate();
      post({ type: 'train-row', runId: this.runId, index: i, row });
      if (t.engine.backend !== this.backends[i]) {
        // the trainer rebuilt its engine after a lost device and found no new GPU engine
        this.backends[i] = t.engine.backend;
        post({ type: 'train-backend', runId: this.runId, index: i, backend: t.engine.backend, detail: 'CPU engine (after the GPU device was lost)' });
      }
      if (row.update % CHECKPOINT_EVERY === 0 || t.done) await this.keep(i);
      return true;
    } catch (e) {
      // the Trainer already recovered what it could (a lost device); what reaches here ends the session
      if (!this.stopped) this.state('error', `${this.specs[i].label ?? this.specs[i].config.algo}: ${e instanceof UserError ? e.message : errorMessage(e)}`);
      this.stopped = true;
      return false;
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (this.paused) {
        // between updates: autosave every run where it stands, then wait
        for (let i = 0; i < this.trainers.length && !this.stopped; i++) if (this.trainers[i].update > 0) await this.keep(i).catch(() => {});
        if (!this.paused || this.stopped) continue;
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      let active = 0;
      for (const g of this.groups) {
        if (this.stopped || this.paused) break;
        // a batch's seeds update together (their rollouts are one dispatch): one at a time would wait forever
        const runs = g.filter((i) => !this.trainers[i].done);
        active += runs.length;
        if (runs.length === 0) continue;
        const ok = await Promise.all(runs.map((i) => this.step(i)));
        if (!ok.every(Boolean)) {
          this.dispose();
          return;
        }
        await tick();
      }
      if (active === 0 && !this.stopped) {
        this.state('done');
        return;
      }
    }
  }

  /** Autosave run i's checkpoint to IndexedDB. */
  private async keep(i: number): Promise<void> {
    const ck = await this.trainers[i].checkpoint();
    try {
      await saveCheckpoint({ name: checkpointName(ck), env: ck.config.env, algo: ck.config.algo, seed: ck.config.seed, update: ck.snapshot.update, text: serializeCheckpoint(ck) });
      post({ type: 'autosaved', runId: this.runId, index: i, update: ck.snapshot.update });
    } catch (e) {
      if (!this.autosaveFailed) notice('warn', `Could not autosave checkpoints in this browser (${errorMessage(e)}); use “Save checkpoint”.`);
      this.autosaveFailed = true;
    }
  }

  private autosaveFailed = false;

  pause(): void {
    this.paused = true;
    this.state('paused');
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.state('running');
    this.wake?.();
    this.wake = null;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.dispose();
  }

  dispose(): void {
    for (const t of this.trainers) {
      try {
        t.dispose();
      } catch {
        /* ignore */
      }
    }
    this.trainers = [];
  }

  async checkpointText(index: number): Promise<{ text: string; name: string }> {
    const t = this.trainers[index];
    if (!t) throw new UserError('no such run');
    const ck = await t.checkpoint();
    return { text: serializeCheckpoint(ck), name: checkpointName(ck, this.specs[index].label !== undefined) };
  }

  /**
   * Env `env`'s steps of run `index`'s last rollout (the agent view). A lost device is the run's news
   * (the Trainer recovers and says so at its next update); the agent view only waits for a rollout.
   */
  async trajectory(index: number, env: number): Promise<Trajectory> {
    const t = this.trainers[index];
    if (!t) throw new UserError('no such run');
    try {
      return await t.trajectory(env);
    } catch (e) {
      if (e instanceof DeviceLostError) throw new UserError('nothing to show until the next rollout (the run is moving to a new device)');
      throw e;
    }
  }

  /**
   * Live hyperparameters for every run that still trains, from its next update (Trainer.setHyper);
   * the values are checked once first, so a bad one changes no run.
   */
  setHyper(values: LiveHyper): void {
    const v = validateLiveHyper(values);
    if (this.trainers.length < this.specs.length) throw new UserError('the runs are still starting: change hyperparameters once they train');
    this.trainers.forEach((t, index) => {
      if (t.firstUnstarted > t.numUpdates) return; // finished, or on its last update
      const { update } = t.setHyper(v);
      post({ type: 'train-hyper-applied', runId: this.runId, index, update, values: v });
    });
  }

  /** Test hook: destroy the GPU device under run `index`, as a driver reset would. */
  loseDevice(index: number): void {
    const engine = this.trainers[index]?.engine as unknown as { device?: GPUDevice };
    if (engine?.device && typeof engine.device.destroy === 'function') engine.device.destroy();
    else notice('warn', 'this run has no GPU device to lose');
  }
}

/** A checkpoint's file name (`withSeed`: one of several seeds of its estimator, so the seed is in it). */
function checkpointName(ck: Checkpoint, withSeed = false): string {
  return `policygrad-${ck.config.env}-${ck.config.algo}${withSeed ? `-seed${ck.config.seed}` : ''}-u${ck.snapshot.update}.json`;
}

let session: TrainSession | null = null;

// ---------------------------------------------------------------------------------------------
// Variance lab (src/train/variance-lab.ts): one frozen policy, one rollout, several Ψ, any λ

let lab: VarianceLab | null = null;

async function varianceAt(reqId: number, lambda: number): Promise<void> {
  if (!lab) throw new UserError('set up the variance lab first');
  const stats = await lab.estimates(lambda);
  post({ type: 'variance-result', reqId, lambda, stats, backend: lab.backend, reference: stats.reference ? 'exact' : 'monte-carlo', actor: lab.actor(stats), numSteps: lab.config.numSteps });
}

async function varianceSetup(m: Extract<ToWorker, { type: 'variance-setup' }>): Promise<void> {
  lab?.dispose();
  lab = null;
  // warm up (trains actor and critic), then freeze: the same parameters on a fresh batch of envs
  lab = await VarianceLab.open(
    { config: m.config, kinds: m.kinds, groups: m.groups, warmup: m.warmup, monteCarloReference: true, onWarmupUpdate: (u) => (u % 5 === 4 ? tick() : undefined) },
    await placement('variance lab', m.config.backend),
  );
  // the λ sweep (same rollout for every λ)
  const sweep = await lab.sweep(m.lambdas);
  post({ type: 'variance-sweep', reqId: m.reqId, sweep });
  await varianceAt(m.reqId, m.lambda);
}

// ---------------------------------------------------------------------------------------------
// Benchmark: the CLI's measuring loop (src/train/bench.ts), `updates` timed updates per point

async function bench(m: Extract<ToWorker, { type: 'bench' }>): Promise<void> {
  for (const backend of m.backends) {
    const gpu = backend === 'gpu' ? await probeGpu() : undefined;
    if (gpu && !gpu.gpu) {
      notice('warn', `benchmark: GPU points skipped — ${gpu.reason}.`);
      continue;
    }
    for (const n of m.envCounts) {
      let engine: Engine | null = null;
      try {
        const c = validateConfig({ ...m.config, backend, numEnvs: n, varianceEvery: 0, minibatches: Math.min(m.config.minibatches, n * m.config.numSteps), totalSteps: (m.updates + 2) * n * m.config.numSteps });
        try {
          engine = await createEngine(c, { gpu: gpu?.gpu, notice: (msg, level = 'info') => notice(level, `benchmark: ${msg}`) });
        } catch (e) {
          if (backend !== 'gpu' || e instanceof ConfigError) throw e;
          notice('warn', `benchmark: GPU points skipped — the GPU engine could not start (${errorMessage(e)}).`);
          break;
        }
        const { sps } = await measure(engine, 'train', n * c.numSteps, 0, m.updates);
        post({ type: 'bench-point', reqId: m.reqId, backend, numEnvs: n, sps });
      } catch (e) {
        notice('error', `benchmark ${backend} at ${n} envs: ${errorMessage(e)}`);
      } finally {
        engine?.dispose();
      }
      await tick();
    }
  }
  post({ type: 'bench-done', reqId: m.reqId });
}

// ---------------------------------------------------------------------------------------------

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  try {
    switch (m.type) {
      case 'train-start':
        session?.stop();
        session = new TrainSession(m.runId, m.runs);
        void session.start();
        break;
      case 'train-pause':
        if (session?.runId === m.runId) session.pause();
        break;
      case 'train-resume':
        if (session?.runId === m.runId) session.resume();
        break;
      case 'train-reset':
        session?.stop();
        session = null;
        post({ type: 'train-state', runId: m.runId, state: 'idle' });
        break;
      case 'train-checkpoint': {
        if (!session || session.runId !== m.runId) throw new UserError('no training to checkpoint');
        const { text, name } = await session.checkpointText(m.index);
        post({ type: 'checkpoint', reqId: m.reqId, text, name });
        break;
      }
      case 'train-trajectory': {
        if (!session || session.runId !== m.runId) throw new UserError('no training to show');
        const trajectory = await session.trajectory(m.index, m.env);
        post({ type: 'trajectory', reqId: m.reqId, runId: m.runId, index: m.index, trajectory });
        break;
      }
      case 'train-hyper':
        if (!session || session.runId !== m.runId) throw new UserError('no training to change');
        session.setHyper(m.values);
        break;
      case 'train-lose-device':
        if (session?.runId === m.runId) session.loseDevice(m.index);
        break;
      case 'variance-setup':
        await varianceSetup(m);
        break;
      case 'variance-lambda':
        await varianceAt(m.reqId, m.lambda);
        break;
      case 'variance-frames': {
        if (!lab) throw new UserError('set up the variance lab first');
        post({ type: 'variance-frames', reqId: m.reqId, lambda: m.lambda, frames: await lab.frames(m.lambda) });
        break;
      }
      case 'variance-cosine': {
        // cosine similarity vs samples (src/train/variance-lab.ts, as `policygrad variance --cosine`), posted after every point
        const { cosineVsSamples } = await import('../train/variance-lab');
        await cosineVsSamples(
          {
            config: m.config, kinds: m.kinds, samples: m.samples, warmup: m.warmup, referencePairs: m.referencePairs,
            onWarmupUpdate: (u) => (u % 5 === 4 ? tick() : undefined),
            onPoint: (curve, done) => {
              post({ type: 'variance-cosine-curve', reqId: m.reqId, curve, done: done === m.samples.length });
              return tick();
            },
          },
          await placement('cosine vs samples', m.config.backend),
        );
        break;
      }
      case 'bench':
        await bench(m);
        break;
    }
  } catch (e) {
    const reqId = 'reqId' in m ? m.reqId : undefined;
    post({ type: 'error', reqId, message: e instanceof UserError ? e.message : errorMessage(e), field: e instanceof ConfigError ? e.field : undefined });
  }
};
