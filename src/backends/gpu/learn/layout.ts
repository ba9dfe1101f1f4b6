/**
 * Plain-TS arithmetic of the GPU learner: the uniform / control structs (twins of
 * shaders/learn/common.wgsl, pinned by tests/unit/learn-plan.test.ts), minibatch and split-K chunk
 * bounds, GEMM tile shapes. Nothing here touches a device.
 */
import { ceilDiv, sharedLoadLanes, StructLayout, workgroups1D } from '../dispatch';
import type { EstimatorKind } from '../../../core/types';
import { ESTIMATORS } from '../../../core/types';
import type { NetLayout } from '../../../policy/layout';

/** `struct LearnParams` of common.wgsl, in order. */
export const LEARN_PARAMS = new StructLayout([
  ['T', 'u32'],
  ['N', 'u32'],
  ['batch', 'u32'],
  ['psiKind', 'u32'],
  ['gamma', 'f32'],
  ['lambda', 'f32'],
  ['targetLambda', 'f32'],
  ['baseline', 'f32'],
  ['lossMode', 'u32'],
  ['normAdv', 'u32'],
  ['clipEps', 'f32'],
  ['entCoef', 'f32'],
  ['vfCoef', 'f32'],
  ['klCoef', 'f32'],
  ['targetKl', 'f32'],
  ['maxGradNorm', 'f32'],
  ['lr', 'f32'],
  ['beta1', 'f32'],
  ['beta2', 'f32'],
  ['adamEps', 'f32'],
  ['rows', 'u32'],
  ['mbStart', 'u32'],
  ['slot', 'u32'],
  ['firstOfEpoch', 'u32'],
  ['lastOfEpoch', 'u32'],
  ['gatherMode', 'u32'],
  ['groups', 'u32'],
  ['subSplit', 'u32'],
  ['key0', 'u32'],
  ['key1', 'u32'],
  ['key2', 'u32'],
  ['key3', 'u32'],
  ['units', 'u32'],
  ['gradCount', 'u32'],
  ['gradStride', 'u32'],
  ['unitRows', 'u32'],
]);

/** `struct LearnCtrl` of common.wgsl, in order (device-side state of one update). */
export const LEARN_CTRL = new StructLayout([
  ['stop', 'u32'],
  ['apply', 'u32'],
  ['adamT', 'u32'],
  ['nonFinite', 'u32'],
  ['epochsRun', 'u32'],
  ['stepsApplied', 'u32'],
  ['clipCoef', 'f32'],
  ['stepSize', 'f32'],
  ['bc2Sqrt', 'f32'],
  ['gradNorm', 'f32'],
  ['advMean', 'f32'],
  ['advInvStd', 'f32'],
  ['count', 'f32'],
  ['invCount', 'f32'],
  ['explainedVariance', 'f32'],
  ['targetMean', 'f32'],
]);

/** Bytes between two LearnParams slots of the per-minibatch table (copy offsets must be multiples of 4; 256 keeps them bindable). */
export const PARAMS_SLOT_BYTES = 256;

/** Ψ kind ids of the scan kernel (the ESTIMATORS order of core/types.ts). */
export function psiKindId(kind: EstimatorKind): number {
  const k = ESTIMATORS.indexOf(kind);
  if (k < 0) throw new Error(`unknown estimator ${kind}`);
  return k;
}

/** Loss modes of loss.wgsl. */
export const LOSS_MODE = { ppo: 0, pg: 1, score: 2 } as const;
export type LossMode = keyof typeof LOSS_MODE;

/**
 * Readbacks have named layouts like the uniforms: the host reads a field by name (`readField`,
 * `statIndex`), never by a bare index. All fields are f32 unless said otherwise.
 */

/** Per-minibatch statistics written by finalize.wgsl: stats[slot·STATS_FLOATS + k], k = statIndex(field). */
export const STATS_FIELDS = ['policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFrac', 'gradNorm', 'applied', 'count'] as const;
export type StatsField = (typeof STATS_FIELDS)[number];
export const LEARN_STATS = new StructLayout(STATS_FIELDS.map((f) => [f, 'f32'] as const));
export const STATS_FLOATS = LEARN_STATS.size / 4;

/** Float index of a statistics field within one minibatch slot: perMinibatch[slot·STATS_FLOATS + statIndex(f)]. */
export function statIndex(field: StatsField): number {
  return LEARN_STATS.field(field).offset / 4;
}

/** The "no finished episode" range of min / max return accumulators (rollout.wgsl NO_RANGE, episode_stats.wgsl). */
export const EMPTY_MIN = 3.0e38;
export const EMPTY_MAX = -3.0e38;

/** One env's episode accumulators (rollout.wgsl, EPISODE_FLOATS floats per env). */
export const EPISODE_RECORD = new StructLayout([
  ['runningReturn', 'f32'],
  ['sumReturn', 'f32'],
  ['sumLength', 'f32'],
  ['count', 'f32'],
  ['min', 'f32'],
  ['max', 'f32'],
  ['pad0', 'f32'],
  ['pad1', 'f32'],
]);

/**
 * The GPU engine's per-update staging vector: the rollout's episode statistics (episode_stats.wgsl,
 * 32 B; min / max are EMPTY_MIN / EMPTY_MAX when no episode finished) then the target sums of
 * target_mean.wgsl (16 B: Σ target·valid, Σ valid).
 */
export const ENGINE_READBACK = new StructLayout([
  ['sumReturn', 'f32'],
  ['sumLength', 'f32'],
  ['count', 'f32'],
  ['pad0', 'f32'],
  ['min', 'f32'],
  ['max', 'f32'],
  ['pad1', 'f32'],
  ['pad2', 'f32'],
  ['targetSum', 'f32'],
  ['validCount', 'f32'],
  ['pad3', 'f32'],
  ['pad4', 'f32'],
]);
/** Bytes of ENGINE_READBACK written by episode_stats.wgsl (the rest: target sums). */
export const EPISODE_STATS_BYTES = ENGINE_READBACK.field('targetSum').offset;

/** Field `name` of a readback laid out as `layout` starting at byte `byteOffset` of `data` (scalars: f32, u32, i32). */
export function readField(layout: StructLayout, data: ArrayBuffer | ArrayBufferView, name: string, byteOffset = 0): number {
  const f = layout.field(name);
  const view = ArrayBuffer.isView(data) ? new DataView(data.buffer, data.byteOffset, data.byteLength) : new DataView(data);
  const at = byteOffset + f.offset;
  if (f.type === 'f32') return view.getFloat32(at, true);
  if (f.type === 'u32') return view.getUint32(at, true);
  if (f.type === 'i32') return view.getInt32(at, true);
  throw new Error(`readField: ${name} is a ${f.type}, not a scalar`);
}

/** Write field `name` (f32 / u32 / i32) of a record laid out as `layout` at byte `byteOffset` of `data`. */
export function writeField(layout: StructLayout, data: ArrayBuffer | ArrayBufferView, name: string, value: number, byteOffset = 0): void {
  const f = layout.field(name);
  const view = ArrayBuffer.isView(data) ? new DataView(data.buffer, data.byteOffset, data.byteLength) : new DataView(data);
  const at = byteOffset + f.offset;
  if (f.type === 'f32') view.setFloat32(at, value, true);
  else if (f.type === 'u32') view.setUint32(at, value, true);
  else if (f.type === 'i32') view.setInt32(at, value, true);
  else throw new Error(`writeField: ${name} is a ${f.type}, not a scalar`);
}

/** Per-workgroup partial sums of the loss kernel (same order as STATS_FIELDS' first five, then count). */
export const LOSS_PARTIAL_FLOATS = 8;

/** Flags bits of the rollout (bit 2 is the learner's padding mask: set = not a real sample). */
export const FLAG_TERMINATED = 1;
export const FLAG_TRUNCATED = 2;
export const FLAG_PADDING = 4;

/**
 * Minibatch m of M over a batch of B positions of the epoch's permutation:
 *   positions [⌊m·B/M⌋, ⌊(m+1)·B/M⌋)
 * (all B samples are used every epoch; sizes differ by at most one). Returns [start, end).
 */
export function minibatchBounds(m: number, M: number, B: number): [number, number] {
  return [Math.floor((m * B) / M), Math.floor(((m + 1) * B) / M)];
}

/** ⌊a·b / c⌋ exactly (a·b < 2⁵³). The WGSL twin is u64_mul_div in common.wgsl. */
export function mulDiv(a: number, b: number, c: number): number {
  return Math.floor((a * b) / c);
}

/**
 * Rows [start, end) of split-K chunk c: the batch holds G groups in group-major order, group g covering
 * units [⌊g·U/G⌋, ⌊(g+1)·U/G⌋) of `unitRows` rows each, and each group is split into S sub-chunks:
 *   g0 = unitRows·⌊g·U/G⌋, len = unitRows·⌊(g+1)·U/G⌋ − g0,  [g0 + ⌊s·len/S⌋, g0 + ⌊(s+1)·len/S⌋),  c = g·S + s.
 * Training uses G = 1 (U = rows, unitRows = 1); the variance pass uses G env groups (U = N envs,
 * unitRows = T steps). Twin of chunk_bounds in common.wgsl.
 */
export function chunkBounds(c: number, G: number, S: number, units: number, unitRows: number): [number, number] {
  const g = Math.floor(c / S);
  const s = c % S;
  const g0 = unitRows * mulDiv(g, units, G);
  const g1 = unitRows * mulDiv(g + 1, units, G);
  const len = g1 - g0;
  return [g0 + mulDiv(s, len, S), g0 + mulDiv(s + 1, len, S)];
}

/** Env group of env e when N envs are split into G groups: the g with ⌊g·N/G⌋ ≤ e < ⌊(g+1)·N/G⌋. */
export function groupOfEnv(e: number, N: number, G: number): number {
  let g = Math.min(G - 1, Math.floor((e * G) / N));
  while (g > 0 && mulDiv(g, N, G) > e) g--;
  while (g + 1 < G && mulDiv(g + 1, N, G) <= e) g++;
  return g;
}

/**
 * Split-K factor for reducing over `rows` batch rows: about `rowsPerChunk` rows per chunk, at most
 * `maxChunks`, and at most what keeps the partial-gradient buffer (chunks × P floats) under `maxBytes`.
 */
export function splitCount(rows: number, paramCount: number, rowsPerChunk = 1024, maxChunks = 256, maxBytes = 64 * 2 ** 20): number {
  const byMem = Math.max(1, Math.floor(maxBytes / (4 * Math.max(1, paramCount))));
  return Math.max(1, Math.min(ceilDiv(rows, rowsPerChunk), maxChunks, byMem));
}

/** Threads per side of a GEMM workgroup and the K step: tile (4·TY) × (4·TX), (TILE_M + TILE_N)·KT ≤ 2048 floats of workgroup memory. */
export interface GemmTile {
  TX: number;
  TY: number;
  KT: number;
}

/** Tile class of a matrix side: 1 thread for ≤ 4 columns, 4 for ≤ 16, else 16 (64-wide tiles). */
function sideThreads(n: number): number {
  return n <= 4 ? 1 : n <= 16 ? 4 : 16;
}

/**
 * The tile for an M × N output (each thread computes a 4×4 block): TX threads along N (1, 4 or 16 by
 * N's size class), TY along M (1, 4, 16 by M's class; 256/TX for the batch-sized M of the row modes), and KT the largest power of two ≤ 16
 * with (4·TY + 4·TX)·KT ≤ 2048 floats of workgroup memory. Few classes ⇒ few pipelines (layers of
 * similar size share one: their sizes and offsets are runtime values).
 */
export function gemmTile(M: number, N: number): GemmTile {
  const TX = sideThreads(N);
  const TY = Math.min(256 / TX, M <= 64 ? (M <= 16 ? sideThreads(M) : 16) : 256);
  let KT = 16;
  while (KT > 1 && (4 * TY + 4 * TX) * KT > 2048) KT /= 2;
  return { TX, TY, KT };
}

/**
 * Which GEMM kernel the learner's dense products use:
 *  - 'tiled'  (gemm.wgsl): workgroup-memory tiles and barriers, for real GPUs;
 *  - 'simple' (gemm_simple.wgsl): one invocation per RB × CB register block, no workgroup memory and
 *    no barriers. On SwiftShader (CPU Vulkan; its Subzero JIT runs barriers as coroutine switches) it is
 *    several times faster than the tiled kernel;
 *  - 'quad'   (gemm_simple.wgsl + subgroup broadcasts): 'simple' where the 4 lanes of a subgroup share a
 *    column block and each loads a quarter of its B values; needs subgroups of exactly 4 lanes
 *    (SwiftShader's), about a fifth faster there;
 *  - 'wg'     (gemm_wg.wgsl): all lanes of a workgroup share a column block, whose weights they read at
 *    workgroup-uniform addresses; each lane holds 8 rows × 16 columns, the lanes of a subgroup take
 *    consecutive rows, and the learner keeps the minibatch's activations feature-major for it
 *    (consecutive rows at consecutive addresses). Weight gradients: each lane sums its rows of the chunk
 *    in registers, the lanes are summed in workgroup memory. For SIMD CPU drivers (lavapipe) and GPUs;
 *  - 'wgsub'  (gemm_wg.wgsl + subgroup broadcasts, `wgSubgroupLanes`): 'wg' where, in the row modes,
 *    lane j of each group of G lanes loads column n0 + q·G + j of the block's weights and
 *    subgroupBroadcast hands it to the others: ⌈CB/G⌉ loads per lane and k instead of CB. On a CPU driver
 *    a load inside a loop is one load per SIMD lane even at a uniform address (lavapipe: forward ≈ 1.25×,
 *    input gradient ≈ 1.45× 'wg' on the 64-64 net at 4096 envs). Its weight gradient of a layer with
 *    ≥ 32 outputs and inputs (main_weight_sub, kernels.ts gemmWgWeightSubWgsl) has all lanes walk the
 *    same rows, each owning 4 columns of a 32-row block of dW, the dY values loaded once per G lanes and
 *    broadcast (4 + 32/G loads per 128 multiply-adds, against 24 in 'wg''s main_weight); smaller
 *    layers keep 'wg''s kernel.
 *    ('wg' and 'wgsub' forward start the sums at the bias, read once per column block, not per output.)
 */
export type GemmVariant = 'simple' | 'quad' | 'tiled' | 'wg' | 'wgsub';

/** Every GEMM variant, in the order the tuner tries them. */
export const GEMM_VARIANTS: readonly GemmVariant[] = ['wgsub', 'wg', 'simple', 'quad', 'tiled'];

/**
 * Lanes that share the weight loads of the 'wgsub' GEMM (dispatch.ts `sharedLoadLanes`), or 0 (no
 * 'wgsub') without the subgroups feature or with subgroups narrower than 4 lanes.
 */
export function wgSubgroupLanes(info: AdapterTraits | undefined, subgroups: boolean): number {
  return subgroups ? sharedLoadLanes(info?.subgroupMinSize ?? 0) : 0;
}

/** What gemmVariantFor reads of an adapter. */
export type AdapterTraits = Partial<Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'subgroupMinSize' | 'subgroupMaxSize'>>;

/**
 * The variant for an adapter: on SwiftShader (recognised by its adapter info) 'quad' when the device
 * has the subgroups feature and subgroups of exactly 4 lanes, else 'simple'; elsewhere 'tiled'.
 */
export function gemmVariantFor(info: AdapterTraits | undefined, subgroups = false): GemmVariant {
  if (!info) return 'tiled';
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  if (!/swiftshader/i.test(text)) return 'tiled';
  return hasQuadSubgroups(info, subgroups) ? 'quad' : 'simple';
}

/** Whether a device can run the 'quad' GEMM: the subgroups feature, with subgroups of exactly 4 lanes. */
export function hasQuadSubgroups(info: AdapterTraits | undefined, subgroups: boolean): boolean {
  return subgroups && info?.subgroupMinSize === 4 && info?.subgroupMaxSize === 4;
}

/** Register block of the simple and quad variants: each invocation computes RB rows (4 or 8) × CB columns (4, 8; 16 for quad) of the M × N output. */
export interface GemmBlock {
  RB: number;
  CB: number;
}

/**
 * Block of the simple variant for an M × N output: 8 along a side longer than 4, else 4 (a 64 × 64
 * layer gets 8 × 8 blocks; a 64 → 2 head 8 × 4); the quad variant takes 16 columns when N > 8, since
 * each lane loads only a quarter of them (8 × 16 for 64 × 64). Row modes pass M = rows.
 */
export function gemmBlock(M: number, N: number, quads = false): GemmBlock {
  return { RB: M <= 4 ? 4 : 8, CB: N <= 4 ? 4 : quads && N > 8 ? 16 : 8 };
}

/** Lanes per workgroup of the simple variant. */
export const GEMM_SIMPLE_WG = 64;

/**
 * Workgroups of the simple variant: ⌈M/RB⌉·⌈N/CB⌉ invocations in 1-D (workgroups1D: x, then y beyond
 * the per-dimension limit), times `chunks` along z (weight mode; 1 for the row modes). With `quads`
 * (the 'quad' variant) ⌈M/RB⌉ is rounded up to a multiple of 4, as in gemm_simple.wgsl.
 */
export function gemmSimpleGrid(M: number, N: number, block: GemmBlock, chunks: number, wg = GEMM_SIMPLE_WG, quads = false): [number, number, number] {
  const rowBlocks = ceilDiv(M, block.RB);
  const blocks = (quads ? 4 * ceilDiv(rowBlocks, 4) : rowBlocks) * ceilDiv(N, block.CB);
  const [x, y] = workgroups1D(blocks, wg);
  return [x, y, chunks];
}

/**
 * Register block and lanes of the 'wg' variant. Row modes (M = rows): each of WG lanes holds RB rows
 * (spaced WG apart) × CB columns, a workgroup covers RB·WG rows × CB columns and reads the block's
 * weights at workgroup-uniform addresses. Weight mode (M = OUT): a workgroup owns an RB × CB block of dW
 * and its WG lanes split the chunk's rows (RED_LEN = WG·RB·CB/4 vec4 of workgroup memory for their sums).
 */
export interface GemmWgShape {
  RB: number;
  CB: number;
  WG: number;
  RED_LEN: number;
  /** weight mode of 'wgsub' (main_weight_sub): RB = GEMM_WSUB_ROWS rows of dW × CB = 4·WG columns, lanes own columns, no lane sums */
  sub: boolean;
}

/** Columns of a 'wg' block: 4, 8 or 16 by N's size. */
function wgColumns(n: number): number {
  return n <= 4 ? 4 : n <= 8 ? 8 : 16;
}

/** Lanes of the 'wg' variant: 64 in the row modes, 16 in the weight mode (8 KiB of lane sums for an 8 × 16 block). */
export const GEMM_WG_LANES = 64;
export const GEMM_WG_LANES_WEIGHT = 16;

/** Rows of dW per workgroup of 'wgsub''s weight gradient (main_weight_sub); layers with fewer outputs, or fewer than this many inputs, use main_weight. */
export const GEMM_WSUB_ROWS = 32;

/**
 * The 'wg' shape of a product: M = rows (row modes) or OUT (weightGrad), N its output columns;
 * `lanes` > 0 ('wgsub' on subgroups of that many lanes): a weight gradient of at least GEMM_WSUB_ROWS
 * outputs and inputs runs main_weight_sub.
 */
export function gemmWgShape(weightMode: boolean, M: number, N: number, lanes = 0): GemmWgShape {
  const CB = wgColumns(N);
  if (weightMode) {
    const WG = GEMM_WG_LANES_WEIGHT;
    if (lanes > 0 && M >= GEMM_WSUB_ROWS && N >= GEMM_WSUB_ROWS) return { RB: GEMM_WSUB_ROWS, CB: 4 * WG, WG, RED_LEN: 1, sub: true };
    const RB = M <= 4 ? 4 : 8;
    return { RB, CB, WG, RED_LEN: (WG * RB * CB) / 4, sub: false };
  }
  return { RB: 8, CB, WG: GEMM_WG_LANES, RED_LEN: 1, sub: false };
}

/**
 * Workgroups of the 'wg' variant. Row modes: (⌈rows/(RB·WG)⌉, ⌈N/CB⌉, 1); weight mode: (⌈OUT/RB⌉,
 * ⌈IN/CB⌉, chunks). Throws beyond the per-dimension limit (2²⁵ rows).
 */
export function gemmWgGrid(weightMode: boolean, M: number, N: number, shape: GemmWgShape, chunks: number, maxPerDim = 65535): [number, number, number] {
  const x = weightMode ? ceilDiv(M, shape.RB) : ceilDiv(M, shape.RB * shape.WG);
  if (x > maxPerDim) throw new Error(`gemm 'wg': ${M} rows need ${x} workgroups along x (limit ${maxPerDim})`);
  return [x, ceilDiv(N, shape.CB), weightMode ? chunks : 1];
}

/** `struct GemmGeom` of gemm_common.wgsl. */
export const GEMM_GEOM = new StructLayout([
  ['IN', 'u32'],
  ['OUT', 'u32'],
  ['W_OFF', 'u32'],
  ['B_OFF', 'u32'],
  ['S0_STRIDE', 'u32'],
  ['S0_OFF', 'u32'],
  ['S1_STRIDE', 'u32'],
  ['S1_OFF', 'u32'],
  ['D_STRIDE', 'u32'],
  ['D_OFF', 'u32'],
  ['HAS_BIAS', 'u32'],
  ['S0_CS', 'u32'],
  ['S1_CS', 'u32'],
  ['D_CS', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
]);

/** `struct ColsumGeom` of colsum.wgsl. */
export const COLSUM_GEOM = new StructLayout([
  ['COLS', 'u32'],
  ['STRIDE', 'u32'],
  ['OFF', 'u32'],
  ['DST_OFF', 'u32'],
  ['CS', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
  ['pad2', 'u32'],
]);

/**
 * How the learner's non-GEMM kernels reduce (loss statistics, bias / log σ column sums, split-K
 * reduce, squared-gradient norm, advantage statistics):
 *  - 'tree'   256-wide workgroups with barrier-based tree reductions (real GPUs);
 *  - 'serial' each invocation sums a contiguous run serially in registers and writes one partial; the
 *    partials are summed by the next kernel (finalize: one invocation). No barriers, no workgroup
 *    memory (advstats: a 64-lane workgroup with one serial top level). Much cheaper on SwiftShader,
 *    where barriers are coroutine switches.
 * Both give the same results up to float32 summation order.
 */
export type ReduceVariant = 'serial' | 'tree';

/** The reduction variant for an adapter: 'serial' on SwiftShader (where gemmVariantFor is not 'tiled'), else 'tree'. */
export function reduceVariantFor(info: AdapterTraits | undefined): ReduceVariant {
  return gemmVariantFor(info) === 'tiled' ? 'tree' : 'serial';
}

/** Lanes per workgroup of the serial kernels (loss, reduce). */
export const SERIAL_WG = 64;
/** Rows per loss partial: serial: each invocation handles this many consecutive rows; tree: one 256-lane workgroup. */
export const LOSS_ROWS_SERIAL = 32;
export const LOSS_ROWS_TREE = 256;
/** Gradient entries per squared-norm partial: serial: a run per invocation; tree: one 256-lane workgroup. */
export const REDUCE_RUN_SERIAL = 32;
export const REDUCE_RUN_TREE = 256;

/** Loss partials (NSTAT floats each) of a minibatch of `rows` rows. */
export function lossPartialCount(rows: number, variant: ReduceVariant): number {
  return ceilDiv(rows, variant === 'serial' ? LOSS_ROWS_SERIAL : LOSS_ROWS_TREE);
}

/** Squared-gradient partials written by the reduce kernel for `gradCount` gradient entries. */
export function sqPartialCount(gradCount: number, variant: ReduceVariant): number {
  return ceilDiv(gradCount, variant === 'serial' ? REDUCE_RUN_SERIAL : REDUCE_RUN_TREE);
}

/**
 * Workgroups of the serial loss: ⌈rows/LOSS_ROWS_SERIAL⌉ invocations in 1-D (workgroups1D); invocation
 * t handles rows [t·R, min((t+1)·R, rows)) and writes partial t.
 */
export function lossSerialGrid(rows: number, wg = SERIAL_WG): [number, number, number] {
  return workgroups1D(lossPartialCount(rows, 'serial'), wg);
}

/**
 * Workgroups of the serial reduce: x covers ⌈gradCount/REDUCE_RUN_SERIAL⌉ invocations (invocation t
 * owns entries [t·R, min((t+1)·R, gradCount)) and writes sq[t]), y = groups.
 */
export function reduceSerialGrid(gradCount: number, groups: number, wg = SERIAL_WG): [number, number, number] {
  return [ceilDiv(sqPartialCount(gradCount, 'serial'), wg), groups, 1];
}

/** Lanes per workgroup of the serial column sum: one invocation per column (4, 16 or 64 by the column count). */
export function colsumSerialWg(cols: number): number {
  return cols <= 4 ? 4 : cols <= 16 ? 16 : 64;
}

/** Whether the serial column sum can read 4 columns per vec4 load: a row-major view (colStride 1), cols, the row stride and the column offset all multiples of 4. */
export function colsumVec4(cols: number, stride: number, offset: number, colStride = 1): boolean {
  return colStride === 1 && cols % 4 === 0 && stride % 4 === 0 && offset % 4 === 0;
}

/** Workgroups of the serial column sum: ⌈cols/wg⌉ along x (cols: columns, or groups of 4 with colsumVec4), one chunk per z. */
export function colsumSerialGrid(cols: number, chunks: number): [number, number, number] {
  return [ceilDiv(cols, colsumSerialWg(cols)), 1, chunks];
}

/**
 * Floats per row of the learner's widest workspace buffer (learner.ts `Workspace`): the observations,
 * the actions, the 4 aux floats, the head outputs with V (headOutDim + 1) and their gradients with log σ
 * (headOutDim + lsDim + 1), and every hidden layer of actor and critic. A workspace of R rows needs
 * R × this × 4 bytes in its largest binding (checkLimits, GpuLearner.checkVarianceFits).
 */
export function workspaceRowFloats(layout: NetLayout, obsDim: number, actDim: number): number {
  const lsDim = layout.logStdOffset >= 0 ? layout.headOutDim : 0;
  const hidden = [...layout.actorLayers.slice(0, -1), ...layout.criticLayers.slice(0, -1)].map((x) => x.outDim);
  return Math.max(obsDim, actDim, 4, layout.headOutDim + 1, layout.headOutDim + lsDim + 1, ...hidden);
}
