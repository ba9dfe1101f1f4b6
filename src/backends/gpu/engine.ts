/**
 * The WebGPU engine: the same `Engine` as the CPU reference (src/backends/cpu/engine.ts), with every
 * step of an update on the device:
 *
 *   collect():  pack θ → fused rollout kernel (env step + actor/critic forward + sampling, T steps
 *               per env without leaving the device) → episode statistics reduced to one vec4.
 *               No readback.
 *   update():   the learner (src/backends/gpu/learn/: scan for Ψ / targets, minibatch gather,
 *               forward, losses, backward, clip, Adam, target-KL stop) in the same submit as the
 *               copy of the episode statistics; ONE round trip per update: the learner's staging
 *               buffer and ours (episode sums, Σ targets for the running baseline) are mapped together.
 *
 * Buffer contract with the learner: θ, Adam m and v are f32 storage buffers [P] in the flat layout of
 * src/policy/layout.ts, updated in place; the rollout buffers are those of rollout.ts (time-major
 * [T][N]). RNG keys, the per-env step index k and auto-reset follow core/rng.ts exactly as the CPU
 * engine does, so the same seed gives the same actions until float rounding flips a sample.
 *
 * Profiling (`profile: true`, needs 'timestamp-query'): per-kernel GPU milliseconds from timestamp
 * queries of the last rollout (pack-weights, rollout, episode-stats) and of the last update's scan and,
 * kernel by kernel, its minibatches (learn-gather, learn-gemm-forward, learn-loss, …, learn-adam: the
 * mean per minibatch over the first learner.profiledSlots of them), plus the update's wall time;
 * `lastProfile()` returns them.
 */
import targetMeanCode from '../../../shaders/target_mean.wgsl?raw';
import { numUpdatesOf, type Config } from '../../core/config';
import { UserError } from '../../core/errors';
import type { Engine, EngineSnapshot, KernelProfile, EnvDef, EstimatorKind, EstimatorStats, GradientEstimateOptions, Trajectory, UpdateStats, VarianceStats } from '../../core/types';
import { makeEnv } from '../../envs';
import { RunningMeanBaseline } from '../../estimators/baseline';
import { pickDirection, snr } from '../../estimators/variance';
import { initParams } from '../../policy/init';
import { netLayout, netSpecFor, type NetLayout } from '../../policy/layout';
import {
  assembleStats, assembleTrajectory, attachCosines, attachExact, baselineScalars, checkTrajectoryEnv, exactReference, hasExactReference, lrAt, shuffleStreamOf, updatePlan,
  validateSnapshot, type UpdatePlan,
} from '../core';
import { acquireDevice, checkLimits, type AcquiredDevice, type AdapterChoice } from './device';
import { EPISODE_FLOATS, StructLayout, TRAJ_PLANES, UniformWriter } from './dispatch';
import { GpuLearner, learnerOptionsFor } from './learn/learner';
import { validateLiveHyper } from '../core';
import type { LiveHyper } from '../../core/types';
import { EMPTY_MAX, EMPTY_MIN, ENGINE_READBACK, EPISODE_RECORD, EPISODE_STATS_BYTES, readField, workspaceRowFloats, writeField } from './learn/layout';
import { fallbackKernels, kernelCandidates, kernelSetKey, timeLearnerKernels, type KernelSet } from './learn/tune';
import { autotune, cachedChoice, defaultTuneStore, timeSubmit, tuneMode, type TuneMode, type TuneStore } from './autotune';
import { DeviceLossWatch } from './device-loss';
import { PipelineCache } from './pipeline-cache';
import { dispatchCounter, Program } from './program';
import { GpuRollout, defaultRolloutVariant, rolloutConstants, rolloutTraits, rolloutVariantFromEnv, rolloutVariantsFor, type GpuRolloutOptions, type RolloutVariant, type SlotBuffers } from './rollout';

export interface GpuEngineOptions extends GpuRolloutOptions {
  /** a WebGPU entry point (navigator.gpu, or create([]) of the 'webgpu' package) */
  gpu?: GPU;
  /** Node: which adapter (device.ts AdapterChoice; default POLICYGRAD_ADAPTER, else 'default') */
  adapter?: AdapterChoice;
  /** an already acquired device (tests share one); the engine then does not destroy it */
  device?: AcquiredDevice;
  /** one-line notices for the user (adapter in use) */
  notice?: (msg: string) => void;
  /** per-kernel timing with timestamp queries (adds one small readback per collect) */
  profile?: boolean;
  /** kernel choice by measurement (autotune.ts): default POLICYGRAD_TUNE, else 'on' */
  tune?: TuneMode;
  /** where measured choices persist (default: the tune file in Node, IndexedDB in the browser) */
  tuneStore?: TuneStore | null;
}

/**
 * Floating-point operations of the profiled work, by kernel label, counted from the shapes (pure;
 * unit-tested): a dense layer of in × out on R rows is 2·R·in·out multiply-adds' worth.
 *  - rollout: T·N steps, each one actor and one critic forward (V of the next observation; the
 *    carried V needs no second pass except after a reset, not counted);
 *  - learn-gemm-forward: one minibatch of R rows through both nets;
 *  - learn-gemm-input-grad: the same products but the first layer's (no input gradient needed);
 *  - learn-gemm-weight-grad: every layer's δxᵀ.
 * Other labels (scans, losses, reductions) are memory-bound and get no count.
 */
export function profileFlops(layout: NetLayout, T: number, N: number, minibatches: number): Record<string, number> {
  const macs = (ls: { inDim: number; outDim: number }[]) => ls.reduce((a, l) => a + l.inDim * l.outDim, 0);
  const nets = [layout.actorLayers, layout.criticLayers];
  const all = nets.reduce((a, ls) => a + macs(ls), 0);
  const firsts = nets.reduce((a, ls) => a + (ls.length ? ls[0].inDim * ls[0].outDim : 0), 0);
  const R = Math.ceil((T * N) / minibatches);
  if (all === 0) return {};
  return {
    rollout: 2 * T * N * all,
    'learn-gemm-forward': 2 * R * all,
    'learn-gemm-input-grad': 2 * R * (all - firsts),
    'learn-gemm-weight-grad': 2 * R * all,
  };
}

const SUM_PARAMS = new StructLayout([['count', 'u32']]);

export async function createGpuEngine(config: Config, opts: GpuEngineOptions = {}): Promise<GpuEngine> {
  return (await createGpuSeedEngines(config, [config.seed], opts))[0];
}

/**
 * Several seeds of one configuration batched on one device (PureJaxRL's vmap over seeds): one engine
 * per seed — its own θ, Adam state, learner and running baseline, exactly the run `{ ...config, seed }`
 * alone makes — over one shared rollout whose every dispatch runs all seeds' envs (SeedGroup). Each
 * engine is an ordinary `Engine`; drive them concurrently (collect() waits for every live sibling).
 * One seed is the plain engine (`createGpuEngine`).
 */
export async function createGpuSeedEngines(config: Config, seeds: readonly number[], opts: GpuEngineOptions = {}): Promise<GpuEngine[]> {
  if (seeds.length < 1) throw new Error('createGpuSeedEngines: no seeds');
  const acquired = opts.device ?? (await acquireDevice({ gpu: opts.gpu, adapter: opts.adapter }));
  if (!opts.device && acquired.adapterInfo.isSwiftShader) opts.notice?.('WebGPU on SwiftShader (CPU Vulkan): correct but slow');
  const group = new SeedGroup(acquired, !opts.device, seeds.length);
  const members: GpuEngine[] = [];
  try {
    for (const [b, seed] of seeds.entries()) members.push(new GpuEngine({ ...config, seed }, acquired, opts, group, b));
    const e = members[0];
    const variant = await chooseRolloutVariant(e, opts, config.numEnvs * seeds.length);
    group.rollout = await GpuRollout.create(e.device, group.cache, e.env, e.layout, config, members.map((m) => m.paramsBuf), { ...opts, variant: variant.choice, seeds });
    const kernels = await chooseLearnerKernels(e, opts);
    for (const m of members) await m.build(variant.record, kernels);
    const enc = e.device.createCommandEncoder({ label: 'init' });
    group.rollout.encodeInit(enc);
    e.device.queue.submit([enc.finish()]);
    return members;
  } catch (err) {
    for (const m of members) m.dispose();
    if (members.length === 0 && !opts.device) acquired.device.destroy();
    throw err;
  }
}

/**
 * The seeds of one createGpuSeedEngines call: the shared rollout (slot b = seed b) and pipeline cache,
 * and the collect barrier. A member's collect() waits until every live member has asked; then one
 * submit packs each θ, runs the rollout of all slots and reduces each slot's episode statistics. The
 * learners are the members' own (their updates are their own submits). A disposed member leaves: its
 * slot's envs still step (nobody reads them) and the others no longer wait for it; the last one to
 * leave frees the rollout (and the device, when the group acquired it).
 */
export class SeedGroup {
  rollout!: GpuRollout;
  readonly cache: PipelineCache;
  private readonly members: (GpuEngine | null)[];
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();

  constructor(
    readonly acquired: AcquiredDevice,
    private readonly ownsDevice: boolean,
    readonly size: number,
  ) {
    this.cache = new PipelineCache(acquired.device);
    this.members = Array.from({ length: size }, () => null);
  }

  join(slot: number, m: GpuEngine): void {
    this.members[slot] = m;
  }

  /** Resolves once slot's rollout (and every other live slot's) is submitted. */
  collect(slot: number): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.waiting.set(slot, { resolve, reject }));
    this.maybeRun();
    return p;
  }

  leave(slot: number): void {
    if (!this.members[slot]) return;
    this.members[slot] = null;
    this.waiting.get(slot)?.reject(new Error('engine disposed while waiting for its rollout'));
    this.waiting.delete(slot);
    if (this.members.every((m) => m === null)) {
      this.rollout?.destroy();
      if (this.ownsDevice) this.acquired.device.destroy();
      return;
    }
    this.maybeRun();
  }

  private maybeRun(): void {
    const live = this.members.flatMap((m, b) => (m ? [b] : []));
    if (this.waiting.size === 0 || !live.every((b) => this.waiting.has(b))) return;
    const waiting = new Map(this.waiting);
    this.waiting.clear();
    try {
      const d = this.acquired.device;
      const dispatches0 = dispatchCounter.count;
      const enc = d.createCommandEncoder({ label: 'collect' });
      const profiled = this.size === 1 ? this.members[live[0]]! : undefined;
      for (const b of live) this.members[b]!.encodeBeforeRollout(enc);
      this.rollout.encodeCollect(enc, profiled?.stamps(), live);
      profiled?.encodeProfileResolve(enc);
      const n = dispatchCounter.count - dispatches0;
      d.queue.submit([enc.finish()]);
      for (const b of live) this.members[b]!.afterRollout(n);
      for (const w of waiting.values()) w.resolve();
    } catch (e) {
      for (const w of waiting.values()) w.reject(e);
    }
  }
}

/** The smallest power of two ≥ n (≥ 1): runs of similar size share a tuned choice. */
const pow2Bucket = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** The cache key of a tuned choice: what was tuned, the adapter, the network, and `rest` (the sizes). */
function tuneKey(e: GpuEngine, what: string, rest: string): string {
  const spec = e.layout.spec;
  return `${what}|${e.where}|${spec.obsDim}-${spec.hidden.join('x')}-${spec.activation}-${JSON.stringify(spec.head)}|${rest}`;
}

/** Where tuned choices persist: the caller's store, else the default one when tuning is 'on', else none. */
function tuneStoreFor(opts: GpuEngineOptions, mode: TuneMode): TuneStore | null {
  return opts.tuneStore !== undefined ? opts.tuneStore : mode === 'on' ? defaultTuneStore() : null;
}

/**
 * The rollout kernel variant for this run (rollout.ts ROLLOUT_VARIANTS offered for the network): each
 * candidate runs a short rollout (the run's env count, all seeds', up to 4096, 16 steps) after a warm-up one, timed
 * from submit to the drained queue, median of 3; cached per adapter, network and env-count bucket
 * (autotune.ts). POLICYGRAD_ROLLOUT forces one; tuning 'off' takes the default variant.
 */
async function chooseRolloutVariant(e: GpuEngine, opts: GpuEngineOptions, totalEnvs: number): Promise<{ choice: RolloutVariant; record: KernelProfile['choices'][string] }> {
  // the adapter's traits: on SwiftShader a large 'unrolled' kernel crashes the driver, so it is not offered there
  const info = rolloutTraits(e.device);
  const offered = rolloutVariantsFor(e.layout, info);
  const forced = rolloutVariantFromEnv();
  const mode = opts.tune ?? tuneMode();
  if (offered.length === 1 || forced || mode === 'off') {
    const v = forced && offered.includes(forced) ? forced : defaultRolloutVariant(e.layout, info);
    return { choice: v, record: { choice: v, times: {}, cached: false } };
  }
  const c = e.config;
  const envs = Math.min(totalEnvs, 4096);
  const key = tuneKey(e, 'rollout', `${e.env.name}|envs ${pow2Bucket(envs)}`);
  const store = tuneStoreFor(opts, mode);
  const probe = { ...c, numEnvs: envs, numSteps: 16 };
  const r = await autotune(
    key,
    offered.map((v) => ({
      name: v,
      time: async () => {
        const ro = await GpuRollout.create(e.device, e.cache, e.env, e.layout, probe, e.paramsBuf, { ...opts, variant: v });
        try {
          const init = e.device.createCommandEncoder();
          ro.encodeInit(init);
          e.device.queue.submit([init.finish()]);
          return await timeSubmit(e.device, (enc) => ro.encodeCollect(enc));
        } finally {
          ro.destroy();
        }
      },
    })),
    { store },
  );
  return { choice: r.choice as RolloutVariant, record: { choice: r.choice, times: r.times, cached: r.cached } };
}

/**
 * The learner's kernel set (GEMM × reduction variant) for this run: measured on the run's network and
 * minibatch size (learn/tune.ts `timeLearnerKernels`), cached per adapter, network and row bucket
 * (autotune.ts); with tuning 'off' the adapter fallback; POLICYGRAD_GEMM / POLICYGRAD_REDUCE narrow the
 * candidates (both set: nothing to measure).
 */
async function chooseLearnerKernels(e: GpuEngine, opts: GpuEngineOptions): Promise<KernelSet & { record: KernelProfile['choices'][string] }> {
  const c = e.config;
  const d = e.device;
  const candidates = kernelCandidates(d);
  const byKey = new Map(candidates.map((k) => [kernelSetKey(k), k]));
  const mode = opts.tune ?? tuneMode();
  if (candidates.length === 1 || mode === 'off') {
    const k = candidates.length === 1 ? candidates[0] : fallbackKernels(d);
    return { ...k, record: { choice: kernelSetKey(k), times: {}, cached: false } };
  }
  const rows = Math.ceil((c.numEnvs * c.numSteps) / (c.algo === 'ppo' ? c.minibatches : 1));
  const maxRows = 8192;
  const bucket = pow2Bucket(Math.min(rows, maxRows));
  const key = tuneKey(e, 'learner', `rows ${bucket}`);
  const store = tuneStoreFor(opts, mode);
  const r = await cachedChoice(
    key,
    [...byKey.keys()],
    async () => {
      const ch = await timeLearnerKernels({ device: d, cache: e.cache, layout: e.layout, obsDim: e.env.obsDim, actDim: e.env.actDim, rows: bucket, candidates, maxRows });
      // a fallback after failed timing is not a measurement: do not keep it
      return { choice: kernelSetKey(ch), times: ch.times, store: ch.source === 'timed' };
    },
    store,
  );
  const k = byKey.get(r.choice) ?? fallbackKernels(d);
  return { ...k, record: { choice: r.choice, times: r.times, cached: r.cached } };
}

export class GpuEngine implements Engine {
  readonly backend = 'gpu' as const;
  /** the adapter, e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6), software" */
  readonly where: string;
  readonly env: EnvDef;
  readonly layout: NetLayout;
  readonly paramCount: number;
  readonly numUpdates: number;
  readonly device: GPUDevice;
  readonly cache: PipelineCache;
  readonly paramsBuf: GPUBuffer;
  readonly adamM: GPUBuffer;
  readonly adamV: GPUBuffer;
  /** the rollout of this engine's seed group (its slot: `slot`, `slotBufs`) */
  rollout!: GpuRollout;
  /** this engine's part of the rollout buffers */
  slotBufs!: SlotBuffers;
  learner!: GpuLearner;
  /** what an update does (engine core; setHyper rebuilds it) */
  plan: UpdatePlan;
  /** the engine's own copy of the run's config: setHyper changes it, never the caller's */
  readonly config: Config;

  private updates = 0;
  private envSteps = 0;
  private adamT = 0;
  private collected = false;
  private readonly baseline: RunningMeanBaseline;
  /** ENGINE_READBACK (learn/layout.ts): episode stats (sums, min/max) + Σ targets, Σ valid */
  private readonly staging: GPUBuffer;
  private readonly sums: GPUBuffer;
  private sumProg!: Program;
  private sumGroup!: GPUBindGroup;
  private readonly sumUniform: GPUBuffer;
  private query?: { set: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer; labels: string[] };
  private readonly wantProfile: boolean;
  private profileMs: Record<string, number> = {};
  /** kernel choices made at creation (autotune), for the profile */
  private choices: KernelProfile['choices'] = {};
  /** dispatches recorded by the last collect and update */
  private dispatches = { collect: 0, update: 0 };
  /** θ, m, v before the update in flight: a non-finite update is rolled back to them */
  private readonly backup: GPUBuffer[];
  private loss!: DeviceLossWatch;
  private disposed = false;
  /** each env's state and step index when the last rollout began (copied on the device, for `trajectory`) */
  private readonly startState: GPUBuffer;
  private readonly startStep: GPUBuffer;
  /**
   * which θ collected the last rollout, in queue order: `paramsBuf` (no update submitted since),
   * backup[0] (an update was submitted after it: it copies θ there first), or none yet
   */
  private rolloutPolicy: 'none' | 'params' | 'backup' = 'none';

  /** Buffers and checks of the seed in `slot` of `group`; `build` finishes it once the group's rollout exists. */
  constructor(
    config: Config,
    readonly acquired: AcquiredDevice,
    opts: GpuEngineOptions,
    private readonly group: SeedGroup,
    /** this engine's seed slot in the group's rollout */
    readonly slot: number,
  ) {
    this.config = { ...config };
    this.device = acquired.device;
    this.where = acquired.adapterInfo.name;
    this.cache = group.cache;
    this.env = makeEnv(config.env);
    this.layout = netLayout(netSpecFor(this.env, config));
    this.paramCount = this.layout.total;
    this.numUpdates = numUpdatesOf(config);
    this.baseline = new RunningMeanBaseline(config.baselineDecay);
    this.plan = updatePlan(config);
    rolloutConstants(this.layout); // throws ConfigError on layers the kernel cannot hold
    // the group's rollout holds every seed's envs: checked as one batch of group.size seeds
    checkLimits({ ...config, seeds: group.size, workspaceRow: workspaceRowFloats(this.layout, this.env.obsDim, this.env.actDim) }, this.device, this.env, this.paramCount);
    const d = this.device;
    const S = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const P = this.paramCount;
    this.paramsBuf = d.createBuffer({ label: 'θ', size: P * 4, usage: S });
    this.adamM = d.createBuffer({ label: 'adam m', size: P * 4, usage: S });
    this.adamV = d.createBuffer({ label: 'adam v', size: P * 4, usage: S });
    this.backup = ['θ', 'adam m', 'adam v'].map((n) => d.createBuffer({ label: `${n} (last good)`, size: P * 4, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }));
    d.queue.writeBuffer(this.paramsBuf, 0, initParams(this.layout, config.seed) as Float32Array<ArrayBuffer>);
    this.loss = new DeviceLossWatch(d.lost, () => this.disposed);
    this.staging = d.createBuffer({ label: 'engine staging', size: ENGINE_READBACK.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.sums = d.createBuffer({ label: 'target sums', size: ENGINE_READBACK.size - EPISODE_STATS_BYTES, usage: S });
    this.sumUniform = d.createBuffer({ label: 'target sums uniforms', size: SUM_PARAMS.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    d.queue.writeBuffer(this.sumUniform, 0, new UniformWriter(SUM_PARAMS).set('count', config.numEnvs * config.numSteps).data);
    // per-kernel timing needs the rollout to itself: one seed only
    this.wantProfile = Boolean(opts.profile && acquired.features.timestampQuery && group.size === 1);
    const N = config.numEnvs;
    this.startState = d.createBuffer({ label: 'rollout start state', size: Math.max(16, N * this.env.stateDim * 4), usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.startStep = d.createBuffer({ label: 'rollout start step', size: Math.max(16, N * 4), usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    group.join(slot, this);
  }

  /** Finish the engine over its slot of the group's rollout with the kernels chosen for the group. */
  async build(rolloutChoice: KernelProfile['choices'][string], kernels: KernelSet & { record: KernelProfile['choices'][string] }): Promise<void> {
    const e = this;
    const d = e.device;
    const config = e.config;
    e.choices.rollout = rolloutChoice;
    e.rollout = e.group.rollout;
    const b = (e.slotBufs = e.rollout.slotBuffers(e.slot));
    // Ψ, loss, epochs and critic targets as the CPU engine: the engine core's plan (src/backends/core.ts)
    const options = learnerOptionsFor(config);
    e.choices.learner = kernels.record;
    e.learner = await GpuLearner.create({
      gemm: kernels.gemm,
      reductions: kernels.reductions,
      device: d,
      cache: e.cache,
      layout: e.layout,
      obsDim: e.env.obsDim,
      actDim: e.env.actDim,
      options,
      buffers: {
        obs: b.obs,
        actions: b.actions,
        logp: b.logp,
        values: b.values,
        rewards: b.rewards,
        nextValues: b.nextValues,
        flags: b.flags,
        params: e.paramsBuf,
        adamM: e.adamM,
        adamV: e.adamV,
      },
    });
    // a run that measures gradient variance must fit the variance pass's whole-batch buffers: say so now, not mid-run
    if (config.varianceEvery > 0) e.learner.checkVarianceFits();
    e.sumProg = await new Program({
      name: 'target-mean',
      code: targetMeanCode,
      entryPoint: 'main',
      bindings: [
        { name: 'sp', kind: 'uniform' },
        { name: 'aux', kind: 'read-only-storage' },
        { name: 'sums', kind: 'storage' },
      ],
      constants: {},
      workgroupSize: 256,
    }).build(e.cache);
    e.sumGroup = e.sumProg.bindGroup({ sp: e.sumUniform, aux: e.learner.aux, sums: e.sums });
    if (e.wantProfile) {
      // one query pair per profiled pass: the rollout's passes, or the learner's scan + first-minibatch kernels
      const n = Math.max(e.rollout.chunks + 2, e.learner.profiledPasses);
      e.query = {
        set: d.createQuerySet({ type: 'timestamp', count: 2 * n }),
        resolve: d.createBuffer({ size: 2 * n * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
        read: d.createBuffer({ size: 2 * n * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
        labels: [],
      };
    }
  }

  /** timestampWrites for the i-th profiled pass of this submit */
  private stamp = (i: number, label: string): GPUComputePassTimestampWrites | undefined => {
    const q = this.query;
    if (!q || 2 * i + 1 >= q.set.count) return undefined;
    q.labels[i] = label;
    return { querySet: q.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  };

  /** Wait for the queue to drain: collect() returns once its rollout is submitted, not finished. */
  async sync(): Promise<void> {
    await this.guard(() => this.device.queue.onSubmittedWorkDone());
  }

  /** Why the device was lost (null while it is alive); the trainer rebuilds the engine on it. */
  deviceLost(): string | null {
    return this.loss.reason;
  }

  /** Run a device round trip; a failure because the device was lost is a DeviceLostError (DeviceLossWatch). */
  private guard<T>(work: () => Promise<T>): Promise<T> {
    return this.loss.guard(work);
  }

  /**
   * One rollout of this seed's envs. With sibling seeds (createGpuSeedEngines) it waits until each live
   * one has asked too: their rollouts are one dispatch (SeedGroup).
   */
  async collect(): Promise<void> {
    return this.guard(async () => {
      await this.group.collect(this.slot);
      if (this.query) this.profileMs = await this.readProfile();
    });
  }

  /** SeedGroup, before the rollout: keep this slot's env states and step indices as the rollout begins (for `trajectory`). */
  encodeBeforeRollout(enc: GPUCommandEncoder): void {
    if (this.query) this.query.labels = [];
    const s = this.rollout.sizes;
    const at = this.slotBufs.at;
    enc.copyBufferToBuffer(this.rollout.buffers.envState, at.envState, this.startState, 0, s.envState);
    enc.copyBufferToBuffer(this.rollout.buffers.stepCount, at.stepCount, this.startStep, 0, s.stepCount);
  }

  /** SeedGroup: the profiled passes' timestamps (profiling: one seed only) */
  stamps(): ((i: number, label: string) => GPUComputePassTimestampWrites | undefined) | undefined {
    return this.query ? this.stamp : undefined;
  }

  /** SeedGroup, after the rollout passes: resolve the profile's timestamps. */
  encodeProfileResolve(enc: GPUCommandEncoder): void {
    if (!this.query) return;
    const n = this.query.labels.length;
    enc.resolveQuerySet(this.query.set, 0, 2 * n, this.query.resolve, 0);
    enc.copyBufferToBuffer(this.query.resolve, 0, this.query.read, 0, 2 * n * 8);
  }

  /** SeedGroup, once the rollout is submitted (`dispatches` recorded in its submit). */
  afterRollout(dispatches: number): void {
    this.dispatches.collect = dispatches;
    this.rolloutPolicy = 'params';
    this.envSteps += this.config.numEnvs * this.config.numSteps;
    this.collected = true;
  }

  /** Milliseconds per label; `perSlots` > 1 (an update): the minibatch kernels' sums divided by the timed minibatches that ran (all but learn-scan). */
  private async readProfile(perSlots = 1): Promise<Record<string, number>> {
    const q = this.query!;
    await q.read.mapAsync(GPUMapMode.READ);
    const t = new BigInt64Array(q.read.getMappedRange().slice(0));
    q.read.unmap();
    const prof: Record<string, number> = {};
    q.labels.forEach((label, i) => {
      if (!label) return;
      prof[label] = (prof[label] ?? 0) + Number(t[2 * i + 1] - t[2 * i]) / 1e6;
    });
    if (perSlots > 1) for (const label of Object.keys(prof)) if (label !== 'learn-scan') prof[label] /= perSlots;
    return prof;
  }

  /** Per-kernel milliseconds of the last collect (timestamp queries) and update (wall clock). */
  lastProfile(): KernelProfile {
    const c = this.config;
    return {
      ms: { ...this.profileMs },
      flops: profileFlops(this.layout, c.numSteps, c.numEnvs, this.plan.minibatches),
      choices: { ...this.choices },
      dispatchesPerUpdate: this.dispatches.collect + this.dispatches.update,
      // one round trip per update: the learner's control block + statistics and the engine's episode sums
      bytesReadPerUpdate: this.learner.readbackBytes + this.staging.size,
    };
  }

  /**
   * Live hyperparameters (Engine.setHyper): the next encodeUpdate writes the new λ, β, ε and lr into
   * the learner's uniforms; nothing is recompiled (they are uniforms, not pipeline constants).
   */
  setHyper(values: LiveHyper): void {
    Object.assign(this.config, validateLiveHyper(values));
    this.plan = updatePlan(this.config);
    const o = learnerOptionsFor(this.config);
    this.learner.setCoefficients({ lambda: o.lambda, targetLambda: o.targetLambda, clip: o.clip, entCoef: o.entCoef });
  }

  async update(): Promise<UpdateStats> {
    if (!this.collected) throw new Error('update() before collect()');
    return this.guard(() => this.updateOnDevice());
  }

  private async updateOnDevice(): Promise<UpdateStats> {
    const c = this.config;
    const d = this.device;
    const dispatches0 = dispatchCounter.count;
    const lr = lrAt(c, this.updates, this.numUpdates);
    const inForce = { lambda: c.lambda, entCoef: c.entCoef, clip: c.clip };
    const t0 = performance.now();
    const enc = d.createCommandEncoder({ label: 'update' });
    const live = [this.paramsBuf, this.adamM, this.adamV];
    const bytes = this.paramCount * 4;
    live.forEach((b, i) => enc.copyBufferToBuffer(b, 0, this.backup[i], 0, bytes));
    if (this.query) this.query.labels = [];
    this.learner.encodeUpdate(enc, { lr, shuffleStream: shuffleStreamOf(this.plan, this.updates), baseline: this.baseline.value }, this.query ? this.stamp : undefined);
    if (this.query) {
      const n = this.query.labels.length;
      enc.resolveQuerySet(this.query.set, 0, 2 * n, this.query.resolve, 0);
      enc.copyBufferToBuffer(this.query.resolve, 0, this.query.read, 0, 2 * n * 8);
    }
    // Σ targets (= G_t for the reinforce family) for the running baseline; aux is written by the scan
    const pass = enc.beginComputePass({ label: 'target sums' });
    this.sumProg.dispatch(pass, this.sumGroup, 1);
    pass.end();
    enc.copyBufferToBuffer(this.rollout.buffers.stats, this.slotBufs.at.stats, this.staging, 0, EPISODE_STATS_BYTES);
    enc.copyBufferToBuffer(this.sums, 0, this.staging, EPISODE_STATS_BYTES, ENGINE_READBACK.size - EPISODE_STATS_BYTES);
    this.dispatches.update = dispatchCounter.count - dispatches0;
    d.queue.submit([enc.finish()]);
    this.rolloutPolicy = 'backup';
    const [ls, raw] = await Promise.all([
      this.learner.readStats(),
      this.staging.mapAsync(GPUMapMode.READ).then(() => {
        const r = this.staging.getMappedRange().slice(0);
        this.staging.unmap();
        return r;
      }),
    ]);
    if (this.query) this.profileMs = { ...this.profileMs, ...(await this.readProfile(Math.max(1, this.learner.slotsRun(ls, this.learner.profiledSlots)))), 'update-wall': performance.now() - t0 };
    const field = (n: string) => readField(ENGINE_READBACK, raw, n);
    if (ls.nonFinite) {
      // as the CPU engine: the whole update is undone (the learner stopped at the faulty minibatch)
      const undo = d.createCommandEncoder({ label: 'roll back non-finite update' });
      live.forEach((b, i) => undo.copyBufferToBuffer(this.backup[i], 0, b, 0, bytes));
      d.queue.submit([undo.finish()]);
      this.learner.setAdamStep(this.adamT);
    } else {
      const valid = field('validCount');
      if (this.plan.runningBaseline && valid > 0) this.baseline.update(Float64Array.of(field('targetSum') / valid), 1);
      this.adamT = ls.adamT;
    }
    this.updates++;
    this.collected = false;
    const ep = { sumReturn: field('sumReturn'), sumLength: field('sumLength'), count: field('count'), min: field('min'), max: field('max') };
    return assembleStats(this.updates, this.envSteps, ep, ls, lr, inForce);
  }

  async gradientEstimates(kinds: readonly EstimatorKind[], groups: number, opts: GradientEstimateOptions = {}): Promise<VarianceStats> {
    if (!this.collected) throw new Error('gradientEstimates() before collect()');
    if (opts.episodes === 'first') throw new UserError("gradientEstimates: episodes 'first' is not supported on the GPU backend yet (use the cpu backend)");
    if (opts.lambda !== undefined && opts.lambda !== this.config.lambda) throw new UserError('gradientEstimates: a λ other than config.lambda is not supported on the GPU backend yet');
    const N = this.config.numEnvs;
    const G = Math.max(2, Math.min(groups, N));
    const Pa = this.layout.actorSize;
    const reference = hasExactReference(this.env) ? exactReference(this.env, await this.getParams(), Pa, this.config.gamma) : undefined;
    const direction = reference ? pickDirection(reference, undefined, Pa, new Float64Array(Pa)) : undefined;
    const r = await this.learner.gradientEstimates(kinds, G, { baseline: this.baseline.count > 0 ? this.baseline.value : undefined, direction, keepGroupGrads: opts.cosine });
    // The learner averages over the T·n_g samples of a group; the estimator of the theory (and the CPU
    // engine) is the mean over the group's n_g trajectories of Σ_t ∇log π Ψ_t: scale by T (T² for the
    // trace). SNR is scale-free.
    const T = this.config.numSteps;
    const estimators: EstimatorStats[] = r.estimators.map((s) => ({
      kind: s.kind,
      mean: s.mean.map((x) => x * T),
      traceCov: s.traceCov * T * T,
      snr: snr(s.meanSqNorm, s.traceCov),
      projections: s.projections.map((x) => x * T),
      cosineToMean: s.cosineToMean,
    }));
    attachExact(estimators, reference, Pa);
    if (opts.cosine && r.groupGrads) attachCosines(estimators, r.groupGrads, G, Pa, opts.reference ?? reference);
    return { groups: G, envSteps: N * this.config.numSteps, direction: r.direction, reference, estimators };
  }

  private async read(buf: GPUBuffer, bytes = buf.size, offset = 0): Promise<ArrayBuffer> {
    const d = this.device;
    const staging = d.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = d.createCommandEncoder();
    enc.copyBufferToBuffer(buf, offset, staging, 0, bytes);
    d.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    return out;
  }

  async getParams(): Promise<Float32Array> {
    return this.guard(async () => new Float32Array(await this.read(this.paramsBuf, this.paramCount * 4)));
  }

  async trajectory(e: number): Promise<Trajectory> {
    checkTrajectoryEnv(e, this.config.numEnvs);
    if (this.rolloutPolicy === 'none') throw new UserError('trajectory: no rollout collected yet (since the start or the last restore)');
    return this.guard(() => this.trajectoryOnDevice(e));
  }

  /**
   * Read back env e's slice only: per step its obs, action, the four trajectory planes and the flags
   * (time-major buffers: one small copy each), the collecting θ and the env's start state, in one
   * submit encoded before any await, so queue order matches `rolloutPolicy`.
   */
  private async trajectoryOnDevice(e: number): Promise<Trajectory> {
    const d = this.device;
    const { numEnvs: N, numSteps: T } = this.config;
    const { obsDim, actDim, stateDim } = this.env;
    const P = this.paramCount;
    const b = this.rollout.buffers;
    const s = this.rollout.sizes;
    const at = this.slotBufs.at;
    // staging, in floats: obs [T][obsDim] | actions [T][actDim] | planes [4][T] | flags [T] (u32) | θ [P] | state0 | k0
    const oAct = T * obsDim;
    const oPlanes = oAct + T * actDim;
    const oFlags = oPlanes + TRAJ_PLANES.length * T;
    const oParams = oFlags + T;
    const oState = oParams + P;
    const oStep = oState + stateDim;
    const floats = oStep + 1;
    const staging = d.createBuffer({ label: 'trajectory staging', size: floats * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = d.createCommandEncoder({ label: 'trajectory' });
    for (let t = 0; t < T; t++) {
      const i = t * N + e;
      enc.copyBufferToBuffer(b.obs, at.obs + i * obsDim * 4, staging, t * obsDim * 4, obsDim * 4);
      enc.copyBufferToBuffer(b.actions, at.actions + i * actDim * 4, staging, (oAct + t * actDim) * 4, actDim * 4);
      TRAJ_PLANES.forEach((_, p) => enc.copyBufferToBuffer(b.traj, at.traj + p * s.traj.strideBytes + i * 4, staging, (oPlanes + p * T + t) * 4, 4));
      enc.copyBufferToBuffer(b.flags, at.flags + i * 4, staging, (oFlags + t) * 4, 4);
    }
    enc.copyBufferToBuffer(this.rolloutPolicy === 'params' ? this.paramsBuf : this.backup[0], 0, staging, oParams * 4, P * 4);
    enc.copyBufferToBuffer(this.startState, e * stateDim * 4, staging, oState * 4, stateDim * 4);
    enc.copyBufferToBuffer(this.startStep, e * 4, staging, oStep * 4, 4);
    d.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ);
      const raw = staging.getMappedRange().slice(0);
      staging.unmap();
      const f = new Float32Array(raw);
      const flags = new Uint32Array(raw, oFlags * 4, T);
      const plane = (name: (typeof TRAJ_PLANES)[number]) => f.slice(oPlanes + TRAJ_PLANES.indexOf(name) * T, oPlanes + (TRAJ_PLANES.indexOf(name) + 1) * T);
      // flags: bit0 terminated, bit1 truncated (terminated wins, as in the CPU engine)
      const terminated = Uint8Array.from(flags, (x) => x & 1);
      const truncated = Uint8Array.from(flags, (x) => ((x & 1) === 0 && (x & 2) !== 0 ? 1 : 0));
      return assembleTrajectory(this.env, this.layout, this.config, {
        env: e,
        k0: new Uint32Array(raw, oStep * 4, 1)[0],
        obs: f.slice(0, oAct),
        actions: f.slice(oAct, oPlanes),
        logProb: plane('logp'),
        values: plane('values'),
        nextValues: plane('nextValues'),
        rewards: plane('rewards'),
        terminated,
        truncated,
        state0: f.slice(oState, oStep),
        params: f.slice(oParams, oState),
      });
    } finally {
      staging.destroy();
    }
  }

  async snapshot(): Promise<EngineSnapshot> {
    return this.guard(() => this.snapshotOnDevice());
  }

  private async snapshotOnDevice(): Promise<EngineSnapshot> {
    const b = this.rollout.buffers;
    const s = this.rollout.sizes;
    const at = this.slotBufs.at;
    return {
      update: this.updates,
      envSteps: this.envSteps,
      params: await this.getParams(),
      adamM: new Float32Array(await this.read(this.adamM, this.paramCount * 4)),
      adamV: new Float32Array(await this.read(this.adamV, this.paramCount * 4)),
      adamT: this.adamT,
      // the portable engine state, as the CPU engine writes it: envState [N][stateDim] f32,
      // envStep [N] u32, epReturn [N] f64 (running return), epLength [N] u32 (the state's step count)
      state: portableState(
        this.env.stateDim,
        new Float32Array(await this.read(b.envState, s.envState, at.envState)),
        new Uint32Array(await this.read(b.stepCount, s.stepCount, at.stepCount)),
        new Float32Array(await this.read(b.episode, s.episode, at.episode)),
      ),
      scalars: { ...this.baseline.state() },
    };
  }

  async restore(snap: EngineSnapshot): Promise<void> {
    const N = this.config.numEnvs;
    const { envState, envStep, epReturn } = validateSnapshot(snap, { paramCount: this.paramCount, numEnvs: N, stateDim: this.env.stateDim });
    // each env's EPISODE_RECORD: the running return; no finished episode yet, so sums 0 and min / max
    // empty (the next rollout resets them anyway)
    const episode = new Float32Array(N * EPISODE_FLOATS);
    for (let e = 0; e < N; e++) {
      const at = e * EPISODE_RECORD.size;
      writeField(EPISODE_RECORD, episode, 'runningReturn', epReturn[e], at);
      writeField(EPISODE_RECORD, episode, 'min', EMPTY_MIN, at);
      writeField(EPISODE_RECORD, episode, 'max', EMPTY_MAX, at);
    }
    const q = this.device.queue;
    const b = this.rollout.buffers;
    q.writeBuffer(this.paramsBuf, 0, snap.params as Float32Array<ArrayBuffer>);
    q.writeBuffer(this.adamM, 0, snap.adamM as Float32Array<ArrayBuffer>);
    q.writeBuffer(this.adamV, 0, snap.adamV as Float32Array<ArrayBuffer>);
    const at = this.slotBufs.at;
    q.writeBuffer(b.envState, at.envState, envState as Float32Array<ArrayBuffer>);
    q.writeBuffer(b.stepCount, at.stepCount, envStep as Uint32Array<ArrayBuffer>);
    q.writeBuffer(b.episode, at.episode, episode as Float32Array<ArrayBuffer>);
    this.learner.setAdamStep(snap.adamT);
    this.adamT = snap.adamT;
    this.updates = snap.update;
    this.envSteps = snap.envSteps;
    this.baseline.restore(baselineScalars(snap));
    this.collected = false;
    this.rolloutPolicy = 'none';
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of [...this.backup, this.startState, this.startStep]) b.destroy();
    this.learner?.destroy();
    for (const b of [this.paramsBuf, this.adamM, this.adamV, this.staging, this.sums, this.sumUniform]) b.destroy();
    if (this.query) {
      this.query.set.destroy();
      this.query.resolve.destroy();
      this.query.read.destroy();
    }
    // the last engine of the group frees the rollout, and the device when the group acquired it
    this.group.leave(this.slot);
  }
}

/** The GPU buffers as the portable snapshot state both engines read and write. */
function portableState(stateDim: number, envState: Float32Array, envStep: Uint32Array, episode: Float32Array) {
  const N = envStep.length;
  const epReturn = new Float64Array(N);
  const epLength = new Uint32Array(N);
  for (let e = 0; e < N; e++) {
    epReturn[e] = readField(EPISODE_RECORD, episode, 'runningReturn', e * EPISODE_RECORD.size);
    epLength[e] = envState[e * stateDim + stateDim - 1];
  }
  return { envState, envStep, epReturn, epLength };
}
