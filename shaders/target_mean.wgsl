// Σ target and Σ valid over the learner's per-sample aux rows (Ψ, target, log π_old, valid): one
// workgroup, strided sums, tree reduction. The engine folds mean G_t into the running-mean baseline
// b of 'reinforce-baseline' (src/estimators/baseline.ts) after the update's readback.

override WG_SIZE: u32 = 256u;

struct SumParams {
  count: u32,
}

@group(0) @binding(0) var<uniform> sp: SumParams;
@group(0) @binding(1) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> sums: array<vec4<f32>>;

var<workgroup> partial: array<vec2<f32>, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2<f32>(0.0);
  for (var i = lid; i < sp.count; i += WG_SIZE) {
    let a = aux[i];
    acc = acc + vec2<f32>(a.y * a.w, a.w);
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var half = WG_SIZE / 2u; half > 0u; half = half / 2u) {
    if (lid < half) { partial[lid] = partial[lid] + partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) { sums[0] = vec4<f32>(partial[0], 0.0, 0.0); }
}
