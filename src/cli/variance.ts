/** `policygrad variance`: several estimators' gradients on the same rollouts, with the exact gradient on tiny envs. */
import { configFromStrings, FIELDS } from '../core/config';
import { ConfigError } from '../core/errors';
import { ESTIMATORS, type EstimatorKind } from '../core/types';
import { makeEnv } from '../envs';
import { VarianceLab } from '../train/variance-lab';
import { givenConfigStrings } from './options';

export async function varianceCommand(opts: Record<string, unknown>): Promise<number> {
  const kinds = String(opts.estimators).split(',').map((s) => s.trim()) as EstimatorKind[];
  for (const k of kinds) {
    if (!(ESTIMATORS as readonly string[]).includes(k)) throw new ConfigError('estimators', k, `a comma-separated list of ${ESTIMATORS.join(', ')}`, `invalid --estimators: ${JSON.stringify(k)} (allowed: ${ESTIMATORS.join(', ')})`);
  }
  const samplesText = String(opts.samples);
  const samples = Number(samplesText);
  if (!/^\d+$/.test(samplesText.trim()) || samples < 2 || samples > FIELDS.numEnvs.max) {
    throw new ConfigError('samples', samplesText, `an integer 2 ≤ samples ≤ ${FIELDS.numEnvs.max}`, `invalid --samples: ${JSON.stringify(samplesText)} (allowed: an integer 2 ≤ samples ≤ ${FIELDS.numEnvs.max})`);
  }
  const given = givenConfigStrings(opts, ['numEnvs']);
  const envName = (given.env ?? FIELDS.env.default) as Parameters<typeof makeEnv>[0];
  const env = makeEnv(configFromStrings({ env: envName }).env);
  const tiny = env.tabular !== undefined;
  const strings: Record<string, string> = { ...given, numEnvs: String(samples) };
  if (tiny && given.numSteps === undefined) strings.numSteps = String(env.horizon);
  if (given.varianceGroups === undefined) strings.varianceGroups = String(Math.min(100, samples));
  const config = configFromStrings(strings);
  if (tiny && config.numSteps < env.horizon) {
    throw new ConfigError('numSteps', config.numSteps, `an integer horizon ${env.horizon} ≤ num-steps ≤ ${FIELDS.numSteps.max} (each env's first episode must end inside the rollout)`);
  }
  // the initial policy, the exact V^π in the critic table on the tiny envs (unless --critic init), one rollout
  const lab = await VarianceLab.open(
    { config, kinds, groups: config.varianceGroups, critic: opts.critic !== 'init' ? 'exact' : 'as-is' },
    { notice: (m) => process.stderr.write(`policygrad: ${m}\n`) },
  );
  try {
    const v = await lab.estimates();
    const ref = v.reference;
    if (opts.json) {
      for (const e of v.estimators) {
        process.stdout.write(JSON.stringify({
          event: 'variance', env: config.env, estimator: e.kind, groups: v.groups, env_steps: v.envSteps,
          mean: [...e.mean], trace_cov: e.traceCov, snr: e.snr, exact: ref ? [...ref] : null, bias2: e.bias2 ?? null,
          // under an unbiased estimator E‖mean − exact‖² = tr Σ / G, so this ratio is ≈ 1 (≫ 1 means bias)
          bias2_over_se2: e.bias2 !== undefined ? e.bias2 / (e.traceCov / v.groups) : null,
        }) + '\n');
      }
    } else {
      const vec = (a: ArrayLike<number>) => `[${Array.from(a).slice(0, 6).map((x) => x.toFixed(4)).join(', ')}${a.length > 6 ? ', …' : ''}]`;
      process.stdout.write(`${config.env}: ${samples} trajectories, ${v.groups} groups, ${v.envSteps} env steps, γ=${config.gamma}, λ=${config.lambda}\n`);
      if (ref) process.stdout.write(`exact ∇J ${vec(ref)}${opts.critic !== 'init' ? '  (critic = exact V, visitation-weighted over aliased states)' : ''}\n`);
      const head = ['estimator', 'trace cov', 'SNR', ...(ref ? ['bias²', 'bias²/(tr/G)'] : []), 'mean gradient'];
      const rows = v.estimators.map((e) => [
        e.kind, e.traceCov.toExponential(3), e.snr.toFixed(4),
        ...(ref ? [(e.bias2 ?? NaN).toExponential(2), ((e.bias2 ?? NaN) / (e.traceCov / v.groups)).toFixed(2)] : []),
        vec(e.mean),
      ]);
      const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => c.padEnd(w[i])).join('  ') + '\n');
    }
  } finally {
    lab.dispose();
  }
  return 0;
}
