// Column sums over the rows of each split-K chunk (bias gradients ∂b[o] = Σ_b δ[b][o], and the
// Gaussian ∂log σ_j = Σ_b ∂ℓ_b/∂log σ_j):
//   dst[c·gradStride + DST_OFF + col] = Σ_{r ∈ chunk c} src[r·STRIDE + OFF + col],  col < COLS
// Workgroup (x: block of CB columns, z: chunk c); its WG_SIZE threads are CB columns × (WG_SIZE/CB) row lanes.

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

override WG_SIZE: u32 = 256u;
override CB: u32 = 1u;

// runtime geometry (one small uniform per dispatch, written once)
struct ColsumGeom {
  COLS: u32,
  STRIDE: u32,
  OFF: u32,
  DST_OFF: u32,
}
@group(0) @binding(4) var<uniform> L: ColsumGeom;

var<workgroup> red: array<f32, WG_SIZE>;
var<workgroup> wg_flag: u32;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  if (lid == 0u) { wg_flag = ctrl.stop; }
  if (workgroupUniformLoad(&wg_flag) != 0u) { return; }
  let lanes = WG_SIZE / CB;
  let cl = lid % CB;
  let lane = lid / CB;
  let col = wid.x * CB + cl;
  let cb = chunk_bounds(wid.z, P.groups, P.subSplit, P.units, P.unitRows);
  var s = 0.0;
  if (col < L.COLS) {
    for (var r = cb.x + lane; r < cb.y; r = r + lanes) { s = s + src[r * L.STRIDE + L.OFF + col]; }
  }
  red[lid] = s;
  workgroupBarrier();
  for (var h = lanes / 2u; h > 0u; h = h >> 1u) {
    if (lane < h) { red[lid] = red[lid] + red[lid + h * CB]; }
    workgroupBarrier();
  }
  if (lane == 0u && col < L.COLS) { dst[wid.z * P.gradStride + L.DST_OFF + col] = red[lid]; }
}
