// Selling an inventory with limit orders (twin of src/envs/limitorder.ts):
//   state [q, m, t]; obs [q, m/(σ√H), t/H]; f = clip(a0, 0, 1), δ = δmax·clip(a1, 0, 1)
//   if u0 < exp(−κδ): reward = f·q·(1 + m + δ), q ← q − f·q;  then m ← m + σ·z, z = boxMuller(u1, u2).x (accurate sin/cos: math.wgsl)
//   at t = H: reward −= φ·q; terminated when t reaches H or q ≤ qEps; never truncated.

override limitorder_H: f32 = 10.0;
override limitorder_sigma: f32 = 0.02;
override limitorder_deltaMax: f32 = 0.1;
override limitorder_kappa: f32 = 20.0;
override limitorder_phi: f32 = 2.0;
override limitorder_qEps: f32 = 1e-6;

const ENV_STATE_DIM: u32 = 3u;
const ENV_OBS_DIM: u32 = 3u;
const ENV_ACT_DIM: u32 = 2u;
alias EnvState = array<f32, ENV_STATE_DIM>;
alias EnvObs = array<f32, ENV_OBS_DIM>;
alias EnvAction = array<f32, ENV_ACT_DIM>;

fn env_reset(u: vec4<f32>) -> EnvState {
  return EnvState(1.0, 0.0, 0.0);
}

fn env_step(s: ptr<function, EnvState>, a: EnvAction, u: vec4<f32>) -> EnvStep {
  var q = (*s)[0];
  var m = (*s)[1];
  let t = (*s)[2] + 1.0;
  let f = clamp(a[0], 0.0, 1.0);
  let delta = limitorder_deltaMax * clamp(a[1], 0.0, 1.0);
  var reward = 0.0;
  if (u.x < exp(-limitorder_kappa * delta)) {
    let sold = f * q;
    reward = sold * (1.0 + m + delta);
    q = q - sold;
  }
  m = m + limitorder_sigma * math_box_muller(u.y, u.z).x;
  let at_h = t >= limitorder_H;
  if (at_h) { reward = reward - limitorder_phi * q; }
  (*s)[0] = q;
  (*s)[1] = m;
  (*s)[2] = t;
  return EnvStep(reward, at_h || q <= limitorder_qEps, false);
}

fn env_observe(s: EnvState) -> EnvObs {
  let m_scale = limitorder_sigma * sqrt(limitorder_H);
  return EnvObs(s[0], s[1] / m_scale, s[2] / limitorder_H);
}
