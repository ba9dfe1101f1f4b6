// Reverse scan over time for Ψ_t and the critic target, one thread per env (src/estimators/returns.ts
// is the reference; tests/gpu/learn-scan.test.ts pins the two). Time-major [T][N], i = t·N + e.
//   linked_t = [t < T−1]·(1 − term_t)·(1 − trunc_t)·valid_t·valid_{t+1}
//   boot_t   = (1 − term_t)·V'_t
//   δ_t = r_t + γ boot_t − V_t
//   G_t = r_t + γ (linked_t ? G_{t+1} : boot_t)                  reward-to-go (bootstrapped if cut)
//   Â_t = δ_t + γλ linked_t Â_{t+1}                              GAE(γ, λ)
//   target_t = Â_t(γ, λ_target) + V_t                            (λ_target = 1 → G_t)
//   Ψ: reinforce R = G_{t₀} of the segment start, rtg G_t, baseline G_t − b, actor-critic δ_t, gae Â_t.
// Output aux[i] = (Ψ_t, target_t, log π_old, valid) — the per-sample record the minibatch gather reads.

@group(0) @binding(0) var<uniform> P: LearnParams;
@group(0) @binding(1) var<storage, read> rewards: array<f32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read> nextValues: array<f32>;
@group(0) @binding(4) var<storage, read> logp: array<f32>;
@group(0) @binding(5) var<storage, read> flags: array<u32>;
@group(0) @binding(6) var<storage, read_write> aux: array<vec4<f32>>;

override WG_SIZE: u32 = 64u;

fn is_linked(t: u32, i: u32) -> bool {
  if (t + 1u >= P.T) { return false; }
  let f = flags[i];
  if ((f & (FLAG_TERMINATED | FLAG_TRUNCATED | FLAG_PADDING)) != 0u) { return false; }
  return (flags[i + P.N] & FLAG_PADDING) == 0u;
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * (nwg.x * WG_SIZE);
  if (e >= P.N) { return; }
  let N = P.N;
  let gamma = P.gamma;
  let gl = P.gamma * P.lambda;
  let glt = P.gamma * P.targetLambda;
  var G = 0.0;
  var A = 0.0;
  var At = 0.0;
  for (var tt = 0u; tt < P.T; tt = tt + 1u) {
    let t = P.T - 1u - tt;
    let i = t * N + e;
    let f = flags[i];
    let lp = logp[i];
    let V = values[i];
    if ((f & FLAG_PADDING) != 0u) {
      G = 0.0;
      A = 0.0;
      At = 0.0;
      aux[i] = vec4<f32>(0.0, V, lp, 0.0);
      continue;
    }
    let linked = is_linked(t, i);
    var boot = nextValues[i];
    if ((f & FLAG_TERMINATED) != 0u) { boot = 0.0; }
    let r = rewards[i];
    let delta = r + gamma * boot - V;
    if (linked) {
      G = r + gamma * G;
      A = delta + gl * A;
      At = delta + glt * At;
    } else {
      G = r + gamma * boot;
      A = delta;
      At = delta;
    }
    var psi = A;
    switch (P.psiKind) {
      case 0u, 1u: { psi = G; }
      case 2u: { psi = G - P.baseline; }
      case 3u: { psi = delta; }
      default: { psi = A; }
    }
    aux[i] = vec4<f32>(psi, At + V, lp, 1.0);
  }
  if (P.psiKind == PSI_REINFORCE) {
    // R of the segment = G at its first step in the rollout, copied forward along the segment
    for (var t = 1u; t < P.T; t = t + 1u) {
      let i = t * N + e;
      if (is_linked(t - 1u, i - N)) {
        aux[i].x = aux[i - N].x;
      }
    }
  }
}
