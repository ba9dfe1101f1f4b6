// Per-sample heads and losses of one minibatch, and their derivatives w.r.t. the network outputs
// (src/estimators/losses.ts and src/policy/heads.ts are the reference). One thread per sample j.
//   net[j]  = (z or μ [NOUT], V)                         actor outputs then the critic's, row stride NOUT+1
//   aux[j]  = (Ψ, target, log π_old, valid)
//   Â = normAdv ? (Ψ − mean)/(std + 1e-8) : Ψ            (mean, std over the minibatch: ctrl)
//   ρ = exp(log π − log π_old)
//   PPO: ℓ_pg = −min(ρÂ, clip(ρ,1−ε,1+ε)Â), ∂ℓ/∂log π = −ρÂ or 0 when clipped
//   PG : ℓ_pg = −Â log π, ∂ℓ/∂log π = −Â
//   ℓ = ℓ_pg + c_v ½(V − target)² − β H + β_KL k3,   k3 = (ρ − 1) − log ρ,  ∂k3/∂log π = ρ − 1
//   SCORE (gradient variance): the ascent direction of J for this sample's env group g,
//     ∂/∂log π = +Ψ / |rows of g|  (no entropy, no critic, no normalisation)
// Writes d[j] = (∂ℓ/∂z or ∂ℓ/∂μ [NOUT], ∂ℓ/∂log σ [LS_DIM], ∂ℓ/∂V), already divided by the count of
// valid samples (the losses are means), and partial sums of the statistics (per workgroup: main; per
// ROWS consecutive rows: main_serial)
// (ℓ_pg, ½(V−target)², H, k3, 1[|ρ−1|>ε], valid) for finalize.wgsl.
//   categorical: ∂log π(a)/∂z_k = 1[k=a] − π_k,  ∂H/∂z_k = −π_k(log π_k + H)
//   Gaussian:    ∂log π/∂μ_j = (a_j−μ_j)/σ_j²,  ∂log π/∂log σ_j = (a_j−μ_j)²/σ_j² − 1,  ∂H/∂log σ_j = 1

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> theta: array<f32>;
@group(0) @binding(3) var<storage, read> net: array<f32>;
@group(0) @binding(4) var<storage, read> act: array<f32>;
@group(0) @binding(5) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dOut: array<f32>;
@group(0) @binding(7) var<storage, read_write> partials: array<f32>;

override WG_SIZE: u32 = 256u;
// 0 categorical (softmax / tabular), 1 diagonal Gaussian
override HEAD: u32 = 0u;
override NOUT: u32 = 2u;
override ACT_DIM: u32 = 1u;
override LOGSTD_OFF: u32 = 0u;
// log σ columns in dOut (Gaussian: NOUT, else 0)
override LS_DIM: u32 = 0u;
// rows per partial of main_serial
override ROWS: u32 = 32u;

const NSTAT: u32 = 6u;
const HALF_LOG_2PI: f32 = 0.91893853320467274;
const HALF_LOG_2PIE: f32 = 1.4189385332046727;

var<workgroup> red: array<f32, 1536>; // NSTAT × 256
var<workgroup> wg_flag: u32;

// e^x − 1 without cancellation near 0
fn expm1_(x: f32) -> f32 {
  if (abs(x) < 1e-2) { return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0)))); }
  return exp(x) - 1.0;
}

// Statistics of one row: (ℓ_pg, ½(V−target)², H, k3), (1[|ρ−1|>ε], valid); zeros for padding rows.
struct RowStats {
  a: vec4<f32>,
  b: vec2<f32>,
}

// Heads, losses and dOut of row j < P.rows; returns its statistics.
fn loss_row(j: u32) -> RowStats {
  let DW = NOUT + LS_DIM + 1u;
  let NW = NOUT + 1u;
  let a4 = aux[j];
  let valid = a4.w;
  let zo = j * NW;
  let dOff = j * DW;
  if (valid == 0.0) {
    for (var k = 0u; k < DW; k = k + 1u) { dOut[dOff + k] = 0.0; }
    return RowStats(vec4<f32>(0.0), vec2<f32>(0.0));
  }
  // log π_new and H
  var lpn = 0.0;
  var ent = 0.0;
  var mx = -3.0e38;
  var lse = 0.0;
  if (HEAD == 0u) {
    for (var k = 0u; k < NOUT; k = k + 1u) { mx = max(mx, net[zo + k]); }
    var s = 0.0;
    for (var k = 0u; k < NOUT; k = k + 1u) { s = s + exp(net[zo + k] - mx); }
    lse = mx + log(s);
    let a = u32(act[j * ACT_DIM]);
    lpn = net[zo + a] - lse;
    for (var k = 0u; k < NOUT; k = k + 1u) {
      let lpk = net[zo + k] - lse;
      ent = ent - exp(lpk) * lpk;
    }
  } else {
    for (var k = 0u; k < NOUT; k = k + 1u) {
      let ls = theta[LOGSTD_OFF + k];
      let d = (act[j * ACT_DIM + k] - net[zo + k]) * exp(-ls);
      lpn = lpn - 0.5 * d * d - ls - HALF_LOG_2PI;
      ent = ent + ls + HALF_LOG_2PIE;
    }
  }
  let lpo = a4.z;
  let logratio = lpn - lpo;
  let ratio = exp(logratio);
  let rm1 = expm1_(logratio);
  var A = a4.x;
  var inv = ctrl.invCount;
  var g = 0.0;     // ∂ℓ/∂log π (per sample, before the 1/count)
  var eg = 0.0;    // ∂ℓ/∂H
  var dv = 0.0;    // ∂ℓ/∂V
  var pg = 0.0;
  let V = net[zo + NOUT];
  let dvt = V - a4.y;
  if (P.lossMode == LOSS_SCORE) {
    // the group's row count: group of this row in group-major order
    let rowsInGroup = score_group_rows(j);
    inv = 1.0 / f32(rowsInGroup);
    g = A;
  } else {
    if (P.normAdv != 0u) { A = (A - ctrl.advMean) * ctrl.advInvStd; }
    if (P.lossMode == LOSS_PPO) {
      let eps = P.clipEps;
      let clipped = (A > 0.0 && ratio > 1.0 + eps) || (A < 0.0 && ratio < 1.0 - eps);
      if (clipped) {
        pg = -select(1.0 - eps, 1.0 + eps, A > 0.0) * A;
        g = 0.0;
      } else {
        pg = -ratio * A;
        g = -ratio * A;
      }
    } else {
      pg = -A * lpn;
      g = -A;
    }
    g = g + P.klCoef * rm1;
    eg = -P.entCoef;
    dv = P.vfCoef * dvt;
  }
  let s = g * inv;
  let e = eg * inv;
  if (HEAD == 0u) {
    let a = u32(act[j * ACT_DIM]);
    for (var k = 0u; k < NOUT; k = k + 1u) {
      let lpk = net[zo + k] - lse;
      let pk = exp(lpk);
      let ind = select(0.0, 1.0, k == a);
      dOut[dOff + k] = s * (ind - pk) + e * (-pk * (lpk + ent));
    }
  } else {
    for (var k = 0u; k < NOUT; k = k + 1u) {
      let is = exp(-theta[LOGSTD_OFF + k]);
      let d = (act[j * ACT_DIM + k] - net[zo + k]) * is;
      dOut[dOff + k] = s * d * is;
      dOut[dOff + NOUT + k] = s * (d * d - 1.0) + e;
    }
  }
  dOut[dOff + NOUT + LS_DIM] = dv * inv;
  return RowStats(vec4<f32>(pg, 0.5 * dvt * dvt, ent, rm1 - logratio), vec2<f32>(select(0.0, 1.0, abs(rm1) > P.clipEps), 1.0));
}

// 'tree' variant: one row per lane, a 256-wide tree over the workgroup, one partial per workgroup.
@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (lid == 0u) { wg_flag = ctrl.stop; }
  if (workgroupUniformLoad(&wg_flag) != 0u) { return; }
  let wgi = wid.x + wid.y * nwg.x;
  let j = wgi * WG_SIZE + lid;
  var st: array<f32, 6>;
  for (var k = 0u; k < NSTAT; k = k + 1u) { st[k] = 0.0; }
  if (j < P.rows) {
    let r = loss_row(j);
    st[0] = r.a.x;
    st[1] = r.a.y;
    st[2] = r.a.z;
    st[3] = r.a.w;
    st[4] = r.b.x;
    st[5] = r.b.y;
  }
  for (var k = 0u; k < NSTAT; k = k + 1u) { red[k * WG_SIZE + lid] = st[k]; }
  workgroupBarrier();
  for (var h = WG_SIZE / 2u; h > 0u; h = h >> 1u) {
    if (lid < h) {
      for (var k = 0u; k < NSTAT; k = k + 1u) { red[k * WG_SIZE + lid] = red[k * WG_SIZE + lid] + red[k * WG_SIZE + lid + h]; }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    for (var k = 0u; k < NSTAT; k = k + 1u) { partials[wgi * NSTAT + k] = red[k * WG_SIZE]; }
  }
}

// 'serial' variant (no barriers): invocation t (linear, workgroups1D) handles rows
// [t·ROWS, min((t+1)·ROWS, rows)) in order, sums their statistics in registers, writes partial t.
@compute @workgroup_size(WG_SIZE)
fn main_serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (ctrl.stop != 0u) { return; }
  let t = gid.x + gid.y * (nwg.x * WG_SIZE);
  let j0 = t * ROWS;
  if (j0 >= P.rows) { return; }
  let j1 = min(j0 + ROWS, P.rows);
  var a = vec4<f32>(0.0);
  var b = vec2<f32>(0.0);
  for (var j = j0; j < j1; j = j + 1u) {
    let r = loss_row(j);
    a = a + r.a;
    b = b + r.b;
  }
  let o = t * NSTAT;
  partials[o] = a.x;
  partials[o + 1u] = a.y;
  partials[o + 2u] = a.z;
  partials[o + 3u] = a.w;
  partials[o + 4u] = b.x;
  partials[o + 5u] = b.y;
}

// Rows of the env group that row j belongs to, in the group-major order of the variance pass
// (G = P.groups groups of ⌊(g+1)U/G⌋ − ⌊gU/G⌋ units of P.unitRows rows).
fn score_group_rows(j: u32) -> u32 {
  let G = P.groups;
  let unit = j / P.unitRows;
  var g = min(G - 1u, u64_mul_div(unit, G, P.units));
  loop {
    if (g > 0u && u64_mul_div(g, P.units, G) > unit) { g = g - 1u; continue; }
    if (g + 1u < G && u64_mul_div(g + 1u, P.units, G) <= unit) { g = g + 1u; continue; }
    break;
  }
  return P.unitRows * (u64_mul_div(g + 1u, P.units, G) - u64_mul_div(g, P.units, G));
}
