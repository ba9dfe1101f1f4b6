// Two-armed Bernoulli bandit (twin of src/envs/bandit.ts): state [t]; obs [1]; one step per episode,
// reward = 1 if u0 < p_a else 0; terminated after the step.

override bandit_p0: f32 = 0.2;
override bandit_p1: f32 = 0.8;

const ENV_STATE_DIM: u32 = 1u;
const ENV_OBS_DIM: u32 = 1u;
const ENV_ACT_DIM: u32 = 1u;
alias EnvState = array<f32, ENV_STATE_DIM>;
alias EnvObs = array<f32, ENV_OBS_DIM>;
alias EnvAction = array<f32, ENV_ACT_DIM>;

fn env_reset(u: vec4<f32>) -> EnvState {
  return EnvState(0.0);
}

fn env_step(s: ptr<function, EnvState>, a: EnvAction, u: vec4<f32>) -> EnvStep {
  let p = select(bandit_p0, bandit_p1, a[0] > 0.5);
  (*s)[0] = (*s)[0] + 1.0;
  return EnvStep(select(0.0, 1.0, u.x < p), true, false);
}

fn env_observe(s: EnvState) -> EnvObs {
  return EnvObs(1.0);
}
