// Minibatch statistics for advantage normalisation, one workgroup (two-pass for accuracy; main: a
// 256-lane tree, main_serial: 64 lanes and a serial top level):
//   n = Σ valid,  μ = Σ Ψ / n,  σ = √( Σ (Ψ − μ)² / (n − 1) )  (torch's unbiased std; σ = 0 when n < 2)
//   ctrl.advMean = μ, ctrl.advInvStd = 1/(σ + 1e-8), ctrl.count = n, ctrl.invCount = 1/max(n, 1)
// (src/estimators/losses.ts normalizeAdvantages is the reference).

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read_write> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> mbAux: array<vec4<f32>>;

override WG_SIZE: u32 = 256u;

var<workgroup> red: array<f32, 512>;
var<workgroup> wg_flag: u32;

// This lane's (Σ Ψ·valid, Σ valid) over rows lid, lid + WG_SIZE, …
fn lane_sums(lid: u32) -> vec2<f32> {
  var s = 0.0;
  var c = 0.0;
  for (var j = lid; j < P.rows; j = j + WG_SIZE) {
    let a = mbAux[j];
    s = s + a.x * a.w;
    c = c + a.w;
  }
  return vec2<f32>(s, c);
}

// This lane's Σ ((Ψ − μ)·valid)² over the same rows.
fn lane_sq(lid: u32, mu: f32) -> f32 {
  var q = 0.0;
  for (var j = lid; j < P.rows; j = j + WG_SIZE) {
    let a = mbAux[j];
    let d = (a.x - mu) * a.w;
    q = q + d * d;
  }
  return q;
}

// The statistics from μ, n and Σ (Ψ − μ)².
fn write_ctrl(mu: f32, n: f32, sq: f32) {
  let sd = select(0.0, sqrt(sq / (n - 1.0)), n > 1.0);
  ctrl.advMean = mu;
  ctrl.advInvStd = 1.0 / (sd + 1e-8);
  ctrl.count = n;
  ctrl.invCount = 1.0 / max(n, 1.0);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) { wg_flag = ctrl.stop; }
  if (workgroupUniformLoad(&wg_flag) != 0u) { return; }
  let sc = lane_sums(lid);
  red[lid] = sc.x;
  red[WG_SIZE + lid] = sc.y;
  workgroupBarrier();
  for (var h = WG_SIZE / 2u; h > 0u; h = h >> 1u) {
    if (lid < h) {
      red[lid] = red[lid] + red[lid + h];
      red[WG_SIZE + lid] = red[WG_SIZE + lid] + red[WG_SIZE + lid + h];
    }
    workgroupBarrier();
  }
  let n = red[WG_SIZE];
  let mu = select(0.0, red[0] / n, n > 0.0);
  workgroupBarrier();
  red[lid] = lane_sq(lid, mu);
  workgroupBarrier();
  for (var h = WG_SIZE / 2u; h > 0u; h = h >> 1u) {
    if (lid < h) { red[lid] = red[lid] + red[lid + h]; }
    workgroupBarrier();
  }
  if (lid == 0u) { write_ctrl(mu, n, red[0]); }
}

// 'serial' variant (WG_SIZE = 64): each lane sums rows lid, lid + 64, … in registers; lane 0 sums the
// 64 lane totals in order (one barrier per pass instead of a tree).
var<workgroup> wg_mu: vec2<f32>;

@compute @workgroup_size(WG_SIZE)
fn main_serial(@builtin(local_invocation_index) lid: u32) {
  if (lid == 0u) { wg_flag = ctrl.stop; }
  if (workgroupUniformLoad(&wg_flag) != 0u) { return; }
  let sc = lane_sums(lid);
  red[lid] = sc.x;
  red[WG_SIZE + lid] = sc.y;
  workgroupBarrier();
  if (lid == 0u) {
    var ts = 0.0;
    var tc = 0.0;
    for (var k = 0u; k < WG_SIZE; k = k + 1u) {
      ts = ts + red[k];
      tc = tc + red[WG_SIZE + k];
    }
    wg_mu = vec2<f32>(select(0.0, ts / tc, tc > 0.0), tc);
  }
  let mn = workgroupUniformLoad(&wg_mu);
  let mu = mn.x;
  let n = mn.y;
  red[lid] = lane_sq(lid, mu);
  workgroupBarrier();
  if (lid == 0u) {
    var tq = 0.0;
    for (var k = 0u; k < WG_SIZE; k = k + 1u) { tq = tq + red[k]; }
    write_ctrl(mu, n, tq);
  }
}
