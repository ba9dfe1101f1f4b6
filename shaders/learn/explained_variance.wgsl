// The critic's explained variance over the update's batch (CleanRL's losses/explained_variance), one
// workgroup, once per update right after the scan; two passes for accuracy, lanes sum strided rows in
// registers and lane 0 sums the lane totals in order (two barriers in all: cheap on CPU drivers too).
// src/estimators/explained-variance.ts is the reference (tests/gpu/health-stats.test.ts pins the two):
//   n = Σ valid,  μ_R = Σ R·valid / n,  μ_D = Σ (R − V)·valid / n      R = aux.y (critic target), V = values
//   EV = 1 − Σ ((R − V − μ_D)·valid)² / Σ ((R − μ_R)·valid)²           NaN when the denominator is 0
// → ctrl.explainedVariance (read back with the control block: no extra transfer), and μ_R →
// ctrl.targetMean (the variance pass runs it on G_t for the batch baseline of 'reinforce-baseline').


@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read_write> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> values: array<f32>;

override WG_SIZE: u32 = 256u;

var<workgroup> red: array<vec3<f32>, 256>;
var<workgroup> wg_mean: vec2<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = vec3<f32>(0.0);
  for (var i = lid; i < P.batch; i = i + WG_SIZE) {
    let a = aux[i];
    s = s + vec3<f32>(a.w, a.y * a.w, (a.y - values[i]) * a.w);
  }
  red[lid] = s;
  workgroupBarrier();
  if (lid == 0u) {
    var t = vec3<f32>(0.0);
    for (var k = 0u; k < WG_SIZE; k = k + 1u) { t = t + red[k]; }
    let n = max(t.x, 1.0);
    wg_mean = vec2<f32>(t.y / n, t.z / n);
  }
  let m = workgroupUniformLoad(&wg_mean);
  if (lid == 0u) { ctrl.targetMean = m.x; }
  var q = vec2<f32>(0.0);
  for (var i = lid; i < P.batch; i = i + WG_SIZE) {
    let a = aux[i];
    let r = (a.y - m.x) * a.w;
    let d = (a.y - values[i] - m.y) * a.w;
    q = q + vec2<f32>(r * r, d * d);
  }
  // (workgroupUniformLoad above was the barrier after lane 0 read red)
  red[lid] = vec3<f32>(q, 0.0);
  workgroupBarrier();
  if (lid == 0u) {
    var t = vec2<f32>(0.0);
    for (var k = 0u; k < WG_SIZE; k = k + 1u) { t = t + red[k].xy; }
    // a quiet NaN made at run time (a constant NaN would be a shader-creation error)
    let nan = bitcast<f32>(0x7fc00000u | (P.batch & 0u));
    ctrl.explainedVariance = select(nan, 1.0 - t.y / t.x, t.x > 0.0);
  }
}
