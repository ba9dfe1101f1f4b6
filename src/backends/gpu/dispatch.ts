/**
 * Dispatch and layout arithmetic of the WebGPU engine, as plain functions (no device needed; pinned by
 * tests/unit/gpu-dispatch.test.ts). Kernels and their TS programs share these numbers; nothing here
 * knows about a GPUDevice.
 *
 *  - workgroup counts for 1-D problems, split over (x, y) when they exceed the per-dimension limit;
 *  - uniform structs: a typed writer that places named fields by WGSL's alignment rules
 *    (WGSL spec §"Alignment and Size": scalars align 4, vec2 align 8, vec3/vec4 align 16, the struct
 *    aligns to its widest member and its size is rounded up to that), so no offset is written by hand;
 *  - buffer layouts: "planes" of equal-length arrays packed into one buffer at binding-offset
 *    alignment, and the sizes of the rollout buffers.
 */

/**
 * Lanes that share weight loads by subgroup broadcasts (the 'subgroup' rollout, the 'wgsub' GEMM): the
 * device's smallest subgroup size clamped to 16 (a 4×4 block, a 16-column block), or 0 — no sharing —
 * below 4 lanes or without subgroups (pass 0). WebGPU's subgroup sizes are powers of two.
 */
export function sharedLoadLanes(subgroupMinSize: number): number {
  return subgroupMinSize >= 4 ? Math.min(16, subgroupMinSize) : 0;
}

/** ⌈a / b⌉ for positive integers. */
export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** The smallest multiple of `align` that is ≥ n. */
export function alignTo(n: number, align: number): number {
  return ceilDiv(n, align) * align;
}

/** WebGPU's default maxComputeWorkgroupsPerDimension. */
export const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Workgroups for `threads` invocations of a kernel with `workgroupSize` lanes, as (x, y, 1).
 * When ⌈threads / wg⌉ exceeds `maxPerDim` the groups are split over y; the kernel recovers its
 * linear thread index as
 *   i = gid.x + gid.y · (numWorkgroups.x · wg)
 * and returns when i ≥ threads (the last row may be partial). Zero threads → (0, 1, 1) groups
 * (a valid empty dispatch).
 */
export function workgroups1D(threads: number, workgroupSize: number, maxPerDim = MAX_WORKGROUPS_PER_DIM): [number, number, number] {
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`workgroups1D: threads must be a non-negative integer, got ${threads}`);
  if (!Number.isInteger(workgroupSize) || workgroupSize < 1) throw new Error(`workgroups1D: bad workgroup size ${workgroupSize}`);
  const groups = ceilDiv(threads, workgroupSize);
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = ceilDiv(groups, maxPerDim);
  const x = ceilDiv(groups, y);
  if (y > maxPerDim) throw new Error(`workgroups1D: ${threads} threads need more than ${maxPerDim}² workgroups`);
  return [x, y, 1];
}

// ---------------------------------------------------------------------------------------------
// Uniform / struct layout with WGSL alignment rules

/** The WGSL member types a host-shareable struct here may hold. */
export type WgslType = 'f32' | 'u32' | 'i32' | 'vec2<f32>' | 'vec2<u32>' | 'vec3<f32>' | 'vec3<u32>' | 'vec4<f32>' | 'vec4<u32>';

const TYPE_INFO: Record<WgslType, { size: number; align: number; n: number; scalar: 'f32' | 'u32' | 'i32' }> = {
  f32: { size: 4, align: 4, n: 1, scalar: 'f32' },
  u32: { size: 4, align: 4, n: 1, scalar: 'u32' },
  i32: { size: 4, align: 4, n: 1, scalar: 'i32' },
  'vec2<f32>': { size: 8, align: 8, n: 2, scalar: 'f32' },
  'vec2<u32>': { size: 8, align: 8, n: 2, scalar: 'u32' },
  'vec3<f32>': { size: 12, align: 16, n: 3, scalar: 'f32' },
  'vec3<u32>': { size: 12, align: 16, n: 3, scalar: 'u32' },
  'vec4<f32>': { size: 16, align: 16, n: 4, scalar: 'f32' },
  'vec4<u32>': { size: 16, align: 16, n: 4, scalar: 'u32' },
};
const ALIASES: Record<string, WgslType> = { vec2f: 'vec2<f32>', vec2u: 'vec2<u32>', vec3f: 'vec3<f32>', vec3u: 'vec3<u32>', vec4f: 'vec4<f32>', vec4u: 'vec4<u32>' };

/** A type name as WGSL writes it (`vec4f` and `vec4<f32>` are the same type). */
export function normalizeType(t: string): WgslType {
  const s = t.replace(/\s+/g, '');
  const n = (ALIASES[s] ?? s) as WgslType;
  if (!(n in TYPE_INFO)) throw new Error(`unsupported WGSL struct member type ${t}`);
  return n;
}

export interface StructField {
  name: string;
  type: WgslType;
  /** byte offset inside the struct */
  offset: number;
}

/**
 * The memory layout of a WGSL struct of scalars and vectors:
 *   offset(m_k) = alignTo(offset(m_{k−1}) + size(m_{k−1}), align(m_k)),
 *   size(S) = alignTo(offset(last) + size(last), max_k align(m_k)).
 * A uniform buffer binding's size is `size` (already a multiple of the struct's alignment; WebGPU also
 * accepts any multiple of 4, we keep WGSL's).
 */
export class StructLayout {
  readonly fields: readonly StructField[];
  readonly size: number;
  readonly align: number;
  private readonly byName = new Map<string, StructField>();

  constructor(members: ReadonlyArray<readonly [name: string, type: WgslType | string]>) {
    let off = 0;
    let align = 4;
    const fields: StructField[] = [];
    for (const [name, t] of members) {
      const type = normalizeType(t);
      const info = TYPE_INFO[type];
      off = alignTo(off, info.align);
      if (this.byName.has(name)) throw new Error(`duplicate struct field ${name}`);
      const f = { name, type, offset: off };
      fields.push(f);
      this.byName.set(name, f);
      off += info.size;
      align = Math.max(align, info.align);
    }
    this.fields = fields;
    this.align = align;
    this.size = alignTo(Math.max(off, 4), align);
  }

  field(name: string): StructField {
    const f = this.byName.get(name);
    if (!f) throw new Error(`no field ${name} in struct (fields: ${this.fields.map((x) => x.name).join(', ')})`);
    return f;
  }

  /** Member list (name, type) as WGSL would declare it: for comparing with a parsed WGSL struct. */
  members(): Array<[string, WgslType]> {
    return this.fields.map((f) => [f.name, f.type]);
  }
}

/**
 * A reusable host image of one uniform struct: `set('gamma', 0.99)` writes the field by its type
 * (f32 → float32, u32 → uint32 with a range check, i32 → int32), `data` is what
 * `queue.writeBuffer(buffer, 0, w.data)` uploads.
 */
export class UniformWriter {
  readonly data: ArrayBuffer;
  private readonly view: DataView;
  constructor(readonly layout: StructLayout) {
    this.data = new ArrayBuffer(layout.size);
    this.view = new DataView(this.data);
  }

  set(name: string, value: number | ArrayLike<number>): this {
    const f = this.layout.field(name);
    const info = TYPE_INFO[f.type];
    const vals: ArrayLike<number> = typeof value === 'number' ? [value] : value;
    if (vals.length !== info.n) throw new Error(`field ${name}: ${f.type} needs ${info.n} value(s), got ${vals.length}`);
    for (let i = 0; i < info.n; i++) {
      const v = vals[i];
      const at = f.offset + 4 * i;
      if (info.scalar === 'f32') this.view.setFloat32(at, v, true);
      else if (info.scalar === 'u32') {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`field ${name}: ${v} is not a u32`);
        this.view.setUint32(at, v, true);
      } else {
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new Error(`field ${name}: ${v} is not an i32`);
        this.view.setInt32(at, v, true);
      }
    }
    return this;
  }

  /** Set several fields at once. */
  setAll(values: Record<string, number | ArrayLike<number>>): this {
    for (const [k, v] of Object.entries(values)) this.set(k, v);
    return this;
  }

  /** Read a field back (tests, debugging). */
  get(name: string): number[] {
    const f = this.layout.field(name);
    const info = TYPE_INFO[f.type];
    const out: number[] = [];
    for (let i = 0; i < info.n; i++) {
      const at = f.offset + 4 * i;
      out.push(info.scalar === 'f32' ? this.view.getFloat32(at, true) : info.scalar === 'u32' ? this.view.getUint32(at, true) : this.view.getInt32(at, true));
    }
    return out;
  }
}

/**
 * The members of `struct <name> { … }` in WGSL source, in order. Used by tests to pin that a TS
 * `StructLayout` declares the same fields as the shader (no drift between the two).
 */
export function parseWgslStruct(code: string, name: string): Array<[string, WgslType]> {
  const noComments = code.replace(/\/\/[^\n]*/g, '');
  const m = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`).exec(noComments);
  if (!m) throw new Error(`struct ${name} not found`);
  return m[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const mm = /^(?:@[^\s]+\s+)*([A-Za-z_]\w*)\s*:\s*(.+)$/.exec(s);
      if (!mm) throw new Error(`cannot parse struct member "${s}"`);
      return [mm[1], normalizeType(mm[2])] as [string, WgslType];
    });
}

/** The names of the `override` declarations in WGSL source (for building pipeline constants). */
export function parseWgslOverrides(code: string): string[] {
  const noComments = code.replace(/\/\/[^\n]*/g, '');
  const out: string[] = [];
  const re = /(?:^|[\s;])override\s+([A-Za-z_]\w*)/g;
  for (let m = re.exec(noComments); m; m = re.exec(noComments)) out.push(m[1]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Buffer layouts

/** WebGPU's default minStorageBufferOffsetAlignment (and minUniformBufferOffsetAlignment). */
export const BINDING_OFFSET_ALIGN = 256;

/**
 * `count` equal planes of `elems` 4-byte elements in one buffer, each plane starting at a multiple of
 * `align` bytes so that each can be bound on its own ({buffer, offset, size}) and the whole buffer can
 * be bound as one array indexed plane·strideElems + i.
 */
export interface PlaneLayout {
  /** bytes between plane starts (multiple of `align`) */
  strideBytes: number;
  /** the same in 4-byte elements */
  strideElems: number;
  /** bytes of one plane's data (elems · 4) */
  planeBytes: number;
  /** total buffer size in bytes */
  totalBytes: number;
}

export function planeLayout(count: number, elems: number, align = BINDING_OFFSET_ALIGN): PlaneLayout {
  const planeBytes = Math.max(elems, 1) * 4;
  const strideBytes = alignTo(planeBytes, align);
  return { strideBytes, strideElems: strideBytes / 4, planeBytes, totalBytes: strideBytes * (count - 1) + planeBytes };
}

/** The four f32 planes of the trajectory buffer, in order. */
export const TRAJ_PLANES = ['logp', 'values', 'rewards', 'nextValues'] as const;
export type TrajPlane = (typeof TRAJ_PLANES)[number];

/**
 * Floats per env in the episode-statistics buffer: vec4 (running return, Σ finished returns,
 * Σ finished lengths, finished count), vec4 (min finished return, max finished return, 0, 0).
 */
export const EPISODE_FLOATS = 8;

export interface RolloutShape {
  /** steps per rollout T */
  numSteps: number;
  /** envs N */
  numEnvs: number;
  obsDim: number;
  /** floats per action (1 for discrete: the index as a float) */
  actDim: number;
  stateDim: number;
}

/** Byte sizes of every buffer the rollout side owns (all time-major [T][N], index t·N + e). */
export interface RolloutSizes {
  /** obs [T][N][obsDim] f32 */
  obs: number;
  /** actions [T][N][actDim] f32 */
  actions: number;
  /** logp, values, rewards, nextValues: four f32 planes of [T][N] */
  traj: PlaneLayout;
  /** flags [T][N] u32: bit0 terminated, bit1 truncated */
  flags: number;
  /** env state [N][stateDim] f32 (persists between rollouts) */
  envState: number;
  /** per-env step counter k [N] u32 (persists) */
  stepCount: number;
  /** episode accumulators [N][EPISODE_FLOATS] f32 */
  episode: number;
  /** the largest single binding among these */
  largestBinding: number;
  /** sum of all */
  total: number;
}

export function rolloutSizes(s: RolloutShape): RolloutSizes {
  const TN = s.numSteps * s.numEnvs;
  const obs = TN * s.obsDim * 4;
  const actions = TN * s.actDim * 4;
  const traj = planeLayout(TRAJ_PLANES.length, TN);
  const flags = TN * 4;
  const envState = s.numEnvs * s.stateDim * 4;
  const stepCount = s.numEnvs * 4;
  const episode = s.numEnvs * EPISODE_FLOATS * 4;
  const all = [obs, actions, traj.totalBytes, flags, envState, stepCount, episode];
  return {
    obs,
    actions,
    traj,
    flags,
    envState,
    stepCount,
    episode,
    largestBinding: Math.max(...all),
    total: all.reduce((a, b) => a + b, 0),
  };
}

/** FNV-1a 32-bit hash of a string, hex (pipeline-cache keys carry a hash of the WGSL text). */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------------------------
// Packed weights for the rollout kernel

/**
 * The rollout kernel reads the MLP in 4×4 blocks (`mat4x4<f32>` · `vec4<f32>`: one load per 16
 * multiply-adds, 4–8× faster than scalar loads on SwiftShader). The packed buffer, in floats:
 *
 *   [0, thetaLen16)            a verbatim copy of θ (zero-padded to a multiple of 16): log σ, tables
 *   per net (actor, critic), per dense layer l (in → out, in4 = ⌈in/4⌉, out4 = ⌈out/4⌉):
 *     W blocks  out4·in4 mat4x4 at block index wBlock (block = 16 floats), block (o4, i4) at
 *               wBlock + o4·in4 + i4, column c, row r = W[4·o4 + r][4·i4 + c]   (0 outside W)
 *     b blocks  out4 mat4x4 at bBlock = wBlock + out4·in4, column 0 = b[4·o4 … 4·o4 + 3] (0 beyond out)
 *
 * so  y[4·o4 + r] = Σ_i4 (M_{o4,i4} · x4_{i4})[r] + b  with zero-padded x and y. The pack kernel
 * (shaders/pack_weights.wgsl) rebuilds it from θ after every optimiser step.
 */
export interface PackedLayer {
  /** net 0 actor, 1 critic */
  net: 0 | 1;
  /** θ offset of W (b follows at wOffset + out·in) */
  srcOffset: number;
  inDim: number;
  outDim: number;
  in4: number;
  out4: number;
  /** first W block (index in 16-float blocks) */
  wBlock: number;
  /** first bias block */
  bBlock: number;
}

export interface PackedLayout {
  /** θ length */
  thetaLen: number;
  /** floats of the verbatim θ copy (multiple of 16) */
  thetaLen16: number;
  layers: PackedLayer[];
  /** total floats (multiple of 16) */
  totalFloats: number;
}

interface DenseLike {
  wOffset: number;
  inDim: number;
  outDim: number;
}

export function packedLayout(net: { total: number; actorLayers: DenseLike[]; criticLayers: DenseLike[] }): PackedLayout {
  const thetaLen16 = alignTo(Math.max(net.total, 1), 16);
  let block = thetaLen16 / 16;
  const layers: PackedLayer[] = [];
  const add = (n: 0 | 1, ls: DenseLike[]): void => {
    for (const l of ls) {
      const in4 = ceilDiv(l.inDim, 4);
      const out4 = ceilDiv(l.outDim, 4);
      layers.push({ net: n, srcOffset: l.wOffset, inDim: l.inDim, outDim: l.outDim, in4, out4, wBlock: block, bBlock: block + out4 * in4 });
      block += out4 * in4 + out4;
    }
  };
  add(0, net.actorLayers);
  add(1, net.criticLayers);
  return { thetaLen: net.total, thetaLen16, layers, totalFloats: block * 16 };
}

/** Host reference of the pack kernel (tests): the packed floats of θ. */
export function packWeights(p: PackedLayout, theta: ArrayLike<number>): Float32Array {
  const out = new Float32Array(p.totalFloats);
  for (let i = 0; i < p.thetaLen; i++) out[i] = theta[i];
  for (const l of p.layers) {
    for (let o4 = 0; o4 < l.out4; o4++) {
      for (let i4 = 0; i4 < l.in4; i4++) {
        const base = (l.wBlock + o4 * l.in4 + i4) * 16;
        for (let c = 0; c < 4; c++) {
          for (let r = 0; r < 4; r++) {
            const o = 4 * o4 + r;
            const i = 4 * i4 + c;
            out[base + 4 * c + r] = o < l.outDim && i < l.inDim ? theta[l.srcOffset + o * l.inDim + i] : 0;
          }
        }
      }
      for (let r = 0; r < 4; r++) {
        const o = 4 * o4 + r;
        out[(l.bBlock + o4) * 16 + r] = o < l.outDim ? theta[l.srcOffset + l.outDim * l.inDim + o] : 0;
      }
    }
  }
  return out;
}

/**
 * The pack kernel's layer table: per layer one vec4<u32> (first packed float of its W blocks,
 * θ offset of W, in, out); the bias blocks follow the W blocks.
 */
export function packTable(p: PackedLayout): Uint32Array {
  const t = new Uint32Array(Math.max(1, p.layers.length) * 4);
  p.layers.forEach((l, k) => t.set([l.wBlock * 16, l.srcOffset, l.inDim, l.outDim], 4 * k));
  return t;
}
