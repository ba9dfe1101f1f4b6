// CartPole-v1 (twin of src/envs/cartpole.ts, Gymnasium's equations and operation order, in f32):
//   temp = (F + m_p·l·θ̇²·sin θ) / (m_c + m_p)
//   θ̈    = (g·sin θ − cos θ·temp) / (l·(4/3 − m_p·cos²θ / (m_c + m_p)))
//   ẍ    = temp − m_p·l·θ̈·cos θ / (m_c + m_p)
//   x ← x + τẋ, ẋ ← ẋ + τẍ, θ ← θ + τθ̇, θ̇ ← θ̇ + τθ̈;  terminated |x| > 2.4 or |θ| > 12°; reward 1;
//   truncated when t reaches maxEpisodeSteps.  reset: each of the four = low + (high − low)·u_i.

override cartpole_gravity: f32 = 9.8;
override cartpole_masscart: f32 = 1.0;
override cartpole_masspole: f32 = 0.1;
override cartpole_length: f32 = 0.5;
override cartpole_forceMag: f32 = 10.0;
override cartpole_tau: f32 = 0.02;
override cartpole_thetaThresholdRadians: f32 = 0.20943951023931953;
override cartpole_xThreshold: f32 = 2.4;
override cartpole_resetLow: f32 = -0.05;
override cartpole_resetHigh: f32 = 0.05;
override cartpole_maxEpisodeSteps: f32 = 500.0;

const ENV_STATE_DIM: u32 = 5u;
const ENV_OBS_DIM: u32 = 4u;
const ENV_ACT_DIM: u32 = 1u;
alias EnvState = array<f32, ENV_STATE_DIM>;
alias EnvObs = array<f32, ENV_OBS_DIM>;
alias EnvAction = array<f32, ENV_ACT_DIM>;

fn env_reset(u: vec4<f32>) -> EnvState {
  let lo = cartpole_resetLow;
  let span = cartpole_resetHigh - cartpole_resetLow;
  return EnvState(lo + span * u.x, lo + span * u.y, lo + span * u.z, lo + span * u.w, 0.0);
}

fn env_step(s: ptr<function, EnvState>, a: EnvAction, u: vec4<f32>) -> EnvStep {
  let x = (*s)[0];
  let x_dot = (*s)[1];
  let theta = (*s)[2];
  let theta_dot = (*s)[3];
  let t = (*s)[4] + 1.0;
  let total_mass = cartpole_masspole + cartpole_masscart;
  let polemass_length = cartpole_masspole * cartpole_length;
  let force = select(-cartpole_forceMag, cartpole_forceMag, a[0] > 0.5);
  let sc = math_sincos(theta);
  let sin_t = sc.x;
  let cos_t = sc.y;
  let temp = (force + polemass_length * (theta_dot * theta_dot) * sin_t) / total_mass;
  let theta_acc = (cartpole_gravity * sin_t - cos_t * temp) / (cartpole_length * (4.0 / 3.0 - (cartpole_masspole * (cos_t * cos_t)) / total_mass));
  let x_acc = temp - (polemass_length * theta_acc * cos_t) / total_mass;
  let x1 = x + cartpole_tau * x_dot;
  let theta1 = theta + cartpole_tau * theta_dot;
  (*s)[0] = x1;
  (*s)[1] = x_dot + cartpole_tau * x_acc;
  (*s)[2] = theta1;
  (*s)[3] = theta_dot + cartpole_tau * theta_acc;
  (*s)[4] = t;
  let terminated = x1 < -cartpole_xThreshold || x1 > cartpole_xThreshold || theta1 < -cartpole_thetaThresholdRadians || theta1 > cartpole_thetaThresholdRadians;
  return EnvStep(1.0, terminated, !terminated && t >= cartpole_maxEpisodeSteps);
}

fn env_observe(s: EnvState) -> EnvObs {
  return EnvObs(s[0], s[1], s[2], s[3]);
}
