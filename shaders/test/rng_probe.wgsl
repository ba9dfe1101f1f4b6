// Test kernel (tests/gpu/rng.test.ts): evaluates shaders/rng.wgsl on many keys so the host can compare
// with src/core/rng.ts. Composed as rng.wgsl + this file.

struct ProbeParams {
  count: u32,
  perm_n: u32,
  perm_seed: u32,
  perm_stream: u32,
}

override WG_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> probe: ProbeParams;
// 5 words per query: seed, purpose, env, step, draw
@group(0) @binding(1) var<storage, read> queries: array<u32>;
@group(0) @binding(2) var<storage, read_write> words: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> uniforms: array<vec4<f32>>;
// (z0, z1) = boxMuller(u0, u1), (z2, z3) = boxMuller(u2, u3)
@group(0) @binding(4) var<storage, read_write> normals: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> perm: array<u32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i < probe.count) {
    let q = i * 5u;
    let seed = queries[q];
    let purpose = queries[q + 1u];
    let env = queries[q + 2u];
    let step = queries[q + 3u];
    let draw = queries[q + 4u];
    words[i] = rng_words(seed, purpose, env, step, draw);
    let u = rng_uniform4(seed, purpose, env, step, draw);
    uniforms[i] = u;
    normals[i] = vec4<f32>(math_box_muller(u.x, u.y), math_box_muller(u.z, u.w));
  }
  if (i < probe.perm_n) {
    let keys = rng_words(probe.perm_seed, PURPOSE_SHUFFLE, 0u, probe.perm_stream, 0u);
    perm[i] = feistel_permute(i, probe.perm_n, keys);
  }
}
