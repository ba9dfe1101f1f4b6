// Short corridor with switched actions, Sutton & Barto Ex. 13.1 (twin of src/envs/corridor.ts):
//   state [s, t], s ∈ {0,1,2}, goal 3; action 0 left, 1 right, switched in state 1; left in 0 stays;
//   reward stepReward every step; terminated at the goal; truncated when t reaches horizon; obs [1].

override corridor_stepReward: f32 = -1.0;
override corridor_horizon: f32 = 200.0;

const ENV_STATE_DIM: u32 = 2u;
const ENV_OBS_DIM: u32 = 1u;
const ENV_ACT_DIM: u32 = 1u;
alias EnvState = array<f32, ENV_STATE_DIM>;
alias EnvObs = array<f32, ENV_OBS_DIM>;
alias EnvAction = array<f32, ENV_ACT_DIM>;

fn env_reset(u: vec4<f32>) -> EnvState {
  return EnvState(0.0, 0.0);
}

fn env_step(s: ptr<function, EnvState>, a: EnvAction, u: vec4<f32>) -> EnvStep {
  let st = i32(round((*s)[0]));
  let right_pressed = a[0] > 0.5;
  let right = select(right_pressed, !right_pressed, st == 1);
  var next: i32;
  if (right) { next = st + 1; } else { next = max(st - 1, 0); }
  let t = (*s)[1] + 1.0;
  let terminated = next == 3;
  (*s)[0] = f32(next);
  (*s)[1] = t;
  return EnvStep(corridor_stepReward, terminated, !terminated && t >= corridor_horizon);
}

fn env_observe(s: EnvState) -> EnvObs {
  return EnvObs(1.0);
}
