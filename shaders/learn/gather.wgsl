// Gather the rows of one minibatch (or of the variance pass) into compact buffers, one thread per row j.
//   gatherMode 0 (training): sample i = π(mbStart + j), π = feistel_permute over the batch of T·N samples
//     with this epoch's keys (rng.wgsl; the CPU draws the same π with core/rng.ts FeistelPermutation)
//   gatherMode 1 (variance): group-major order: group g holds envs [⌊gN/G⌋, ⌊(g+1)N/G⌋) (n_g of them),
//     and its rows are t·n_g + (e − e₀) for t < T → sample i = t·N + e
// Copies obs[i] (OBS_DIM floats; row-major, or feature-major with OBS_CS), act[i] (ACT_DIM floats) and
// aux[i] = (Ψ, target, log π_old, valid).

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> ctrl: LearnCtrl;
@group(0) @binding(2) var<storage, read> obs: array<f32>;
@group(0) @binding(3) var<storage, read> act: array<f32>;
@group(0) @binding(4) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> mbObs: array<f32>;
@group(0) @binding(6) var<storage, read_write> mbAct: array<f32>;
@group(0) @binding(7) var<storage, read_write> mbAux: array<vec4<f32>>;

override WG_SIZE: u32 = 256u;
override OBS_DIM: u32 = 1u;
override ACT_DIM: u32 = 1u;
// 0: mbObs row-major [rows][OBS_DIM]; else feature-major mbObs[k·OBS_CS + j] (OBS_CS = row capacity)
override OBS_CS: u32 = 0u;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (ctrl.stop != 0u) { return; }
  let j = gid.x + gid.y * (nwg.x * WG_SIZE);
  if (j >= P.rows) { return; }
  var i: u32;
  if (P.gatherMode == 0u) {
    i = feistel_permute(P.mbStart + j, P.batch, vec4<u32>(P.key0, P.key1, P.key2, P.key3));
  } else {
    let G = P.groups;
    let N = P.N;
    let T = P.T;
    // group g: rows [T·⌊gN/G⌋, T·⌊(g+1)N/G⌋)
    let unit = j / T;
    var g = min(G - 1u, u64_mul_div(unit, G, N));
    loop {
      if (g > 0u && u64_mul_div(g, N, G) > unit) { g = g - 1u; continue; }
      if (g + 1u < G && u64_mul_div(g + 1u, N, G) <= unit) { g = g + 1u; continue; }
      break;
    }
    let e0 = u64_mul_div(g, N, G);
    let ng = u64_mul_div(g + 1u, N, G) - e0;
    let local = j - T * e0;
    let t = local / ng;
    let e = e0 + local % ng;
    i = t * N + e;
  }
  if (OBS_CS == 0u) {
    for (var k = 0u; k < OBS_DIM; k = k + 1u) { mbObs[j * OBS_DIM + k] = obs[i * OBS_DIM + k]; }
  } else {
    for (var k = 0u; k < OBS_DIM; k = k + 1u) { mbObs[k * OBS_CS + j] = obs[i * OBS_DIM + k]; }
  }
  for (var k = 0u; k < ACT_DIM; k = k + 1u) { mbAct[j * ACT_DIM + k] = act[i * ACT_DIM + k]; }
  mbAux[j] = aux[i];
}
