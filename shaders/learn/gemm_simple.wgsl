// Bindings, GemmGeom, the MODE / W_T / ACT overrides, the activations, the shape and the epilogue: gemm_common.wgsl.
// The "simple" variant of the learner's dense-layer products (gemm.wgsl is the "tiled" one): same three
// modes, same bindings, same GemmGeom struct and the same results up to summation order, but no
// workgroup memory and no barriers. For CPU WebGPU adapters (SwiftShader, whose Subzero JIT turns
// barriers into coroutine switches and dynamically indexed arrays into memory gathers), this is several
// times faster than the tiled kernel.
//   MODE 0 forward      Y[b][o]  = f( Σ_i X[b][i] W[o][i] + bias[o] )               M = rows, N = OUT, K = IN
//   MODE 1 input grad   dX[b][i] = ( Σ_o dY[b][o] W[o][i] ) · f′(H[b][i])          M = rows, N = IN,  K = OUT
//   MODE 2 weight grad  dW[o][i] = Σ_{b ∈ chunk} dY[b][o] X[b][i]   (split-K)      M = OUT,  N = IN,  K = chunk rows
// Each invocation computes an RB × CB register block of the M × N output (RB ∈ {4, 8}, CB ∈ {4, 8}, and
// 16 with QUADS; accumulators are named vec4 variables c<row>_<column group>, never an indexed array),
// walking K with one scalar load per block row and per block column. Consecutive invocations take consecutive row blocks (the M side). Out-of-range
// rows / columns of a block are clamped to the last one for loading and skipped when storing.
// Invocation index: gid.x + gid.y · (nwg.x · WG_SIZE) over ⌈M/RB⌉ · ⌈N/CB⌉ blocks; MODE 2: gid.z = chunk,
// whose partial sums go to dst[chunk·gradStride + W_OFF + idx(o, i)] (reduce.wgsl sums the chunks).
// QUADS (the 'quad' variant, composed with gemm_quads.wgsl; subgroups of exactly 4 lanes, as on
// SwiftShader): the row-block count is rounded up to a multiple of 4 so that the 4 lanes of a subgroup
// share their column block; lane j loads column n0 + 4g + j of each group g of 4 columns and quad4
// broadcasts the 4 values, so each lane issues one B load per 4 columns instead of 4. Without it (gemm_lanes.wgsl)
// every lane loads its own B values.

override WG_SIZE: u32 = 64u;
// block rows per invocation: 4 or 8; block columns: 4 or 8, or 16 with QUADS
override RB: u32 = 8u;
override CB: u32 = 8u;

// B operand: θ (modes 0, 1) or src1 (mode 2).
fn b_load(i: u32) -> f32 {
  if (MODE == 2u) { return src1[i]; }
  return theta[i];
}

// Columns n..n+3 of row m (m < M checked by the caller).
fn put4(m: u32, n: u32, v: vec4<f32>, N: u32, chunk: u32) {
  if (n < N) { put(m, n, v.x, chunk); }
  if (n + 1u < N) { put(m, n + 1u, v.y, chunk); }
  if (n + 2u < N) { put(m, n + 2u, v.z, chunk); }
  if (n + 3u < N) { put(m, n + 3u, v.w, chunk); }
}

// Row m of the block: column groups g0 … g3 (n0 + 4g …), as many as CB holds.
fn put_row(m: u32, n0: u32, g0: vec4<f32>, g1: vec4<f32>, g2: vec4<f32>, g3: vec4<f32>, M: u32, N: u32, chunk: u32) {
  if (m >= M) { return; }
  put4(m, n0, g0, N, chunk);
  if (CB >= 8u) { put4(m, n0 + 4u, g1, N, chunk); }
  if (CB == 16u) {
    put4(m, n0 + 8u, g2, N, chunk);
    put4(m, n0 + 12u, g3, N, chunk);
  }
}

@compute @workgroup_size(WG_SIZE)
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  if (ctrl.stop != 0u) { return; }
  let shape = gemm_shape(gid.z);
  let M = shape.x;
  let N = shape.y;
  let K = shape.z;
  let r0 = shape.w;
  var MB = (M + RB - 1u) / RB;
  if (QUADS) { MB = (MB + 3u) & ~3u; }
  let NB = (N + CB - 1u) / CB;
  let idx = gid.x + gid.y * (nwg.x * WG_SIZE);
  if (idx >= MB * NB) { return; }
  let m0 = (idx % MB) * RB;
  let n0 = (idx / MB) * CB;

  // A(m, k) = src0[abase(m) + k·astep], B(k, n) = b_load(bbase(n) + k·bstep)
  var astep: u32;
  var bstep: u32;
  var am: u32;      // abase(m) = a0 + m·am
  var a0: u32;
  var bn: u32;      // bbase(n) = b0 + n·bn
  var b0: u32;
  if (MODE == 0u) {
    a0 = L.S0_OFF; am = L.S0_STRIDE; astep = L.S0_CS;
    if (W_T == 1u) { b0 = L.W_OFF; bn = 1u; bstep = L.OUT; } else { b0 = L.W_OFF; bn = L.IN; bstep = 1u; }
  } else if (MODE == 1u) {
    a0 = L.S0_OFF; am = L.S0_STRIDE; astep = L.S0_CS;
    if (W_T == 1u) { b0 = L.W_OFF; bn = L.OUT; bstep = 1u; } else { b0 = L.W_OFF; bn = 1u; bstep = L.IN; }
  } else {
    a0 = r0 * L.S0_STRIDE + L.S0_OFF; am = L.S0_CS; astep = L.S0_STRIDE;
    b0 = r0 * L.S1_STRIDE + L.S1_OFF; bn = L.S1_CS; bstep = L.S1_STRIDE;
  }
  let ml = M - 1u;
  let nl = N - 1u;
  let ra0 = a0 + min(m0, ml) * am;
  let ra1 = a0 + min(m0 + 1u, ml) * am;
  let ra2 = a0 + min(m0 + 2u, ml) * am;
  let ra3 = a0 + min(m0 + 3u, ml) * am;
  let ra4 = a0 + min(m0 + 4u, ml) * am;
  let ra5 = a0 + min(m0 + 5u, ml) * am;
  let ra6 = a0 + min(m0 + 6u, ml) * am;
  let ra7 = a0 + min(m0 + 7u, ml) * am;
  let cb0 = b0 + min(n0, nl) * bn;
  let cb1 = b0 + min(n0 + 1u, nl) * bn;
  let cb2 = b0 + min(n0 + 2u, nl) * bn;
  let cb3 = b0 + min(n0 + 3u, nl) * bn;
  let cb4 = b0 + min(n0 + 4u, nl) * bn;
  let cb5 = b0 + min(n0 + 5u, nl) * bn;
  let cb6 = b0 + min(n0 + 6u, nl) * bn;
  let cb7 = b0 + min(n0 + 7u, nl) * bn;
  // QUADS: this lane's column in each group of 4
  let q = lid & 3u;
  let qb0 = b0 + min(n0 + q, nl) * bn;
  let qb1 = b0 + min(n0 + 4u + q, nl) * bn;
  let qb2 = b0 + min(n0 + 8u + q, nl) * bn;
  let qb3 = b0 + min(n0 + 12u + q, nl) * bn;

  var c0_0 = vec4<f32>(0.0); var c0_1 = vec4<f32>(0.0); var c0_2 = vec4<f32>(0.0); var c0_3 = vec4<f32>(0.0);
  var c1_0 = vec4<f32>(0.0); var c1_1 = vec4<f32>(0.0); var c1_2 = vec4<f32>(0.0); var c1_3 = vec4<f32>(0.0);
  var c2_0 = vec4<f32>(0.0); var c2_1 = vec4<f32>(0.0); var c2_2 = vec4<f32>(0.0); var c2_3 = vec4<f32>(0.0);
  var c3_0 = vec4<f32>(0.0); var c3_1 = vec4<f32>(0.0); var c3_2 = vec4<f32>(0.0); var c3_3 = vec4<f32>(0.0);
  var c4_0 = vec4<f32>(0.0); var c4_1 = vec4<f32>(0.0); var c4_2 = vec4<f32>(0.0); var c4_3 = vec4<f32>(0.0);
  var c5_0 = vec4<f32>(0.0); var c5_1 = vec4<f32>(0.0); var c5_2 = vec4<f32>(0.0); var c5_3 = vec4<f32>(0.0);
  var c6_0 = vec4<f32>(0.0); var c6_1 = vec4<f32>(0.0); var c6_2 = vec4<f32>(0.0); var c6_3 = vec4<f32>(0.0);
  var c7_0 = vec4<f32>(0.0); var c7_1 = vec4<f32>(0.0); var c7_2 = vec4<f32>(0.0); var c7_3 = vec4<f32>(0.0);

  var ka = 0u;
  var kb = 0u;
  for (var k = 0u; k < K; k = k + 1u) {
    var b0v: vec4<f32>;
    var b1v = vec4<f32>(0.0);
    var b2v = vec4<f32>(0.0);
    var b3v = vec4<f32>(0.0);
    if (QUADS) {
      b0v = quad4(b_load(qb0 + kb));
      if (CB >= 8u) { b1v = quad4(b_load(qb1 + kb)); }
      if (CB == 16u) {
        b2v = quad4(b_load(qb2 + kb));
        b3v = quad4(b_load(qb3 + kb));
      }
    } else {
      b0v = vec4<f32>(b_load(cb0 + kb), b_load(cb1 + kb), b_load(cb2 + kb), b_load(cb3 + kb));
      if (CB >= 8u) { b1v = vec4<f32>(b_load(cb4 + kb), b_load(cb5 + kb), b_load(cb6 + kb), b_load(cb7 + kb)); }
    }
    let x0 = vec4<f32>(src0[ra0 + ka]);
    let x1 = vec4<f32>(src0[ra1 + ka]);
    let x2 = vec4<f32>(src0[ra2 + ka]);
    let x3 = vec4<f32>(src0[ra3 + ka]);
    c0_0 = fma(x0, b0v, c0_0);
    c1_0 = fma(x1, b0v, c1_0);
    c2_0 = fma(x2, b0v, c2_0);
    c3_0 = fma(x3, b0v, c3_0);
    if (CB >= 8u) {
      c0_1 = fma(x0, b1v, c0_1);
      c1_1 = fma(x1, b1v, c1_1);
      c2_1 = fma(x2, b1v, c2_1);
      c3_1 = fma(x3, b1v, c3_1);
    }
    if (CB == 16u) {
      c0_2 = fma(x0, b2v, c0_2);
      c1_2 = fma(x1, b2v, c1_2);
      c2_2 = fma(x2, b2v, c2_2);
      c3_2 = fma(x3, b2v, c3_2);
      c0_3 = fma(x0, b3v, c0_3);
      c1_3 = fma(x1, b3v, c1_3);
      c2_3 = fma(x2, b3v, c2_3);
      c3_3 = fma(x3, b3v, c3_3);
    }
    if (RB == 8u) {
      let x4 = vec4<f32>(src0[ra4 + ka]);
      let x5 = vec4<f32>(src0[ra5 + ka]);
      let x6 = vec4<f32>(src0[ra6 + ka]);
      let x7 = vec4<f32>(src0[ra7 + ka]);
      c4_0 = fma(x4, b0v, c4_0);
      c5_0 = fma(x5, b0v, c5_0);
      c6_0 = fma(x6, b0v, c6_0);
      c7_0 = fma(x7, b0v, c7_0);
      if (CB >= 8u) {
        c4_1 = fma(x4, b1v, c4_1);
        c5_1 = fma(x5, b1v, c5_1);
        c6_1 = fma(x6, b1v, c6_1);
        c7_1 = fma(x7, b1v, c7_1);
      }
      if (CB == 16u) {
        c4_2 = fma(x4, b2v, c4_2);
        c5_2 = fma(x5, b2v, c5_2);
        c6_2 = fma(x6, b2v, c6_2);
        c7_2 = fma(x7, b2v, c7_2);
        c4_3 = fma(x4, b3v, c4_3);
        c5_3 = fma(x5, b3v, c5_3);
        c6_3 = fma(x6, b3v, c6_3);
        c7_3 = fma(x7, b3v, c7_3);
      }
    }
    ka = ka + astep;
    kb = kb + bstep;
  }

  let chunk = gid.z;
  put_row(m0, n0, c0_0, c0_1, c0_2, c0_3, M, N, chunk);
  put_row(m0 + 1u, n0, c1_0, c1_1, c1_2, c1_3, M, N, chunk);
  put_row(m0 + 2u, n0, c2_0, c2_1, c2_2, c2_3, M, N, chunk);
  put_row(m0 + 3u, n0, c3_0, c3_1, c3_2, c3_3, M, N, chunk);
  if (RB == 8u) {
    put_row(m0 + 4u, n0, c4_0, c4_1, c4_2, c4_3, M, N, chunk);
    put_row(m0 + 5u, n0, c5_0, c5_1, c5_2, c5_3, M, N, chunk);
    put_row(m0 + 6u, n0, c6_0, c6_1, c6_2, c6_3, M, N, chunk);
    put_row(m0 + 7u, n0, c7_0, c7_1, c7_2, c7_3, M, N, chunk);
  }
}
