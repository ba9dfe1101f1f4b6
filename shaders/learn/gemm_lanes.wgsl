// Lanes of gemm_simple.wgsl without subgroups: every lane loads its own B values (QUADS false; quad4 is
// never called).
const QUADS: bool = false;

fn quad4(v: f32) -> vec4<f32> {
  return vec4<f32>(v);
}
