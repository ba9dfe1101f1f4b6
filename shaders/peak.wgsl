// Arithmetic peak probe (`policygrad bench --modes peak`): each invocation runs UNROLL · blocks steps of
// a ← fma(a, m, c) on 4 independent vec4 chains (16 lanes of work, 32 flops per step) and stores the
// sum of its chains, so no step can be dropped. Chain j of invocation i starts at s_i + j with
// s_i = (i mod 256)/256; src/core/peak.ts holds the closed form the result is checked against:
//   a_n = mⁿ a₀ + c (1 − mⁿ)/(1 − m).
// Four chains is the count that ran fastest on SwiftShader (more spill), and 32 steps per loop
// iteration amortise its loop overhead (8: 6.7, 16: 7.4, 32: 8.2 GFLOP/s on 2 cores); a real GPU hides
// latency across invocations instead.

struct PeakParams {
  blocks: u32,
  m: f32,
  c: f32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> P: PeakParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

override WG_SIZE: u32 = 64u;
// steps per loop iteration (PEAK_UNROLL in src/backends/gpu/peak.ts)
const UNROLL: u32 = 32u;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * (nwg.x * WG_SIZE);
  if (i >= arrayLength(&out)) { return; }
  let s = f32(i & 255u) * (1.0 / 256.0);
  let m = vec4<f32>(P.m);
  let c = vec4<f32>(P.c);
  var a0 = vec4<f32>(s, s + 1.0, s + 2.0, s + 3.0);
  var a1 = a0 + vec4<f32>(4.0);
  var a2 = a0 + vec4<f32>(8.0);
  var a3 = a0 + vec4<f32>(12.0);
  // blocks of UNROLL steps: each loop iteration costs SwiftShader a lane-mask update
  for (var k = 0u; k < P.blocks; k++) {
    for (var u = 0u; u < UNROLL; u++) {
      a0 = fma(a0, m, c);
      a1 = fma(a1, m, c);
      a2 = fma(a2, m, c);
      a3 = fma(a3, m, c);
    }
  }
  let t = a0 + a1 + a2 + a3;
  out[i] = t.x + t.y + t.z + t.w;
}
