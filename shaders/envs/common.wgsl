// The environment interface every shaders/envs/<name>.wgsl implements (the WGSL twin of EnvDef in
// src/core/types.ts). Compose: rng.wgsl + math.wgsl + envs/common.wgsl + envs/<name>.wgsl + kernel.
//
// Each env file declares
//   const ENV_STATE_DIM: u32;  const ENV_OBS_DIM: u32;  const ENV_ACT_DIM: u32;
//   alias EnvState = array<f32, ENV_STATE_DIM>;   (the LAST float is the episode step t)
//   alias EnvObs   = array<f32, ENV_OBS_DIM>;
//   alias EnvAction = array<f32, ENV_ACT_DIM>;    (a discrete action is its index as a float)
//   fn env_reset(u: vec4<f32>) -> EnvState                                  (u: Reset uniforms)
//   fn env_step(s: ptr<function, EnvState>, a: EnvAction, u: vec4<f32>) -> EnvStep   (u: Env uniforms)
//   fn env_observe(s: EnvState) -> EnvObs
// and its parameters as `override <env>_<param>: f32`, named after the keys of the TS env's `params`
// (the engine sets every one from EnvDef.params at pipeline creation; the defaults are the TS defaults).

struct EnvStep {
  reward: f32,
  // the MDP reached a terminal state (V(s') = 0)
  terminated: bool,
  // the time limit cut the episode (bootstrap with V(real s'))
  truncated: bool,
}

// flags word of the rollout: bit0 terminated, bit1 truncated
fn env_flags(r: EnvStep) -> u32 {
  return select(0u, 1u, r.terminated) | select(0u, 2u, r.truncated);
}

// One env step at per-env step index k with the contract's RNG keys, and auto-reset:
//   u_env   = uniform4(seed, Env, env, k, 0)
//   s'      = step(s, a, u_env);  real_obs = observe(s')   (kept for V(real s') and the rollout record)
//   if done: s ← reset(uniform4(seed, Reset, env, k + 1, 0))
fn env_step_autoreset(s: ptr<function, EnvState>, a: EnvAction, seed: u32, env: u32, k: u32, real_obs: ptr<function, EnvObs>) -> EnvStep {
  let r = env_step(s, a, rng_uniform4(seed, PURPOSE_ENV, env, k, 0u));
  *real_obs = env_observe(*s);
  if (r.terminated || r.truncated) {
    *s = env_reset(rng_uniform4(seed, PURPOSE_RESET, env, k + 1u, 0u));
  }
  return r;
}
