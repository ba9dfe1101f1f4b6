// Column sums over the rows of each split-K chunk (bias gradients ∂b[o] = Σ_b δ[b][o], and the
// Gaussian ∂log σ_j = Σ_b ∂ℓ_b/∂log σ_j):
//   dst[c·gradStride + DST_OFF + col] = Σ_{r ∈ chunk c} src[r·STRIDE + OFF + col],  col < COLS
// main: workgroup (x: block of CB columns, z: chunk c); its WG_SIZE threads are CB columns × (WG_SIZE/CB)
// row lanes and a tree. main_serial: one invocation per (column, chunk).

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

override WG_SIZE: u32 = 256u;
override CB: u32 = 1u;

// runtime geometry (one small uniform per dispatch, written once)
// element (r, col) of src at r·STRIDE + col·CS + OFF (row-major: CS = 1; feature-major: STRIDE = 1)
struct ColsumGeom {
  COLS: u32,
  STRIDE: u32,
  OFF: u32,
  DST_OFF: u32,
  CS: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
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
    for (var r = cb.x + lane; r < cb.y; r = r + lanes) { s = s + src[r * L.STRIDE + col * L.CS + L.OFF]; }
  }
  red[lid] = s;
  workgroupBarrier();
  for (var h = lanes / 2u; h > 0u; h = h >> 1u) {
    if (lane < h) { red[lid] = red[lid] + red[lid + h * CB]; }
    workgroupBarrier();
  }
  if (lane == 0u && col < L.COLS) { dst[wid.z * P.gradStride + L.DST_OFF + col] = red[lid]; }
}

// 'serial' variant (no barriers, no workgroup memory): invocation x = column, workgroup z = chunk c;
// it sums the chunk's rows in order into four interleaved accumulators (rows r ≡ 0, 1, 2, 3 mod 4 from
// the chunk start), then (s0 + s1) + (s2 + s3).
@compute @workgroup_size(WG_SIZE)
fn main_serial(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (ctrl.stop != 0u) { return; }
  let col = gid.x;
  if (col >= L.COLS) { return; }
  let c = gid.z;
  let cb = chunk_bounds(c, P.groups, P.subSplit, P.units, P.unitRows);
  let st = L.STRIDE;
  var i = cb.x * st + col * L.CS + L.OFF;
  var s0 = 0.0;
  var s1 = 0.0;
  var s2 = 0.0;
  var s3 = 0.0;
  var r = cb.x;
  for (; r + 4u <= cb.y; r = r + 4u) {
    s0 = s0 + src[i];
    s1 = s1 + src[i + st];
    s2 = s2 + src[i + 2u * st];
    s3 = s3 + src[i + 3u * st];
    i = i + 4u * st;
  }
  for (; r < cb.y; r = r + 1u) {
    s0 = s0 + src[i];
    i = i + st;
  }
  dst[c * P.gradStride + L.DST_OFF + col] = (s0 + s1) + (s2 + s3);
}

// 'serial' variant for 4-aligned row-major views (CS = 1; COLS, STRIDE and OFF multiples of 4: the
// hidden layers' δ):
// invocation x = group of 4 columns, one vec4 load per row; otherwise as main_serial.
// (src4 aliases binding 2 for this entry point only.)
@group(0) @binding(2) var<storage, read> src4: array<vec4<f32>>;

@compute @workgroup_size(WG_SIZE)
fn main_serial4(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (ctrl.stop != 0u) { return; }
  let q = gid.x;
  if (q * 4u >= L.COLS) { return; }
  let c = gid.z;
  let cb = chunk_bounds(c, P.groups, P.subSplit, P.units, P.unitRows);
  let st = L.STRIDE / 4u;
  var i = cb.x * st + L.OFF / 4u + q;
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);
  var r = cb.x;
  for (; r + 2u <= cb.y; r = r + 2u) {
    s0 = s0 + src4[i];
    s1 = s1 + src4[i + st];
    i = i + 2u * st;
  }
  if (r < cb.y) { s0 = s0 + src4[i]; }
  let s = s0 + s1;
  let o = c * P.gradStride + L.DST_OFF + 4u * q;
  dst[o] = s.x;
  dst[o + 1u] = s.y;
  dst[o + 2u] = s.z;
  dst[o + 3u] = s.w;
}
