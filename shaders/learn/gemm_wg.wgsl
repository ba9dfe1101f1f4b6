// Bindings, GemmGeom, the MODE / W_T / ACT overrides, the activations, the shape and the epilogue: gemm_common.wgsl.
// The "wg" variant of the learner's dense-layer products, for SIMD CPU drivers (lavapipe: 8-wide AVX2
// lanes) and GPUs: same three modes, bindings and GemmGeom as gemm.wgsl / gemm_simple.wgsl, the same
// results up to summation order.
//   MODE 0 forward      Y[b][o]  = f( Σ_i X[b][i] W[o][i] + bias[o] )               M = rows, N = OUT, K = IN
//   MODE 1 input grad   dX[b][i] = ( Σ_o dY[b][o] W[o][i] ) · f′(H[b][i])          M = rows, N = IN,  K = OUT
//   MODE 2 weight grad  dW[o][i] = Σ_{b ∈ chunk} dY[b][o] X[b][i]   (split-K)      M = OUT,  N = IN,  K = chunk rows
// Layout for SIMD drivers: every lane of a workgroup works on the same output columns, so the weights
// are read at workgroup-uniform addresses, and the lanes of a subgroup take consecutive rows, so with
// feature-major activations (GemmGeom STRIDE = 1, CS = row capacity) their per-row loads hit consecutive
// addresses. (On lavapipe, Mesa 25, every non-uniform load is still a per-lane loop, and workgroup-memory
// loads inside a loop take that path even at uniform addresses, hence no staging in workgroup memory.)
// main (modes 0, 1): workgroup (x, y) covers rows [x·RB·WG_SIZE, (x+1)·RB·WG_SIZE) and the column block
//   [y·CB, (y+1)·CB); lane l holds rows x·RB·WG_SIZE + j·WG_SIZE + l (j < RB) × CB columns in named vec4
//   registers c<row>_<column group> (never an indexed array: Dawn does not re-zero a `var` array
//   declared in a loop body, and an indexed array is memory on a CPU driver). No barriers.
// main_weight (mode 2): workgroup (x, y, z) owns the RB × CB block of dW at (x·RB, y·CB) for split-K chunk
//   z; lane l sums rows r0 + l + t·WG_SIZE of the chunk in registers, then the lanes' blocks are summed
//   through workgroup memory (RED_LEN = WG_SIZE·RB·CB/4 vec4) and written to
//   dst[z·gradStride + W_OFF + idx(o, i)].
// main_weight_sub ('wgsub', mode 2, layers of ≥ 32 outputs and inputs): generated after this file by
//   kernels.ts gemmWgWeightSubWgsl; every lane walks the chunk's rows and owns 4 columns of a 32-row
//   block of dW, the dY values shared by subgroup broadcasts (put_cols stores them); it also writes the
//   bias gradient ∂b[o] = Σ_b dY[b][o] from the dY values its lanes load (no column-sum kernel then).
// Out-of-range rows / columns are clamped for loading and skipped when storing.
// SG (kernels.ts gemmWgLanesWgsl, composed before this file): 0 for 'wg'; 4, 8 or 16 for 'wgsub', where
//   in main the weights B(k, n0 … n0+CB−1), the same for every lane of the workgroup, are loaded once per
//   group of SG lanes — lane j loads column n0 + q·SG + j (q < ⌈CB/SG⌉) — and handed to every lane by
//   subgroupBroadcast (`sg_cols`): on a CPU driver a load in a loop is a load per SIMD lane even at a
//   uniform address. Every lane of the workgroup runs main's loop (no early exit but the uniform stop).

override WG_SIZE: u32 = 64u;
// rows per lane (modes 0, 1: 4 or 8) / block rows (mode 2: 4 or 8)
override RB: u32 = 8u;
// block columns: 4, 8 or 16
override CB: u32 = 16u;
// lane partials of main_weight (vec4): WG_SIZE·RB·CB/4
override RED_LEN: u32 = 1u;

var<workgroup> red: array<vec4<f32>, RED_LEN>;
var<workgroup> wg_flag: u32;

// Columns n..n+3 of row m (m < M checked by the caller). MODE 0: v already holds the bias (main starts
// its sums at it: one load per column and workgroup instead of one per output in the epilogue).
fn put4(m: u32, n: u32, v: vec4<f32>, N: u32, chunk: u32) {
  if (MODE == 0u) {
    let d = m * L.D_STRIDE + L.D_OFF;
    if (n < N) { dst[d + n * L.D_CS] = act_fwd(v.x); }
    if (n + 1u < N) { dst[d + (n + 1u) * L.D_CS] = act_fwd(v.y); }
    if (n + 2u < N) { dst[d + (n + 2u) * L.D_CS] = act_fwd(v.z); }
    if (n + 3u < N) { dst[d + (n + 3u) * L.D_CS] = act_fwd(v.w); }
    return;
  }
  if (n < N) { put(m, n, v.x, chunk); }
  if (n + 1u < N) { put(m, n + 1u, v.y, chunk); }
  if (n + 2u < N) { put(m, n + 2u, v.z, chunk); }
  if (n + 3u < N) { put(m, n + 3u, v.w, chunk); }
}

// main_weight_sub (kernels.ts gemmWgWeightSubWgsl): row m, columns n, n + WG_SIZE, n + 2·WG_SIZE, n + 3·WG_SIZE.
fn put_cols(m: u32, n: u32, v: vec4<f32>, M: u32, N: u32, chunk: u32) {
  if (m >= M) { return; }
  if (n < N) { put(m, n, v.x, chunk); }
  if (n + WG_SIZE < N) { put(m, n + WG_SIZE, v.y, chunk); }
  if (n + 2u * WG_SIZE < N) { put(m, n + 2u * WG_SIZE, v.z, chunk); }
  if (n + 3u * WG_SIZE < N) { put(m, n + 3u * WG_SIZE, v.w, chunk); }
}

// Row m of a block: column groups g0 … g3 (n0 + 4g …), as many as CB holds.
fn put_row(m: u32, n0: u32, g0: vec4<f32>, g1: vec4<f32>, g2: vec4<f32>, g3: vec4<f32>, M: u32, N: u32, chunk: u32) {
  if (m >= M) { return; }
  put4(m, n0, g0, N, chunk);
  if (CB >= 8u) { put4(m, n0 + 4u, g1, N, chunk); }
  if (CB == 16u) {
    put4(m, n0 + 8u, g2, N, chunk);
    put4(m, n0 + 12u, g3, N, chunk);
  }
}

// SG > 0: columns n0 + q·SG + (this lane) of a block's 16 at θ indices a0 … a3 (only the ⌈CB/SG⌉ that
// CB needs are loaded), handed to every lane: the 16 columns as 4 vec4 (sg_cols).
fn sg_block(a0: u32, a1: u32, a2: u32, a3: u32) -> mat4x4<f32> {
  let t0 = theta[a0];
  var t1 = 0.0;
  var t2 = 0.0;
  var t3 = 0.0;
  if (CB > SG) { t1 = theta[a1]; }
  if (CB > 2u * SG) {
    t2 = theta[a2];
    t3 = theta[a3];
  }
  return sg_cols(t0, t1, t2, t3);
}

// Modes 0, 1 (no workgroup memory, no barriers). B(k, n) = θ[bb(n) + k·bk]: a workgroup-uniform address.
@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  if (ctrl.stop != 0u) { return; }
  let shape = gemm_shape(0u);
  let M = shape.x;
  let N = shape.y;
  let K = shape.z;
  let n0 = wid.y * CB;
  let mb = wid.x * (RB * WG_SIZE) + lid;
  let ml = M - 1u;
  let nl = N - 1u;
  let am = L.S0_STRIDE;
  let ak = L.S0_CS;
  let a0 = L.S0_OFF;
  let ra0 = a0 + min(mb, ml) * am;
  let ra1 = a0 + min(mb + WG_SIZE, ml) * am;
  let ra2 = a0 + min(mb + 2u * WG_SIZE, ml) * am;
  let ra3 = a0 + min(mb + 3u * WG_SIZE, ml) * am;
  let ra4 = a0 + min(mb + 4u * WG_SIZE, ml) * am;
  let ra5 = a0 + min(mb + 5u * WG_SIZE, ml) * am;
  let ra6 = a0 + min(mb + 6u * WG_SIZE, ml) * am;
  let ra7 = a0 + min(mb + 7u * WG_SIZE, ml) * am;
  // θ index of B(0, n) = bw + n·bn, B(k, n) = that + k·bk
  var bn: u32;
  var bk: u32;
  if (MODE == 0u) {
    if (W_T == 1u) { bn = 1u; bk = L.OUT; } else { bn = L.IN; bk = 1u; }
  } else {
    if (W_T == 1u) { bn = L.OUT; bk = 1u; } else { bn = 1u; bk = L.IN; }
  }
  let bw = L.W_OFF;
  let bb0 = bw + min(n0, nl) * bn;
  let bb1 = bw + min(n0 + 1u, nl) * bn;
  let bb2 = bw + min(n0 + 2u, nl) * bn;
  let bb3 = bw + min(n0 + 3u, nl) * bn;
  let bb4 = bw + min(n0 + 4u, nl) * bn;
  let bb5 = bw + min(n0 + 5u, nl) * bn;
  let bb6 = bw + min(n0 + 6u, nl) * bn;
  let bb7 = bw + min(n0 + 7u, nl) * bn;
  let bb8 = bw + min(n0 + 8u, nl) * bn;
  let bb9 = bw + min(n0 + 9u, nl) * bn;
  let bb10 = bw + min(n0 + 10u, nl) * bn;
  let bb11 = bw + min(n0 + 11u, nl) * bn;
  let bb12 = bw + min(n0 + 12u, nl) * bn;
  let bb13 = bw + min(n0 + 13u, nl) * bn;
  let bb14 = bw + min(n0 + 14u, nl) * bn;
  let bb15 = bw + min(n0 + 15u, nl) * bn;
  // SG > 0: this lane's column in each group of SG (clamped like the others)
  let sl = sg_lane();
  let sq0 = bw + min(n0 + sl, nl) * bn;
  let sq1 = bw + min(n0 + SG + sl, nl) * bn;
  let sq2 = bw + min(n0 + 2u * SG + sl, nl) * bn;
  let sq3 = bw + min(n0 + 3u * SG + sl, nl) * bn;

  // MODE 0: every row's sums start at the bias of their column
  var z0 = vec4<f32>(0.0);
  var z1 = vec4<f32>(0.0);
  var z2 = vec4<f32>(0.0);
  var z3 = vec4<f32>(0.0);
  if (MODE == 0u && L.HAS_BIAS != 0u) {
    if (SG > 0u) {
      let bo = L.B_OFF;
      let cols = sg_block(bo + min(n0 + sl, nl), bo + min(n0 + SG + sl, nl), bo + min(n0 + 2u * SG + sl, nl), bo + min(n0 + 3u * SG + sl, nl));
      z0 = cols[0];
      z1 = cols[1];
      z2 = cols[2];
      z3 = cols[3];
    } else {
      let bo = L.B_OFF;
      z0 = vec4<f32>(theta[bo + min(n0, nl)], theta[bo + min(n0 + 1u, nl)], theta[bo + min(n0 + 2u, nl)], theta[bo + min(n0 + 3u, nl)]);
      z1 = vec4<f32>(theta[bo + min(n0 + 4u, nl)], theta[bo + min(n0 + 5u, nl)], theta[bo + min(n0 + 6u, nl)], theta[bo + min(n0 + 7u, nl)]);
      z2 = vec4<f32>(theta[bo + min(n0 + 8u, nl)], theta[bo + min(n0 + 9u, nl)], theta[bo + min(n0 + 10u, nl)], theta[bo + min(n0 + 11u, nl)]);
      z3 = vec4<f32>(theta[bo + min(n0 + 12u, nl)], theta[bo + min(n0 + 13u, nl)], theta[bo + min(n0 + 14u, nl)], theta[bo + min(n0 + 15u, nl)]);
    }
  }
  var c0_0 = z0; var c0_1 = z1; var c0_2 = z2; var c0_3 = z3;
  var c1_0 = z0; var c1_1 = z1; var c1_2 = z2; var c1_3 = z3;
  var c2_0 = z0; var c2_1 = z1; var c2_2 = z2; var c2_3 = z3;
  var c3_0 = z0; var c3_1 = z1; var c3_2 = z2; var c3_3 = z3;
  var c4_0 = z0; var c4_1 = z1; var c4_2 = z2; var c4_3 = z3;
  var c5_0 = z0; var c5_1 = z1; var c5_2 = z2; var c5_3 = z3;
  var c6_0 = z0; var c6_1 = z1; var c6_2 = z2; var c6_3 = z3;
  var c7_0 = z0; var c7_1 = z1; var c7_2 = z2; var c7_3 = z3;

  var ka = 0u;
  var kb = 0u;
  for (var k = 0u; k < K; k = k + 1u) {
    var b0: vec4<f32>;
    var b1 = vec4<f32>(0.0);
    var b2 = vec4<f32>(0.0);
    var b3 = vec4<f32>(0.0);
    if (SG > 0u) {
      let cols = sg_block(sq0 + kb, sq1 + kb, sq2 + kb, sq3 + kb);
      b0 = cols[0];
      b1 = cols[1];
      b2 = cols[2];
      b3 = cols[3];
    } else {
      b0 = vec4<f32>(theta[bb0 + kb], theta[bb1 + kb], theta[bb2 + kb], theta[bb3 + kb]);
      if (CB >= 8u) { b1 = vec4<f32>(theta[bb4 + kb], theta[bb5 + kb], theta[bb6 + kb], theta[bb7 + kb]); }
      if (CB == 16u) {
        b2 = vec4<f32>(theta[bb8 + kb], theta[bb9 + kb], theta[bb10 + kb], theta[bb11 + kb]);
        b3 = vec4<f32>(theta[bb12 + kb], theta[bb13 + kb], theta[bb14 + kb], theta[bb15 + kb]);
      }
    }
    let x0 = vec4<f32>(src0[ra0 + ka]);
    let x1 = vec4<f32>(src0[ra1 + ka]);
    let x2 = vec4<f32>(src0[ra2 + ka]);
    let x3 = vec4<f32>(src0[ra3 + ka]);
    c0_0 = fma(x0, b0, c0_0);
    c1_0 = fma(x1, b0, c1_0);
    c2_0 = fma(x2, b0, c2_0);
    c3_0 = fma(x3, b0, c3_0);
    if (CB >= 8u) {
      c0_1 = fma(x0, b1, c0_1);
      c1_1 = fma(x1, b1, c1_1);
      c2_1 = fma(x2, b1, c2_1);
      c3_1 = fma(x3, b1, c3_1);
    }
    if (CB == 16u) {
      c0_2 = fma(x0, b2, c0_2);
      c1_2 = fma(x1, b2, c1_2);
      c2_2 = fma(x2, b2, c2_2);
      c3_2 = fma(x3, b2, c3_2);
      c0_3 = fma(x0, b3, c0_3);
      c1_3 = fma(x1, b3, c1_3);
      c2_3 = fma(x2, b3, c2_3);
      c3_3 = fma(x3, b3, c3_3);
    }
    if (RB == 8u) {
      let x4 = vec4<f32>(src0[ra4 + ka]);
      let x5 = vec4<f32>(src0[ra5 + ka]);
      let x6 = vec4<f32>(src0[ra6 + ka]);
      let x7 = vec4<f32>(src0[ra7 + ka]);
      c4_0 = fma(x4, b0, c4_0);
      c5_0 = fma(x5, b0, c5_0);
      c6_0 = fma(x6, b0, c6_0);
      c7_0 = fma(x7, b0, c7_0);
      if (CB >= 8u) {
        c4_1 = fma(x4, b1, c4_1);
        c5_1 = fma(x5, b1, c5_1);
        c6_1 = fma(x6, b1, c6_1);
        c7_1 = fma(x7, b1, c7_1);
      }
      if (CB == 16u) {
        c4_2 = fma(x4, b2, c4_2);
        c5_2 = fma(x5, b2, c5_2);
        c6_2 = fma(x6, b2, c6_2);
        c7_2 = fma(x7, b2, c7_2);
        c4_3 = fma(x4, b3, c4_3);
        c5_3 = fma(x5, b3, c5_3);
        c6_3 = fma(x6, b3, c6_3);
        c7_3 = fma(x7, b3, c7_3);
      }
    }
    ka = ka + ak;
    kb = kb + bk;
  }

  put_row(mb, n0, c0_0, c0_1, c0_2, c0_3, M, N, 0u);
  put_row(mb + WG_SIZE, n0, c1_0, c1_1, c1_2, c1_3, M, N, 0u);
  put_row(mb + 2u * WG_SIZE, n0, c2_0, c2_1, c2_2, c2_3, M, N, 0u);
  put_row(mb + 3u * WG_SIZE, n0, c3_0, c3_1, c3_2, c3_3, M, N, 0u);
  if (RB == 8u) {
    put_row(mb + 4u * WG_SIZE, n0, c4_0, c4_1, c4_2, c4_3, M, N, 0u);
    put_row(mb + 5u * WG_SIZE, n0, c5_0, c5_1, c5_2, c5_3, M, N, 0u);
    put_row(mb + 6u * WG_SIZE, n0, c6_0, c6_1, c6_2, c6_3, M, N, 0u);
    put_row(mb + 7u * WG_SIZE, n0, c7_0, c7_1, c7_2, c7_3, M, N, 0u);
  }
}

// Mode 2: the RB × CB block (o0, i0) of dW over chunk wid.z. A(o, b) = dY[b][o] (src0), B(b, i) = X[b][i] (src1).
@compute @workgroup_size(WG_SIZE)
fn main_weight(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  if (lid == 0u) { wg_flag = ctrl.stop; }
  if (workgroupUniformLoad(&wg_flag) != 0u) { return; }
  let chunk = wid.z;
  let shape = gemm_shape(chunk);
  let M = shape.x;
  let N = shape.y;
  let r0 = shape.w;
  let r1 = r0 + shape.z;
  let CB4 = CB / 4u;
  let o0 = wid.x * RB;
  let i0 = wid.y * CB;
  let ml = M - 1u;
  let nl = N - 1u;
  let as_ = L.S0_STRIDE;
  let bs = L.S1_STRIDE;
  let oa0 = L.S0_OFF + min(o0, ml) * L.S0_CS;
  let oa1 = L.S0_OFF + min(o0 + 1u, ml) * L.S0_CS;
  let oa2 = L.S0_OFF + min(o0 + 2u, ml) * L.S0_CS;
  let oa3 = L.S0_OFF + min(o0 + 3u, ml) * L.S0_CS;
  let oa4 = L.S0_OFF + min(o0 + 4u, ml) * L.S0_CS;
  let oa5 = L.S0_OFF + min(o0 + 5u, ml) * L.S0_CS;
  let oa6 = L.S0_OFF + min(o0 + 6u, ml) * L.S0_CS;
  let oa7 = L.S0_OFF + min(o0 + 7u, ml) * L.S0_CS;
  var ib: array<u32, 16>;
  for (var c = 0u; c < 16u; c = c + 1u) { ib[c] = L.S1_OFF + min(i0 + c, nl) * L.S1_CS; }
  let ib0 = ib[0]; let ib1 = ib[1]; let ib2 = ib[2]; let ib3 = ib[3];
  let ib4 = ib[4]; let ib5 = ib[5]; let ib6 = ib[6]; let ib7 = ib[7];
  let ib8 = ib[8]; let ib9 = ib[9]; let ib10 = ib[10]; let ib11 = ib[11];
  let ib12 = ib[12]; let ib13 = ib[13]; let ib14 = ib[14]; let ib15 = ib[15];

  var c0_0 = vec4<f32>(0.0); var c0_1 = vec4<f32>(0.0); var c0_2 = vec4<f32>(0.0); var c0_3 = vec4<f32>(0.0);
  var c1_0 = vec4<f32>(0.0); var c1_1 = vec4<f32>(0.0); var c1_2 = vec4<f32>(0.0); var c1_3 = vec4<f32>(0.0);
  var c2_0 = vec4<f32>(0.0); var c2_1 = vec4<f32>(0.0); var c2_2 = vec4<f32>(0.0); var c2_3 = vec4<f32>(0.0);
  var c3_0 = vec4<f32>(0.0); var c3_1 = vec4<f32>(0.0); var c3_2 = vec4<f32>(0.0); var c3_3 = vec4<f32>(0.0);
  var c4_0 = vec4<f32>(0.0); var c4_1 = vec4<f32>(0.0); var c4_2 = vec4<f32>(0.0); var c4_3 = vec4<f32>(0.0);
  var c5_0 = vec4<f32>(0.0); var c5_1 = vec4<f32>(0.0); var c5_2 = vec4<f32>(0.0); var c5_3 = vec4<f32>(0.0);
  var c6_0 = vec4<f32>(0.0); var c6_1 = vec4<f32>(0.0); var c6_2 = vec4<f32>(0.0); var c6_3 = vec4<f32>(0.0);
  var c7_0 = vec4<f32>(0.0); var c7_1 = vec4<f32>(0.0); var c7_2 = vec4<f32>(0.0); var c7_3 = vec4<f32>(0.0);

  for (var b = r0 + lid; b < r1; b = b + WG_SIZE) {
    let ba = b * as_;
    let bb = b * bs;
    let x0 = vec4<f32>(src1[ib0 + bb], src1[ib1 + bb], src1[ib2 + bb], src1[ib3 + bb]);
    var x1 = vec4<f32>(0.0);
    var x2 = vec4<f32>(0.0);
    var x3 = vec4<f32>(0.0);
    if (CB >= 8u) { x1 = vec4<f32>(src1[ib4 + bb], src1[ib5 + bb], src1[ib6 + bb], src1[ib7 + bb]); }
    if (CB == 16u) {
      x2 = vec4<f32>(src1[ib8 + bb], src1[ib9 + bb], src1[ib10 + bb], src1[ib11 + bb]);
      x3 = vec4<f32>(src1[ib12 + bb], src1[ib13 + bb], src1[ib14 + bb], src1[ib15 + bb]);
    }
    let d0 = vec4<f32>(src0[oa0 + ba]);
    let d1 = vec4<f32>(src0[oa1 + ba]);
    let d2 = vec4<f32>(src0[oa2 + ba]);
    let d3 = vec4<f32>(src0[oa3 + ba]);
    c0_0 = fma(d0, x0, c0_0);
    c1_0 = fma(d1, x0, c1_0);
    c2_0 = fma(d2, x0, c2_0);
    c3_0 = fma(d3, x0, c3_0);
    if (CB >= 8u) {
      c0_1 = fma(d0, x1, c0_1);
      c1_1 = fma(d1, x1, c1_1);
      c2_1 = fma(d2, x1, c2_1);
      c3_1 = fma(d3, x1, c3_1);
    }
    if (CB == 16u) {
      c0_2 = fma(d0, x2, c0_2);
      c1_2 = fma(d1, x2, c1_2);
      c2_2 = fma(d2, x2, c2_2);
      c3_2 = fma(d3, x2, c3_2);
      c0_3 = fma(d0, x3, c0_3);
      c1_3 = fma(d1, x3, c1_3);
      c2_3 = fma(d2, x3, c2_3);
      c3_3 = fma(d3, x3, c3_3);
    }
    if (RB == 8u) {
      let d4 = vec4<f32>(src0[oa4 + ba]);
      let d5 = vec4<f32>(src0[oa5 + ba]);
      let d6 = vec4<f32>(src0[oa6 + ba]);
      let d7 = vec4<f32>(src0[oa7 + ba]);
      c4_0 = fma(d4, x0, c4_0);
      c5_0 = fma(d5, x0, c5_0);
      c6_0 = fma(d6, x0, c6_0);
      c7_0 = fma(d7, x0, c7_0);
      if (CB >= 8u) {
        c4_1 = fma(d4, x1, c4_1);
        c5_1 = fma(d5, x1, c5_1);
        c6_1 = fma(d6, x1, c6_1);
        c7_1 = fma(d7, x1, c7_1);
      }
      if (CB == 16u) {
        c4_2 = fma(d4, x2, c4_2);
        c5_2 = fma(d5, x2, c5_2);
        c6_2 = fma(d6, x2, c6_2);
        c7_2 = fma(d7, x2, c7_2);
        c4_3 = fma(d4, x3, c4_3);
        c5_3 = fma(d5, x3, c5_3);
        c6_3 = fma(d6, x3, c6_3);
        c7_3 = fma(d7, x3, c7_3);
      }
    }
  }

  // this lane's block → red[lid·RB·CB4 + j·CB4 + g]; then lane t sums entry q = t, t + WG_SIZE, … over the lanes
  let lb = lid * RB * CB4;
  red[lb] = c0_0;
  red[lb + CB4] = c1_0;
  red[lb + 2u * CB4] = c2_0;
  red[lb + 3u * CB4] = c3_0;
  if (CB >= 8u) {
    red[lb + 1u] = c0_1;
    red[lb + CB4 + 1u] = c1_1;
    red[lb + 2u * CB4 + 1u] = c2_1;
    red[lb + 3u * CB4 + 1u] = c3_1;
  }
  if (CB == 16u) {
    red[lb + 2u] = c0_2;
    red[lb + CB4 + 2u] = c1_2;
    red[lb + 2u * CB4 + 2u] = c2_2;
    red[lb + 3u * CB4 + 2u] = c3_2;
    red[lb + 3u] = c0_3;
    red[lb + CB4 + 3u] = c1_3;
    red[lb + 2u * CB4 + 3u] = c2_3;
    red[lb + 3u * CB4 + 3u] = c3_3;
  }
  if (RB == 8u) {
    red[lb + 4u * CB4] = c4_0;
    red[lb + 5u * CB4] = c5_0;
    red[lb + 6u * CB4] = c6_0;
    red[lb + 7u * CB4] = c7_0;
    if (CB >= 8u) {
      red[lb + 4u * CB4 + 1u] = c4_1;
      red[lb + 5u * CB4 + 1u] = c5_1;
      red[lb + 6u * CB4 + 1u] = c6_1;
      red[lb + 7u * CB4 + 1u] = c7_1;
    }
    if (CB == 16u) {
      red[lb + 4u * CB4 + 2u] = c4_2;
      red[lb + 5u * CB4 + 2u] = c5_2;
      red[lb + 6u * CB4 + 2u] = c6_2;
      red[lb + 7u * CB4 + 2u] = c7_2;
      red[lb + 4u * CB4 + 3u] = c4_3;
      red[lb + 5u * CB4 + 3u] = c5_3;
      red[lb + 6u * CB4 + 3u] = c6_3;
      red[lb + 7u * CB4 + 3u] = c7_3;
    }
  }
  workgroupBarrier();
  let QN = RB * CB4;
  for (var q = lid; q < QN; q = q + WG_SIZE) {
    var s = vec4<f32>(0.0);
    for (var t = 0u; t < WG_SIZE; t = t + 1u) { s = s + red[t * QN + q]; }
    let o = o0 + q / CB4;
    if (o < M) { put4(o, i0 + 4u * (q % CB4), s, N, chunk); }
  }
}
