/**
 * Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel Random Numbers: As Easy as
 * 1, 2, 3", SC'11). Every draw is a pure function of (seed, purpose, env, step, draw), so the CPU and
 * the GPU engines produce the same stream without sharing state. The WGSL twin is shaders/rng.wgsl;
 * tests/unit/rng.test.ts pins the known-answer vectors of Random123 and tests/gpu/rng.test.ts pins
 * TS == WGSL bit for bit.
 *
 * Key and counter layout (one place; the WGSL file follows it):
 *   key     = [seed, purpose]
 *   counter = [env, step, draw, 0]
 * `step` is the env's own time index (per-env step count since the run started), `draw` numbers the
 * 4-word blocks used at that (env, step, purpose).
 */

/** What a draw is for. Distinct purposes give independent streams at the same (env, step). */
export const Purpose = {
  /** initial state of an episode (auto-reset included) */
  Reset: 1,
  /** the environment's own transition noise */
  Env: 2,
  /** sampling the action from the policy */
  Action: 3,
  /** shuffling the batch into minibatches */
  Shuffle: 4,
  /** parameter initialisation */
  Init: 5,
} as const;
export type Purpose = (typeof Purpose)[keyof typeof Purpose];

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32 (exact in doubles via a 16-bit split). */
export function mulhi32(a: number, b: number): number {
  const t = (a >>> 16) * b; // < 2^48, exact
  const u = (a & 0xffff) * b; // < 2^48, exact
  return (Math.floor(t / 65536) + Math.floor(((t % 65536) * 65536 + u) / 4294967296)) >>> 0;
}

/**
 * Philox4x32-10. Writes the 4 output words into `out` (a reusable Uint32Array of length ≥ 4) and
 * returns it. Arguments are u32 (other numbers are reduced mod 2^32).
 */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  c0 >>>= 0;
  c1 >>>= 0;
  c2 >>>= 0;
  c3 >>>= 0;
  k0 >>>= 0;
  k1 >>>= 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/**
 * u32 → float in the open interval (0, 1): ((x >> 9) + 0.5) · 2⁻²³. The top 23 bits plus a half need 24
 * significant bits, so the value is exactly representable in f32: WGSL computes the same number.
 */
export function u32ToUnit(x: number): number {
  return ((x >>> 9) + 0.5) * (1 / 8388608);
}

/** Four raw words for (seed, purpose, env, step, draw). */
export function randomWords(
  seed: number,
  purpose: Purpose,
  env: number,
  step: number,
  draw: number,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  return philox4x32(env, step, draw, 0, seed, purpose, out);
}

/**
 * Four uniforms in (0, 1) for (seed, purpose, env, step, draw), written into `out` (reusable).
 * The values are exactly those the WGSL `rng_uniform4` returns.
 */
export function uniform4(
  seed: number,
  purpose: Purpose,
  env: number,
  step: number,
  draw: number,
  out: Float64Array | Float32Array = new Float64Array(4),
): Float64Array | Float32Array {
  const w = randomWords(seed, purpose, env, step, draw, scratch);
  out[0] = u32ToUnit(w[0]);
  out[1] = u32ToUnit(w[1]);
  out[2] = u32ToUnit(w[2]);
  out[3] = u32ToUnit(w[3]);
  return out;
}
const scratch = new Uint32Array(4);

/**
 * Box–Muller: two independent standard normals from two uniforms in (0, 1):
 *   z₀ = √(−2 ln u₁) cos(2π u₂),  z₁ = √(−2 ln u₁) sin(2π u₂).
 * Returns z₀ (`which` = 0) or z₁ (`which` = 1).
 */
export function boxMuller(u1: number, u2: number, which: 0 | 1 = 0): number {
  const r = Math.sqrt(-2 * Math.log(u1));
  const a = 2 * Math.PI * u2;
  return which === 0 ? r * Math.cos(a) : r * Math.sin(a);
}

/**
 * Inverse-CDF categorical sample: the first k with u < Σ_{j≤k} p_j (p need not be normalised exactly;
 * the last category absorbs rounding). `p` is read from `p[off] … p[off+n−1]`.
 */
export function sampleCategorical(p: ArrayLike<number>, off: number, n: number, u: number): number {
  let c = 0;
  for (let k = 0; k < n - 1; k++) {
    c += p[off + k];
    if (u < c) return k;
  }
  return n - 1;
}

/** A small sequential stream on top of Philox for code that needs many draws (e.g. initialisation). */
export class PhiloxStream {
  private buf = new Uint32Array(4);
  private used = 4;
  private draw = 0;
  constructor(
    readonly seed: number,
    readonly purpose: Purpose,
    readonly env = 0,
    readonly step = 0,
  ) {}
  nextU32(): number {
    if (this.used === 4) {
      randomWords(this.seed, this.purpose, this.env, this.step, this.draw++, this.buf);
      this.used = 0;
    }
    return this.buf[this.used++];
  }
  /** uniform in (0, 1) */
  uniform(): number {
    return u32ToUnit(this.nextU32());
  }
  /** standard normal (Box–Muller, one of the pair) */
  normal(): number {
    return boxMuller(this.uniform(), this.uniform());
  }
}

/**
 * A counter-based random permutation of [0, n): a 4-round Feistel network on ⌈log₂ n⌉ (even) bits,
 * with round keys from Philox (seed, Purpose.Shuffle, env 0, step = stream), and cycle-walking into
 * [0, n). Each position is computed independently (no sequential shuffle), so the GPU evaluates it
 * per thread and gets the same permutation as the CPU. `stream` numbers the permutations of a run
 * (the trainer uses update · epochs + epoch).
 */
export class FeistelPermutation {
  private half = 1;
  private mask = 1;
  private keys = new Uint32Array(4);
  constructor(
    readonly n: number,
    seed: number,
    stream: number,
  ) {
    let bits = 2;
    while (2 ** bits < n) bits++;
    if (bits & 1) bits++;
    this.half = bits >>> 1;
    this.mask = (1 << this.half) - 1;
    randomWords(seed, Purpose.Shuffle, 0, stream, 0, this.keys);
  }
  /** The image of i ∈ [0, n). */
  at(i: number): number {
    let x = i;
    do x = this.feistel(x);
    while (x >= this.n);
    return x;
  }
  private feistel(x: number): number {
    const h = this.half;
    const m = this.mask;
    let l = x >>> h;
    let r = x & m;
    for (let k = 0; k < 4; k++) {
      const nl = r;
      r = (l ^ feistelRound(r, this.keys[k])) & m;
      l = nl;
    }
    return ((l << h) | r) >>> 0;
  }
}

/** The Feistel round function: a murmur3-style finaliser of x ⊕ key. */
export function feistelRound(x: number, key: number): number {
  let h = Math.imul((x ^ key) >>> 0, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  return h >>> 0;
}
