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
 */
import type { Config } from '../core/config';
import { UserError } from '../core/errors';
import type { Backend, Engine, EstimatorKind, VarianceStats } from '../core/types';
import { makeEnv, tabularModelOf } from '../envs';
import { exactGradient } from '../estimators/exact';
import { bias2 } from '../estimators/variance';
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
    const warmup = spec.warmup ?? 0;
    const base: Config = { ...spec.config, varianceEvery: 0 };
    if (env.tabular) base.numSteps = Math.max(base.numSteps, env.horizon);
    base.totalSteps = Math.max(base.totalSteps, (warmup + 2) * base.numEnvs * base.numSteps);
    let params: Float32Array | undefined;
    if (warmup > 0) {
      const warm = await startTrainer(base, opts);
      try {
        for (let u = 0; u < warmup; u++) {
          await warm.trainer.runUpdate();
          await spec.onWarmupUpdate?.(u);
        }
        params = await warm.trainer.engine.getParams();
      } finally {
        warm.trainer.dispose();
      }
    }
    const fresh = await startTrainer(base, opts);
    try {
      const engine = fresh.trainer.engine;
      if (params) {
        const snap = await engine.snapshot();
        snap.params = params;
        await engine.restore(snap);
      }
      if (spec.critic === 'exact' && env.tabular) await setExactCritic(engine);
      await engine.collect();
      if (spec.config.backend === 'gpu' && fresh.backend === 'cpu') opts.notice?.(`${fresh.detail}.`, 'warn');
      return { trainer: fresh.trainer, params: params ?? (await engine.getParams()), backend: fresh.backend };
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
    try {
      return await this.engine.gradientEstimates(this.kinds, this.spec.groups, { ...(lambda !== undefined ? { lambda } : {}), episodes: this.tiny ? 'first' : 'all' });
    } catch (e) {
      if (!this.opts.fallback || this.backend !== 'gpu' || !(e instanceof UserError)) throw e;
      this.opts.notice?.(`${e.message}; using the CPU engine.`, 'warn');
      const cpu = await VarianceLab.freeze({ ...this.spec, config: { ...this.spec.config, backend: 'cpu' } }, this.opts);
      this.trainer.dispose();
      this.trainer = cpu.trainer;
      this.params = cpu.params;
      this.backend = cpu.backend;
      return this.estimates(lambda);
    }
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
