// End of a minibatch, one workgroup (main: 256 lanes and a tree; main_serial: one invocation): reduce the loss partials and the squared-gradient partials, then
//   ‖g‖ = √Σ g²,  clipCoef = min(1, maxGradNorm / (‖g‖ + 1e-6))          (torch clip_grad_norm_)
//   apply = ¬stop ∧ finite(‖g‖, losses);  if apply: t ← t + 1, stepSize = lr/(1 − β₁ᵗ), bc2Sqrt = √(1 − β₂ᵗ)
//   stats[slot] = (ℓ_pg, ½(V−target)², H, k3, clipfrac) / n, ‖g‖, apply, n
//   target-KL early stop (CleanRL): at the last minibatch of an epoch, stop if mean k3 > targetKl.

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read_write> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> lossPartials: array<f32>;
@group(0) @binding(3) var<storage, read> sq: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

override WG_SIZE: u32 = 256u;
override N_SQ: u32 = 1u;
// rows per loss partial (loss.wgsl: 256 for its main, ROWS for its main_serial)
override LOSS_ROWS: u32 = 256u;

const NSTAT: u32 = 6u;

var<workgroup> red: array<f32, 1792>; // (NSTAT + 1) × 256
var<workgroup> wg_flag: u32;

fn finite(x: f32) -> bool {
  // by the bits (compilers may assume x == x): exponent all ones ⇔ ±inf or NaN
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) { wg_flag = ctrl.stop; }
  if (workgroupUniformLoad(&wg_flag) != 0u) {
    if (lid == 0u) { ctrl.apply = 0u; }
    return;
  }
  let nLoss = (P.rows + LOSS_ROWS - 1u) / LOSS_ROWS;
  var acc: array<f32, 7>;
  for (var k = 0u; k < 7u; k = k + 1u) { acc[k] = 0.0; }
  for (var w = lid; w < nLoss; w = w + WG_SIZE) {
    for (var k = 0u; k < NSTAT; k = k + 1u) { acc[k] = acc[k] + lossPartials[w * NSTAT + k]; }
  }
  for (var w = lid; w < N_SQ; w = w + WG_SIZE) { acc[6] = acc[6] + sq[w]; }
  for (var k = 0u; k < 7u; k = k + 1u) { red[k * WG_SIZE + lid] = acc[k]; }
  workgroupBarrier();
  for (var h = WG_SIZE / 2u; h > 0u; h = h >> 1u) {
    if (lid < h) {
      for (var k = 0u; k < 7u; k = k + 1u) { red[k * WG_SIZE + lid] = red[k * WG_SIZE + lid] + red[k * WG_SIZE + lid + h]; }
    }
    workgroupBarrier();
  }
  if (lid != 0u) { return; }
  finish(vec4<f32>(red[0], red[WG_SIZE], red[2u * WG_SIZE], red[3u * WG_SIZE]), red[4u * WG_SIZE], red[5u * WG_SIZE], red[6u * WG_SIZE]);
}

// The end-of-minibatch logic from the totals: sums = (Σℓ_pg, Σ½(V−target)², ΣH, Σk3), clipSum = Σ clipped,
// cnt = Σ valid, sqsum = Σ g².
fn finish(sums: vec4<f32>, clipSum: f32, cnt: f32, sqsum: f32) {
  let n = max(cnt, 1.0);
  let norm = sqrt(sqsum);
  var ok = finite(norm);
  ok = ok && finite(sums.x) && finite(sums.y) && finite(sums.z) && finite(sums.w) && finite(clipSum);
  if (P.firstOfEpoch != 0u) { ctrl.epochsRun = ctrl.epochsRun + 1u; }
  ctrl.gradNorm = norm;
  if (ok) {
    let t = ctrl.adamT + 1u;
    ctrl.adamT = t;
    ctrl.apply = 1u;
    ctrl.stepsApplied = ctrl.stepsApplied + 1u;
    ctrl.clipCoef = min(1.0, P.maxGradNorm / (norm + 1e-6));
    ctrl.stepSize = P.lr / (1.0 - pow(P.beta1, f32(t)));
    ctrl.bc2Sqrt = sqrt(1.0 - pow(P.beta2, f32(t)));
  } else {
    ctrl.apply = 0u;
    ctrl.nonFinite = 1u;
    // the engine rolls the whole update back (as the CPU engine): skip the remaining minibatches
    ctrl.stop = 1u;
  }
  let base = P.slot * 8u;
  stats[base] = sums.x / n;
  stats[base + 1u] = sums.y / n;
  stats[base + 2u] = sums.z / n;
  stats[base + 3u] = sums.w / n;
  stats[base + 4u] = clipSum / n;
  stats[base + 5u] = norm;
  stats[base + 6u] = select(0.0, 1.0, ok);
  stats[base + 7u] = cnt;
  if (P.lastOfEpoch != 0u && P.targetKl > 0.0 && sums.w / n > P.targetKl) { ctrl.stop = 1u; }
}

// 'serial' variant: one invocation (WG_SIZE = 1) sums the loss and squared-gradient partials in order.
@compute @workgroup_size(WG_SIZE)
fn main_serial(@builtin(local_invocation_index) lid: u32) {
  if (lid != 0u) { return; }
  if (ctrl.stop != 0u) {
    ctrl.apply = 0u;
    return;
  }
  let nLoss = (P.rows + LOSS_ROWS - 1u) / LOSS_ROWS;
  var a = vec4<f32>(0.0);
  var b = vec2<f32>(0.0);
  for (var w = 0u; w < nLoss; w = w + 1u) {
    let o = w * NSTAT;
    a = a + vec4<f32>(lossPartials[o], lossPartials[o + 1u], lossPartials[o + 2u], lossPartials[o + 3u]);
    b = b + vec2<f32>(lossPartials[o + 4u], lossPartials[o + 5u]);
  }
  var q = 0.0;
  for (var w = 0u; w < N_SQ; w = w + 1u) { q = q + sq[w]; }
  finish(a, b.x, b.y, q);
}
