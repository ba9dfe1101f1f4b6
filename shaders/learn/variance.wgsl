// Gradient statistics over G per-group estimates ĝ_g ∈ ℝ^Pa stored row-major grads[g·Pa + p]
// (src/estimators/variance.ts is the reference):
//   entry 'moments' (one thread per p):  m_p = (1/G) Σ_g ĝ_gp → mean[p];
//                                        per workgroup Σ_p Σ_g (ĝ_gp − m_p)² and Σ_p m_p² → part[wg·2 + 0/1]
//   entry 'finish'  (one workgroup):     out[0] = tr Σ̂ = Σ dev² / (G − 1),  out[1] = ‖m‖²
//   entry 'project' (workgroup g < G):   out[2 + g] = ⟨ĝ_g, d⟩ / ‖d‖   (d = direction, any nonzero length)
// P.groups = G, P.gradCount = Pa, P.rows = number of 'moments' workgroups.

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> dir: array<f32>;
@group(0) @binding(3) var<storage, read_write> mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> part: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

override WG_SIZE: u32 = 256u;

var<workgroup> red: array<f32, 512>;

fn reduce2(lid: u32) {
  workgroupBarrier();
  for (var h = WG_SIZE / 2u; h > 0u; h = h >> 1u) {
    if (lid < h) {
      red[lid] = red[lid] + red[lid + h];
      red[WG_SIZE + lid] = red[WG_SIZE + lid] + red[WG_SIZE + lid + h];
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG_SIZE)
fn moments(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let p = wid.x * WG_SIZE + lid;
  let G = P.groups;
  let Pa = P.gradCount;
  var dev = 0.0;
  var m2 = 0.0;
  if (p < Pa) {
    var s = 0.0;
    for (var g = 0u; g < G; g = g + 1u) { s = s + grads[g * Pa + p]; }
    let m = s / f32(G);
    for (var g = 0u; g < G; g = g + 1u) {
      let d = grads[g * Pa + p] - m;
      dev = dev + d * d;
    }
    mean[p] = m;
    m2 = m * m;
  }
  red[lid] = dev;
  red[WG_SIZE + lid] = m2;
  reduce2(lid);
  if (lid == 0u) {
    part[wid.x * 2u] = red[0];
    part[wid.x * 2u + 1u] = red[WG_SIZE];
  }
}

@compute @workgroup_size(WG_SIZE)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var a = 0.0;
  var b = 0.0;
  for (var w = lid; w < P.rows; w = w + WG_SIZE) {
    a = a + part[w * 2u];
    b = b + part[w * 2u + 1u];
  }
  red[lid] = a;
  red[WG_SIZE + lid] = b;
  reduce2(lid);
  if (lid == 0u) {
    out[0] = red[0] / f32(P.groups - 1u);
    out[1] = red[WG_SIZE];
  }
}

@compute @workgroup_size(WG_SIZE)
fn project(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let g = wid.x;
  let Pa = P.gradCount;
  var s = 0.0;
  var d2 = 0.0;
  for (var p = lid; p < Pa; p = p + WG_SIZE) {
    let d = dir[p];
    s = s + grads[g * Pa + p] * d;
    d2 = d2 + d * d;
  }
  red[lid] = s;
  red[WG_SIZE + lid] = d2;
  reduce2(lid);
  if (lid == 0u) {
    out[2u + g] = select(0.0, red[0] / sqrt(red[WG_SIZE]), red[WG_SIZE] > 0.0);
  }
}
