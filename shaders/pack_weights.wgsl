// Rebuild the rollout kernel's packed weights from θ (layout: dispatch.ts `packedLayout`): one
// invocation per packed float p.
//   p < theta_len16:  packed[p] = θ[p] (0 past θ)
//   else, in layer L (table row (start, src, in, out), in4 = ⌈in/4⌉, out4 = ⌈out/4⌉), q = p − start:
//     q < 16·out4·in4 (W block (o4, i4) = q/16 as o4·in4 + i4; column c, row r of q mod 16 = 4c + r):
//        packed[p] = W[4·o4 + r][4·i4 + c] = θ[src + o·in + i]  (0 outside W)
//     else bias block o4, entry e = q' mod 16: packed[p] = (e < 4 and o = 4·o4 + e < out) ? θ[src + out·in + o] : 0

override WG_SIZE: u32 = 64u;

struct PackParams {
  total: u32,
  theta_len: u32,
  theta_len16: u32,
  num_layers: u32,
}

@group(0) @binding(0) var<uniform> pp: PackParams;
@group(0) @binding(1) var<storage, read> theta: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> packed: array<f32>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = gid.x + gid.y * (nwg.x * WG_SIZE);
  if (p >= pp.total) { return; }
  if (p < pp.theta_len16) {
    packed[p] = select(0.0, theta[min(p, pp.theta_len - 1u)], p < pp.theta_len);
    return;
  }
  var row = table[0];
  for (var l = 1u; l < pp.num_layers; l++) {
    if (table[l].x <= p) { row = table[l]; }
  }
  let src = row.y;
  let in_dim = row.z;
  let out_dim = row.w;
  let in4 = (in_dim + 3u) / 4u;
  let out4 = (out_dim + 3u) / 4u;
  let q = p - row.x;
  var v = 0.0;
  if (q < 16u * out4 * in4) {
    let blk = q / 16u;
    let o = 4u * (blk / in4) + (q % 16u) % 4u;
    let i = 4u * (blk % in4) + (q % 16u) / 4u;
    if (o < out_dim && i < in_dim) { v = theta[src + o * in_dim + i]; }
  } else {
    let qb = q - 16u * out4 * in4;
    let e = qb % 16u;
    let o = 4u * (qb / 16u) + e;
    if (e < 4u && o < out_dim) { v = theta[src + out_dim * in_dim + o]; }
  }
  packed[p] = v;
}
