/**
 * The learning side of the GPU engine: everything between a finished rollout and the next one stays
 * on the device — the reverse scan for Ψ and critic targets, the per-epoch permutation and minibatch
 * gather, advantage normalisation, forward with cached activations, the heads and losses, backward as
 * batched matrix products with split-K reductions over the batch, the global-norm clip, Adam, and the
 * target-KL early stop. One small readback per update (the control block and per-minibatch statistics).
 *
 * Reference semantics (the CPU engine's pieces):
 *   Ψ / targets     src/estimators/returns.ts  (computePsi; target = GAE(γ, λ_target) + V)
 *   permutation     core/rng.ts FeistelPermutation(B, seed, stream), stream = shuffleStream + epoch;
 *                   minibatch m = positions [⌊mB/M⌋, ⌊(m+1)B/M⌋) of it (layout.ts minibatchBounds)
 *   losses          src/estimators/losses.ts (PPO clip, pg, k3, KL penalty, ½(V−target)², entropy),
 *                   normalizeAdvantages (per minibatch, unbiased std, ε = 1e-8)
 *   heads / MLP     src/policy/heads.ts, mlp.ts
 *   optimiser       src/optim/clip.ts clipByGlobalNorm, adam.ts adamStep
 *   target KL       CleanRL: after an epoch, stop if the last minibatch's mean k3 > targetKl
 *   variance        src/estimators/variance.ts (mean, trace of covariance, ‖m‖², projections)
 *   explained var.  src/estimators/explained-variance.ts (explained_variance.wgsl after the scan, into
 *                   the control block); cosine to the groups' mean: variance.ts meanCosineTo on the host
 *
 * Kernel sets (GEMM variant × reduction variant) are chosen by timing them on the run's shapes
 * (timeLearnerKernels in tune.ts) and passed to `create`. With the 'wg' GEMM the minibatch's inputs and
 * hidden activations / their gradients are feature-major ([column][row], Workspace.actView).
 *
 * Usage:
 *   const { gemm, reductions } = await timeLearnerKernels({ device, cache, layout, obsDim, actDim, rows });
 *   const learner = await GpuLearner.create({ device, cache, layout, obsDim, actDim, options, buffers, gemm, reductions });
 *   const stats = await learner.update({ lr, shuffleStream });           // or encodeUpdate + readStats
 *   const v = await learner.gradientEstimates(['reinforce', 'gae'], 8, { baseline: 0 });
 */
import type { NetLayout } from '../../../policy/layout';
import type { EstimatorKind } from '../../../core/types';
import type { Config } from '../../../core/config';
import { trustRegionStats, updatePlan, type LearnSummary } from '../../core';
import { meanCosineTo } from '../../../estimators/variance';
import { randomWords, Purpose } from '../../../core/rng';
import { ConfigError } from '../../../core/errors';
import { alignTo, ceilDiv, UniformWriter, workgroups1D } from '../dispatch';
import type { PipelineCache } from '../pipeline-cache';
import type { BufferResource } from '../program';
import {
  AdamProgram,
  AdvStatsProgram,
  ColsumProgram,
  ExplainedVarianceProgram,
  FinalizeProgram,
  GatherProgram,
  GemmProgram,
  LossProgram,
  ReduceProgram,
  gemmLanes,
  resolveGemmVariant,
  resolveReduceVariant,
  ScanProgram,
  VarianceProgram,
  type GemmLayer,
  type MatrixView,
} from './kernels';
import {
  LEARN_CTRL,
  LEARN_PARAMS,
  LOSS_MODE,
  readField,
  minibatchBounds,
  PARAMS_SLOT_BYTES,
  psiKindId,
  splitCount,
  STATS_FLOATS,
  statIndex,
  type LossMode,
  type StatsField,
  type ReduceVariant,
  type GemmVariant,
  workspaceRowFloats,
} from './layout';

/** The rollout buffers the learner reads (time-major [T][N]) and the training state it updates. */
export interface LearnerBuffers {
  /** [T][N][obsDim] f32 */
  obs: BufferResource;
  /** [T][N][actDim] f32 (discrete: the index as a float) */
  actions: BufferResource;
  /** [T][N] f32 log π_old(a|s) */
  logp: BufferResource;
  /** [T][N] f32 V(s_t) */
  values: BufferResource;
  /** [T][N] f32 */
  rewards: BufferResource;
  /** [T][N] f32 V(real s_{t+1}) */
  nextValues: BufferResource;
  /** [T][N] u32: bit0 terminated, bit1 truncated, bit2 padding (not a real sample) */
  flags: BufferResource;
  /** θ [P] f32 (layout.ts), updated in place */
  params: GPUBuffer;
  /** Adam first / second moments [P] f32, updated in place */
  adamM: GPUBuffer;
  adamV: GPUBuffer;
}

/** What one update does. `learnerOptionsFor(config)` maps a Config to these. */
export interface LearnerOptions {
  numEnvs: number;
  numSteps: number;
  /** the Ψ the actor trains with ('gae' for PPO) */
  psiKind: EstimatorKind;
  /** 'ppo': clipped surrogate; 'pg': −Ψ log π */
  loss: Exclude<LossMode, 'score'>;
  gamma: number;
  lambda: number;
  /** critic target = GAE(γ, targetLambda) + V (λ_target = 1 → G_t) */
  targetLambda: number;
  epochs: number;
  minibatches: number;
  normAdv: boolean;
  clip: number;
  entCoef: number;
  vfCoef: number;
  klCoef: number;
  /** 0 = off */
  targetKl: number;
  maxGradNorm: number;
  adamEps: number;
  seed: number;
  beta1?: number;
  beta2?: number;
}

/**
 * The learner options of a run: the engine core's plan (src/backends/core.ts `updatePlan`: Ψ kind,
 * loss, epochs, minibatches, normalisation, KL terms, critic target λ) plus the config's coefficients.
 */
export function learnerOptionsFor(config: Config): LearnerOptions {
  const plan = updatePlan(config);
  return {
    numEnvs: config.numEnvs,
    numSteps: config.numSteps,
    psiKind: plan.psiKind,
    loss: plan.loss,
    gamma: config.gamma,
    lambda: config.lambda,
    targetLambda: plan.targetLambda,
    epochs: plan.epochs,
    minibatches: plan.minibatches,
    normAdv: plan.normAdv,
    clip: config.clip,
    entCoef: config.entCoef,
    vfCoef: config.vfCoef,
    klCoef: plan.klCoef,
    targetKl: plan.targetKl,
    maxGradNorm: config.maxGradNorm,
    adamEps: config.adamEps,
    seed: config.seed,
  };
}

/** Statistics of one update, read back once. Losses are those of the last minibatch run (CleanRL). */
export interface LearnStats extends LearnSummary {
  /** Adam steps taken in this update */
  stepsApplied: number;
  /** Adam's step counter after the update */
  adamT: number;
  /** a non-finite loss or gradient appeared (that minibatch's step was skipped) */
  nonFinite: boolean;
  /** per minibatch slot (epoch·M + m): STATS_FLOATS floats, field f at statIndex(f) (layout.ts LEARN_STATS); NaN rows for minibatches not run */
  perMinibatch: Float32Array;
}

/** One estimator's gradient statistics from the device (EstimatorStats without bias²). */
export interface GpuEstimatorStats {
  kind: EstimatorKind;
  mean: Float64Array;
  traceCov: number;
  meanSqNorm: number;
  projections: Float64Array;
  /** mean over groups of cos(ĝ_g, mean) (src/estimators/variance.ts meanCosineTo, on the host) */
  cosineToMean: number;
}

/** The per-group gradients of the variance pass are over the actor parameters θ[0 … actorSize). */
export interface GradientEstimatesOptions {
  /** b of 'reinforce-baseline'; absent: this batch's mean G_t (the CPU engine's b before any running-baseline update) */
  baseline?: number;
  /** projection direction (length actorSize, any nonzero norm); default: the first kind's mean gradient */
  direction?: Float32Array | Float64Array;
  /** also return the raw per-group gradients [kinds][G][actorSize] (tests) */
  keepGroupGrads?: boolean;
}

export interface GradientEstimates {
  groups: number;
  direction: Float64Array;
  estimators: GpuEstimatorStats[];
  groupGrads?: Float32Array[];
}

interface NetPlan {
  layers: GemmLayer[];
  /** activation buffers of the hidden layers (rows × outDim) */
  hidden: GPUBuffer[];
  /** ∂ℓ/∂z of the hidden layers */
  dHidden: GPUBuffer[];
  /** column offset of this net's output in `net` / of its ∂ in `dOut` */
  outCol: number;
  dCol: number;
}

/** One compiled set of buffers and programs for a given row capacity (training minibatch or variance pass). */
class Workspace {
  readonly mbObs: GPUBuffer;
  readonly mbAct: GPUBuffer;
  readonly mbAux: GPUBuffer;
  readonly net: GPUBuffer;
  readonly dOut: GPUBuffer;
  readonly lossPartials: GPUBuffer;
  readonly nets: NetPlan[];
  readonly netW: number;
  readonly dW: number;
  /** mbObs, hidden and dHidden feature-major (the 'wg' GEMM's layout) rather than row-major */
  readonly featureMajor: boolean;
  private readonly bufs: GPUBuffer[] = [];

  constructor(
    readonly l: GpuLearner,
    readonly rows: number,
    withCritic: boolean,
  ) {
    this.featureMajor = l.gemm === 'wg' || l.gemm === 'wgsub';
    const d = l.device;
    const mk = (floats: number, label: string): GPUBuffer => {
      const b = d.createBuffer({ label: `learn ${label}`, size: Math.max(16, floats * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      this.bufs.push(b);
      return b;
    };
    const L = l.layout;
    this.mbObs = mk(rows * l.obsDim, 'mbObs');
    this.mbAct = mk(rows * l.actDim, 'mbAct');
    this.mbAux = mk(rows * 4, 'mbAux');
    this.netW = L.headOutDim + 1;
    this.dW = L.headOutDim + l.lsDim + 1;
    this.net = mk(rows * this.netW, 'net');
    this.dOut = mk(rows * this.dW, 'dOut');
    // tree: every workgroup of the 1-D grid writes a partial; serial: one per LOSS_ROWS_SERIAL rows
    const [lx, ly] = workgroups1D(rows, 256);
    this.lossPartials = mk((l.reductions === 'serial' ? LossProgram.partialCount(rows, 'serial') : lx * ly) * 6, 'lossPartials');
    const act = L.spec.activation === 'tanh' ? 1 : 2;
    const plan = (dense: NetLayout['actorLayers'], table: number, tableOut: number, outCol: number, dCol: number): NetPlan => {
      const layers: GemmLayer[] =
        table >= 0
          ? [{ inDim: l.obsDim, outDim: tableOut, wOffset: table, bOffset: -1, wT: 1, act: 0 }]
          : dense.map((x, k) => ({ inDim: x.inDim, outDim: x.outDim, wOffset: x.wOffset, bOffset: x.bOffset, wT: 0 as const, act: k + 1 < dense.length ? act : 0 }));
      const hidden = layers.slice(0, -1).map((x, k) => mk(rows * x.outDim, `h${k}`));
      const dHidden = layers.slice(0, -1).map((x, k) => mk(rows * x.outDim, `dh${k}`));
      return { layers, hidden, dHidden, outCol, dCol };
    };
    this.nets = [plan(L.actorLayers, L.actorTableOffset, L.headOutDim, 0, 0)];
    if (withCritic) this.nets.push(plan(L.criticLayers, L.criticTableOffset, 1, L.headOutDim, L.headOutDim + l.lsDim));
  }

  /** The view of an activation matrix (mbObs, hidden, dHidden) of `cols` columns in this workspace's layout. */
  actView(cols: number): MatrixView {
    return this.featureMajor ? { stride: 1, offset: 0, colStride: this.rows } : { stride: cols, offset: 0 };
  }

  destroy(): void {
    for (const b of this.bufs) b.destroy();
  }
}

/** One recorded kernel dispatch; `label` names its kernel in profiles. */
type Step = ((pass: GPUComputePassEncoder) => void) & { label?: string };

/** Minibatches of an update that profiling times kernel by kernel (their mean is reported). */
export const PROFILE_MAX_SLOTS = 16;

/** Timestamps one WebGPU query set may hold (2 per profiled pass). */
const MAX_QUERY_COUNT = 4096;

/** Whether minibatch slot `s` ran, from an update's per-slot statistics (slots not run stay NaN). */
function slotRan(perMinibatch: Float32Array, s: number): boolean {
  return !Number.isNaN(perMinibatch[s * STATS_FLOATS + statIndex('policyLoss')]);
}

/** Supplies timestampWrites for the i-th profiled pass (see GpuEngine's profile option). */
export type PassTimestamps = (pass: number, label: string) => GPUComputePassTimestampWrites | undefined;

/**
 * The GPU learner. Construct with `GpuLearner.create` (compiles every pipeline once through the
 * shared PipelineCache). `encodeUpdate` records a whole update into a command encoder (no readback);
 * `readStats` maps the small stats buffer; `update` does both.
 */
export class GpuLearner {
  readonly B: number;
  readonly P: number;
  readonly lsDim: number;
  /** rows of the largest minibatch */
  readonly mbRows: number;
  /** split-K chunks per minibatch */
  readonly splits: number;
  readonly slots: number;

  private readonly paramsU: GPUBuffer;
  private readonly table: GPUBuffer;
  private readonly tableData: ArrayBuffer;
  readonly ctrl: GPUBuffer;
  private readonly stats: GPUBuffer;
  readonly aux: GPUBuffer;
  readonly grad: GPUBuffer;
  private readonly partial: GPUBuffer;
  private readonly sq: GPUBuffer;
  private readonly staging: GPUBuffer;
  /** bytes one update reads back to the host (the control block and per-minibatch statistics) */
  readonly readbackBytes: number;
  private readonly own: GPUBuffer[] = [];
  private train!: Workspace;
  private trainSteps: Step[] = [];
  private scanStep!: Step;
  /** the critic's explained variance over the batch (after the scan, once per update) */
  private explainedVarianceStep!: Step;
  private variance?: { ws: Workspace; G: number; S: number; steps: { scan: Step; gather: Step; fwd: Step[]; back: Step[] }; grads: GPUBuffer; partial: GPUBuffer };
  private readonly writer = new UniformWriter(LEARN_PARAMS);
  /** reduction variant of the non-GEMM kernels (ReduceVariant, layout.ts) */
  readonly reductions: ReduceVariant;
  /** GEMM variant (resolveGemmVariant) */
  gemm: GemmVariant = 'tiled';

  private constructor(
    readonly device: GPUDevice,
    readonly cache: PipelineCache,
    readonly layout: NetLayout,
    readonly obsDim: number,
    readonly actDim: number,
    readonly options: LearnerOptions,
    readonly buffers: LearnerBuffers,
    reductions?: ReduceVariant,
  ) {
    this.reductions = resolveReduceVariant(device, reductions);
    const o = options;
    this.B = o.numEnvs * o.numSteps;
    this.P = layout.total;
    this.lsDim = layout.logStdOffset >= 0 ? layout.headOutDim : 0;
    if (o.minibatches < 1 || o.minibatches > this.B) throw new Error(`GpuLearner: minibatches ${o.minibatches} not in [1, ${this.B}]`);
    this.mbRows = Math.ceil(this.B / o.minibatches);
    this.splits = splitCount(Math.floor(this.B / o.minibatches), this.P);
    this.slots = o.epochs * o.minibatches;
    const mk = (bytes: number, usage: number, label: string): GPUBuffer => {
      const b = device.createBuffer({ label: `learn ${label}`, size: Math.max(16, bytes), usage });
      this.own.push(b);
      return b;
    };
    const S = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.paramsU = mk(LEARN_PARAMS.size, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, 'params');
    this.tableData = new ArrayBuffer(PARAMS_SLOT_BYTES * (this.slots + 1));
    this.table = mk(this.tableData.byteLength, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'param table');
    this.ctrl = mk(LEARN_CTRL.size, S, 'ctrl');
    this.stats = mk(this.slots * STATS_FLOATS * 4, S, 'stats');
    this.aux = mk(this.B * 16, S, 'aux');
    this.grad = mk(this.P * 4, S, 'grad');
    this.partial = mk(this.splits * this.P * 4, S, 'partial');
    this.sq = mk(ReduceProgram.sqCount(this.P, this.reductions) * 4, S, 'sq');
    this.staging = mk(LEARN_CTRL.size + this.slots * STATS_FLOATS * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'staging');
    this.readbackBytes = this.staging.size;
  }

  /** Compile the pipelines and set up every bind group. */
  static async create(args: {
    device: GPUDevice;
    cache: PipelineCache;
    layout: NetLayout;
    obsDim: number;
    actDim: number;
    options: LearnerOptions;
    buffers: LearnerBuffers;
    /**
     * reduction variant: the engine passes the one timeLearnerKernels (tune.ts) chose; default:
     * POLICYGRAD_REDUCE, else the adapter-name fallback (resolveReduceVariant)
     */
    reductions?: ReduceVariant;
    /**
     * GEMM variant: the engine passes the one timeLearnerKernels (tune.ts) chose ('wg' and 'wgsub' also make the
     * minibatch's activations feature-major); default: POLICYGRAD_GEMM, else the adapter-name fallback
     * (resolveGemmVariant)
     */
    gemm?: GemmVariant;
  }): Promise<GpuLearner> {
    const l = new GpuLearner(args.device, args.cache, args.layout, args.obsDim, args.actDim, args.options, args.buffers, args.reductions);
    l.gemm = resolveGemmVariant(args.device, args.gemm);
    const scan = await new ScanProgram().build(l.cache);
    const b = l.buffers;
    const scanBg = scan.bindGroup({ params: l.paramsU, rewards: b.rewards, values: b.values, nextValues: b.nextValues, logp: b.logp, flags: b.flags, aux: l.aux });
    const N = l.options.numEnvs;
    l.scanStep = (pass) => scan.dispatch(pass, scanBg, N);
    const ev = await new ExplainedVarianceProgram().build(l.cache);
    const evBg = ev.bindGroup({ params: l.paramsU, ctrl: l.ctrl, aux: l.aux, values: b.values });
    l.explainedVarianceStep = (pass) => ev.dispatchOne(pass, evBg);
    l.train = new Workspace(l, l.mbRows, true);
    l.trainSteps = await l.buildSteps(l.train, l.partial, l.P, 'train');
    return l;
  }

  /**
   * The recorded kernel sequence of one minibatch (training) or of the per-kind part of the variance
   * pass: gather, [advstats], forward of each net, loss, backward of each net, log σ column sums,
   * reduce, [finalize, adam].
   */
  private async buildSteps(ws: Workspace, partial: GPUBuffer, gradStride: number, mode: 'train' | 'variance', gradOut?: GPUBuffer, groups = 1): Promise<Step[]> {
    const L = this.layout;
    const b = this.buffers;
    const cache = this.cache;
    const steps: Step[] = [];
    const add = (label: string, run: Step): void => void steps.push(Object.assign(run, { label }));
    const rows = ws.rows;
    const ctrl = this.ctrl;
    const paramsU = this.paramsU;
    const chunks = mode === 'train' ? this.splits : groups * (this.variance?.S ?? 1);

    const gather = await new GatherProgram(this.obsDim, this.actDim, ws.featureMajor ? rows : 0).build(cache);
    const gBg = gather.bindGroup({ params: paramsU, ctrl, obs: b.obs, act: b.actions, aux: this.aux, mbObs: ws.mbObs, mbAct: ws.mbAct, mbAux: ws.mbAux });
    add('learn-gather', (pass) => gather.dispatch(pass, gBg, rows));
    if (mode === 'train') {
      const adv = await new AdvStatsProgram(this.reductions).build(cache);
      const aBg = adv.bindGroup({ params: paramsU, ctrl, mbAux: ws.mbAux });
      add('learn-advstats', (pass) => adv.dispatchOne(pass, aBg));
    }
    // forward
    for (const net of ws.nets) {
      for (let k = 0; k < net.layers.length; k++) {
        const layer = net.layers[k];
        const last = k + 1 === net.layers.length;
        const xBuf = k === 0 ? ws.mbObs : net.hidden[k - 1];
        const xView = ws.actView(layer.inDim);
        const yBuf = last ? ws.net : net.hidden[k];
        const yView: MatrixView = last ? { stride: ws.netW, offset: net.outCol } : ws.actView(layer.outDim);
        const p = await new GemmProgram('forward', layer, xView, xView, yView, this.gemm, gemmLanes(this.device)).build(cache);
        const bg = p.bindGroup({ params: paramsU, ctrl, theta: b.params, src0: xBuf, src1: xBuf, dst: yBuf, geom: this.geomBuffer(p.geometry()) });
        add('learn-gemm-forward', (pass) => p.encode(pass, bg, rows, 1));
      }
    }
    // loss
    const head = L.spec.head.kind === 'gaussian' ? 1 : 0;
    const loss = await new LossProgram({ head, nOut: L.headOutDim, actDim: this.actDim, logStdOffset: L.logStdOffset }, this.reductions).build(cache);
    const lBg = loss.bindGroup({ params: paramsU, ctrl, theta: b.params, net: ws.net, act: ws.mbAct, aux: ws.mbAux, dOut: ws.dOut, partials: ws.lossPartials });
    add('learn-loss', (pass) => loss.dispatch(pass, lBg, rows));
    // backward
    for (const net of ws.nets) {
      for (let k = net.layers.length - 1; k >= 0; k--) {
        const layer = net.layers[k];
        const last = k + 1 === net.layers.length;
        const dBuf = last ? ws.dOut : net.dHidden[k];
        const dView: MatrixView = last ? { stride: ws.dW, offset: net.dCol } : ws.actView(layer.outDim);
        const xBuf = k === 0 ? ws.mbObs : net.hidden[k - 1];
        const xView = ws.actView(layer.inDim);
        const pw = await new GemmProgram('weightGrad', layer, dView, xView, { stride: 1, offset: 0 }, this.gemm, gemmLanes(this.device)).build(cache);
        const bw = pw.bindGroup({ params: paramsU, ctrl, theta: b.params, src0: dBuf, src1: xBuf, dst: partial, geom: this.geomBuffer(pw.geometry()) });
        add('learn-gemm-weight-grad', (pass) => pw.encode(pass, bw, rows, chunks));
        if (layer.bOffset >= 0 && !pw.fusesBias) {
          const pc = await new ColsumProgram(layer.outDim, dView, layer.bOffset, this.reductions).build(cache);
          const bc = pc.bindGroup({ params: paramsU, ctrl, src: dBuf, dst: partial, geom: this.geomBuffer(pc.geometry()) });
          add('learn-colsum', (pass) => pc.encode(pass, bc, chunks));
        }
        if (k > 0) {
          const hView = ws.actView(layer.inDim);
          const pd = await new GemmProgram('inputGrad', { ...layer, act: net.layers[k - 1].act }, dView, hView, hView, this.gemm, gemmLanes(this.device)).build(cache);
          const bd = pd.bindGroup({ params: paramsU, ctrl, theta: b.params, src0: dBuf, src1: net.hidden[k - 1], dst: net.dHidden[k - 1], geom: this.geomBuffer(pd.geometry()) });
          add('learn-gemm-input-grad', (pass) => pd.encode(pass, bd, rows, 1));
        }
      }
    }
    if (this.lsDim > 0) {
      const pc = await new ColsumProgram(this.lsDim, { stride: ws.dW, offset: L.headOutDim }, L.logStdOffset, this.reductions).build(cache);
      const bc = pc.bindGroup({ params: paramsU, ctrl, src: ws.dOut, dst: partial, geom: this.geomBuffer(pc.geometry()) });
      add('learn-colsum', (pass) => pc.encode(pass, bc, chunks));
    }
    const gradCount = mode === 'train' ? this.P : L.actorSize;
    const red = await new ReduceProgram(gradStride, this.reductions).build(cache);
    const rBg = red.bindGroup({ params: paramsU, ctrl, partial, outGrad: gradOut ?? this.grad, sq: this.sq });
    add('learn-reduce', (pass) => red.encode(pass, rBg, gradCount, groups));
    if (mode === 'train') {
      const fin = await new FinalizeProgram(ReduceProgram.sqCount(this.P, this.reductions), this.reductions).build(cache);
      const fBg = fin.bindGroup({ params: paramsU, ctrl, lossPartials: ws.lossPartials, sq: this.sq, stats: this.stats });
      add('learn-finalize', (pass) => fin.encodeOne(pass, fBg));
      const adam = await new AdamProgram().build(cache);
      const adBg = adam.bindGroup({ params: paramsU, ctrl, grad: this.grad, theta: b.params, m: b.adamM, v: b.adamV });
      add('learn-adam', (pass) => adam.dispatch(pass, adBg, this.P));
    }
    return steps;
  }

  /** A small uniform buffer holding `data` (per-dispatch layer geometry, written once). */
  private geomBuffer(data: ArrayBuffer): GPUBuffer {
    const b = this.device.createBuffer({ label: 'learn geometry', size: Math.max(16, data.byteLength), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(b, 0, data);
    this.own.push(b);
    return b;
  }

  /** Fill the update-level fields of the uniform writer. */
  private baseParams(lr: number, baseline: number, psiKind: EstimatorKind, lossMode: LossMode): UniformWriter {
    const o = this.options;
    return this.writer.setAll({
      T: o.numSteps,
      N: o.numEnvs,
      batch: this.B,
      psiKind: psiKindId(psiKind),
      gamma: o.gamma,
      lambda: o.lambda,
      targetLambda: o.targetLambda,
      baseline,
      lossMode: LOSS_MODE[lossMode],
      normAdv: o.normAdv ? 1 : 0,
      clipEps: o.clip,
      entCoef: o.entCoef,
      vfCoef: o.vfCoef,
      klCoef: o.klCoef,
      targetKl: o.targetKl,
      maxGradNorm: o.maxGradNorm,
      lr,
      beta1: o.beta1 ?? 0.9,
      beta2: o.beta2 ?? 0.999,
      adamEps: o.adamEps,
    });
  }

  /** Reset the per-update control fields (stop, apply, nonFinite, epochsRun, stepsApplied), keeping adamT. */
  private resetCtrl(): void {
    const z = new Uint32Array(2);
    this.device.queue.writeBuffer(this.ctrl, LEARN_CTRL.field('stop').offset, z);
    this.device.queue.writeBuffer(this.ctrl, LEARN_CTRL.field('nonFinite').offset, new Uint32Array(3));
  }

  /**
   * Live hyperparameters: the coefficients the next encodeUpdate (and gradientEstimates) writes into
   * the uniforms. Shapes (epochs, minibatches, sizes) are fixed at creation and do not change here.
   */
  setCoefficients(c: Pick<LearnerOptions, 'lambda' | 'targetLambda' | 'clip' | 'entCoef'>): void {
    Object.assign(this.options, c);
  }

  /** Set Adam's step counter (restore from a snapshot). */
  setAdamStep(t: number): void {
    this.device.queue.writeBuffer(this.ctrl, LEARN_CTRL.field('adamT').offset, new Uint32Array([t]));
  }

  /**
   * Record one whole update into `encoder`: scan, then for each epoch e and minibatch m the kernel
   * sequence of buildSteps, then a copy of the control block and statistics to the staging buffer.
   * `timestamps` (profiling) times the scan, and each kernel of the first `profiledSlots` minibatches in
   * its own pass (one minibatch's timing alone varied ±30 % between runs on a loaded 2-core machine).
   * Writes the parameter table with queue.writeBuffer (so call it right before submitting).
   *   lr            learning rate of this update (annealed by the caller)
   *   shuffleStream permutation stream of epoch 0 (epoch e uses shuffleStream + e); the trainer's
   *                 convention is update·epochs (update counted from 0)
   *   baseline      b for 'reinforce-baseline'
   */
  encodeUpdate(encoder: GPUCommandEncoder, u: { lr: number; shuffleStream: number; baseline?: number }, timestamps?: PassTimestamps): void {
    const o = this.options;
    const M = o.minibatches;
    const view = new Uint8Array(this.tableData);
    const w = this.baseParams(u.lr, u.baseline ?? 0, o.psiKind, o.loss);
    const keys = new Uint32Array(4);
    w.setAll({ groups: 1, subSplit: this.splits, unitRows: 1, gradCount: this.P, gradStride: this.P, gatherMode: 0 });
    // slot 0 of the table: the scan (update-level fields only)
    w.setAll({ rows: 0, mbStart: 0, slot: 0, firstOfEpoch: 0, lastOfEpoch: 0, units: 1, key0: 0, key1: 0, key2: 0, key3: 0 });
    view.set(new Uint8Array(w.data), 0);
    for (let e = 0; e < o.epochs; e++) {
      randomWords(o.seed, Purpose.Shuffle, 0, u.shuffleStream + e, 0, keys);
      for (let m = 0; m < M; m++) {
        const [s0, s1] = minibatchBounds(m, M, this.B);
        const slot = e * M + m;
        w.setAll({
          rows: s1 - s0,
          units: s1 - s0,
          mbStart: s0,
          slot,
          firstOfEpoch: m === 0 ? 1 : 0,
          lastOfEpoch: m === M - 1 ? 1 : 0,
          key0: keys[0],
          key1: keys[1],
          key2: keys[2],
          key3: keys[3],
        });
        view.set(new Uint8Array(w.data), (slot + 1) * PARAMS_SLOT_BYTES);
      }
    }
    const q = this.device.queue;
    q.writeBuffer(this.table, 0, this.tableData);
    this.resetCtrl();
    // stats rows of minibatches that do not run stay NaN
    q.writeBuffer(this.stats, 0, new Float32Array(this.slots * STATS_FLOATS).fill(NaN));

    encoder.copyBufferToBuffer(this.table, 0, this.paramsU, 0, LEARN_PARAMS.size);
    let stamp = 0;
    let pass = encoder.beginComputePass({ label: 'learn scan', timestampWrites: timestamps?.(stamp++, 'learn-scan') });
    this.scanStep(pass);
    this.explainedVarianceStep(pass);
    pass.end();
    for (let slot = 0; slot < this.slots; slot++) {
      encoder.copyBufferToBuffer(this.table, (slot + 1) * PARAMS_SLOT_BYTES, this.paramsU, 0, LEARN_PARAMS.size);
      if (slot < this.profiledSlots && timestamps) {
        // profiled: the first minibatches with one pass per kernel (the same work, timed kernel by kernel)
        for (const s of this.trainSteps) {
          pass = encoder.beginComputePass({ label: `learn ${s.label}`, timestampWrites: timestamps(stamp++, s.label ?? 'learn') });
          s(pass);
          pass.end();
        }
        continue;
      }
      pass = encoder.beginComputePass({ label: `learn minibatch ${slot}` });
      for (const s of this.trainSteps) s(pass);
      pass.end();
    }
    encoder.copyBufferToBuffer(this.ctrl, 0, this.staging, 0, LEARN_CTRL.size);
    encoder.copyBufferToBuffer(this.stats, 0, this.staging, LEARN_CTRL.size, this.slots * STATS_FLOATS * 4);
  }

  /**
   * Minibatches encodeUpdate times kernel by kernel when profiling: all of an update's, at most
   * PROFILE_MAX_SLOTS, and no more than one query set holds besides the scan's pass.
   */
  get profiledSlots(): number {
    const passes = MAX_QUERY_COUNT / 2 - 1;
    return Math.max(1, Math.min(this.slots, PROFILE_MAX_SLOTS, Math.floor(passes / Math.max(1, this.trainSteps.length))));
  }

  /**
   * How many of the first `n` minibatch slots of an update ran (a target-KL stop ends an update early;
   * the slots after it dispatch but return at once): stats rows that are not NaN.
   */
  slotsRun(stats: LearnStats, n = this.slots): number {
    let ran = 0;
    for (let s = 0; s < Math.min(n, this.slots); s++) if (slotRan(stats.perMinibatch, s)) ran++;
    return ran;
  }

  /** Passes encodeUpdate times when profiling: the scan and each kernel of the profiled minibatches. */
  get profiledPasses(): number {
    return 1 + this.profiledSlots * this.trainSteps.length;
  }

  /** Map the staging buffer written by the last encodeUpdate (after its submit). */
  async readStats(): Promise<LearnStats> {
    await this.staging.mapAsync(GPUMapMode.READ);
    const raw = this.staging.getMappedRange().slice(0);
    this.staging.unmap();
    const u32 = new Uint32Array(raw, 0, LEARN_CTRL.size / 4);
    const at = (n: string): number => LEARN_CTRL.field(n).offset / 4;
    const per = new Float32Array(raw, LEARN_CTRL.size, this.slots * STATS_FLOATS);
    let last = -1;
    // the clip fraction of the update: over every minibatch run, Σ clipFrac·n / Σ n (as the CPU engine)
    let clipped = 0;
    let rows = 0;
    for (let s = 0; s < this.slots; s++) {
      const o = s * STATS_FLOATS;
      if (!slotRan(per, s)) continue;
      last = s;
      clipped += per[o + statIndex('clipFrac')] * per[o + statIndex('count')];
      rows += per[o + statIndex('count')];
    }
    const pick = (f: StatsField): number => (last >= 0 ? per[last * STATS_FLOATS + statIndex(f)] : NaN);
    return {
      policyLoss: pick('policyLoss'),
      valueLoss: pick('valueLoss'),
      entropy: pick('entropy'),
      ...trustRegionStats(this.options.loss, pick('approxKl'), rows > 0 ? clipped / rows : NaN),
      explainedVariance: readField(LEARN_CTRL, raw, 'explainedVariance'),
      gradNorm: pick('gradNorm'),
      epochsRun: u32[at('epochsRun')],
      stepsApplied: u32[at('stepsApplied')],
      adamT: u32[at('adamT')],
      nonFinite: u32[at('nonFinite')] !== 0,
      perMinibatch: new Float32Array(per),
    };
  }

  /** encodeUpdate + submit + readStats. */
  async update(u: { lr: number; shuffleStream: number; baseline?: number }): Promise<LearnStats> {
    const enc = this.device.createCommandEncoder({ label: 'learn update' });
    this.encodeUpdate(enc, u);
    this.device.queue.submit([enc.finish()]);
    return this.readStats();
  }

  /**
   * Gradient estimates of J w.r.t. the actor parameters for several Ψ on the current rollout, over G
   * disjoint env groups (group g = envs [⌊gN/G⌋, ⌊(g+1)N/G⌋), all T steps):
   *   ĝ_g = (1 / (T·n_g)) Σ_{t, e ∈ g} ∇_θ log π(a_t|s_t) · Ψ_t          (ascent direction, no normalisation)
   * then per kind the mean, tr Σ̂ (unbiased), ‖m‖² and the projections ⟨ĝ_g, d⟩/‖d‖ on the device; the
 * G per-group estimates are read back too and the mean cosine to the groups' mean taken on the host.
   * The parameters are not changed.
   */
  async gradientEstimates(kinds: readonly EstimatorKind[], groups: number, opts: GradientEstimatesOptions = {}): Promise<GradientEstimates> {
    const G = groups;
    const N = this.options.numEnvs;
    if (!(Number.isInteger(G) && G >= 2 && G <= N)) throw new Error(`gradientEstimates: groups ${G} not in [2, numEnvs = ${N}]`);
    const Pa = this.layout.actorSize;
    const K = kinds.length;
    const v = await this.varianceSetup(G);
    const d = this.device;
    const S = v.S;
    const mk = (floats: number, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST): GPUBuffer =>
      d.createBuffer({ size: Math.max(16, floats * 4), usage });
    const momentsWg = ceilDiv(Pa, 256);
    // per-kind slices start at 256-byte multiples (binding-offset alignment)
    const meanStride = alignTo(Pa, 64);
    const outStride = alignTo(2 + G, 64);
    const means = mk(K * meanStride);
    const part = mk(momentsWg * 2);
    const outs = mk(K * outStride);
    const dir = mk(Pa);
    const perKindGrads: GPUBuffer[] = [];
    const temp = [means, part, outs, dir];
    const vm = await new VarianceProgram('moments').build(this.cache);
    const vf = await new VarianceProgram('finish').build(this.cache);
    const vp = await new VarianceProgram('project').build(this.cache);

    // no running baseline yet: b of 'reinforce-baseline' is this batch's mean G_t (as the CPU engine),
    // found on the device (scan with λ_target = 1, then ctrl.targetMean) and copied into its slot's b
    const batchBaseline = opts.baseline === undefined && kinds.includes('reinforce-baseline');
    // parameter slots: one per kind, one for the reductions, one for the batch's G_t
    const table = new ArrayBuffer(PARAMS_SLOT_BYTES * (K + 2));
    const tv = new Uint8Array(table);
    for (let k = 0; k < K; k++) {
      const w = this.baseParams(0, opts.baseline ?? 0, kinds[k], 'score');
      w.setAll({ rows: this.B, mbStart: 0, slot: 0, firstOfEpoch: 0, lastOfEpoch: 0, gatherMode: 1, groups: G, subSplit: S, units: N, unitRows: this.options.numSteps, gradCount: Pa, gradStride: Pa, key0: 0, key1: 0, key2: 0, key3: 0 });
      tv.set(new Uint8Array(w.data), k * PARAMS_SLOT_BYTES);
    }
    {
      const w = this.writer;
      w.setAll({ groups: G, gradCount: Pa, rows: momentsWg });
      tv.set(new Uint8Array(w.data), K * PARAMS_SLOT_BYTES);
      const g = this.baseParams(0, 0, 'reinforce-rtg', 'score');
      g.setAll({ targetLambda: 1 });
      tv.set(new Uint8Array(g.data), (K + 1) * PARAMS_SLOT_BYTES);
    }
    const tbuf = mk(table.byteLength / 4, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    temp.push(tbuf);
    d.queue.writeBuffer(tbuf, 0, table);
    this.resetCtrl();
    if (opts.direction) d.queue.writeBuffer(dir, 0, Float32Array.from(opts.direction));

    const enc = d.createCommandEncoder({ label: 'learn gradient estimates' });
    if (batchBaseline) {
      enc.copyBufferToBuffer(tbuf, (K + 1) * PARAMS_SLOT_BYTES, this.paramsU, 0, LEARN_PARAMS.size);
      const pass = enc.beginComputePass();
      this.scanStep(pass);
      this.explainedVarianceStep(pass);
      pass.end();
    }
    for (let k = 0; k < K; k++) {
      const gk = mk(G * Pa);
      perKindGrads.push(gk);
      enc.copyBufferToBuffer(tbuf, k * PARAMS_SLOT_BYTES, this.paramsU, 0, LEARN_PARAMS.size);
      if (batchBaseline && kinds[k] === 'reinforce-baseline') {
        enc.copyBufferToBuffer(this.ctrl, LEARN_CTRL.field('targetMean').offset, this.paramsU, LEARN_PARAMS.field('baseline').offset, 4);
      }
      let pass = enc.beginComputePass();
      v.steps.scan(pass);
      v.steps.gather(pass);
      if (k === 0) for (const s of v.steps.fwd) s(pass);
      for (const s of v.steps.back) s(pass);
      pass.end();
      enc.copyBufferToBuffer(v.grads, 0, gk, 0, G * Pa * 4);
      enc.copyBufferToBuffer(tbuf, K * PARAMS_SLOT_BYTES, this.paramsU, 0, LEARN_PARAMS.size);
      pass = enc.beginComputePass();
      vm.encodeGrid(pass, this.varBindMoments(vm, gk, dir, means, k * meanStride, Pa, part, outs), momentsWg);
      vf.encodeGrid(pass, this.varBindOut(vf, gk, dir, means, part, outs, k * outStride, 2 + G), 1);
      pass.end();
    }
    if (!opts.direction) enc.copyBufferToBuffer(means, 0, dir, 0, Pa * 4);
    enc.copyBufferToBuffer(tbuf, K * PARAMS_SLOT_BYTES, this.paramsU, 0, LEARN_PARAMS.size);
    {
      const pass = enc.beginComputePass();
      for (let k = 0; k < K; k++) vp.encodeGrid(pass, this.varBindOut(vp, perKindGrads[k], dir, means, part, outs, k * outStride, 2 + G), G);
      pass.end();
    }
    const outBytes = K * outStride * 4;
    const meanBytes = K * meanStride * 4;
    const stage = d.createBuffer({ size: meanBytes + outBytes + Pa * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.copyBufferToBuffer(means, 0, stage, 0, meanBytes);
    enc.copyBufferToBuffer(outs, 0, stage, meanBytes, outBytes);
    enc.copyBufferToBuffer(dir, 0, stage, meanBytes + outBytes, Pa * 4);
    // the per-group estimates themselves (K·G·Pa floats, small): the cosines are taken on the host
    const groupStage = d.createBuffer({ size: K * G * Pa * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    for (let k = 0; k < K; k++) enc.copyBufferToBuffer(perKindGrads[k], 0, groupStage, k * G * Pa * 4, G * Pa * 4);
    d.queue.submit([enc.finish()]);
    await Promise.all([stage.mapAsync(GPUMapMode.READ), groupStage.mapAsync(GPUMapMode.READ)]);
    const raw = new Float32Array(stage.getMappedRange().slice(0));
    stage.unmap();
    stage.destroy();
    const all = new Float32Array(groupStage.getMappedRange().slice(0));
    groupStage.unmap();
    groupStage.destroy();
    const groupGrads = kinds.map((_, k) => all.slice(k * G * Pa, (k + 1) * G * Pa));
    for (const b of [...temp, ...perKindGrads]) b.destroy();
    const dirRaw = raw.subarray(K * meanStride + K * outStride);
    let n2 = 0;
    for (let p = 0; p < Pa; p++) n2 += dirRaw[p] * dirRaw[p];
    const direction = new Float64Array(Pa);
    if (n2 > 0) for (let p = 0; p < Pa; p++) direction[p] = dirRaw[p] / Math.sqrt(n2);
    const estimators = kinds.map((kind, k): GpuEstimatorStats => {
      const o = K * meanStride + k * outStride;
      const mean = Float64Array.from(raw.subarray(k * meanStride, k * meanStride + Pa));
      return {
        kind,
        mean,
        traceCov: raw[o],
        meanSqNorm: raw[o + 1],
        projections: Float64Array.from(raw.subarray(o + 2, o + 2 + G)),
        cosineToMean: meanCosineTo(groupGrads[k], G, Pa, mean),
      };
    });
    return { groups: G, direction, estimators, groupGrads: opts.keepGroupGrads ? groupGrads : undefined };
  }

  private varBindMoments(p: VarianceProgram, grads: GPUBuffer, dir: GPUBuffer, means: GPUBuffer, meanOff: number, Pa: number, part: GPUBuffer, outs: GPUBuffer): GPUBindGroup {
    return p.bindGroup({ params: this.paramsU, grads, dir, mean: { buffer: means, offset: meanOff * 4, size: Pa * 4 }, part, out: outs });
  }

  private varBindOut(p: VarianceProgram, grads: GPUBuffer, dir: GPUBuffer, means: GPUBuffer, part: GPUBuffer, outs: GPUBuffer, outOff: number, outLen: number): GPUBindGroup {
    return p.bindGroup({ params: this.paramsU, grads, dir, mean: means, part, out: { buffer: outs, offset: outOff * 4, size: outLen * 4 } });
  }

  /**
   * The variance pass holds the whole batch (numEnvs × numSteps rows) in one workspace: its largest
   * buffer is rows × the widest row (obs, head outputs, a hidden layer). Throws ConfigError on numEnvs,
   * naming the largest env count that fits, when that exceeds the device's binding or buffer limit —
   * rather than letting buffer creation fail and the estimates read back as zeros.
   */
  checkVarianceFits(): void {
    const rowFloats = workspaceRowFloats(this.layout, this.obsDim, this.actDim);
    const cap = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    const T = this.options.numSteps;
    const N = this.options.numEnvs;
    const perEnv = T * rowFloats * 4;
    if (N * perEnv <= cap) return;
    const fit = Math.floor(cap / perEnv);
    const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
    throw new ConfigError(
      'numEnvs',
      N,
      `an integer 1 ≤ numEnvs ≤ ${fit} at num-steps ${T} for the gradient-variance pass on this device`,
      `invalid numEnvs: the gradient-variance pass over ${N} envs × ${T} steps needs a ${mib(N * perEnv)} GPU buffer but this device allows ${mib(cap)}; ` +
        (fit >= 2 ? `the largest env count that fits at num-steps ${T} is ${fit}` : `lower num-steps`) + ' (or use the cpu backend)',
    );
  }

  /** Buffers and steps of the variance pass for G groups (whole batch, actor only), built once per G. */
  private async varianceSetup(G: number) {
    if (this.variance && this.variance.G === G) return this.variance;
    this.checkVarianceFits();
    if (this.variance) {
      this.variance.ws.destroy();
      this.variance.grads.destroy();
      this.variance.partial.destroy();
    }
    const Pa = this.layout.actorSize;
    const rowsPerGroup = Math.floor(this.B / G);
    const S = Math.max(1, Math.min(splitCount(rowsPerGroup, Pa * G), Math.floor(256 / G) || 1));
    const ws = new Workspace(this, this.B, false);
    const S2 = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const grads = this.device.createBuffer({ label: 'learn group grads', size: Math.max(16, G * Pa * 4), usage: S2 });
    const partial = this.device.createBuffer({ label: 'learn variance partial', size: Math.max(16, G * S * Pa * 4), usage: S2 });
    this.variance = { ws, G, S, grads, partial, steps: { scan: this.scanStep, gather: () => {}, fwd: [], back: [] } };
    const steps = await this.buildSteps(ws, partial, Pa, 'variance', grads, G);
    // steps = gather, forward (actor layers), loss, backward…, reduce
    const nf = ws.nets[0].layers.length;
    this.variance.steps = { scan: this.scanStep, gather: steps[0], fwd: steps.slice(1, 1 + nf), back: steps.slice(1 + nf) };
    return this.variance;
  }

  destroy(): void {
    for (const b of this.own) b.destroy();
    this.train?.destroy();
    if (this.variance) {
      this.variance.ws.destroy();
      this.variance.grads.destroy();
      this.variance.partial.destroy();
    }
  }
}
