// Sum the split-K partial gradients of each group and their squares (for the global norm):
//   out[g·OUT_STRIDE + p] = Σ_{u<S} partial[(g·S + u)·gradStride + p],  p < gradCount
//   sq[wg] = Σ_{p in this workgroup} out[0·OUT_STRIDE + p]²     (group 0 only: the training gradient)
// (main: 256-lane workgroups and a tree for sq; main_serial: one sq partial per RUN entries)

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> outGrad: array<f32>;
@group(0) @binding(4) var<storage, read_write> sq: array<f32>;

override WG_SIZE: u32 = 256u;
override OUT_STRIDE: u32 = 0u;
// entries per invocation of main_serial
override RUN: u32 = 32u;

var<workgroup> red: array<f32, WG_SIZE>;
var<workgroup> wg_flag: u32;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  if (lid == 0u) { wg_flag = ctrl.stop; }
  if (workgroupUniformLoad(&wg_flag) != 0u) { return; }
  let p = wid.x * WG_SIZE + lid;
  let g = wid.y;
  var s = 0.0;
  if (p < P.gradCount) {
    for (var u = 0u; u < P.subSplit; u = u + 1u) { s = s + partial[(g * P.subSplit + u) * P.gradStride + p]; }
    outGrad[g * OUT_STRIDE + p] = s;
  }
  red[lid] = s * s;
  workgroupBarrier();
  for (var h = WG_SIZE / 2u; h > 0u; h = h >> 1u) {
    if (lid < h) { red[lid] = red[lid] + red[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u && g == 0u) { sq[wid.x] = red[0]; }
}

// 'serial' variant (no barriers): invocation t = gid.x owns entries [t·RUN, min((t+1)·RUN, gradCount))
// of group g = gid.y; it writes their sums and, for group 0, sq[t] = Σ of their squares.
@compute @workgroup_size(WG_SIZE)
fn main_serial(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (ctrl.stop != 0u) { return; }
  let t = gid.x;
  let g = gid.y;
  let p0 = t * RUN;
  if (p0 >= P.gradCount) { return; }
  let p1 = min(p0 + RUN, P.gradCount);
  let S = P.subSplit;
  let gs = P.gradStride;
  let base = g * S * gs;
  var q = 0.0;
  for (var p = p0; p < p1; p = p + 1u) {
    var s = 0.0;
    var i = base + p;
    for (var u = 0u; u < S; u = u + 1u) {
      s = s + partial[i];
      i = i + gs;
    }
    outGrad[g * OUT_STRIDE + p] = s;
    q = q + s * s;
  }
  if (g == 0u) { sq[t] = q; }
}
