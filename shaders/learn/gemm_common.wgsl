// What the GEMM variants share (gemm.wgsl: tiled, gemm_simple.wgsl: register blocks, gemm_wg.wgsl:
// staged weights and lane-consecutive rows): bindings, the layer geometry, the shape overrides and the
// activations. Composed after common.wgsl, before a variant.
// Matrix views: element (row m, column k) of src0 is src0[S0_OFF + m·S0_STRIDE + k·S0_CS] (likewise
// src1 and dst): row-major views have CS = 1, feature-major views (the 'wg' variant's activations,
// consecutive rows at consecutive addresses) STRIDE = 1 and CS = the buffer's row capacity.
//   MODE 0 forward, 1 input grad, 2 weight grad (split-K); W_T 1: tabular layout θ[W_OFF + i·OUT + o];
//   ACT 0 none, 1 tanh, 2 relu (forward: f of the output; input grad: f′ from the stored activation H).

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> theta: array<f32>;
@group(0) @binding(3) var<storage, read> src0: array<f32>;
@group(0) @binding(4) var<storage, read> src1: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst: array<f32>;
@group(0) @binding(6) var<uniform> L: GemmGeom;

// The layer's geometry: runtime values (one small uniform per dispatch, written once) so that layers of
// the same size class share one pipeline (GEMM_GEOM in layout.ts).
struct GemmGeom {
  IN: u32,
  OUT: u32,
  W_OFF: u32,
  B_OFF: u32,
  S0_STRIDE: u32,
  S0_OFF: u32,
  S1_STRIDE: u32,
  S1_OFF: u32,
  D_STRIDE: u32,
  D_OFF: u32,
  HAS_BIAS: u32,
  S0_CS: u32,
  S1_CS: u32,
  D_CS: u32,
  pad0: u32,
  pad1: u32,
}

override MODE: u32 = 0u;
override W_T: u32 = 0u;
override ACT: u32 = 0u;

fn act_fwd(z: f32) -> f32 {
  if (ACT == 1u) { return tanh(z); }
  if (ACT == 2u) { return max(z, 0.0); }
  return z;
}

fn act_grad(h: f32) -> f32 {
  if (ACT == 1u) { return 1.0 - h * h; }
  if (ACT == 2u) { return select(0.0, 1.0, h > 0.0); }
  return 1.0;
}

// (M, N, K, first row) of the product in this MODE: M × N output, K summed; MODE 2 sums the rows of
// split-K chunk `chunk` (chunk_bounds in common.wgsl).
fn gemm_shape(chunk: u32) -> vec4<u32> {
  if (MODE == 0u) { return vec4<u32>(P.rows, L.OUT, L.IN, 0u); }
  if (MODE == 1u) { return vec4<u32>(P.rows, L.IN, L.OUT, 0u); }
  let cb = chunk_bounds(chunk, P.groups, P.subSplit, P.units, P.unitRows);
  return vec4<u32>(L.OUT, L.IN, cb.y - cb.x, cb.x);
}

// Epilogue of one output element (m < M, n < N).
fn put(m: u32, n: u32, v: f32, chunk: u32) {
  if (MODE == 0u) {
    var z = v;
    if (L.HAS_BIAS != 0u) { z = z + theta[L.B_OFF + n]; }
    dst[m * L.D_STRIDE + n * L.D_CS + L.D_OFF] = act_fwd(z);
  } else if (MODE == 1u) {
    dst[m * L.D_STRIDE + n * L.D_CS + L.D_OFF] = v * act_grad(src1[m * L.S1_STRIDE + n * L.S1_CS + L.S1_OFF]);
  } else {
    var idx = m * L.IN + n;
    if (W_T == 1u) { idx = n * L.OUT + m; }
    dst[chunk * P.gradStride + L.W_OFF + idx] = v;
  }
}

