// Accurate f32 sin / cos (the WGSL built-ins may err by 2^-11 absolute; SwiftShader's do by ~2^-12).
// Cody–Waite reduction x = k·π/2 + r with π/2 split in three (k·P1 exact for |k| < 2^16), then
// Taylor polynomials on |r| ≤ π/4 (remainder < 2e-9): error about 1 f32 ulp for |x| < 1e4.
// Used where the env twins must follow the float64 TS envs within float32 rounding (pendulum, cartpole).

const MATH_2_OVER_PI: f32 = 0.6366197723675814;
const MATH_PIO2_1: f32 = 1.5703125;
const MATH_PIO2_2: f32 = 4.837512969970703125e-4;
const MATH_PIO2_3: f32 = 7.54978995489188216e-8;

fn math_sincos_reduced(r: f32) -> vec2<f32> {
  let r2 = r * r;
  let s = r + r * r2 * (-1.6666666666666666e-1 + r2 * (8.333333333333333e-3 + r2 * (-1.984126984126984e-4 + r2 * 2.755731922398589e-6)));
  let c = 1.0 + r2 * (-0.5 + r2 * (4.1666666666666664e-2 + r2 * (-1.388888888888889e-3 + r2 * (2.48015873015873e-5 - r2 * 2.755731922398589e-7))));
  return vec2<f32>(s, c);
}

// (sin x, cos x)
fn math_sincos(x: f32) -> vec2<f32> {
  let kf = round(x * MATH_2_OVER_PI);
  let r = ((x - kf * MATH_PIO2_1) - kf * MATH_PIO2_2) - kf * MATH_PIO2_3;
  let sc = math_sincos_reduced(r);
  let q = u32(i32(kf)) & 3u;
  if (q == 0u) { return vec2<f32>(sc.x, sc.y); }
  if (q == 1u) { return vec2<f32>(sc.y, -sc.x); }
  if (q == 2u) { return vec2<f32>(-sc.x, -sc.y); }
  return vec2<f32>(-sc.y, sc.x);
}

fn math_sin(x: f32) -> f32 { return math_sincos(x).x; }
fn math_cos(x: f32) -> f32 { return math_sincos(x).y; }

// Box–Muller, (z0, z1) = √(−2 ln u1)·(cos 2πu2, sin 2πu2), with sin/cos accurate to a few f32 ulps,
// so it stays within a few ulps of the float64 TS `boxMuller` (the built-in
// cos/sin there may err by 2^-11·r).
fn math_box_muller(u1: f32, u2: f32) -> vec2<f32> {
  let r = sqrt(-2.0 * log(u1));
  let sc = math_sincos(6.283185307179586 * u2);
  return vec2<f32>(r * sc.y, r * sc.x);
}
