// Philox4x32-10, the WGSL twin of src/core/rng.ts (same key/counter layout, same outputs bit for bit).
//   key     = (seed, purpose)
//   counter = (env, step, draw, 0)
// Purposes: 1 reset, 2 env noise, 3 action, 4 shuffle, 5 init (as `Purpose` in rng.ts).

const PHILOX_M0: u32 = 0xd2511f53u;
const PHILOX_M1: u32 = 0xcd9e8d57u;
const PHILOX_W0: u32 = 0x9e3779b9u;
const PHILOX_W1: u32 = 0xbb67ae85u;

const PURPOSE_RESET: u32 = 1u;
const PURPOSE_ENV: u32 = 2u;
const PURPOSE_ACTION: u32 = 3u;
const PURPOSE_SHUFFLE: u32 = 4u;

// High 32 bits of a 32x32-bit product, by 16-bit halves (no u64 in WGSL).
fn philox_mulhi(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lolo = a_lo * b_lo;
  let lohi = a_lo * b_hi;
  let hilo = a_hi * b_lo;
  let hihi = a_hi * b_hi;
  let cross = (lolo >> 16u) + (lohi & 0xffffu) + hilo;
  return hihi + (lohi >> 16u) + (cross >> 16u);
}

fn philox4x32(ctr_in: vec4<u32>, key_in: vec2<u32>) -> vec4<u32> {
  var c = ctr_in;
  var k = key_in;
  for (var r = 0u; r < 10u; r = r + 1u) {
    let hi0 = philox_mulhi(PHILOX_M0, c.x);
    let lo0 = PHILOX_M0 * c.x;
    let hi1 = philox_mulhi(PHILOX_M1, c.z);
    let lo1 = PHILOX_M1 * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return c;
}

fn rng_words(seed: u32, purpose: u32, env: u32, step: u32, draw: u32) -> vec4<u32> {
  return philox4x32(vec4<u32>(env, step, draw, 0u), vec2<u32>(seed, purpose));
}

// u32 -> (0, 1): ((x >> 9) + 0.5) * 2^-23, exact in f32 (24 significant bits), as u32ToUnit in rng.ts.
fn rng_unit(x: u32) -> f32 {
  return (f32(x >> 9u) + 0.5) * (1.0 / 8388608.0);
}

fn rng_uniform4(seed: u32, purpose: u32, env: u32, step: u32, draw: u32) -> vec4<f32> {
  let w = rng_words(seed, purpose, env, step, draw);
  return vec4<f32>(rng_unit(w.x), rng_unit(w.y), rng_unit(w.z), rng_unit(w.w));
}

// Box-Muller lives in math.wgsl (math_box_muller), with sin/cos accurate to a few f32 ulps.

// Counter-based permutation of [0, n), the twin of FeistelPermutation in rng.ts: 4 Feistel rounds on an
// even number of bits (half = bits/2), round keys = rng_words(seed, PURPOSE_SHUFFLE, 0, stream, 0),
// cycle-walking into [0, n).
fn feistel_round(x: u32, key: u32) -> u32 {
  var h = (x ^ key) * 0x9e3779b1u;
  h = h ^ (h >> 15u);
  h = h * 0x85ebca77u;
  h = h ^ (h >> 13u);
  return h;
}

fn feistel_half_bits(n: u32) -> u32 {
  var bits = 2u;
  while ((1u << bits) < n) { bits = bits + 1u; }
  if ((bits & 1u) == 1u) { bits = bits + 1u; }
  return bits >> 1u;
}

fn feistel_permute(i: u32, n: u32, keys: vec4<u32>) -> u32 {
  let half = feistel_half_bits(n);
  let m = (1u << half) - 1u;
  var x = i;
  loop {
    var l = x >> half;
    var r = x & m;
    for (var k = 0u; k < 4u; k = k + 1u) {
      let nl = r;
      r = (l ^ feistel_round(r, keys[k])) & m;
      l = nl;
    }
    x = (l << half) | r;
    if (x < n) { break; }
  }
  return x;
}
