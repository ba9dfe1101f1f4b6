/**
 * The training worker: owns the Trainers so the page stays responsive. It speaks the typed protocol
 * of ./protocol.ts and uses only the trainer's public API (src/train). WebGPU works in workers
 * (navigator.gpu); without it, or when the GPU engine cannot start, the run goes on with the CPU
 * engine and the page is told why. A lost GPU device is reported and the run continues on the CPU
 * engine from its last checkpoint.
 */
/// <reference lib="webworker" />
import type { Config } from '../core/config';
import { ConfigError, CheckpointError, DeviceError, UserError } from '../core/errors';
import type { Backend } from '../core/types';
import { Trainer } from '../train/trainer';
import { parseCheckpoint, serializeCheckpoint, type Checkpoint } from '../train/checkpoint';
import { saveCheckpoint } from './autosave';
import type { FromWorker, RunSpec, ToWorker, VarianceSweep } from './protocol';

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

/** navigator.gpu with a usable adapter, or why not (probed once). */
function probeGpu(): Promise<{ gpu?: GPU; reason: string }> {
  gpuProbe ??= (async () => {
    const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return { reason: 'WebGPU is not available in this browser (navigator.gpu is missing)' };
    try {
      const a = await gpu.requestAdapter();
      if (!a) return { reason: 'WebGPU is present but no GPU adapter is available' };
    } catch (e) {
      return { reason: `the WebGPU adapter request failed: ${errorMessage(e)}` };
    }
    return { gpu, reason: '' };
  })();
  return gpuProbe;
}

function notice(level: 'info' | 'warn' | 'error', message: string): void {
  post({ type: 'notice', level, message });
}

/**
 * Build a Trainer for `config` (continuing from `ck` if given). A GPU request falls back to the CPU
 * engine when WebGPU is missing or the GPU engine fails to start; config and checkpoint errors are
 * the user's and are rethrown.
 */
async function makeTrainer(config: Config, ck: string | Checkpoint | undefined, label: string): Promise<{ trainer: Trainer; backend: Backend; detail: string; reason?: string }> {
  const opts = (gpu?: GPU) => ({ gpu, notice: (m: string, level: 'info' | 'warn' = 'info') => notice(level, `${label}: ${m}`) });
  const build = async (c: Config, gpu?: GPU): Promise<Trainer> => {
    if (ck === undefined) return Trainer.create(c, opts(gpu));
    const parsed = typeof ck === 'string' ? parseCheckpoint(ck) : ck;
    // both engines read and write the same portable snapshot (parameters, optimiser, env states)
    if (parsed.backend !== c.backend) notice('info', `${label}: the checkpoint was written by the ${parsed.backend.toUpperCase()} engine; it continues on the ${c.backend.toUpperCase()} engine.`);
    return Trainer.fromCheckpoint(parsed, c, opts(gpu));
  };
  if (config.backend === 'gpu') {
    const probe = await probeGpu();
    if (!probe.gpu) {
      const cpu = { ...config, backend: 'cpu' as const };
      return { trainer: await build(cpu), backend: 'cpu', detail: `${probe.reason}; running on the CPU engine`, reason: probe.reason };
    }
    try {
      return { trainer: await build(config, probe.gpu), backend: 'gpu', detail: 'WebGPU engine' };
    } catch (e) {
      if (e instanceof ConfigError || e instanceof CheckpointError) throw e;
      const cpu = { ...config, backend: 'cpu' as const };
      const reason = `the GPU engine could not start (${errorMessage(e)})`;
      return { trainer: await build(cpu), backend: 'cpu', detail: `${reason}; running on the CPU engine`, reason };
    }
  }
  return { trainer: await build(config), backend: 'cpu', detail: 'CPU engine' };
}

// ---------------------------------------------------------------------------------------------
// Training: several runs side by side, one update of each in turn

/**
 * Every run's checkpoint is written to IndexedDB this often (and when it ends or pauses); GPU runs
 * also keep it in memory, to continue on the CPU if the device is lost for good.
 */
const CHECKPOINT_EVERY = 10;

class TrainSession {
  trainers: Trainer[] = [];
  backends: Backend[] = [];
  rescue: (Checkpoint | null)[] = [];
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
    try {
      for (let i = 0; i < this.specs.length; i++) {
        const s = this.specs[i];
        const { trainer, backend, detail } = await makeTrainer(s.config, s.checkpoint, s.config.algo);
        if (this.stopped) {
          trainer.dispose();
          return;
        }
        this.trainers.push(trainer);
        this.backends.push(backend);
        this.rescue.push(backend === 'gpu' ? await trainer.checkpoint() : null);
        post({ type: 'train-backend', runId: this.runId, index: i, backend, detail });
        if (i === 0 && s.config.backend === 'gpu' && backend === 'cpu') notice('warn', `${detail}.`);
        if (s.checkpoint !== undefined) post({ type: 'train-rewind', runId: this.runId, index: i, update: trainer.update });
      }
    } catch (e) {
      this.dispose();
      const field = e instanceof ConfigError ? e.field : undefined;
      this.state('error', e instanceof UserError ? e.message : `could not start: ${errorMessage(e)}`, field);
      return;
    }
    this.state(this.paused ? 'paused' : 'running');
    await this.loop();
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
      for (let i = 0; i < this.trainers.length && !this.stopped && !this.paused; i++) {
        const t = this.trainers[i];
        if (t.done) continue;
        active++;
        try {
          const row = await t.runUpdate();
          post({ type: 'train-row', runId: this.runId, index: i, row });
          if (t.engine.backend !== this.backends[i]) {
            // the trainer rebuilt its engine after a lost device and found no new GPU engine
            this.backends[i] = t.engine.backend;
            this.rescue[i] = null;
            post({ type: 'train-backend', runId: this.runId, index: i, backend: t.engine.backend, detail: 'CPU engine (after the GPU device was lost)' });
          }
          if (row.update % CHECKPOINT_EVERY === 0 || t.done) await this.keep(i);
        } catch (e) {
          if (!(await this.recover(i, e))) return;
        }
        await tick();
      }
      if (active === 0 && !this.stopped) {
        this.state('done');
        return;
      }
    }
  }

  /** Take run i's checkpoint: the in-memory rescue copy (GPU runs) and the IndexedDB autosave. */
  private async keep(i: number): Promise<void> {
    const ck = await this.trainers[i].checkpoint();
    if (this.backends[i] === 'gpu') this.rescue[i] = ck;
    try {
      await saveCheckpoint({ name: checkpointName(ck), env: ck.config.env, algo: ck.config.algo, update: ck.snapshot.update, text: serializeCheckpoint(ck) });
      post({ type: 'autosaved', runId: this.runId, index: i, update: ck.snapshot.update });
    } catch (e) {
      if (!this.autosaveFailed) notice('warn', `Could not autosave checkpoints in this browser (${errorMessage(e)}); use “Save checkpoint”.`);
      this.autosaveFailed = true;
    }
  }

  private autosaveFailed = false;

  /** A GPU failure (lost device) moves the run to the CPU engine from its last checkpoint. */
  private async recover(i: number, e: unknown): Promise<boolean> {
    const ck = this.rescue[i];
    if (this.backends[i] !== 'gpu' || ck === null) {
      this.state('error', `${this.specs[i].config.algo}: ${errorMessage(e)}`);
      this.dispose();
      return false;
    }
    const why = (e instanceof DeviceError ? e.message : errorMessage(e)).replace(/\.+$/, '');
    notice('error', `${this.specs[i].config.algo}: the GPU device was lost (${why}). Continuing on the CPU engine from update ${ck.snapshot.update}.`);
    try {
      this.trainers[i].dispose();
    } catch {
      /* already gone with the device */
    }
    const cpu = { ...this.specs[i].config, backend: 'cpu' as const };
    let t: Trainer;
    try {
      t = await Trainer.fromCheckpoint(ck, cpu);
    } catch (e2) {
      this.state('error', `${this.specs[i].config.algo}: the GPU device was lost and the run could not move to the CPU engine: ${errorMessage(e2)}`);
      this.dispose();
      return false;
    }
    this.trainers[i] = t;
    this.backends[i] = 'cpu';
    this.rescue[i] = null;
    post({ type: 'train-rewind', runId: this.runId, index: i, update: t.update });
    post({ type: 'train-backend', runId: this.runId, index: i, backend: 'cpu', detail: 'CPU engine (after the GPU device was lost)' });
    return true;
  }

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
    return { text: serializeCheckpoint(ck), name: checkpointName(ck) };
  }

  /** Test hook: destroy the GPU device under run `index`, as a driver reset would. */
  loseDevice(index: number): void {
    const engine = this.trainers[index]?.engine as unknown as { device?: GPUDevice };
    if (engine?.device && typeof engine.device.destroy === 'function') engine.device.destroy();
    else notice('warn', 'this run has no GPU device to lose');
  }
}

function checkpointName(ck: Checkpoint): string {
  return `policygrad-${ck.config.env}-${ck.config.algo}-u${ck.snapshot.update}.json`;
}

let session: TrainSession | null = null;

// ---------------------------------------------------------------------------------------------
// Variance lab: one frozen policy, one rollout, several Ψ, any λ

const TABULAR = new Set(['bandit', 'twostate', 'corridor']);
const HORIZON: Record<string, number> = { bandit: 1, twostate: 64, corridor: 200 };

interface VarianceLab {
  trainer: Trainer;
  params: Float32Array;
  kinds: VarianceReq['kinds'];
  groups: number;
  tiny: boolean;
  backend: Backend;
}
type VarianceReq = Extract<ToWorker, { type: 'variance-setup' }>;
let lab: VarianceLab | null = null;

async function varianceAt(reqId: number, lambda: number): Promise<void> {
  if (!lab) throw new UserError('set up the variance lab first');
  const stats = await lab.trainer.engine.gradientEstimates(lab.kinds, lab.groups, { lambda, episodes: lab.tiny ? 'first' : 'all' });
  const actor = stats.reference ? Array.from(lab.params.subarray(0, stats.reference.length)) : undefined;
  post({ type: 'variance-result', reqId, lambda, stats, backend: lab.backend, reference: stats.reference ? 'exact' : 'monte-carlo', actor, numSteps: lab.trainer.config.numSteps });
}

/** bias² vs the exact ∇J when known, else vs the reward-to-go mean (a Monte-Carlo reference). */
function bias2Of(stats: Awaited<ReturnType<Trainer['engine']['gradientEstimates']>>, kind: string): number {
  const e = stats.estimators.find((s) => s.kind === kind);
  if (!e) return NaN;
  if (e.bias2 !== undefined) return e.bias2;
  const ref = stats.estimators.find((s) => s.kind === 'reinforce-rtg')?.mean;
  if (!ref) return NaN;
  let b = 0;
  for (let j = 0; j < ref.length; j++) b += (e.mean[j] - ref[j]) ** 2;
  return b;
}

async function varianceSetup(m: VarianceReq): Promise<void> {
  lab?.trainer.dispose();
  lab = null;
  const tiny = TABULAR.has(m.config.env);
  const batch = (c: Config) => c.numEnvs * c.numSteps;
  const base: Config = { ...m.config, varianceEvery: 0 };
  if (tiny) base.numSteps = Math.max(base.numSteps, HORIZON[m.config.env] ?? 1);
  base.totalSteps = Math.max(base.totalSteps, (m.warmup + 2) * batch(base));
  // Warm up (trains actor and critic), then freeze: the same parameters on a fresh batch of envs.
  const warm = await makeTrainer(base, undefined, 'variance lab');
  for (let u = 0; u < m.warmup; u++) {
    await warm.trainer.runUpdate();
    if (u % 5 === 4) await tick();
  }
  const params = await warm.trainer.engine.getParams();
  warm.trainer.dispose();
  const fresh = await makeTrainer(base, undefined, 'variance lab');
  const snap = await fresh.trainer.engine.snapshot();
  snap.params = params;
  await fresh.trainer.engine.restore(snap);
  await fresh.trainer.engine.collect();
  const kinds = [...new Set([...m.kinds, ...(tiny ? [] : (['reinforce-rtg'] as const))])];
  lab = { trainer: fresh.trainer, params, kinds, groups: m.groups, tiny, backend: fresh.backend };
  if (m.config.backend === 'gpu' && fresh.backend === 'cpu') notice('warn', `variance lab: ${fresh.detail}.`);
  // the λ sweep (same rollout for every λ)
  const sweep: VarianceSweep = { lambdas: m.lambdas, bias2: {}, variance: {} };
  for (const k of kinds) {
    sweep.bias2[k] = [];
    sweep.variance[k] = [];
  }
  for (const lambda of m.lambdas) {
    let s: Awaited<ReturnType<Trainer['engine']['gradientEstimates']>>;
    try {
      s = await lab.trainer.engine.gradientEstimates(kinds, m.groups, { lambda, episodes: tiny ? 'first' : 'all' });
    } catch (e) {
      // an engine that cannot do this estimate (e.g. per-episode estimates on the GPU) hands over to the CPU reference
      if (lab.backend !== 'gpu' || !(e instanceof UserError)) throw e;
      notice('warn', `variance lab: ${e.message}; using the CPU engine.`);
      return varianceSetup({ ...m, config: { ...m.config, backend: 'cpu' } });
    }
    for (const k of kinds) {
      sweep.bias2[k].push(bias2Of(s, k));
      sweep.variance[k].push(s.estimators.find((e) => e.kind === k)?.traceCov ?? NaN);
    }
  }
  post({ type: 'variance-sweep', reqId: m.reqId, sweep });
  await varianceAt(m.reqId, m.lambda);
}

// ---------------------------------------------------------------------------------------------
// Benchmark

async function bench(m: Extract<ToWorker, { type: 'bench' }>): Promise<void> {
  for (const backend of m.backends) {
    if (backend === 'gpu' && !(await probeGpu()).gpu) {
      notice('warn', `benchmark: GPU points skipped — ${(await probeGpu()).reason}.`);
      continue;
    }
    for (const n of m.envCounts) {
      const c: Config = { ...m.config, backend, numEnvs: n, varianceEvery: 0, minibatches: Math.min(m.config.minibatches, n * m.config.numSteps) };
      c.totalSteps = (m.updates + 2) * n * c.numSteps;
      let t: Trainer | null = null;
      try {
        const made = await makeTrainer(c, undefined, 'benchmark');
        if (made.backend !== backend) {
          made.trainer.dispose();
          notice('warn', `benchmark: GPU points skipped — ${made.reason ?? made.detail}.`);
          break;
        }
        t = made.trainer;
        await t.runUpdate(); // warm-up: pipelines, JIT
        const t0 = performance.now();
        for (let u = 0; u < m.updates; u++) await t.runUpdate();
        const s = (performance.now() - t0) / 1000;
        post({ type: 'bench-point', reqId: m.reqId, backend, numEnvs: n, sps: (m.updates * n * c.numSteps) / s });
      } catch (e) {
        notice('error', `benchmark ${backend} at ${n} envs: ${errorMessage(e)}`);
      } finally {
        t?.dispose();
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
      case 'train-lose-device':
        if (session?.runId === m.runId) session.loseDevice(m.index);
        break;
      case 'variance-setup':
        await varianceSetup(m);
        break;
      case 'variance-lambda':
        await varianceAt(m.reqId, m.lambda);
        break;
      case 'bench':
        await bench(m);
        break;
    }
  } catch (e) {
    const reqId = 'reqId' in m ? m.reqId : undefined;
    post({ type: 'error', reqId, message: e instanceof UserError ? e.message : errorMessage(e), field: e instanceof ConfigError ? e.field : undefined });
  }
};
