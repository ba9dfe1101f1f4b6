/**
 * One small program class per learner kernel: composed WGSL, bindings, override constants and the
 * dispatch arithmetic. The learner (learner.ts) wires them to its buffers. WGSL: shaders/learn/*.wgsl,
 * each composed as common.wgsl (+ rng.wgsl) + the kernel file.
 */
import commonWgsl from '../../../../shaders/learn/common.wgsl?raw';
import rngWgsl from '../../../../shaders/rng.wgsl?raw';
import scanWgsl from '../../../../shaders/learn/scan.wgsl?raw';
import gatherWgsl from '../../../../shaders/learn/gather.wgsl?raw';
import advstatsWgsl from '../../../../shaders/learn/advstats.wgsl?raw';
import gemmWgsl from '../../../../shaders/learn/gemm.wgsl?raw';
import gemmSimpleWgsl from '../../../../shaders/learn/gemm_simple.wgsl?raw';
import lossWgsl from '../../../../shaders/learn/loss.wgsl?raw';
import colsumWgsl from '../../../../shaders/learn/colsum.wgsl?raw';
import reduceWgsl from '../../../../shaders/learn/reduce.wgsl?raw';
import finalizeWgsl from '../../../../shaders/learn/finalize.wgsl?raw';
import adamWgsl from '../../../../shaders/learn/adam.wgsl?raw';
import varianceWgsl from '../../../../shaders/learn/variance.wgsl?raw';
import { ceilDiv, UniformWriter, workgroups1D } from '../dispatch';
import { Program, type NamedBinding, type ProgramDesc } from '../program';
import type { PipelineCache, PipelineSpec } from '../pipeline-cache';
import { COLSUM_GEOM, GEMM_GEOM, GEMM_SIMPLE_WG, gemmBlock, gemmSimpleGrid, gemmTile, gemmVariantFor, type GemmBlock, type GemmTile, type GemmVariant } from './layout';

const U = (name: string): NamedBinding => ({ name, kind: 'uniform' });
const R = (name: string): NamedBinding => ({ name, kind: 'read-only-storage' });
const W = (name: string): NamedBinding => ({ name, kind: 'storage' });

/** WGSL sources as composed for each kernel (exported for tests that parse the structs). */
export const LEARN_WGSL = {
  common: commonWgsl,
  scan: commonWgsl + scanWgsl,
  gather: commonWgsl + rngWgsl + gatherWgsl,
  advstats: commonWgsl + advstatsWgsl,
  gemm: commonWgsl + gemmWgsl,
  gemmSimple: commonWgsl + gemmSimpleWgsl,
  loss: commonWgsl + lossWgsl,
  colsum: commonWgsl + colsumWgsl,
  reduce: commonWgsl + reduceWgsl,
  finalize: commonWgsl + finalizeWgsl,
  adam: commonWgsl + adamWgsl,
  variance: commonWgsl + varianceWgsl,
} as const;

/** Reverse scan over time, one thread per env: aux[i] = (Ψ, target, log π_old, valid). */
export class ScanProgram extends Program {
  constructor() {
    super({
      name: 'learn-scan',
      code: LEARN_WGSL.scan,
      entryPoint: 'main',
      bindings: [U('params'), R('rewards'), R('values'), R('nextValues'), R('logp'), R('flags'), W('aux')],
      constants: {},
      workgroupSize: 64,
    });
  }
}

/** Minibatch gather (permutation or group-major order), one thread per row. */
export class GatherProgram extends Program {
  constructor(obsDim: number, actDim: number) {
    super({
      name: 'learn-gather',
      code: LEARN_WGSL.gather,
      entryPoint: 'main',
      bindings: [U('params'), R('ctrl'), R('obs'), R('act'), R('aux'), W('mbObs'), W('mbAct'), W('mbAux')],
      constants: { OBS_DIM: obsDim, ACT_DIM: actDim },
      workgroupSize: 256,
    });
  }
}

/** Mean / std / count of the minibatch's Ψ (one workgroup). */
export class AdvStatsProgram extends Program {
  constructor() {
    super({
      name: 'learn-advstats',
      code: LEARN_WGSL.advstats,
      entryPoint: 'main',
      bindings: [U('params'), W('ctrl'), R('mbAux')],
      constants: {},
      workgroupSize: 256,
    });
  }
  dispatchOne(pass: GPUComputePassEncoder, bg: GPUBindGroup): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(1);
  }
}

export const GEMM_MODE = { forward: 0, inputGrad: 1, weightGrad: 2 } as const;
export type GemmMode = keyof typeof GEMM_MODE;

/** Where a matrix lives inside its buffer: row stride and column offset, in floats. */
export interface MatrixView {
  stride: number;
  offset: number;
}

/** A dense layer as the GEMM kernel sees it. */
export interface GemmLayer {
  inDim: number;
  outDim: number;
  wOffset: number;
  /** −1: no bias (tabular tables) */
  bOffset: number;
  /** 1: tabular layout θ[w + i·out + o] */
  wT: 0 | 1;
  /** 0 none, 1 tanh, 2 relu: forward: applied to the output; inputGrad: f′ of the input activation */
  act: number;
}

/** POLICYGRAD_GEMM=simple|tiled in the environment (Node) forces a variant: for tests and A/B timings. */
function gemmVariantFromEnv(): GemmVariant | undefined {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.POLICYGRAD_GEMM;
  if (v === undefined || v === '') return undefined;
  if (v !== 'simple' && v !== 'tiled') throw new Error(`POLICYGRAD_GEMM=${v}: expected 'simple' or 'tiled'`);
  return v;
}

/**
 * Dense-layer product in one of three modes, in one of two kernel variants (GemmVariant, layout.ts):
 * 'tiled' (gemm.wgsl, workgroup tiles; real GPUs) or 'simple' (gemm_simple.wgsl, register blocks, no
 * barriers; SwiftShader). Unless given, the variant is chosen in build(): POLICYGRAD_GEMM if set,
 * else by the device's adapter info (gemmVariantFor); it is the `variant` key part of the pipeline (the
 * two kernels also differ in code). The pipeline depends only on the variant, the mode, the activation, the tabular flag and the
 * tile / block class; the layer's sizes, offsets and strides are a small uniform (`geometry`) bound per
 * dispatch, so layers of one class share a pipeline. Both variants have the same bindings and GemmGeom.
 */
export class GemmProgram extends Program {
  /** tile of the tiled variant */
  readonly tile: GemmTile;
  /** register block of the simple variant */
  readonly block: GemmBlock;
  private chosen: GemmVariant;
  constructor(
    readonly mode: GemmMode,
    readonly layer: GemmLayer,
    readonly src0: MatrixView,
    readonly src1: MatrixView,
    readonly dst: MatrixView,
    /** undefined: by the adapter, at build() */
    readonly requested?: GemmVariant,
  ) {
    const variant = requested ?? 'tiled';
    super(GemmProgram.desc(mode, layer, variant));
    const M = mode === 'weightGrad' ? layer.outDim : 1 << 20;
    const N = mode === 'forward' ? layer.outDim : layer.inDim;
    this.tile = gemmTile(M, N);
    this.block = gemmBlock(M, N);
    this.chosen = variant;
  }

  /** The variant this program compiles (final after build()). */
  get variant(): GemmVariant {
    return this.chosen;
  }

  private static desc(mode: GemmMode, layer: GemmLayer, variant: GemmVariant): ProgramDesc {
    const M = mode === 'weightGrad' ? layer.outDim : 1 << 20;
    const N = mode === 'forward' ? layer.outDim : layer.inDim;
    const bindings = [U('params'), R('ctrl'), R('theta'), R('src0'), R('src1'), W('dst'), U('geom')];
    if (variant === 'simple') {
      const block = gemmBlock(M, N);
      return {
        name: `learn-gemm-${mode}`,
        code: LEARN_WGSL.gemmSimple,
        entryPoint: 'main',
        bindings,
        constants: { MODE: GEMM_MODE[mode], W_T: layer.wT, ACT: layer.act, RB: block.RB, CB: block.CB },
        keyParts: { variant },
        workgroupSize: GEMM_SIMPLE_WG,
      };
    }
    const tile = gemmTile(M, N);
    return {
      name: `learn-gemm-${mode}`,
      code: LEARN_WGSL.gemm,
      entryPoint: 'main',
      bindings,
      constants: {
        MODE: GEMM_MODE[mode],
        W_T: layer.wT,
        ACT: layer.act,
        TX: tile.TX,
        TY: tile.TY,
        KT: tile.KT,
        A_LEN: 4 * tile.TY * tile.KT,
        B_LEN: 4 * tile.TX * tile.KT,
      },
      keyParts: { variant },
      workgroupSize: tile.TX * tile.TY,
    };
  }

  /** Compile for the requested variant, or the adapter's (gemmVariantFor) when none was requested. */
  override async build(cache: PipelineCache): Promise<this> {
    const variant = this.requested ?? gemmVariantFromEnv() ?? gemmVariantFor((cache.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo);
    if (variant !== this.chosen) {
      const fresh = new Program(GemmProgram.desc(this.mode, this.layer, variant));
      // Program's spec and lane count are fixed at construction; swap in those of the chosen variant.
      const self = this as unknown as { spec: PipelineSpec; workgroupSize: number };
      self.spec = fresh.spec;
      self.workgroupSize = fresh.workgroupSize;
      this.chosen = variant;
    }
    return super.build(cache);
  }

  /** The GemmGeom uniform of this layer and these views. */
  geometry(): ArrayBuffer {
    const l = this.layer;
    return new UniformWriter(GEMM_GEOM).setAll({
      IN: l.inDim,
      OUT: l.outDim,
      W_OFF: l.wOffset,
      B_OFF: Math.max(0, l.bOffset),
      S0_STRIDE: this.src0.stride,
      S0_OFF: this.src0.offset,
      S1_STRIDE: this.src1.stride,
      S1_OFF: this.src1.offset,
      D_STRIDE: this.dst.stride,
      D_OFF: this.dst.offset,
      HAS_BIAS: l.bOffset >= 0 ? 1 : 0,
      pad: 0,
    }).data;
  }

  /**
   * Workgroups. Tiled: row modes (⌈rows/TM⌉, ⌈N/TN⌉, 1), weight mode (⌈OUT/TM⌉, ⌈IN/TN⌉, chunks).
   * Simple: gemmSimpleGrid over the M × N output (M = rows or OUT), z = chunks in weight mode.
   */
  grid(rows: number, chunks: number): [number, number, number] {
    const l = this.layer;
    const N = this.mode === 'forward' ? l.outDim : l.inDim;
    if (this.chosen === 'simple') {
      if (this.mode === 'weightGrad') return gemmSimpleGrid(l.outDim, l.inDim, this.block, chunks, this.workgroupSize);
      return gemmSimpleGrid(rows, N, this.block, 1, this.workgroupSize);
    }
    const TM = 4 * this.tile.TY;
    const TN = 4 * this.tile.TX;
    if (this.mode === 'weightGrad') return [ceilDiv(l.outDim, TM), ceilDiv(l.inDim, TN), chunks];
    return [ceilDiv(rows, TM), ceilDiv(N, TN), 1];
  }

  encode(pass: GPUComputePassEncoder, bg: GPUBindGroup, rows: number, chunks: number): void {
    const [x, y, z] = this.grid(rows, chunks);
    if (x === 0) return;
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(x, y, z);
  }
}

export interface LossShape {
  /** 0 categorical (softmax, tabular), 1 Gaussian */
  head: 0 | 1;
  /** actor outputs per sample */
  nOut: number;
  actDim: number;
  /** θ offset of log σ (Gaussian) */
  logStdOffset: number;
}

/** Heads, losses and ∂ℓ/∂outputs of one minibatch; per-workgroup partial statistics. */
export class LossProgram extends Program {
  constructor(s: LossShape) {
    super({
      name: 'learn-loss',
      code: LEARN_WGSL.loss,
      entryPoint: 'main',
      bindings: [U('params'), R('ctrl'), R('theta'), R('net'), R('act'), R('aux'), W('dOut'), W('partials')],
      constants: {
        HEAD: s.head,
        NOUT: s.nOut,
        ACT_DIM: s.actDim,
        LOGSTD_OFF: Math.max(0, s.logStdOffset),
        LS_DIM: s.head === 1 ? s.nOut : 0,
      },
      workgroupSize: 256,
    });
  }
  /** Loss partials are indexed by the linear workgroup id: one per 256 rows. */
  static partialCount(rows: number): number {
    return ceilDiv(rows, 256);
  }
}

/** Per-chunk column sums (bias gradients, ∂log σ). Pipeline by column class (CB = 4 or 64); geometry is a uniform. */
export class ColsumProgram extends Program {
  readonly cb: number;
  constructor(
    readonly cols: number,
    readonly src: MatrixView,
    readonly dstOffset: number,
  ) {
    const cb = cols <= 4 ? 4 : 64;
    super({
      name: 'learn-colsum',
      code: LEARN_WGSL.colsum,
      entryPoint: 'main',
      bindings: [U('params'), R('ctrl'), R('src'), W('dst'), U('geom')],
      constants: { CB: cb },
      workgroupSize: 256,
    });
    this.cb = cb;
  }
  geometry(): ArrayBuffer {
    return new UniformWriter(COLSUM_GEOM).setAll({ COLS: this.cols, STRIDE: this.src.stride, OFF: this.src.offset, DST_OFF: this.dstOffset }).data;
  }
  encode(pass: GPUComputePassEncoder, bg: GPUBindGroup, chunks: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(ceilDiv(this.cols, this.cb), 1, chunks);
  }
}

/** Sum split-K partials per group (and squared sums for the norm). */
export class ReduceProgram extends Program {
  constructor(outStride: number) {
    super({
      name: 'learn-reduce',
      code: LEARN_WGSL.reduce,
      entryPoint: 'main',
      bindings: [U('params'), R('ctrl'), R('partial'), W('outGrad'), W('sq')],
      constants: { OUT_STRIDE: outStride },
      workgroupSize: 256,
    });
  }
  static sqCount(gradCount: number): number {
    return ceilDiv(gradCount, 256);
  }
  encode(pass: GPUComputePassEncoder, bg: GPUBindGroup, gradCount: number, groups: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(ceilDiv(gradCount, 256), groups, 1);
  }
}

/** End-of-minibatch statistics, norm, clip, Adam bias corrections, target-KL stop (one workgroup). */
export class FinalizeProgram extends Program {
  constructor(nSq: number) {
    super({
      name: 'learn-finalize',
      code: LEARN_WGSL.finalize,
      entryPoint: 'main',
      bindings: [U('params'), W('ctrl'), R('lossPartials'), R('sq'), W('stats')],
      constants: { N_SQ: nSq },
      workgroupSize: 256,
    });
  }
  encodeOne(pass: GPUComputePassEncoder, bg: GPUBindGroup): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(1);
  }
}

/** Adam on the clipped gradient. */
export class AdamProgram extends Program {
  constructor() {
    super({
      name: 'learn-adam',
      code: LEARN_WGSL.adam,
      entryPoint: 'main',
      bindings: [U('params'), R('ctrl'), R('grad'), W('theta'), W('m'), W('v')],
      constants: {},
      workgroupSize: 256,
    });
  }
}

/** Gradient-variance reductions (entries 'moments', 'finish', 'project'). */
export class VarianceProgram extends Program {
  constructor(readonly entry: 'moments' | 'finish' | 'project') {
    super({
      name: `learn-variance-${entry}`,
      code: LEARN_WGSL.variance,
      entryPoint: entry,
      bindings: [U('params'), R('grads'), R('dir'), W('mean'), W('part'), W('out')],
      constants: {},
      workgroupSize: 256,
    });
  }
  encodeGrid(pass: GPUComputePassEncoder, bg: GPUBindGroup, x: number): void {
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(x);
  }
}

export { workgroups1D };
