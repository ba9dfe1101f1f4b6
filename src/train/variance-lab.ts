/**
 * The variance lab, one procedure for `policygrad variance` (src/cli/variance.ts) and the page's
 * variance lab (the worker, src/ui/worker.ts):
 *
 *   1. warm up: train `warmup` updates (actor and critic) — skipped when 0 (the initial parameters)
 *   2. freeze: the same parameters on a fresh engine (fresh envs from reset, same seed)
 *   3. tiny envs with critic 'exact': the critic table holds the exact V^π of the frozen policy
 *   4. one rollout; then gradient statistics of several Ψ on it for any λ (common random numbers)
 *
 * On the tiny envs the estimates use each env's first complete episode (numSteps is raised to the
 * horizon) and carry the exact ∇J; elsewhere, with `monteCarloReference`, reward-to-go is computed
 * too and its mean stands in for ∇J in bias² (`bias2Of`).
 *
 * `VarianceLab.frames` (the page's "▶ accumulate") regroups the same rollout: the estimates of the
 * first n = 1, 2, 4, … envs of each group, so the histograms tighten ~1/√n on common random numbers.
 *
 * `cosineVsSamples` (`policygrad variance --cosine`, the page's cosine panel) repeats steps 2–4 for
 * each number of state-action pairs n per estimate, with fresh rollouts sized to n.
 */
import { FIELDS, validateConfig, type Config } from '../core/config';
import { ConfigError, UserError } from '../core/errors';
import type { Backend, Engine, EstimatorKind, VarianceStats } from '../core/types';
import { makeEnv, tabularModelOf } from '../envs';
import { exactGradient } from '../estimators/exact';
import { bias2 } from '../estimators/variance';
import { initParams } from '../policy/init';
import { netLayout, netSpecFor, setTabularValues } from '../policy/layout';
import { startTrainer, type StartOptions, type Trainer } from './trainer';

export interface VarianceLabSpec {
  config: Config;
  kinds: readonly EstimatorKind[];
  /** disjoint env groups G of the per-group gradient estimates */
  groups: number;
  /** updates trained before the policy is frozen (default 0) */
  warmup?: number;
  /** tiny envs: 'exact' writes the exact V^π into the critic table; 'as-is' (default) keeps the critic */
  critic?: 'exact' | 'as-is';
  /** non-tabular envs: add reward-to-go, whose mean is the reference of bias² (the page) */
  monteCarloReference?: boolean;
  /** called after each warm-up update (the worker yields to its message loop) */
  onWarmupUpdate?: (update: number) => Promise<void> | void;
}

/** Per-estimator bias² and variance over a λ grid (only 'gae' changes with λ). */
export interface VarianceSweep {
  lambdas: number[];
  /** per estimator kind: bias², trace of covariance (variance), per λ */
  bias2: Record<string, number[]>;
  variance: Record<string, number[]>;
}

/**
 * bias² of estimator `kind`: against the exact ∇J when the engine knows it, else against the
 * reward-to-go mean (a Monte-Carlo reference); NaN when neither is there.
 */
export function bias2Of(stats: VarianceStats, kind: string): number {
  const e = stats.estimators.find((s) => s.kind === kind);
  if (!e) return NaN;
  if (e.bias2 !== undefined) return e.bias2;
  const ref = stats.estimators.find((s) => s.kind === 'reinforce-rtg')?.mean;
  return ref ? bias2(e.mean, ref, ref.length) : NaN;
}

/**
 * The critic values of a tabular env under the exact V^π of the policy `actor` (logits [nObs][nA]):
 * V(o) = Σ_{s: obs(s)=o} d(s) V(s) / Σ d(s) — V itself where the observation identifies the state,
 * the visitation-weighted mean where states are aliased (corridor: the best a critic that cannot tell
 * the states apart can do).
 */
export function exactCriticValues(env: string, actor: ArrayLike<number>, gamma: number): Float64Array {
  const model = tabularModelOf(makeEnv(env));
  if (!model) throw new UserError(`${env} has no exact model`);
  const ex = exactGradient(model, actor, gamma);
  const values = new Float64Array(model.nObs);
  for (let o = 0; o < model.nObs; o++) {
    let num = 0;
    let den = 0;
    for (let st = 0; st < model.nStates; st++) {
      if (model.obsOf[st] !== o) continue;
      num += ex.d[st] * ex.V[st];
      den += ex.d[st];
    }
    values[o] = den > 0 ? num / den : 0;
  }
  return values;
}

/** Set a tabular engine's critic to the exact V^π of its current policy. */
async function setExactCritic(engine: Engine): Promise<void> {
  const cfg = engine.config;
  const layout = netLayout(netSpecFor(makeEnv(cfg.env), cfg));
  const s = await engine.snapshot();
  setTabularValues(layout, s.params, exactCriticValues(cfg.env, s.params.subarray(0, layout.actorSize), cfg.gamma));
  await engine.restore(s);
}

/**
 * Step 1: the parameters after `warmup` updates of a run with `config` (actor and critic); undefined
 * when warmup is 0 (the engine's initial parameters).
 */
async function warmParams(config: Config, warmup: number, opts: StartOptions, onUpdate?: (update: number) => Promise<void> | void): Promise<Float32Array | undefined> {
  if (warmup <= 0) return undefined;
  const warm = await startTrainer({ ...config, totalSteps: Math.max(config.totalSteps, (warmup + 2) * config.numEnvs * config.numSteps) }, opts);
  try {
    for (let u = 0; u < warmup; u++) {
      await warm.trainer.runUpdate();
      await onUpdate?.(u);
    }
    return await warm.trainer.engine.getParams();
  } finally {
    warm.trainer.dispose();
  }
}

/**
 * Steps 2–3: a fresh engine for `config` (envs from reset) holding `params` (its own initial ones
 * when undefined) and, on the tiny envs with critic 'exact', the exact V^π in the critic table.
 */
async function frozenEngine(config: Config, params: Float32Array | undefined, critic: 'exact' | 'as-is' | undefined, opts: StartOptions): Promise<{ trainer: Trainer; backend: Backend }> {
  const fresh = await startTrainer(config, opts);
  try {
    const engine = fresh.trainer.engine;
    if (params) {
      const snap = await engine.snapshot();
      snap.params = params;
      await engine.restore(snap);
    }
    if (critic === 'exact' && makeEnv(config.env).tabular) await setExactCritic(engine);
    if (config.backend === 'gpu' && fresh.backend === 'cpu') opts.notice?.(`${fresh.detail}.`, 'warn');
    return { trainer: fresh.trainer, backend: fresh.backend };
  } catch (e) {
    fresh.trainer.dispose();
    throw e;
  }
}

/** One frozen policy and one collected rollout, on which gradient statistics are taken for any λ. */
export class VarianceLab {
  /** the estimator kinds computed (the requested ones, plus reward-to-go for a Monte-Carlo reference) */
  readonly kinds: EstimatorKind[];
  readonly tiny: boolean;

  private constructor(
    private readonly spec: VarianceLabSpec,
    private readonly opts: StartOptions,
    private trainer: Trainer,
    /** the frozen parameters (actor then critic) */
    public params: Float32Array,
    /** the backend the lab runs on and, after a fallback, why */
    public backend: Backend,
  ) {
    this.tiny = makeEnv(spec.config.env).tabular !== undefined;
    this.kinds = [...new Set([...spec.kinds, ...(!this.tiny && spec.monteCarloReference ? (['reinforce-rtg'] as const) : [])])];
  }

  /**
   * Warm up, freeze, collect (steps 1–4 above). `opts` chooses the backend as `startTrainer` does;
   * with `opts.fallback` an engine that cannot compute these estimates hands over to the CPU engine.
   */
  static async open(spec: VarianceLabSpec, opts: StartOptions = {}): Promise<VarianceLab> {
    const { trainer, params, backend } = await VarianceLab.freeze(spec, opts);
    return new VarianceLab(spec, opts, trainer, params, backend);
  }

  private static async freeze(spec: VarianceLabSpec, opts: StartOptions): Promise<{ trainer: Trainer; params: Float32Array; backend: Backend }> {
    const env = makeEnv(spec.config.env);
    const base: Config = { ...spec.config, varianceEvery: 0 };
    if (env.tabular) base.numSteps = Math.max(base.numSteps, env.horizon);
    base.totalSteps = Math.max(base.totalSteps, ((spec.warmup ?? 0) + 2) * base.numEnvs * base.numSteps);
    const params = await warmParams(base, spec.warmup ?? 0, opts, spec.onWarmupUpdate);
    const fresh = await frozenEngine(base, params, spec.critic, opts);
    try {
      await fresh.trainer.engine.collect();
      return { trainer: fresh.trainer, params: params ?? (await fresh.trainer.engine.getParams()), backend: fresh.backend };
    } catch (e) {
      fresh.trainer.dispose();
      throw e;
    }
  }

  get engine(): Engine {
    return this.trainer.engine;
  }
  get config(): Config {
    return this.trainer.config;
  }
  /** the env groups of the estimates */
  get groups(): number {
    return this.spec.groups;
  }

  /**
   * Gradient statistics of every kind on the collected rollout, with the critic's λ for 'gae'
   * (default: config.lambda). With `fallback`, an engine that cannot do this estimate (e.g.
   * per-episode estimates on the GPU) hands over to the CPU engine: the lab is rebuilt there.
   */
  async estimates(lambda?: number): Promise<VarianceStats> {
    return this.estimatesIn(this.spec.groups, lambda);
  }

  /** `estimates` with the envs in `groups` contiguous groups (the engine's grouping), with the same fallback. */
  private async estimatesIn(groups: number, lambda?: number): Promise<VarianceStats> {
    try {
      return await this.engine.gradientEstimates(this.kinds, groups, { ...(lambda !== undefined ? { lambda } : {}), episodes: this.tiny ? 'first' : 'all' });
    } catch (e) {
      if (!this.opts.fallback || this.backend !== 'gpu' || !(e instanceof UserError)) throw e;
      this.opts.notice?.(`${e.message}; using the CPU engine.`, 'warn');
      const cpu = await VarianceLab.freeze({ ...this.spec, config: { ...this.spec.config, backend: 'cpu' } }, this.opts);
      this.trainer.dispose();
      this.trainer = cpu.trainer;
      this.params = cpu.params;
      this.backend = cpu.backend;
      return this.estimatesIn(groups, lambda);
    }
  }

  /**
   * The accumulation frames (the page's "▶ accumulate"): for each n in `accumulationSizes`, the
   * estimates of the same G groups from only the first n envs of each. The engine's group j of
   * numEnvs/n groups is exactly envs [j·n, (j+1)·n), so group g's prefix of n envs is the engine's
   * group g·m/n (m = numEnvs/G): each frame is `gradientEstimates` on those envs, same rollout, same
   * random numbers. tr Cov and the mean of a frame are over all numEnvs/n groups of n envs (the G
   * prefixes are a subset), so E[tr Cov] ∝ 1/n while the mean is that of all envs in every frame.
   * The last frame (n = m) is `estimates(lambda)`.
   */
  async frames(lambda?: number): Promise<VarianceFrames> {
    const N = this.config.numEnvs;
    const G = this.spec.groups;
    const sizes = accumulationSizes(N, G);
    const out: VarianceFrames = { groups: G, envsPerGroup: N / G, frames: [] };
    for (const n of sizes) {
      const s = await this.estimatesIn(N / n, lambda);
      const step = N / G / n;
      const frame: VarianceFrame = { n, groups: s.groups, projections: {}, traceCov: {}, meanU: {} };
      for (const e of s.estimators) {
        frame.projections[e.kind] = Float64Array.from({ length: G }, (_, g) => e.projections[g * step]);
        frame.traceCov[e.kind] = e.traceCov;
        let m = 0;
        for (let j = 0; j < s.direction.length; j++) m += e.mean[j] * s.direction[j];
        frame.meanU[e.kind] = m;
      }
      out.frames.push(frame);
    }
    return out;
  }

  /** bias² and variance of every kind at each λ (the same rollout for every λ). */
  async sweep(lambdas: readonly number[]): Promise<VarianceSweep> {
    const out: VarianceSweep = { lambdas: [...lambdas], bias2: {}, variance: {} };
    for (const k of this.kinds) {
      out.bias2[k] = [];
      out.variance[k] = [];
    }
    for (const lambda of lambdas) {
      const s = await this.estimates(lambda);
      for (const k of this.kinds) {
        out.bias2[k].push(bias2Of(s, k));
        out.variance[k].push(s.estimators.find((e) => e.kind === k)?.traceCov ?? NaN);
      }
    }
    return out;
  }

  /** The frozen policy's actor parameters when the env is tabular (the layout of `stats.reference`). */
  actor(stats: VarianceStats): number[] | undefined {
    return stats.reference ? Array.from(this.params.subarray(0, stats.reference.length)) : undefined;
  }

  dispose(): void {
    this.trainer.dispose();
  }
}

/** One frame of the accumulation animation: the estimates with n envs per group. */
export interface VarianceFrame {
  /** envs per group */
  n: number;
  /** groups of n envs behind traceCov and meanU (numEnvs / n) */
  groups: number;
  /** per kind: the G groups' estimates from the first n envs of each, projected on u */
  projections: Record<string, Float64Array>;
  /** per kind: trace of covariance of the estimates of n envs, and their mean projected on u */
  traceCov: Record<string, number>;
  meanU: Record<string, number>;
}

export interface VarianceFrames {
  /** G, and m = numEnvs / G envs per group (the last frame's n) */
  groups: number;
  envsPerGroup: number;
  frames: VarianceFrame[];
}

/**
 * The envs per group n of the accumulation frames: 1, 2, 4, … (the powers of two dividing m) and m =
 * numEnvs / groups itself. Needs numEnvs to be a multiple of groups (equal groups).
 */
export function accumulationSizes(numEnvs: number, groups: number): number[] {
  if (!(Number.isInteger(groups) && groups >= 2 && numEnvs % groups === 0)) {
    throw new ConfigError('numEnvs', numEnvs, `a multiple of groups G = ${groups}`, `the accumulation frames need equal groups: env count ${numEnvs} is not a multiple of groups G = ${groups}`);
  }
  const m = numEnvs / groups;
  const out: number[] = [];
  for (let n = 1; n < m && m % n === 0; n *= 2) out.push(n);
  out.push(m);
  return out;
}

/** State-action pairs per estimate of the cosine-vs-samples lab, by default. */
export const COSINE_SAMPLES: readonly number[] = [64, 256, 1024, 4096, 16384];
/** Pairs behind the Monte-Carlo reference gradient where no exact ∇J is known (≥ 10⁶). */
export const REFERENCE_PAIRS = 2 ** 20;
/** at most this many points on one curve */
const MAX_POINTS = 12;

export interface CosineSpec {
  /** the run's config; `varianceGroups` is K, the independent estimates per point */
  config: Config;
  kinds: readonly EstimatorKind[];
  /** n: state-action pairs per estimate, one point each (`parseSamplesList`) */
  samples: readonly number[];
  warmup?: number;
  /** tiny envs: 'exact' writes the exact V^π into the critic table (as VarianceLabSpec.critic) */
  critic?: 'exact' | 'as-is';
  /** pairs behind the Monte-Carlo reference (default REFERENCE_PAIRS) */
  referencePairs?: number;
  onWarmupUpdate?: (update: number) => Promise<void> | void;
  /** after each point, with the curve so far (a progress bar, partial files, a growing chart) */
  onPoint?: (curve: CosineCurve, done: number) => Promise<void> | void;
}

/** Cosine similarity vs samples per estimator (Ilyas et al., Fig. 1–2): one entry per point. */
export interface CosineCurve {
  env: string;
  /** K: independent estimates per point */
  groups: number;
  kinds: EstimatorKind[];
  /** 'exact': the exact ∇J of the tiny envs; 'monte-carlo': the reward-to-go mean over `referencePairs` pairs */
  reference: 'exact' | 'monte-carlo';
  referencePairs?: number;
  /** seconds to collect the reference rollouts and estimate them (engines already built), and with building them */
  referenceSeconds?: number;
  referenceWallSeconds?: number;
  backend: Backend;
  /** the engine's arithmetic in one line (Engine.where) */
  where: string;
  /** n as asked, the mean pairs per estimate actually used (tiny envs: whole first episodes), envs per point */
  samples: number[];
  pairs: number[];
  envs: number[];
  /** per kind, per point: mean pairwise cos(ĝ_g, ĝ_h), and mean cos(ĝ_g, reference) */
  pairwise: Record<string, number[]>;
  toReference: Record<string, number[]>;
}

/** The one error of a bad samples list: it names the CLI flag (the page shows the same line). */
function samplesError(value: string, allowed: string, label = '--samples-list'): ConfigError {
  return new ConfigError('samplesList', value, allowed, `invalid ${label}: ${JSON.stringify(value)} (allowed: ${allowed})`);
}

/**
 * The syntax of a samples list: 1–12 comma-separated integers 1 ≤ n ≤ 2²⁴ (sorted, duplicates dropped);
 * `label` names the input in the error (the CLI flag, or the page's field).
 */
export function parseSamplesList(text: string, label = '--samples-list'): number[] {
  const allowed = `a comma-separated list of 1–${MAX_POINTS} integers 1 ≤ n ≤ ${2 ** 24}`;
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw samplesError(text, allowed, label);
  const ns = [...new Set(parts.map(Number))].sort((a, b) => a - b);
  if (ns.length > MAX_POINTS || ns[0] < 1 || ns[ns.length - 1] > 2 ** 24) throw samplesError(text, allowed, label);
  return ns;
}

/** Expected undiscounted episode length of a tiny env under the tabular actor: Σ_s d(s) at γ = 1. */
function expectedEpisodeLength(envName: string, actor: ArrayLike<number>): number {
  const model = tabularModelOf(makeEnv(envName as Config['env']))!;
  const L = exactGradient(model, actor, 1).d.reduce((a, b) => a + b, 0);
  return Number.isFinite(L) && L > 0 ? L : makeEnv(envName as Config['env']).horizon;
}

/** A u32 seed unrelated to `seed`: the reference's trajectories share no random numbers with the estimates'. */
const referenceSeed = (seed: number): number => (seed + 0x9e3779b9) >>> 0;

/**
 * Cosine similarity vs the number of state-action pairs n per estimate, for each estimator:
 *   1. freeze the policy (warm-up as the variance lab; tiny envs: the exact V^π in the critic with 'exact')
 *   2. the reference: the exact ∇J on the tiny envs; elsewhere the reward-to-go mean over ≥ 10⁶ pairs
 *      of independent rollouts (other seeds; on the GPU in chunks its buffers hold), timed
 *   3. per n: a fresh rollout of K·m envs in K groups of m envs (m = n / num-steps; tiny envs: m first
 *      episodes, m = n / E[episode length]), and per estimator over the K group estimates the mean
 *      pairwise cosine and the mean cosine to the reference (Engine.gradientEstimates with `cosine`)
 * Per-episode estimates need the CPU engine: on the tiny envs a GPU request runs there (with a notice).
 */
export async function cosineVsSamples(spec: CosineSpec, opts: StartOptions = {}): Promise<CosineCurve> {
  const env = makeEnv(spec.config.env);
  const tiny = env.tabular !== undefined;
  const K = spec.config.varianceGroups;
  const base: Config = { ...spec.config, varianceEvery: 0 };
  if (tiny) {
    base.numSteps = Math.max(base.numSteps, env.horizon);
    if (base.backend === 'gpu') {
      opts.notice?.(`${env.name}: the first-episode estimates run on the CPU engine`, 'info');
      base.backend = 'cpu';
    }
  }
  const T = base.numSteps;
  const maxEnvs = FIELDS.numEnvs.max;
  const runConfig = (numEnvs: number, seed = base.seed): Config =>
    validateConfig({ ...base, numEnvs, seed, minibatches: Math.min(base.minibatches, numEnvs * T), totalSteps: Math.max(base.totalSteps, 2 * numEnvs * T) });
  if (!tiny) {
    const bad = spec.samples.find((n) => n % T !== 0 || (K * n) / T > maxEnvs);
    if (bad !== undefined) throw samplesError(spec.samples.join(','), `multiples of num-steps ${T}, ${T} ≤ n ≤ ${Math.floor(maxEnvs / K) * T} with ${K} groups`);
  }
  const layout = netLayout(netSpecFor(env, base));
  // both engines start from initParams(layout, seed)
  const params = (await warmParams(base, spec.warmup ?? 0, opts, spec.onWarmupUpdate)) ?? initParams(layout, base.seed);
  const Pa = layout.actorSize;
  const L = tiny ? expectedEpisodeLength(env.name, params.subarray(0, Pa)) : T;
  const envsFor = (n: number): number => (tiny ? Math.max(1, Math.round(n / L)) : n / T);
  if (tiny) {
    const bad = spec.samples.find((n) => K * envsFor(n) > maxEnvs);
    if (bad !== undefined) throw samplesError(spec.samples.join(','), `1 ≤ n ≤ ${Math.floor((Math.floor(maxEnvs / K) + 0.49) * L)} with ${K} groups (episodes of ${L.toFixed(2)} steps on average)`);
  }

  const curve: CosineCurve = {
    env: env.name, groups: K, kinds: [...spec.kinds], reference: tiny ? 'exact' : 'monte-carlo', backend: base.backend, where: '',
    samples: [], pairs: [], envs: [], pairwise: {}, toReference: {},
  };
  for (const k of spec.kinds) {
    curve.pairwise[k] = [];
    curve.toReference[k] = [];
  }
  let reference: Float64Array | undefined;
  if (!tiny) {
    const pairs = spec.referencePairs ?? REFERENCE_PAIRS;
    const n = Math.ceil(pairs / T);
    if (n > maxEnvs) throw new ConfigError('numSteps', T, `an integer ${Math.ceil(pairs / maxEnvs)} ≤ num-steps ≤ ${FIELDS.numSteps.max} (the reference's ${pairs} pairs in at most ${maxEnvs} envs)`);
    // the GPU's variance pass holds every row's activations in one buffer: chunks of ≤ 64 MiB of them
    // (each chunk its own envs from reset, another seed), averaged by their env counts
    const width = Math.max(env.obsDim, ...base.hidden);
    const chunk = base.backend === 'gpu' ? Math.max(1, Math.min(n, Math.floor(2 ** 24 / (width * T)))) : n;
    const sum = new Float64Array(Pa);
    const t0 = performance.now();
    let busy = 0;
    for (let e0 = 0, r = 0; e0 < n; e0 += chunk, r++) {
      const ne = Math.min(chunk, n - e0);
      const ref = await frozenEngine(runConfig(ne, (referenceSeed(base.seed) + r) >>> 0), params, spec.critic, opts);
      try {
        const t1 = performance.now();
        await ref.trainer.engine.collect();
        const s = await ref.trainer.engine.gradientEstimates(['reinforce-rtg'], 2, { episodes: 'all' });
        busy += performance.now() - t1;
        s.estimators[0].mean.forEach((x, j) => (sum[j] += x * ne));
      } finally {
        ref.trainer.dispose();
      }
    }
    curve.referenceSeconds = busy / 1000;
    curve.referenceWallSeconds = (performance.now() - t0) / 1000;
    curve.referencePairs = n * T;
    reference = sum.map((x) => x / n);
  }
  for (const n of spec.samples) {
    const N = K * envsFor(n);
    const run = await frozenEngine(runConfig(N), params, spec.critic, opts);
    try {
      const engine = run.trainer.engine;
      await engine.collect();
      const s = await engine.gradientEstimates(spec.kinds, K, { episodes: tiny ? 'first' : 'all', cosine: true, ...(reference ? { reference } : {}) });
      curve.backend = run.backend;
      curve.where = engine.where;
      curve.samples.push(n);
      curve.pairs.push(s.envSteps / s.groups);
      curve.envs.push(N);
      for (const e of s.estimators) {
        curve.pairwise[e.kind].push(e.pairwiseCosine ?? NaN);
        curve.toReference[e.kind].push(e.cosineToReference ?? NaN);
      }
    } finally {
      run.trainer.dispose();
    }
    await spec.onPoint?.(curve, curve.samples.length);
  }
  return curve;
}
