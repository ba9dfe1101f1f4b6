// Bindings, GemmGeom, the MODE / W_T / ACT overrides, the activations, the shape and the epilogue: gemm_common.wgsl.
// Batched dense-layer products of the learner, the "tiled" variant for real GPUs (gemm_simple.wgsl is the
// barrier-free "simple" variant used on SwiftShader; GemmVariant in layout.ts). One kernel in three modes (MODE override):
//   MODE 0 forward      Y[b][o]  = f( Σ_i X[b][i] W[o][i] + bias[o] )               M = rows, N = OUT, K = IN
//   MODE 1 input grad   dX[b][i] = ( Σ_o dY[b][o] W[o][i] ) · f′(H[b][i])          M = rows, N = IN,  K = OUT
//   MODE 2 weight grad  dW[o][i] = Σ_{b ∈ chunk} dY[b][o] X[b][i]   (split-K)      M = OUT,  N = IN,  K = chunk rows
// with W[o][i] = θ[W_OFF + o·IN + i] (W_T = 1: the tabular layout θ[W_OFF + i·OUT + o], no bias),
// f′ from the stored post-activation H: tanh 1 − H², relu 1[H > 0].
// Tiles: each of the TX × TY threads computes a 4×4 block of the (4·TY) × (4·TX) output tile; K is
// walked in steps of KT through workgroup memory. Matrices are read with row strides / column offsets
// (S0_* for src0, S1_* for src1, D_* for dst) so several logical arrays can share one buffer. Shape
// constants that change the code (mode, activation, tile) are overrides; the layer's sizes and offsets
// are the runtime struct GemmGeom.
// MODE 2 writes its chunk's partial sums to dst[chunk·gradStride + W_OFF + idx(o, i)]; a reduce kernel
// sums the chunks.

override WG_SIZE: u32 = 256u;
override TX: u32 = 16u;
override TY: u32 = 16u;
override KT: u32 = 16u;
// workgroup tile buffers: A as [KT][4·TY], B as [KT][4·TX]
override A_LEN: u32 = 1024u;
override B_LEN: u32 = 1024u;

var<workgroup> As: array<f32, A_LEN>;
var<workgroup> Bs: array<f32, B_LEN>;
var<workgroup> wg_flag: u32;

fn w_at(o: u32, i: u32) -> f32 {
  if (W_T == 1u) { return theta[L.W_OFF + i * L.OUT + o]; }
  return theta[L.W_OFF + o * L.IN + i];
}

// A[m][k] and B[k][n] of the current mode (zero outside the matrix).
fn load_a(m: u32, k: u32, M: u32, K: u32, r0: u32) -> f32 {
  if (m >= M || k >= K) { return 0.0; }
  if (MODE == 2u) { return src0[(r0 + k) * L.S0_STRIDE + m * L.S0_CS + L.S0_OFF]; }
  return src0[m * L.S0_STRIDE + k * L.S0_CS + L.S0_OFF];
}

fn load_b(k: u32, n: u32, N: u32, K: u32, r0: u32) -> f32 {
  if (n >= N || k >= K) { return 0.0; }
  if (MODE == 0u) { return w_at(n, k); }
  if (MODE == 1u) { return w_at(k, n); }
  return src1[(r0 + k) * L.S1_STRIDE + n * L.S1_CS + L.S1_OFF];
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  if (lid == 0u) { wg_flag = ctrl.stop; }
  if (workgroupUniformLoad(&wg_flag) != 0u) { return; }

  let TM = 4u * TY;
  let TN = 4u * TX;
  let shape = gemm_shape(wid.z);
  let M = shape.x;
  let N = shape.y;
  let K = shape.z;
  let r0 = shape.w;
  let m0 = wid.x * TM;
  let n0 = wid.y * TN;
  let tx = lid % TX;
  let ty = lid / TX;
  let nthreads = TX * TY;

  var acc: array<vec4<f32>, 4>;
  acc[0] = vec4<f32>(0.0);
  acc[1] = vec4<f32>(0.0);
  acc[2] = vec4<f32>(0.0);
  acc[3] = vec4<f32>(0.0);

  for (var k0 = 0u; k0 < K; k0 = k0 + KT) {
    // A tile → As[k][m]
    for (var e = lid; e < TM * KT; e = e + nthreads) {
      var m: u32;
      var k: u32;
      if (MODE == 2u) { k = e / TM; m = e % TM; } else { m = e / KT; k = e % KT; }
      As[k * TM + m] = load_a(m0 + m, k0 + k, M, K, r0);
    }
    // B tile → Bs[k][n]
    for (var e = lid; e < TN * KT; e = e + nthreads) {
      var n: u32;
      var k: u32;
      if (MODE == 0u) { n = e / KT; k = e % KT; } else { k = e / TN; n = e % TN; }
      Bs[k * TN + n] = load_b(k0 + k, n0 + n, N, K, r0);
    }
    workgroupBarrier();
    for (var k = 0u; k < KT; k = k + 1u) {
      let ab = k * TM + ty * 4u;
      let bb = k * TN + tx * 4u;
      let bv = vec4<f32>(Bs[bb], Bs[bb + 1u], Bs[bb + 2u], Bs[bb + 3u]);
      acc[0] = fma(vec4<f32>(As[ab]), bv, acc[0]);
      acc[1] = fma(vec4<f32>(As[ab + 1u]), bv, acc[1]);
      acc[2] = fma(vec4<f32>(As[ab + 2u]), bv, acc[2]);
      acc[3] = fma(vec4<f32>(As[ab + 3u]), bv, acc[3]);
    }
    workgroupBarrier();
  }

  for (var r = 0u; r < 4u; r = r + 1u) {
    let m = m0 + ty * 4u + r;
    if (m >= M) { continue; }
    for (var c = 0u; c < 4u; c = c + 1u) {
      let n = n0 + tx * 4u + c;
      if (n >= N) { continue; }
      put(m, n, acc[r][c], wid.z);
    }
  }
}
