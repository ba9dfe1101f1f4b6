// Reduce the per-env episode accumulators of the rollout to the update's statistics:
//   episode[2e] = (running return, Σ returns, Σ lengths, count), episode[2e+1] = (min, max return, 0, 0)
//   stats_out[0] = (Σ returns, Σ lengths, count, 0), stats_out[1] = (min, max finished return, 0, 0)
// One workgroup per seed slot b = workgroup_id.z (its envs [b·N, (b+1)·N), its output stats_out[2b …]): a strided sum / min / max per lane, then a tree reduction in workgroup memory. The
// engine copies the result into its per-update staging buffer.

override WG_SIZE: u32 = 256u;

struct StatsParams {
  num_envs: u32,
}

@group(0) @binding(0) var<uniform> sp: StatsParams;
@group(0) @binding(1) var<storage, read> episode: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> stats_out: array<vec4<f32>>;

var<workgroup> partial: array<vec3<f32>, WG_SIZE>;
var<workgroup> range: array<vec2<f32>, WG_SIZE>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let e0 = wid.z * sp.num_envs;
  var acc = vec3<f32>(0.0);
  var mm = vec2<f32>(3.0e38, -3.0e38);
  for (var e = lid; e < sp.num_envs; e += WG_SIZE) {
    acc = acc + episode[2u * (e0 + e)].yzw;
    let r = episode[2u * (e0 + e) + 1u];
    mm = vec2<f32>(min(mm.x, r.x), max(mm.y, r.y));
  }
  partial[lid] = acc;
  range[lid] = mm;
  workgroupBarrier();
  for (var half = WG_SIZE / 2u; half > 0u; half = half / 2u) {
    if (lid < half) {
      partial[lid] = partial[lid] + partial[lid + half];
      range[lid] = vec2<f32>(min(range[lid].x, range[lid + half].x), max(range[lid].y, range[lid + half].y));
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    stats_out[2u * wid.z] = vec4<f32>(partial[0], 0.0);
    stats_out[2u * wid.z + 1u] = vec4<f32>(range[0], 0.0, 0.0);
  }
}
