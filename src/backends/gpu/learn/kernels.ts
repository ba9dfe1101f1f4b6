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
import explainedVarianceWgsl from '../../../../shaders/learn/explained_variance.wgsl?raw';
import gemmCommonWgsl from '../../../../shaders/learn/gemm_common.wgsl?raw';
import gemmWgsl from '../../../../shaders/learn/gemm.wgsl?raw';
import gemmSimpleWgsl from '../../../../shaders/learn/gemm_simple.wgsl?raw';
import gemmLanesWgsl from '../../../../shaders/learn/gemm_lanes.wgsl?raw';
import gemmQuadsWgsl from '../../../../shaders/learn/gemm_quads.wgsl?raw';
import gemmWgWgsl from '../../../../shaders/learn/gemm_wg.wgsl?raw';
import lossWgsl from '../../../../shaders/learn/loss.wgsl?raw';
import colsumWgsl from '../../../../shaders/learn/colsum.wgsl?raw';
import reduceWgsl from '../../../../shaders/learn/reduce.wgsl?raw';
import finalizeWgsl from '../../../../shaders/learn/finalize.wgsl?raw';
import adamWgsl from '../../../../shaders/learn/adam.wgsl?raw';
import varianceWgsl from '../../../../shaders/learn/variance.wgsl?raw';
import { ceilDiv, UniformWriter, workgroups1D } from '../dispatch';
import { Program, type NamedBinding, type ProgramDesc } from '../program';
import {
  COLSUM_GEOM,
  colsumSerialGrid,
  colsumSerialWg,
  colsumVec4,
  GEMM_GEOM,
  GEMM_SIMPLE_WG,
  gemmBlock,
  gemmSimpleGrid,
  gemmTile,
  gemmWgGrid,
  gemmWgShape,
  GEMM_WSUB_ROWS,
  gemmVariantFor,
  hasQuadSubgroups,
  wgSubgroupLanes,
  LOSS_ROWS_SERIAL,
  LOSS_ROWS_TREE,
  lossPartialCount,
  lossSerialGrid,
  REDUCE_RUN_SERIAL,
  reduceSerialGrid,
  reduceVariantFor,
  SERIAL_WG,
  sqPartialCount,
  type GemmBlock,
  type GemmTile,
  type GemmVariant,
  type GemmWgShape,
  type ReduceVariant,
} from './layout';

const U = (name: string): NamedBinding => ({ name, kind: 'uniform' });
const R = (name: string): NamedBinding => ({ name, kind: 'read-only-storage' });
const W = (name: string): NamedBinding => ({ name, kind: 'storage' });

/** WGSL sources as composed for each kernel (exported for tests that parse the structs). */
export const LEARN_WGSL = {
  common: commonWgsl,
  scan: commonWgsl + scanWgsl,
  gather: commonWgsl + rngWgsl + gatherWgsl,
  advstats: commonWgsl + advstatsWgsl,
  explainedVariance: commonWgsl + explainedVarianceWgsl,
  gemm: commonWgsl + gemmCommonWgsl + gemmWgsl,
  gemmSimple: commonWgsl + gemmCommonWgsl + gemmLanesWgsl + gemmSimpleWgsl,
  // directives first; the broadcasts run in whole quads (gemm_quads.wgsl says why), which the
  // uniformity analysis cannot prove
  gemmQuad: 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n' + commonWgsl + gemmCommonWgsl + gemmQuadsWgsl + gemmSimpleWgsl,
  gemmWg: commonWgsl + gemmCommonWgsl + gemmWgLanesWgsl(0) + gemmWgWgsl,
  loss: commonWgsl + lossWgsl,
  colsum: commonWgsl + colsumWgsl,
  reduce: commonWgsl + reduceWgsl,
  finalize: commonWgsl + finalizeWgsl,
  adam: commonWgsl + adamWgsl,
  variance: commonWgsl + varianceWgsl,
} as const;

/**
 * The piece of gemm_wg.wgsl that shares weight loads across subgroups (pure): SG (lanes per group: 0
 * none — 'wg' —, 4, 8 or 16 — 'wgsub'), `sg_lane()` (this lane's index in its group of SG; every lane of
 * the workgroup runs the row modes' loop, so the exclusive count of lanes is the index) and
 * `sg_cols(t0, t1, t2, t3)`, the 16 block columns as 4 vec4, scalar k = lane k mod SG of t_⌊k/SG⌋.
 */
export function gemmWgLanesWgsl(lanes: number): string {
  if (lanes === 0) {
    return [
      '// gemm_wg lanes (kernels.ts gemmWgLanesWgsl): no subgroups, every lane loads its own weights',
      'const SG: u32 = 0u;',
      'fn sg_lane() -> u32 { return 0u; }',
      'fn sg_cols(t0: f32, t1: f32, t2: f32, t3: f32) -> mat4x4<f32> { return mat4x4<f32>(); }',
      '',
    ].join('\n');
  }
  if (![4, 8, 16].includes(lanes)) throw new Error(`gemmWgLanesWgsl: ${lanes} lanes (0, 4, 8 or 16)`);
  const t = (k: number) => `subgroupBroadcast(t${Math.floor(k / lanes)}, ${k % lanes}u)`;
  const col = (g: number) => `vec4<f32>(${[0, 1, 2, 3].map((r) => t(4 * g + r)).join(', ')})`;
  const used = new Set(Array.from({ length: 16 }, (_, k) => Math.floor(k / lanes)));
  const arg = (q: number) => `${used.has(q) ? '' : '_'}t${q}: f32`;
  return [
    `// gemm_wg lanes (kernels.ts gemmWgLanesWgsl): weight loads shared by subgroups of ${lanes}`,
    `const SG: u32 = ${lanes}u;`,
    `fn sg_lane() -> u32 { return subgroupExclusiveAdd(1u) & ${lanes - 1}u; }`,
    `fn sg_cols(${[0, 1, 2, 3].map(arg).join(', ')}) -> mat4x4<f32> {`,
    `  return mat4x4<f32>(${[0, 1, 2, 3].map(col).join(', ')});`,
    '}',
    '',
  ].join('\n');
}

/**
 * 'wgsub''s weight-gradient entry point `main_weight_sub` for `lanes` = SG (generated: the broadcasts
 * name their source lane). Workgroup (x, y, z) owns dW rows o0 = x·OB … o0 + OB − 1 and columns
 * i0 = y·WG_SIZE·4 …, over split-K chunk z, whose rows every lane walks in step (no workgroup sums):
 * lane l owns columns i0 + l + c·WG_SIZE (c < 4) for all OB rows, OB vec4 accumulators in registers.
 * Per batch row b, lane l loads its 4 X[b][i] and, as lane j of a group of SG, the OB/SG values
 * dY[b][o0 + q·SG + j]; subgroupBroadcast hands every dY to every lane. So a lane makes 4 + OB/SG loads
 * per 4·OB multiply-adds, where main_weight (each lane its own rows, nothing shared) makes RB + CB per
 * RB·CB: 8 against 24 per 128 at SG = 8. Out-of-range rows and columns are clamped for loading and
 * skipped when storing (put_cols). The bias gradient ∂b[o] = Σ_b dY[b][o] comes along: lane j of each
 * subgroup's first group of SG sums the dY values it loads (OB/SG adds per row) and the workgroups of
 * column block 0 store them (every subgroup holds the same sums in the same order, so duplicate
 * stores write the same value); the learner then skips that layer's column-sum kernel (fusesBias).
 */
export function gemmWgWeightSubWgsl(lanes: number, OB = GEMM_WSUB_ROWS): string {
  if (![4, 8, 16].includes(lanes) || OB % lanes !== 0) throw new Error(`gemmWgWeightSubWgsl: ${lanes} lanes, ${OB} rows (4, 8 or 16 lanes dividing the rows)`);
  const Q = OB / lanes;
  const L: string[] = [
    `// main_weight_sub (kernels.ts gemmWgWeightSubWgsl): ${OB} rows of dW × 4·WG_SIZE columns, dY loads shared by subgroups of ${lanes}`,
    '@compute @workgroup_size(WG_SIZE)',
    'fn main_weight_sub(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {',
    '  if (ctrl.stop != 0u) { return; }',
    '  let sl = sg_lane();',
    // the first group of SG lanes of each subgroup also sums the bias gradient (below)
    `  let bias_lane = subgroupExclusiveAdd(1u) < ${lanes}u;`,
    '  let chunk = wid.z;',
    '  let shape = gemm_shape(chunk);',
    '  let M = shape.x;',
    '  let N = shape.y;',
    '  let r0 = shape.w;',
    '  let r1 = r0 + shape.z;',
    `  let o0 = wid.x * ${OB}u;`,
    '  let n0 = wid.y * (4u * WG_SIZE) + lid;',
    '  let ml = M - 1u;',
    '  let nl = N - 1u;',
    // A(o, b) = dY[b][o] = src0 (column o), B(b, i) = X[b][i] = src1 (column i)
    ...Array.from({ length: Q }, (_, q) => `  let oa${q} = L.S0_OFF + min(o0 + ${q * lanes}u + sl, ml) * L.S0_CS;`),
    ...Array.from({ length: 4 }, (_, c) => `  let ia${c} = L.S1_OFF + min(n0 + ${c}u * WG_SIZE, nl) * L.S1_CS;`),
    ...Array.from({ length: OB }, (_, o) => `  var a${o} = vec4<f32>(0.0);`),
    ...Array.from({ length: Q }, (_, q) => `  var bs${q} = 0.0;`),
    '  for (var b = r0; b < r1; b = b + 1u) {',
    '    let ba = b * L.S0_STRIDE;',
    '    let bb = b * L.S1_STRIDE;',
    '    let x = vec4<f32>(src1[ia0 + bb], src1[ia1 + bb], src1[ia2 + bb], src1[ia3 + bb]);',
    ...Array.from({ length: Q }, (_, q) => `    let t${q} = src0[oa${q} + ba];`),
    ...Array.from({ length: OB }, (_, o) => `    a${o} = fma(vec4<f32>(subgroupBroadcast(t${Math.floor(o / lanes)}, ${o % lanes}u)), x, a${o});`),
    ...Array.from({ length: Q }, (_, q) => `    bs${q} = bs${q} + t${q};`),
    '  }',
    ...Array.from({ length: OB }, (_, o) => `  put_cols(o0 + ${o}u, n0, a${o}, M, N, chunk);`),
    // ∂b[o] = Σ_b dY[b][o]: every subgroup's first group holds the same sums (same rows, same order),
    // so each writes the same values; column block y = 0 writes them
    '  if (L.HAS_BIAS != 0u && wid.y == 0u && bias_lane) {',
    ...Array.from({ length: Q }, (_, q) => `    if (o0 + ${q * lanes}u + sl < M) { dst[chunk * P.gradStride + L.B_OFF + o0 + ${q * lanes}u + sl] = bs${q}; }`),
    '  }',
    '}',
    '',
  ];
  return L.join('\n');
}

/** gemm_wg.wgsl composed for `lanes` (0: 'wg'; else 'wgsub', with the subgroups directives first and main_weight_sub last). */
export function gemmWgCode(lanes: number): string {
  if (lanes === 0) return LEARN_WGSL.gemmWg;
  return 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n' + commonWgsl + gemmCommonWgsl + gemmWgLanesWgsl(lanes) + gemmWgWgsl + gemmWgWeightSubWgsl(lanes);
}

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

/**
 * The critic's explained variance over the whole batch, one 256-lane workgroup once per update after
 * the scan: reads aux (target, valid) and the rollout's values, writes ctrl.explainedVariance.
 */
export class ExplainedVarianceProgram extends Program {
  constructor() {
    super({
      name: 'learn-explained-variance',
      code: LEARN_WGSL.explainedVariance,
      entryPoint: 'main',
      bindings: [U('params'), W('ctrl'), R('aux'), R('values')],
      constants: {},
      workgroupSize: 256,
    });
  }
  dispatchOne(pass: GPUComputePassEncoder, bg: GPUBindGroup): void {
    this.dispatchGrid(pass, bg, [1]);
  }
}

/**
 * Minibatch gather (permutation or group-major order), one thread per row. `obsColStride` 0: mbObs
 * row-major [rows][obsDim]; else feature-major, mbObs[k·obsColStride + j] (the 'wg' GEMM's layout,
 * obsColStride = the workspace's row capacity).
 */
export class GatherProgram extends Program {
  constructor(obsDim: number, actDim: number, obsColStride = 0) {
    super({
      name: 'learn-gather',
      code: LEARN_WGSL.gather,
      entryPoint: 'main',
      bindings: [U('params'), R('ctrl'), R('obs'), R('act'), R('aux'), W('mbObs'), W('mbAct'), W('mbAux')],
      constants: { OBS_DIM: obsDim, ACT_DIM: actDim, OBS_CS: obsColStride },
      workgroupSize: 256,
    });
  }
}

/** POLICYGRAD_REDUCE=serial|tree in the environment (Node) forces the reduction variant: for tests and A/B timings. */
export function reduceVariantFromEnv(): ReduceVariant | undefined {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.POLICYGRAD_REDUCE;
  if (v === undefined || v === '') return undefined;
  if (v !== 'serial' && v !== 'tree') throw new Error(`POLICYGRAD_REDUCE=${v}: expected 'serial' or 'tree'`);
  return v;
}

/**
 * The reduction variant (ReduceVariant, layout.ts) of the learner's loss / colsum / reduce / finalize /
 * advstats kernels on `device`: `requested` if given, else POLICYGRAD_REDUCE, else by the adapter info
 * (reduceVariantFor: 'serial' on SwiftShader). The learner resolves it once and passes it to every program.
 */
export function resolveReduceVariant(device: GPUDevice, requested?: ReduceVariant): ReduceVariant {
  return requested ?? reduceVariantFromEnv() ?? reduceVariantFor((device as { adapterInfo?: GPUAdapterInfo }).adapterInfo);
}

/** Mean / std / count of the minibatch's Ψ (one workgroup: 256 lanes and a tree, or 64 lanes with a serial top level). */
export class AdvStatsProgram extends Program {
  constructor(readonly variant: ReduceVariant = 'tree') {
    super({
      name: 'learn-advstats',
      code: LEARN_WGSL.advstats,
      entryPoint: variant === 'serial' ? 'main_serial' : 'main',
      bindings: [U('params'), W('ctrl'), R('mbAux')],
      constants: {},
      workgroupSize: variant === 'serial' ? SERIAL_WG : 256,
    });
  }
  dispatchOne(pass: GPUComputePassEncoder, bg: GPUBindGroup): void {
    this.dispatchGrid(pass, bg, [1]);
  }
}

export const GEMM_MODE = { forward: 0, inputGrad: 1, weightGrad: 2 } as const;
export type GemmMode = keyof typeof GEMM_MODE;

/**
 * Where a matrix lives inside its buffer, in floats: element (row m, column k) at
 * offset + m·stride + k·colStride. Row-major: colStride 1 (the default); feature-major (the 'wg'
 * variant's activations): stride 1, colStride = the buffer's row capacity.
 */
export interface MatrixView {
  stride: number;
  offset: number;
  colStride?: number;
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

/**
 * The GEMM variant for `device`: `requested` if given, else POLICYGRAD_GEMM, else by the adapter info
 * and the device's features (gemmVariantFor: 'quad' or 'simple' on SwiftShader). The learner resolves it
 * once and passes it to every GEMM. 'quad' on a device without subgroups of 4 lanes is an error.
 */
export function resolveGemmVariant(device: GPUDevice, requested?: GemmVariant): GemmVariant {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const subgroups = device.features.has('subgroups');
  const v = requested ?? gemmVariantFromEnv() ?? gemmVariantFor(info, subgroups);
  if (v === 'wgsub' && gemmLanes(device) === 0) {
    throw new Error(`GEMM variant 'wgsub' needs the subgroups feature with subgroups of 4 lanes or more; this device has ${subgroups ? `subgroups of ${info?.subgroupMinSize}–${info?.subgroupMaxSize} lanes` : 'no subgroups'}`);
  }
  if (v === 'quad' && !hasQuadSubgroups(info, subgroups)) {
    throw new Error(`GEMM variant 'quad' needs the subgroups feature with subgroups of exactly 4 lanes; this device has ${device.features.has('subgroups') ? `subgroups of ${info?.subgroupMinSize}–${info?.subgroupMaxSize} lanes` : 'no subgroups'}`);
  }
  return v;
}

/** Lanes of the 'wgsub' GEMM on `device` (layout.ts wgSubgroupLanes; 0: not available). */
export function gemmLanes(device: GPUDevice): number {
  return wgSubgroupLanes((device as { adapterInfo?: GPUAdapterInfo }).adapterInfo, device.features.has('subgroups'));
}

/** POLICYGRAD_GEMM=simple|quad|tiled|wg|wgsub in the environment (Node) forces a variant: for tests and A/B timings. */
export function gemmVariantFromEnv(): GemmVariant | undefined {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.POLICYGRAD_GEMM;
  if (v === undefined || v === '') return undefined;
  if (v !== 'simple' && v !== 'quad' && v !== 'tiled' && v !== 'wg' && v !== 'wgsub') throw new Error(`POLICYGRAD_GEMM=${v}: expected 'simple', 'quad', 'tiled', 'wg' or 'wgsub'`);
  return v;
}

/**
 * Dense-layer product in one of three modes, in one of three kernel variants (GemmVariant, layout.ts):
 * 'tiled' (gemm.wgsl, workgroup tiles; real GPUs), 'simple' (gemm_simple.wgsl, register blocks, no
 * barriers; SwiftShader) or 'quad' ('simple' sharing B loads across subgroups of 4), as
 * resolveGemmVariant picks it for the device; it is the `variant` key part of the pipeline (the kernels
 * also differ in code). A weight-gradient product with fewer than 4 row blocks (a head's few outputs)
 * runs 'quad' as 'simple', which would otherwise pad it to 4 row blocks. The pipeline depends only on
 * the variant, the mode, the activation, the tabular flag and the tile / block class; the layer's
 * sizes, offsets and strides are a small uniform (`geometry`) bound per dispatch, so layers of one
 * class share a pipeline. All variants have the same bindings and GemmGeom.
 */
export class GemmProgram extends Program {
  /** tile of the tiled variant */
  readonly tile: GemmTile;
  /** register block of the simple and quad variants */
  readonly block: GemmBlock;
  /** block and lanes of the wg variant */
  readonly wg: GemmWgShape;
  /** the variant this product runs (the requested one, or 'simple' for a small 'quad' weight gradient) */
  readonly variant: GemmVariant;
  /**
   * A weight gradient that also writes the bias gradient ∂b = column sums of dY (main_weight_sub: its
   * lanes already hold every dY), so the learner runs no column-sum kernel for this layer.
   */
  readonly fusesBias: boolean;
  constructor(
    readonly mode: GemmMode,
    readonly layer: GemmLayer,
    readonly src0: MatrixView,
    readonly src1: MatrixView,
    readonly dst: MatrixView,
    /** the kernel variant (resolveGemmVariant picks the adapter's) */
    variant: GemmVariant = 'tiled',
    /** 'wgsub': lanes sharing the weight loads (gemmLanes of the device) */
    lanes = 0,
  ) {
    const M = mode === 'weightGrad' ? layer.outDim : 1 << 20;
    const N = mode === 'forward' ? layer.outDim : layer.inDim;
    const v = variant === 'quad' && ceilDiv(M, gemmBlock(M, N).RB) < 4 ? 'simple' : variant;
    const block = gemmBlock(M, N, v === 'quad');
    const tile = gemmTile(M, N);
    const wg = gemmWgShape(mode === 'weightGrad', M, N, v === 'wgsub' ? lanes : 0);
    if (v === 'wgsub' && ![4, 8, 16].includes(lanes)) throw new Error(`GEMM 'wgsub': ${lanes} lanes (4, 8 or 16)`);
    super(GemmProgram.desc(mode, layer, v, block, tile, wg, v === 'wgsub' ? lanes : 0));
    this.variant = v;
    this.tile = tile;
    this.block = block;
    this.wg = wg;
    this.fusesBias = mode === 'weightGrad' && v === 'wgsub' && wg.sub && layer.bOffset >= 0;
  }

  private static desc(mode: GemmMode, layer: GemmLayer, variant: GemmVariant, block: GemmBlock, tile: GemmTile, wg: GemmWgShape, lanes: number): ProgramDesc {
    const bindings = [U('params'), R('ctrl'), R('theta'), R('src0'), R('src1'), W('dst'), U('geom')];
    if (variant === 'wg' || variant === 'wgsub') {
      return {
        name: `learn-gemm-${mode}`,
        // the weight gradient of a layer too small for main_weight_sub (gemmWgShape) is 'wg''s kernel
        code: gemmWgCode(mode === 'weightGrad' && !wg.sub ? 0 : lanes),
        entryPoint: mode !== 'weightGrad' ? 'main' : wg.sub ? 'main_weight_sub' : 'main_weight',
        bindings,
        constants: { MODE: GEMM_MODE[mode], W_T: layer.wT, ACT: layer.act, RB: wg.RB, CB: wg.CB, RED_LEN: wg.RED_LEN },
        // ... and shares 'wg''s pipeline
        keyParts: variant === 'wgsub' && (mode !== 'weightGrad' || wg.sub) ? { variant, lanes } : { variant: 'wg' },
        workgroupSize: wg.WG,
      };
    }
    if (variant !== 'tiled') {
      return {
        name: `learn-gemm-${mode}`,
        code: variant === 'quad' ? LEARN_WGSL.gemmQuad : LEARN_WGSL.gemmSimple,
        entryPoint: 'main',
        bindings,
        constants: { MODE: GEMM_MODE[mode], W_T: layer.wT, ACT: layer.act, RB: block.RB, CB: block.CB },
        keyParts: { variant },
        workgroupSize: GEMM_SIMPLE_WG,
      };
    }
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
      S0_CS: this.src0.colStride ?? 1,
      S1_CS: this.src1.colStride ?? 1,
      D_CS: this.dst.colStride ?? 1,
      pad0: 0,
      pad1: 0,
    }).data;
  }

  /**
   * Workgroups. Tiled: row modes (⌈rows/TM⌉, ⌈N/TN⌉, 1), weight mode (⌈OUT/TM⌉, ⌈IN/TN⌉, chunks).
   * Simple and quad: gemmSimpleGrid over the M × N output (M = rows or OUT), z = chunks in weight mode.
   */
  grid(rows: number, chunks: number): [number, number, number] {
    const l = this.layer;
    const N = this.mode === 'forward' ? l.outDim : l.inDim;
    if (this.variant === 'wg' || this.variant === 'wgsub') {
      const w = this.mode === 'weightGrad';
      return gemmWgGrid(w, w ? l.outDim : rows, N, this.wg, chunks);
    }
    if (this.variant !== 'tiled') {
      const quads = this.variant === 'quad';
      if (this.mode === 'weightGrad') return gemmSimpleGrid(l.outDim, l.inDim, this.block, chunks, this.workgroupSize, quads);
      return gemmSimpleGrid(rows, N, this.block, 1, this.workgroupSize, quads);
    }
    const TM = 4 * this.tile.TY;
    const TN = 4 * this.tile.TX;
    if (this.mode === 'weightGrad') return [ceilDiv(l.outDim, TM), ceilDiv(l.inDim, TN), chunks];
    return [ceilDiv(rows, TM), ceilDiv(N, TN), 1];
  }

  encode(pass: GPUComputePassEncoder, bg: GPUBindGroup, rows: number, chunks: number): void {
    this.dispatchGrid(pass, bg, this.grid(rows, chunks));
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

/**
 * Heads, losses and ∂ℓ/∂outputs of one minibatch, and partial statistics: tree: one per 256-row
 * workgroup; serial: one per LOSS_ROWS_SERIAL consecutive rows (an invocation each, no barriers).
 * `dispatch(pass, bg, rows)` covers the rows in either variant.
 */
export class LossProgram extends Program {
  constructor(
    s: LossShape,
    readonly variant: ReduceVariant = 'tree',
  ) {
    const serial = variant === 'serial';
    super({
      name: 'learn-loss',
      code: LEARN_WGSL.loss,
      entryPoint: serial ? 'main_serial' : 'main',
      bindings: [U('params'), R('ctrl'), R('theta'), R('net'), R('act'), R('aux'), W('dOut'), W('partials')],
      constants: {
        HEAD: s.head,
        NOUT: s.nOut,
        ACT_DIM: s.actDim,
        LOGSTD_OFF: Math.max(0, s.logStdOffset),
        LS_DIM: s.head === 1 ? s.nOut : 0,
        ...(serial ? { ROWS: LOSS_ROWS_SERIAL } : {}),
      },
      workgroupSize: serial ? SERIAL_WG : LOSS_ROWS_TREE,
    });
  }
  /** Workgroups for `rows` rows: tree one lane per row; serial one lane per LOSS_ROWS_SERIAL rows (lossSerialGrid). */
  override workgroups(rows: number): [number, number, number] {
    return this.variant === 'serial' ? lossSerialGrid(rows, this.workgroupSize) : workgroups1D(rows, this.workgroupSize);
  }
  /** Loss partials written for `rows` rows (tree: indexed by the linear workgroup id, one per 256 rows). */
  static partialCount(rows: number, variant: ReduceVariant = 'tree'): number {
    return lossPartialCount(rows, variant);
  }
}

/**
 * Per-chunk column sums (bias gradients, ∂log σ); geometry is a uniform. Tree: pipeline by column class
 * (CB = 4 or 64), 256 lanes and a tree per (column block, chunk). Serial: one invocation per (column,
 * chunk) summing the chunk's rows in registers; lanes per workgroup by column class (colsumSerialWg).
 */
export class ColsumProgram extends Program {
  readonly cb: number;
  constructor(
    readonly cols: number,
    readonly src: MatrixView,
    readonly dstOffset: number,
    readonly variant: ReduceVariant = 'tree',
  ) {
    const cb = cols <= 4 ? 4 : 64;
    const serial = variant === 'serial';
    const vec4 = serial && colsumVec4(cols, src.stride, src.offset, src.colStride ?? 1);
    super({
      name: 'learn-colsum',
      code: LEARN_WGSL.colsum,
      entryPoint: serial ? (vec4 ? 'main_serial4' : 'main_serial') : 'main',
      bindings: [U('params'), R('ctrl'), R('src'), W('dst'), U('geom')],
      constants: serial ? {} : { CB: cb },
      workgroupSize: serial ? colsumSerialWg(vec4 ? cols / 4 : cols) : 256,
    });
    this.cb = cb;
    this.vec4 = vec4;
  }
  /** serial only: 4 columns per invocation with vec4 loads (colsumVec4) */
  readonly vec4: boolean;
  /** Workgroups for `chunks` split-K chunks (serial: colsumSerialGrid over columns or groups of 4). */
  grid(chunks: number): [number, number, number] {
    if (this.variant === 'serial') return colsumSerialGrid(this.vec4 ? this.cols / 4 : this.cols, chunks);
    return [ceilDiv(this.cols, this.cb), 1, chunks];
  }
  geometry(): ArrayBuffer {
    return new UniformWriter(COLSUM_GEOM).setAll({ COLS: this.cols, STRIDE: this.src.stride, OFF: this.src.offset, DST_OFF: this.dstOffset, CS: this.src.colStride ?? 1, pad0: 0, pad1: 0, pad2: 0 }).data;
  }
  encode(pass: GPUComputePassEncoder, bg: GPUBindGroup, chunks: number): void {
    this.dispatchGrid(pass, bg, this.grid(chunks));
  }
}

/**
 * Sum split-K partials per group (and squared sums for the norm). Tree: 256 lanes per workgroup, one sq
 * partial per workgroup. Serial: one invocation per REDUCE_RUN_SERIAL entries, one sq partial each.
 */
export class ReduceProgram extends Program {
  constructor(
    outStride: number,
    readonly variant: ReduceVariant = 'tree',
  ) {
    const serial = variant === 'serial';
    super({
      name: 'learn-reduce',
      code: LEARN_WGSL.reduce,
      entryPoint: serial ? 'main_serial' : 'main',
      bindings: [U('params'), R('ctrl'), R('partial'), W('outGrad'), W('sq')],
      constants: serial ? { OUT_STRIDE: outStride, RUN: REDUCE_RUN_SERIAL } : { OUT_STRIDE: outStride },
      workgroupSize: serial ? SERIAL_WG : 256,
    });
  }
  /** Squared-gradient partials for `gradCount` entries (sqPartialCount). */
  static sqCount(gradCount: number, variant: ReduceVariant = 'tree'): number {
    return sqPartialCount(gradCount, variant);
  }
  grid(gradCount: number, groups: number): [number, number, number] {
    return this.variant === 'serial' ? reduceSerialGrid(gradCount, groups, this.workgroupSize) : [ceilDiv(gradCount, 256), groups, 1];
  }
  encode(pass: GPUComputePassEncoder, bg: GPUBindGroup, gradCount: number, groups: number): void {
    this.dispatchGrid(pass, bg, this.grid(gradCount, groups));
  }
}

/**
 * End-of-minibatch statistics, norm, clip, Adam bias corrections, target-KL stop (one workgroup: 256
 * lanes and a tree, or serial: one invocation). `nSq` squared-gradient partials; the loss partials are
 * those of the same variant's LossProgram.
 */
export class FinalizeProgram extends Program {
  constructor(
    nSq: number,
    readonly variant: ReduceVariant = 'tree',
  ) {
    const serial = variant === 'serial';
    super({
      name: 'learn-finalize',
      code: LEARN_WGSL.finalize,
      entryPoint: serial ? 'main_serial' : 'main',
      bindings: [U('params'), W('ctrl'), R('lossPartials'), R('sq'), W('stats')],
      constants: { N_SQ: nSq, LOSS_ROWS: serial ? LOSS_ROWS_SERIAL : LOSS_ROWS_TREE },
      workgroupSize: serial ? 1 : 256,
    });
  }
  encodeOne(pass: GPUComputePassEncoder, bg: GPUBindGroup): void {
    this.dispatchGrid(pass, bg, [1]);
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
    this.dispatchGrid(pass, bg, [x]);
  }
}

export { workgroups1D };
