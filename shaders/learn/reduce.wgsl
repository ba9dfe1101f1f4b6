// Sum the split-K partial gradients of each group and their squares (for the global norm):
//   out[g·OUT_STRIDE + p] = Σ_{u<S} partial[(g·S + u)·gradStride + p],  p < gradCount
//   sq[wg] = Σ_{p in this workgroup} out[0·OUT_STRIDE + p]²     (group 0 only: the training gradient)

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> outGrad: array<f32>;
@group(0) @binding(4) var<storage, read_write> sq: array<f32>;

override WG_SIZE: u32 = 256u;
override OUT_STRIDE: u32 = 0u;

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
