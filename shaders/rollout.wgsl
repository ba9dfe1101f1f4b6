// The fused rollout kernel: one invocation per env runs steps [t_begin, t_end) of the rollout without
// leaving the device. Composed as rng.wgsl + math.wgsl + envs/common.wgsl + envs/<name>.wgsl + this
// file (src/backends/gpu/rollout.ts). Per step t, for env e at its own step index k:
//   obs_t      = observe(s)                           (after any auto-reset)
//   values[t]  = V(obs_t)                             (carried from the previous step's V(real s'))
//   z          = actor(obs_t);  u = uniform4(seed, Action, e, k, 0)
//   discrete:  a = first k with u0 < Σ_{j≤k} π_j, π = softmax(z);  log π(a) = z_a − m − log Σ exp(z_j − m)
//   Gaussian:  (z0,z1) = BoxMuller(u0,u1), (z2,z3) = BoxMuller(u2,u3);  a_j = μ_j + σ_j z_j  (raw)
//              log π(a) = Σ_j (−½ z_j² − log σ_j − ½ log 2π)
//   s', r, terminated, truncated = step(s, a, uniform4(seed, Env, e, k, 0));  real obs' = observe(s')
//   nextValues[t] = V(real obs')                       (before any auto-reset; 0 is NOT substituted)
//   done ⇒ episode sums += (return, length, 1);  s = reset(uniform4(seed, Reset, e, k+1, 0))
//   k += 1
// Outputs are time-major [T][N] (index t·N + e). Several seeds run in one dispatch, one workgroup row
// per seed slot b = workgroup_id.z (PureJaxRL's vmap over seeds): slot b has its own θ (packed block),
// RNG seed and envs, and writes [T][N] blocks of its own at b·block in each output buffer. The time loop runs one critic evaluation per
// iteration at ONE call site (V(o_t) when it is due — first step, after an auto-reset — else V(real o')
// of the step just taken), then the actor and the env step when V(o_t) is known: drivers inline every
// call, and a second critic call site would double the code of an unrolled net. Every variant runs this
// entry point; they differ only in the nets appended below (and UNIFORM_NETS before).
// The nets are `net_critic(o) -> f32` and `net_actor(o, z)`, appended by rollout.ts per kernel variant
// (ROLLOUT_VARIANTS) with `all_lanes(b)`: 'unrolled' — straight-line code generated for the network's
// shapes, activations in named vec4 values, each 4×4 weight block read from `packed` at a constant index
// (no private array); 'subgroup' — generated loops (the first two layers fused), activations in named
// vec4 values, each weight block loaded once per subgroup (a vec4 column per lane) and handed to every
// lane by subgroupBroadcast (UNIFORM_NETS: all lanes evaluate the nets together); 'loop' — `loop_critic` /
// `loop_actor` below, loops over the blocks with activations in a private array of 2·MAX_WIDTH floats
// (rollout.ts rejects wider layers, and more than MAX_HEAD actions). All read the MLP as 4×4 blocks
// from the packed buffer (dispatch.ts `packedLayout`, rebuilt from θ by pack_weights.wgsl); network
// shapes and block offsets arrive as `override` constants ('loop') or literals (the generated ones).

const MAX_WIDTH: u32 = 256u;
const MAX4: u32 = MAX_WIDTH / 4u;
const MAX_LAYERS: u32 = 5u;
// head outputs: n logits (n ≤ MAX_HEAD) or Gaussian means (dim ≤ 4)
const MAX_HEAD: u32 = 16u;
alias HeadVec = array<f32, MAX_HEAD>;

const HEAD_SOFTMAX: u32 = 0u;
const HEAD_GAUSSIAN: u32 = 1u;
const HEAD_TABULAR: u32 = 2u;
const HALF_LOG_2PI: f32 = 0.9189385332046727;

override WG_SIZE: u32 = 64u;
override HEAD_KIND: u32 = 0u;
// 0 tanh, 1 relu
override ACTIVATION: u32 = 0u;
// dense layers per net (hidden layers + 1); 0 for tabular
override NUM_LAYERS: u32 = 3u;
// widths: DIM_0 = obsDim, DIM_1 … DIM_{L−1} hidden, DIM_L = head outputs (actor; the critic's is 1)
override DIM_0: u32 = 4u;
override DIM_1: u32 = 64u;
override DIM_2: u32 = 64u;
override DIM_3: u32 = 0u;
override DIM_4: u32 = 0u;
override DIM_5: u32 = 0u;
// first 4×4 block of W_l in the packed buffer (its bias blocks follow): actor and critic
override AW_0: u32 = 0u;
override AW_1: u32 = 0u;
override AW_2: u32 = 0u;
override AW_3: u32 = 0u;
override AW_4: u32 = 0u;
override CW_0: u32 = 0u;
override CW_1: u32 = 0u;
override CW_2: u32 = 0u;
override CW_3: u32 = 0u;
override CW_4: u32 = 0u;
// n logits (softmax, tabular) or Gaussian dim
override HEAD_OUT: u32 = 2u;
override LOG_STD_OFFSET: u32 = 0u;
// tabular: logits table [nStates][n] at 0, values [nStates] at CRITIC_OFFSET
override CRITIC_OFFSET: u32 = 0u;
override N_STATES: u32 = 1u;

struct RolloutParams {
  num_envs: u32,
  // T: the row count of the output buffers
  num_steps: u32,
  // steps [t_begin, t_end) run in this dispatch
  t_begin: u32,
  t_end: u32,
  // elements between the planes (logp, values, rewards, nextValues) of one seed's `traj` block
  traj_stride: u32,
  // 1: zero the finished-episode sums before stepping (first dispatch of a rollout)
  reset_stats: u32,
  // Seeds batched in one dispatch (workgroup_id.z = seed slot b, one θ per seed): slot b's outputs
  // start at b·block of each buffer (elements; 0 apart with one seed), its envs at b·num_envs.
  obs_block: u32,
  act_block: u32,
  traj_block: u32,
  flags_block: u32,
  // always 0: added to the bounds of loops that must stay loops (rollout.ts `subgroupNetWgsl`), which
  // the compiler would otherwise unroll into straight-line code that takes minutes to compile
  zero: u32,
  pad1: u32,
}

@group(0) @binding(0) var<uniform> ro: RolloutParams;
// packed weights (dispatch.ts `packedLayout`): θ verbatim, then 4×4 blocks per layer; one block of
// PACKED_BLOCKS (a constant rollout.ts prepends: one slot's blocks, padded) per seed slot.
@group(0) @binding(1) var<storage, read> packed: array<mat4x4<f32>>;
// [N][ENV_STATE_DIM], persists between rollouts
@group(0) @binding(2) var<storage, read_write> env_state: array<f32>;
// per-env step index k, persists
@group(0) @binding(3) var<storage, read_write> step_count: array<u32>;
// per env two vec4: [2e] (running return, Σ finished returns, Σ finished lengths, finished count),
// [2e+1] (min, max finished return of this rollout, 0, 0)
@group(0) @binding(4) var<storage, read_write> episode: array<vec4<f32>>;

// min / max accumulators start here (no finished episode yet)
const NO_RANGE = vec4<f32>(3.0e38, -3.0e38, 0.0, 0.0);
// [T][N][ENV_OBS_DIM]
@group(0) @binding(5) var<storage, read_write> obs_out: array<f32>;
// [T][N][ENV_ACT_DIM]
@group(0) @binding(6) var<storage, read_write> act_out: array<f32>;
// planes [4][T][N] at traj_stride: 0 logp, 1 values, 2 rewards, 3 nextValues
@group(0) @binding(7) var<storage, read_write> traj: array<f32>;
// [T][N]: bit0 terminated, bit1 truncated
@group(0) @binding(8) var<storage, read_write> flags: array<u32>;
// the RNG seed of each seed slot
@group(0) @binding(9) var<storage, read> seeds: array<u32>;

// this invocation's seed slot (set at entry: workgroup_id.z, uniform across the workgroup)
var<private> slot: u32;
// the first block of the slot's weights: slot·PACKED_BLOCKS (set at entry)
var<private> pk: u32;

fn layer_dim(l: u32) -> u32 {
  switch (l) {
    case 0u: { return DIM_0; }
    case 1u: { return DIM_1; }
    case 2u: { return DIM_2; }
    case 3u: { return DIM_3; }
    case 4u: { return DIM_4; }
    default: { return DIM_5; }
  }
}

fn layer_w(net: u32, l: u32) -> u32 {
  if (net == 0u) {
    switch (l) {
      case 0u: { return AW_0; }
      case 1u: { return AW_1; }
      case 2u: { return AW_2; }
      case 3u: { return AW_3; }
      default: { return AW_4; }
    }
  }
  switch (l) {
    case 0u: { return CW_0; }
    case 1u: { return CW_1; }
    case 2u: { return CW_2; }
    case 3u: { return CW_3; }
    default: { return CW_4; }
  }
}

fn activate(z: vec4<f32>) -> vec4<f32> {
  if (ACTIVATION == 0u) { return tanh(clamp(z, vec4<f32>(-20.0), vec4<f32>(20.0))); }
  return max(z, vec4<f32>(0.0));
}

// θ[i] from the verbatim copy at the start of the packed buffer (log σ, tabular tables)
fn theta_at(i: u32) -> f32 {
  return packed[pk + (i >> 4u)][(i >> 2u) & 3u][i & 3u];
}

// Activations of the net being evaluated, 4 units per vec4 (zero-padded): two halves of MAX4 used
// alternately (in → out).
var<private> act: array<vec4<f32>, 2u * MAX4>;

// act[dst …] = f(W act[src …] + b) for layer l of net (0 actor, 1 critic), by 4×4 blocks
// (dispatch.ts `packedLayout`): y4[o4] = b4[o4] + Σ_i4 M[o4, i4] · x4[i4]; no activation after the
// last layer.
fn dense(net: u32, l: u32, src: u32, dst: u32) {
  let in4 = (layer_dim(l) + 3u) / 4u;
  let last = l + 1u == NUM_LAYERS;
  let out_dim = select(layer_dim(l + 1u), select(HEAD_OUT, 1u, net == 1u), last);
  let out4 = (out_dim + 3u) / 4u;
  let w = layer_w(net, l);
  let b = w + out4 * in4;
  for (var o4 = 0u; o4 < out4; o4++) {
    var acc = packed[pk + b + o4][0];
    let row = w + o4 * in4;
    for (var i4 = 0u; i4 < in4; i4++) {
      acc = acc + packed[pk + row + i4] * act[src + i4];
    }
    act[dst + o4] = select(activate(acc), acc, last);
  }
}

// Forward pass of net (0 actor, 1 critic) on the input in act[0 …]; returns the vec4 offset of its
// outputs in `act`. (One call site of `dense`: SwiftShader inlines every call, so call sites multiply
// code size and compile time.)
fn forward(net: u32) -> u32 {
  var src = 0u;
  for (var l = 0u; l < NUM_LAYERS; l++) {
    let dst = MAX4 - src;
    dense(net, l, src, dst);
    src = dst;
  }
  return src;
}

fn load_input(o: EnvObs) {
  for (var i4 = 0u; i4 < (ENV_OBS_DIM + 3u) / 4u; i4++) { act[i4] = vec4<f32>(0.0); }
  for (var i = 0u; i < ENV_OBS_DIM; i++) { act[i >> 2u][i & 3u] = o[i]; }
}

// the tabular row of a one-hot observation: first argmax
fn tabular_row(o: EnvObs) -> u32 {
  var best = 0u;
  var bv = o[0];
  for (var i = 1u; i < N_STATES; i++) {
    if (o[i] > bv) { bv = o[i]; best = i; }
  }
  return best;
}

// V(obs): the tabular value, else the critic MLP (`net_critic`, supplied by the variant's WGSL)
fn critic_value(o: EnvObs) -> f32 {
  if (HEAD_KIND == HEAD_TABULAR) {
    return theta_at(CRITIC_OFFSET + tabular_row(o));
  }
  return net_critic(o);
}

// actor outputs (logits or means) into z[0 … HEAD_OUT−1] (`net_actor` from the variant's WGSL)
fn actor_out(o: EnvObs, z: ptr<function, HeadVec>) {
  if (HEAD_KIND == HEAD_TABULAR) {
    let row = tabular_row(o) * HEAD_OUT;
    for (var k = 0u; k < HEAD_OUT; k++) { (*z)[k] = theta_at(row + k); }
    return;
  }
  net_actor(o, z);
}

// The 'loop' variant's nets: the MLP by loops over 4×4 blocks, activations in `act`.
fn loop_critic(o: EnvObs) -> f32 {
  load_input(o);
  return act[forward(1u)].x;
}

fn loop_actor(o: EnvObs, z: ptr<function, HeadVec>) {
  load_input(o);
  let base = forward(0u);
  for (var k = 0u; k < HEAD_OUT; k++) { (*z)[k] = act[base + (k >> 2u)][k & 3u]; }
}

struct Sampled {
  a: EnvAction,
  logp: f32,
}

// a ~ π(·|z) with the Action uniforms u; log π(a)
fn sample_action(z: ptr<function, HeadVec>, u: vec4<f32>) -> Sampled {
  var out: Sampled;
  if (HEAD_KIND == HEAD_GAUSSIAN) {
    let n01 = math_box_muller(u.x, u.y);
    let n23 = math_box_muller(u.z, u.w);
    let nz = vec4<f32>(n01, n23);
    var lp = 0.0;
    for (var j = 0u; j < ENV_ACT_DIM; j++) {
      let ls = theta_at(LOG_STD_OFFSET + j);
      out.a[j] = (*z)[j] + exp(ls) * nz[j];
      lp = lp - 0.5 * nz[j] * nz[j] - ls - HALF_LOG_2PI;
    }
    out.logp = lp;
    return out;
  }
  // categorical: stable softmax, inverse CDF
  var m = (*z)[0];
  for (var k = 1u; k < HEAD_OUT; k++) { m = max(m, (*z)[k]); }
  var s = 0.0;
  for (var k = 0u; k < HEAD_OUT; k++) { s = s + exp((*z)[k] - m); }
  let lse = m + log(s);
  var a = HEAD_OUT - 1u;
  var c = 0.0;
  for (var k = 0u; k + 1u < HEAD_OUT; k++) {
    c = c + exp((*z)[k] - lse);
    if (u.x < c) { a = k; break; }
  }
  out.a[0] = f32(a);
  out.logp = (*z)[a] - lse;
  return out;
}

fn thread_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * (nwg.x * WG_SIZE);
}

// First reset of every env (per-env step 0): s = reset(uniform4(seed, Reset, e, 0, 0)), k = 0, sums 0.
@compute @workgroup_size(WG_SIZE)
fn init_envs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let e = thread_index(gid, nwg);
  if (e >= ro.num_envs) { return; }
  let b = wid.z;
  let eg = b * ro.num_envs + e;
  let s = env_reset(rng_uniform4(seeds[b], PURPOSE_RESET, e, 0u, 0u));
  for (var j = 0u; j < ENV_STATE_DIM; j++) { env_state[eg * ENV_STATE_DIM + j] = s[j]; }
  step_count[eg] = 0u;
  episode[2u * eg] = vec4<f32>(0.0);
  episode[2u * eg + 1u] = NO_RANGE;
}

@compute @workgroup_size(WG_SIZE)
fn rollout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let n = ro.num_envs;
  // UNIFORM_NETS (a constant rollout.ts prepends; the 'subgroup' variant): the lanes of a subgroup share
  // the nets' weight loads by broadcasts, so every lane must evaluate the nets together. Lanes past
  // the last env then run as env n−1 (reads only: `live` is false and they store nothing), the actor is
  // evaluated on every iteration, and the time loop ends when it has ended for every lane (`all_lanes`).
  let e0 = thread_index(gid, nwg);
  let live = e0 < n;
  if (!live && !UNIFORM_NETS) { return; }
  let e = min(e0, n - 1u);
  // seed slot b: its θ, its RNG seed, its envs (eg) and its blocks of the outputs
  let b = wid.z;
  slot = b;
  pk = b * PACKED_BLOCKS;
  let seed = seeds[b];
  let eg = b * n + e;
  let ob = b * ro.obs_block;
  let ab = b * ro.act_block;
  let tb = b * ro.traj_block;
  let fb = b * ro.flags_block;
  let stride = ro.traj_stride;
  var s: EnvState;
  for (var j = 0u; j < ENV_STATE_DIM; j++) { s[j] = env_state[eg * ENV_STATE_DIM + j]; }
  var k = step_count[eg];
  var ep = episode[2u * eg];
  var mm = episode[2u * eg + 1u];
  if (ro.reset_stats != 0u) {
    ep = vec4<f32>(ep.x, 0.0, 0.0, 0.0);
    mm = NO_RANGE;
  }
  var o = env_observe(s);
  // One critic evaluation per iteration, at one call site (drivers inline every call: a second site
  // would double the code of an unrolled net). x is its input: o_t when V(o_t) is due (first step,
  // after an auto-reset), else real o' of step t, whose nextValue is due.
  var x = o;
  var pending = false;
  var done = false;
  var v = 0.0;
  var t = ro.t_begin;
  var z = HeadVec();
  loop {
    let vx = critic_value(x);
    var ready = true;
    if (pending) {
      if (live) { traj[tb + 3u * stride + t * n + e] = vx; }
      t = t + 1u;
      pending = false;
      if (done) {
        o = env_observe(s);
        x = o;
        ready = false;
      } else {
        o = x;
        v = vx;
      }
    } else {
      v = vx;
    }
    let fin = t >= ro.t_end;
    if (all_lanes(fin)) { break; }
    if (UNIFORM_NETS) { actor_out(o, &z); }
    if (ready && !fin) {
      if (!UNIFORM_NETS) { actor_out(o, &z); }
      let i = t * n + e;
      let smp = sample_action(&z, rng_uniform4(seed, PURPOSE_ACTION, e, k, 0u));
      let len = s[ENV_STATE_DIM - 1u] + 1.0;
      var real_o = o;
      let r = env_step_autoreset(&s, smp.a, seed, e, k, &real_o);
      k = k + 1u;
      if (live) {
        for (var j = 0u; j < ENV_OBS_DIM; j++) { obs_out[ob + i * ENV_OBS_DIM + j] = o[j]; }
        traj[tb + stride + i] = v;
        for (var j = 0u; j < ENV_ACT_DIM; j++) { act_out[ab + i * ENV_ACT_DIM + j] = smp.a[j]; }
        traj[tb + i] = smp.logp;
        traj[tb + 2u * stride + i] = r.reward;
        flags[fb + i] = env_flags(r);
      }
      ep.x = ep.x + r.reward;
      done = r.terminated || r.truncated;
      if (done) {
        mm = vec4<f32>(min(mm.x, ep.x), max(mm.y, ep.x), 0.0, 0.0);
        ep = vec4<f32>(0.0, ep.y + ep.x, ep.z + len, ep.w + 1.0);
      }
      x = real_o;
      pending = true;
    }
  }
  if (!live) { return; }
  for (var j = 0u; j < ENV_STATE_DIM; j++) { env_state[eg * ENV_STATE_DIM + j] = s[j]; }
  step_count[eg] = k;
  episode[2u * eg] = ep;
  episode[2u * eg + 1u] = mm;
}
