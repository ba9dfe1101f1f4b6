// Pendulum-v1 (twin of src/envs/pendulum.ts, Gymnasium's equations, in f32 with accurate sin/cos):
//   u = clip(a, −maxTorque, maxTorque);  reward = −(angle_normalize(θ)² + 0.1·θ̇² + 0.001·u²)
//   θ̇' = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, −maxSpeed, maxSpeed);  θ' = θ + θ̇'·dt
//   never terminated; truncated when t reaches maxEpisodeSteps; obs [cos θ, sin θ, θ̇].
//   reset: θ = −resetTheta + 2·resetTheta·u0, θ̇ = −resetThetaDot + 2·resetThetaDot·u1.

override pendulum_maxSpeed: f32 = 8.0;
override pendulum_maxTorque: f32 = 2.0;
override pendulum_dt: f32 = 0.05;
override pendulum_g: f32 = 10.0;
override pendulum_m: f32 = 1.0;
override pendulum_l: f32 = 1.0;
override pendulum_resetTheta: f32 = 3.141592653589793;
override pendulum_resetThetaDot: f32 = 1.0;
override pendulum_maxEpisodeSteps: f32 = 200.0;

const ENV_STATE_DIM: u32 = 3u;
const ENV_OBS_DIM: u32 = 3u;
const ENV_ACT_DIM: u32 = 1u;
alias EnvState = array<f32, ENV_STATE_DIM>;
alias EnvObs = array<f32, ENV_OBS_DIM>;
alias EnvAction = array<f32, ENV_ACT_DIM>;

const PENDULUM_PI: f32 = 3.141592653589793;
const PENDULUM_TWO_PI: f32 = 6.283185307179586;

// ((x + π) mod 2π) − π with the floored modulo (result in [−π, π))
fn pendulum_angle_normalize(x: f32) -> f32 {
  var r = (x + PENDULUM_PI) % PENDULUM_TWO_PI;
  if (r < 0.0) { r = r + PENDULUM_TWO_PI; }
  return r - PENDULUM_PI;
}

fn env_reset(u: vec4<f32>) -> EnvState {
  return EnvState(-pendulum_resetTheta + 2.0 * pendulum_resetTheta * u.x, -pendulum_resetThetaDot + 2.0 * pendulum_resetThetaDot * u.y, 0.0);
}

fn env_step(s: ptr<function, EnvState>, a: EnvAction, u: vec4<f32>) -> EnvStep {
  let th = (*s)[0];
  let th_dot = (*s)[1];
  let t = (*s)[2] + 1.0;
  let torque = clamp(a[0], -pendulum_maxTorque, pendulum_maxTorque);
  let an = pendulum_angle_normalize(th);
  let costs = an * an + 0.1 * (th_dot * th_dot) + 0.001 * (torque * torque);
  let gravity_term = (3.0 * pendulum_g) / (2.0 * pendulum_l);
  let torque_term = 3.0 / (pendulum_m * (pendulum_l * pendulum_l));
  let new_th_dot = clamp(th_dot + (gravity_term * math_sin(th) + torque_term * torque) * pendulum_dt, -pendulum_maxSpeed, pendulum_maxSpeed);
  (*s)[0] = th + new_th_dot * pendulum_dt;
  (*s)[1] = new_th_dot;
  (*s)[2] = t;
  return EnvStep(-costs, false, t >= pendulum_maxEpisodeSteps);
}

fn env_observe(s: EnvState) -> EnvObs {
  let sc = math_sincos(s[0]);
  return EnvObs(sc.y, sc.x, s[1]);
}
