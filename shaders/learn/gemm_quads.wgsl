// Lanes of gemm_simple.wgsl in subgroups of exactly 4 (the 'quad' variant; SwiftShader's subgroups are
// its 4 SIMD lanes, consecutive invocations): quad4(v) = (v of lane 0, 1, 2, 3) in every lane. Needs
// `enable subgroups;` at the top of the module (kernels.ts composes it). A quad is either wholly past the
// end of the grid or wholly inside it (block counts are rounded up to multiples of 4, workgroups hold
// whole quads), so the broadcasts run with all 4 lanes active; the uniformity analysis cannot see that.
const QUADS: bool = true;

fn quad4(v: f32) -> vec4<f32> {
  return vec4<f32>(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u));
}
