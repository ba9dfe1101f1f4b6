// Test kernel (tests/gpu/envs.test.ts): one env step with auto-reset per row, composed as
// rng.wgsl + math.wgsl + envs/common.wgsl + envs/<name>.wgsl + this file.

struct ProbeParams {
  count: u32,
  seed: u32,
}

override WG_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> probe: ProbeParams;
@group(0) @binding(1) var<storage, read> states: array<f32>;        // [M][ENV_STATE_DIM]
@group(0) @binding(2) var<storage, read> actions: array<f32>;       // [M][ENV_ACT_DIM]
@group(0) @binding(3) var<storage, read> keys: array<vec2<u32>>;    // (env index, per-env step k)
@group(0) @binding(4) var<storage, read_write> out_state: array<f32>;  // after auto-reset
@group(0) @binding(5) var<storage, read_write> real_obs: array<f32>;   // observe(s') before reset
@group(0) @binding(6) var<storage, read_write> out_obs: array<f32>;    // observe(out_state)
@group(0) @binding(7) var<storage, read_write> reward_flags: array<vec2<f32>>;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= probe.count) { return; }
  var s: EnvState;
  for (var j = 0u; j < ENV_STATE_DIM; j++) { s[j] = states[i * ENV_STATE_DIM + j]; }
  var a: EnvAction;
  for (var j = 0u; j < ENV_ACT_DIM; j++) { a[j] = actions[i * ENV_ACT_DIM + j]; }
  var ro: EnvObs;
  let key = keys[i];
  let r = env_step_autoreset(&s, a, probe.seed, key.x, key.y, &ro);
  for (var j = 0u; j < ENV_STATE_DIM; j++) { out_state[i * ENV_STATE_DIM + j] = s[j]; }
  let o = env_observe(s);
  for (var j = 0u; j < ENV_OBS_DIM; j++) {
    real_obs[i * ENV_OBS_DIM + j] = ro[j];
    out_obs[i * ENV_OBS_DIM + j] = o[j];
  }
  reward_flags[i] = vec2<f32>(r.reward, f32(env_flags(r)));
}
