// Adam as torch.optim.Adam (src/optim/adam.ts is the reference), on the clipped gradient, when
// ctrl.apply (finite gradient, not stopped):
//   g ← clipCoef · g;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − stepSize · m / (√v / bc2Sqrt + ε)
// with stepSize = lr/(1 − β₁ᵗ), bc2Sqrt = √(1 − β₂ᵗ) set by finalize.wgsl.

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> theta: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

override WG_SIZE: u32 = 256u;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (ctrl.apply == 0u) { return; }
  let p = gid.x + gid.y * (nwg.x * WG_SIZE);
  if (p >= P.gradCount) { return; }
  let g = grad[p] * ctrl.clipCoef;
  let mi = P.beta1 * m[p] + (1.0 - P.beta1) * g;
  let vi = P.beta2 * v[p] + (1.0 - P.beta2) * g * g;
  m[p] = mi;
  v[p] = vi;
  theta[p] = theta[p] - ctrl.stepSize * mi / (sqrt(vi) / ctrl.bc2Sqrt + P.adamEps);
}
