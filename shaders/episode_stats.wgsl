// Reduce the per-env episode sums of the rollout (episode[e] = (running return, Σ returns, Σ lengths,
// count)) to one vec4 (Σ returns, Σ lengths, count, 0): one workgroup, a strided sum per lane, then a
// tree reduction in workgroup memory. The engine copies the result into its per-update staging buffer.

override WG_SIZE: u32 = 256u;

struct StatsParams {
  num_envs: u32,
}

@group(0) @binding(0) var<uniform> sp: StatsParams;
@group(0) @binding(1) var<storage, read> episode: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> stats_out: array<vec4<f32>>;

var<workgroup> partial: array<vec3<f32>, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = vec3<f32>(0.0);
  for (var e = lid; e < sp.num_envs; e += WG_SIZE) {
    acc = acc + episode[e].yzw;
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var half = WG_SIZE / 2u; half > 0u; half = half / 2u) {
    if (lid < half) { partial[lid] = partial[lid] + partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) { stats_out[0] = vec4<f32>(partial[0], 0.0); }
}
