// Tiny 2-state MDP with slip and random termination (twin of src/envs/twostate.ts):
//   state [s, t]; obs one-hot(s); r(0,0)=r00, r(0,1)=r01, r(1,0)=r10, r(1,1)=r11;
//   s' = a, or 1 − a if u0 < slip; terminated if u1 < q; truncated when t reaches horizon.

override twostate_r00: f32 = 1.0;
override twostate_r01: f32 = 0.0;
override twostate_r10: f32 = 0.0;
override twostate_r11: f32 = 2.0;
override twostate_slip: f32 = 0.1;
override twostate_q: f32 = 0.25;
override twostate_horizon: f32 = 64.0;

const ENV_STATE_DIM: u32 = 2u;
const ENV_OBS_DIM: u32 = 2u;
const ENV_ACT_DIM: u32 = 1u;
alias EnvState = array<f32, ENV_STATE_DIM>;
alias EnvObs = array<f32, ENV_OBS_DIM>;
alias EnvAction = array<f32, ENV_ACT_DIM>;

fn env_reset(u: vec4<f32>) -> EnvState {
  return EnvState(0.0, 0.0);
}

fn env_step(s: ptr<function, EnvState>, a: EnvAction, u: vec4<f32>) -> EnvStep {
  let st = (*s)[0] > 0.5;
  let act = a[0] > 0.5;
  var reward: f32;
  if (st) { reward = select(twostate_r10, twostate_r11, act); } else { reward = select(twostate_r00, twostate_r01, act); }
  let intended = select(0.0, 1.0, act);
  let next = select(intended, 1.0 - intended, u.x < twostate_slip);
  let t = (*s)[1] + 1.0;
  let terminated = u.y < twostate_q;
  (*s)[0] = next;
  (*s)[1] = t;
  return EnvStep(reward, terminated, !terminated && t >= twostate_horizon);
}

fn env_observe(s: EnvState) -> EnvObs {
  let st = s[0] > 0.5;
  return EnvObs(select(1.0, 0.0, st), select(0.0, 1.0, st));
}
