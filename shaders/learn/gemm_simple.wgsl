// Bindings, GemmGeom, the MODE / W_T / ACT overrides, the activations, the shape and the epilogue: gemm_common.wgsl.
// The "simple" variant of the learner's dense-layer products (gemm.wgsl is the "tiled" one): same three
// modes, same bindings, same GemmGeom struct and the same results up to summation order, but no
// workgroup memory and no barriers. For CPU WebGPU adapters (SwiftShader, whose Subzero JIT turns
// barriers into coroutine switches and dynamically indexed arrays into memory gathers), this is several
// times faster than the tiled kernel.
//   MODE 0 forward      Y[b][o]  = f( Σ_i X[b][i] W[o][i] + bias[o] )               M = rows, N = OUT, K = IN
//   MODE 1 input grad   dX[b][i] = ( Σ_o dY[b][o] W[o][i] ) · f′(H[b][i])          M = rows, N = IN,  K = OUT
//   MODE 2 weight grad  dW[o][i] = Σ_{b ∈ chunk} dY[b][o] X[b][i]   (split-K)      M = OUT,  N = IN,  K = chunk rows
// Each invocation computes an RB × CB register block of the M × N output (RB, CB ∈ {4, 8}; accumulators
// are named vec4 variables, never an indexed array), walking K with one scalar load per block row and
// per block column. Consecutive invocations take consecutive row blocks (the M side). Out-of-range
// rows / columns of a block are clamped to the last one for loading and skipped when storing.
// Invocation index: gid.x + gid.y · (nwg.x · WG_SIZE) over ⌈M/RB⌉ · ⌈N/CB⌉ blocks; MODE 2: gid.z = chunk,
// whose partial sums go to dst[chunk·gradStride + W_OFF + idx(o, i)] (reduce.wgsl sums the chunks).

override WG_SIZE: u32 = 64u;
// block rows / columns per invocation: 4 or 8
override RB: u32 = 8u;
override CB: u32 = 8u;

// B operand: θ (modes 0, 1) or src1 (mode 2).
fn b_load(i: u32) -> f32 {
  if (MODE == 2u) { return src1[i]; }
  return theta[i];
}

// Row m of the block, columns n0..n0+3 (and n0+4..n0+7 when CB = 8).
fn put_row(m: u32, n0: u32, lo: vec4<f32>, hi: vec4<f32>, M: u32, N: u32, chunk: u32) {
  if (m >= M) { return; }
  if (n0 < N) { put(m, n0, lo.x, chunk); }
  if (n0 + 1u < N) { put(m, n0 + 1u, lo.y, chunk); }
  if (n0 + 2u < N) { put(m, n0 + 2u, lo.z, chunk); }
  if (n0 + 3u < N) { put(m, n0 + 3u, lo.w, chunk); }
  if (CB == 8u) {
    if (n0 + 4u < N) { put(m, n0 + 4u, hi.x, chunk); }
    if (n0 + 5u < N) { put(m, n0 + 5u, hi.y, chunk); }
    if (n0 + 6u < N) { put(m, n0 + 6u, hi.z, chunk); }
    if (n0 + 7u < N) { put(m, n0 + 7u, hi.w, chunk); }
  }
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (ctrl.stop != 0u) { return; }
  let shape = gemm_shape(gid.z);
  let M = shape.x;
  let N = shape.y;
  let K = shape.z;
  let r0 = shape.w;
  let MB = (M + RB - 1u) / RB;
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
    a0 = L.S0_OFF; am = L.S0_STRIDE; astep = 1u;
    if (W_T == 1u) { b0 = L.W_OFF; bn = 1u; bstep = L.OUT; } else { b0 = L.W_OFF; bn = L.IN; bstep = 1u; }
  } else if (MODE == 1u) {
    a0 = L.S0_OFF; am = L.S0_STRIDE; astep = 1u;
    if (W_T == 1u) { b0 = L.W_OFF; bn = L.OUT; bstep = 1u; } else { b0 = L.W_OFF; bn = 1u; bstep = L.IN; }
  } else {
    a0 = r0 * L.S0_STRIDE + L.S0_OFF; am = 1u; astep = L.S0_STRIDE;
    b0 = r0 * L.S1_STRIDE + L.S1_OFF; bn = 1u; bstep = L.S1_STRIDE;
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

  var c0l = vec4<f32>(0.0); var c0h = vec4<f32>(0.0);
  var c1l = vec4<f32>(0.0); var c1h = vec4<f32>(0.0);
  var c2l = vec4<f32>(0.0); var c2h = vec4<f32>(0.0);
  var c3l = vec4<f32>(0.0); var c3h = vec4<f32>(0.0);
  var c4l = vec4<f32>(0.0); var c4h = vec4<f32>(0.0);
  var c5l = vec4<f32>(0.0); var c5h = vec4<f32>(0.0);
  var c6l = vec4<f32>(0.0); var c6h = vec4<f32>(0.0);
  var c7l = vec4<f32>(0.0); var c7h = vec4<f32>(0.0);

  var ka = 0u;
  var kb = 0u;
  for (var k = 0u; k < K; k = k + 1u) {
    let bl = vec4<f32>(b_load(cb0 + kb), b_load(cb1 + kb), b_load(cb2 + kb), b_load(cb3 + kb));
    var bh = vec4<f32>(0.0);
    if (CB == 8u) { bh = vec4<f32>(b_load(cb4 + kb), b_load(cb5 + kb), b_load(cb6 + kb), b_load(cb7 + kb)); }
    let x0 = vec4<f32>(src0[ra0 + ka]);
    let x1 = vec4<f32>(src0[ra1 + ka]);
    let x2 = vec4<f32>(src0[ra2 + ka]);
    let x3 = vec4<f32>(src0[ra3 + ka]);
    c0l = fma(x0, bl, c0l);
    c1l = fma(x1, bl, c1l);
    c2l = fma(x2, bl, c2l);
    c3l = fma(x3, bl, c3l);
    if (CB == 8u) {
      c0h = fma(x0, bh, c0h);
      c1h = fma(x1, bh, c1h);
      c2h = fma(x2, bh, c2h);
      c3h = fma(x3, bh, c3h);
    }
    if (RB == 8u) {
      let x4 = vec4<f32>(src0[ra4 + ka]);
      let x5 = vec4<f32>(src0[ra5 + ka]);
      let x6 = vec4<f32>(src0[ra6 + ka]);
      let x7 = vec4<f32>(src0[ra7 + ka]);
      c4l = fma(x4, bl, c4l);
      c5l = fma(x5, bl, c5l);
      c6l = fma(x6, bl, c6l);
      c7l = fma(x7, bl, c7l);
      if (CB == 8u) {
        c4h = fma(x4, bh, c4h);
        c5h = fma(x5, bh, c5h);
        c6h = fma(x6, bh, c6h);
        c7h = fma(x7, bh, c7h);
      }
    }
    ka = ka + astep;
    kb = kb + bstep;
  }

  let chunk = gid.z;
  put_row(m0, n0, c0l, c0h, M, N, chunk);
  put_row(m0 + 1u, n0, c1l, c1h, M, N, chunk);
  put_row(m0 + 2u, n0, c2l, c2h, M, N, chunk);
  put_row(m0 + 3u, n0, c3l, c3h, M, N, chunk);
  if (RB == 8u) {
    put_row(m0 + 4u, n0, c4l, c4h, M, N, chunk);
    put_row(m0 + 5u, n0, c5l, c5h, M, N, chunk);
    put_row(m0 + 6u, n0, c6l, c6h, M, N, chunk);
    put_row(m0 + 7u, n0, c7l, c7h, M, N, chunk);
  }
}
