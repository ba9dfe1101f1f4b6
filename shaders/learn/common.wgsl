// Shared declarations of the learner kernels (src/backends/gpu/learn/). Every learn kernel is composed
// as common.wgsl + (rng.wgsl where it permutes) + its own file. The TS twins of these structs are
// LEARN_PARAMS and LEARN_CTRL in src/backends/gpu/learn/layout.ts (pinned by tests/unit/learn-plan.test.ts).

// Per-update constants and the per-minibatch (or per-pass) fields. One 256-byte slot per minibatch in a
// table buffer; the learner copies slot k into the bound uniform buffer before minibatch k.
struct LearnParams {
  T: u32,
  N: u32,
  batch: u32,
  psiKind: u32,
  gamma: f32,
  lambda: f32,
  targetLambda: f32,
  baseline: f32,
  lossMode: u32,
  normAdv: u32,
  clipEps: f32,
  entCoef: f32,
  vfCoef: f32,
  klCoef: f32,
  targetKl: f32,
  maxGradNorm: f32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  adamEps: f32,
  rows: u32,
  mbStart: u32,
  slot: u32,
  firstOfEpoch: u32,
  lastOfEpoch: u32,
  gatherMode: u32,
  groups: u32,
  subSplit: u32,
  key0: u32,
  key1: u32,
  key2: u32,
  key3: u32,
  units: u32,
  gradCount: u32,
  gradStride: u32,
  unitRows: u32,
}

// Device-side control state of one update, written only by single-workgroup kernels (advstats,
// finalize, explained_variance) and read by the others. `stop`: target-KL early stop reached (later minibatches are no-ops);
// `apply`: the current minibatch's Adam step is taken (finite gradient and not stopped).
struct LearnCtrl {
  stop: u32,
  apply: u32,
  adamT: u32,
  nonFinite: u32,
  epochsRun: u32,
  stepsApplied: u32,
  clipCoef: f32,
  stepSize: f32,
  bc2Sqrt: f32,
  gradNorm: f32,
  advMean: f32,
  advInvStd: f32,
  count: f32,
  invCount: f32,
  // 1 − Var[R − V]/Var[R] of the update's batch (explained_variance.wgsl, once per update)
  explainedVariance: f32,
  // mean critic target of the batch, Σ R·valid / Σ valid (the same kernel; the variance pass's batch b)
  targetMean: f32,
}

// psi kinds (EstimatorKind order in core/types.ts ESTIMATORS)
const PSI_REINFORCE: u32 = 0u;
const PSI_RTG: u32 = 1u;
const PSI_BASELINE: u32 = 2u;
const PSI_TD: u32 = 3u;
const PSI_GAE: u32 = 4u;

// loss modes
const LOSS_PPO: u32 = 0u;
const LOSS_PG: u32 = 1u;
const LOSS_SCORE: u32 = 2u;

// flags bits of the rollout
const FLAG_TERMINATED: u32 = 1u;
const FLAG_TRUNCATED: u32 = 2u;
const FLAG_PADDING: u32 = 4u;

// Rows [start, end) of chunk c of the batch for split-K reductions: the batch is G groups (in
// group-major order, group g = units [⌊gU/G⌋, ⌊(g+1)U/G⌋) of `unitRows` rows each — U = units),
// each split into S sub-chunks of near-equal size.
fn chunk_bounds(c: u32, G: u32, S: u32, units: u32, unitRows: u32) -> vec2<u32> {
  let g = c / S;
  let s = c % S;
  let g0 = unitRows * u32((u64_mul_div(g, units, G)));
  let g1 = unitRows * u32((u64_mul_div(g + 1u, units, G)));
  let len = g1 - g0;
  let a = g0 + u32(u64_mul_div(s, len, S));
  let b = g0 + u32(u64_mul_div(s + 1u, len, S));
  return vec2<u32>(a, b);
}

// ⌊a·b / c⌋ for u32 a, b, c with a·b possibly ≥ 2³² (a ≤ c): exact by 16-bit long division.
fn u64_mul_div(a: u32, b: u32, c: u32) -> u32 {
  // a·b as (hi, lo)
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lolo = a_lo * b_lo;
  let mid = a_hi * b_lo + (lolo >> 16u);
  let mid2 = a_lo * b_hi + (mid & 0xffffu);
  var hi = a_hi * b_hi + (mid >> 16u) + (mid2 >> 16u);
  var lo = (mid2 << 16u) | (lolo & 0xffffu);
  // binary long division of (hi, lo) by c (quotient fits in 32 bits because a ≤ c)
  var q = 0u;
  var r = hi % c;
  for (var i = 0u; i < 32u; i = i + 1u) {
    let top = (r >> 31u) != 0u;
    r = (r << 1u) | (lo >> 31u);
    lo = lo << 1u;
    q = q << 1u;
    if (top || r >= c) {
      r = r - c;
      q = q | 1u;
    }
  }
  return q;
}
