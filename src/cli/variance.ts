/**
 * `policygrad variance`: several estimators' gradients on the same rollouts, with the exact gradient on
 * tiny envs; `--cosine`: their cosine similarity vs the number of state-action pairs per estimate
 * (src/train/variance-lab.ts `cosineVsSamples`). A progress bar on stderr when it is a terminal;
 * `--out DIR` writes the table as CSV and everything as JSON (the cosine curve after every point, so
 * an interrupted run keeps what it measured).
 */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { configFromStrings, FIELDS, type Config } from '../core/config';
import { ConfigError } from '../core/errors';
import { ESTIMATORS, type EstimatorKind, type VarianceStats } from '../core/types';
import { makeEnv } from '../envs';
import { parseAdapterChoice } from '../backends/gpu/device';
import { COSINE_SAMPLES, cosineVsSamples, parseSamplesList, REFERENCE_PAIRS, VarianceLab, type CosineCurve } from '../train/variance-lab';
import { outDir } from './bench';
import { writeAtomic } from './io';
import { givenConfigStrings } from './options';
import { flagError, intFlag, listFlag, oneOfFlag } from './flags';
import { versions } from './runinfo';

/** The range of --reference-pairs: at least 10⁶ by default; fewer only to try things out quickly. */
const REFERENCE_MIN = 1024;
const REFERENCE_MAX = 2 ** 26;
/** K, the independent estimates per point of --cosine, unless --groups is given */
const COSINE_GROUPS = 16;

export async function varianceCommand(opts: Record<string, unknown>): Promise<number> {
  const kinds = listFlag('estimators', opts.estimators, ESTIMATORS) as EstimatorKind[];
  oneOfFlag('critic', opts.critic, ['exact', 'init']);
  if (opts.adapter !== undefined) process.env.POLICYGRAD_ADAPTER = parseAdapterChoice(String(opts.adapter), '--adapter');
  const out = opts.out === undefined ? undefined : String(opts.out);
  if (opts.cosine) return cosineCommand(opts, kinds, out);
  if (opts.samplesList !== undefined || opts.referencePairs !== undefined) throw new ConfigError('cosine', false, '--samples-list and --reference-pairs with --cosine', 'invalid --samples-list/--reference-pairs without --cosine (allowed: with --cosine)');
  const samples = intFlag('samples', opts.samples, 2, FIELDS.numEnvs.max);
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
  const dir = out === undefined ? undefined : outDir(out);
  const bar = progressBar(opts, 'variance |{bar}| {value}/{total} {stage}', 2, 'collecting');
  // the initial policy, the exact V^π in the critic table on the tiny envs (unless --critic init), one rollout
  let lab: VarianceLab;
  let v: VarianceStats;
  try {
    lab = await VarianceLab.open(
      { config, kinds, groups: config.varianceGroups, critic: opts.critic !== 'init' ? 'exact' : 'as-is' },
      { notice: (m) => process.stderr.write(`policygrad: ${m}\n`) },
    );
    bar?.update(1, { stage: 'estimating' });
    try {
      v = await lab.estimates();
    } catch (e) {
      lab.dispose();
      throw e;
    }
    bar?.update(2, { stage: 'done' });
  } catch (e) {
    // the engine's env count is --samples here: name the flag the user gave
    if (e instanceof ConfigError && e.field === 'numEnvs') throw flagError('samples', samples, e.allowed.replace('numEnvs', 'samples'));
    throw e;
  } finally {
    bar?.stop();
  }
  try {
    const ref = v.reference;
    const lines = v.estimators.map((e) => ({
      event: 'variance', env: config.env, estimator: e.kind, groups: v.groups, env_steps: v.envSteps,
      mean: [...e.mean], trace_cov: e.traceCov, snr: e.snr, exact: ref ? [...ref] : null, bias2: e.bias2 ?? null,
      // under an unbiased estimator E‖mean − exact‖² = tr Σ / G, so this ratio is ≈ 1 (≫ 1 means bias)
      bias2_over_se2: e.bias2 !== undefined ? e.bias2 / (e.traceCov / v.groups) : null,
    }));
    if (dir) {
      const cols = ['estimator', 'groups', 'env_steps', 'trace_cov', 'snr', 'bias2', 'bias2_over_se2'] as const;
      writeAtomic(join(dir, 'variance.csv'), toCsv(cols, lines.map((l) => cols.map((c) => l[c]))));
      writeAtomic(join(dir, 'variance.json'), JSON.stringify({ event: 'variance', estimators: lines, ...info(config, lab.backend, lab.engine.where) }, null, 2) + '\n');
    }
    if (opts.json) {
      for (const l of lines) process.stdout.write(JSON.stringify(l) + '\n');
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
      printTable(head, rows);
      if (dir) process.stdout.write(`results in ${dir} (variance.csv, variance.json)\n`);
    }
  } finally {
    lab.dispose();
  }
  return 0;
}

/** `--cosine`: the cosine-vs-samples table, one row per n, a column per estimator, for each measure. */
async function cosineCommand(opts: Record<string, unknown>, kinds: EstimatorKind[], out: string | undefined): Promise<number> {
  if (opts.samples !== undefined && opts.samples !== '20000') throw new ConfigError('samples', opts.samples, '--samples-list with --cosine', 'invalid --samples with --cosine (allowed: --samples-list, the state-action pairs per estimate)');
  const samples = parseSamplesList(String(opts.samplesList ?? COSINE_SAMPLES.join(',')));
  const referencePairs = intFlag('reference-pairs', opts.referencePairs ?? String(REFERENCE_PAIRS), REFERENCE_MIN, REFERENCE_MAX);
  const given = givenConfigStrings(opts, ['numEnvs']);
  const strings: Record<string, string> = { ...given };
  // the rollout length divides every n unless --num-steps is given
  if (given.numSteps === undefined) strings.numSteps = String(Math.min(FIELDS.numSteps.default, samples[0]));
  if (given.varianceGroups === undefined) strings.varianceGroups = String(COSINE_GROUPS);
  const config = configFromStrings(strings);
  const dir = out === undefined ? undefined : outDir(out);
  const tiny = makeEnv(config.env).tabular !== undefined;
  const bar = progressBar(opts, 'cosine |{bar}| {value}/{total} points | n = {n}', samples.length, '', { n: '-' });
  const save = (c: CosineCurve, complete: boolean) => {
    if (!dir) return;
    const cols = ['samples', 'pairs', 'envs', 'estimator', 'pairwise_cosine', 'cosine_to_reference'] as const;
    writeAtomic(join(dir, 'cosine.csv'), toCsv(cols, cosineLines(c).map((l) => cols.map((k) => l[k]))));
    writeAtomic(join(dir, 'cosine.json'), JSON.stringify({ event: 'cosine', complete, curve: c, ...info(config, c.backend, c.where) }, null, 2) + '\n');
  };
  let curve: CosineCurve;
  try {
    curve = await cosineVsSamples(
      {
        config, kinds, samples, referencePairs, critic: opts.critic !== 'init' ? 'exact' : 'as-is',
        onPoint: (c, done) => {
          bar?.update(done, { n: c.samples[done - 1] });
          save(c, done === samples.length);
        },
      },
      { notice: (m) => process.stderr.write(`policygrad: ${m}\n`) },
    );
  } finally {
    bar?.stop();
  }
  const refLine = { event: 'cosine-reference', env: curve.env, reference: curve.reference, pairs: curve.referencePairs ?? null, seconds: curve.referenceSeconds ?? null, wall_seconds: curve.referenceWallSeconds ?? null, backend: curve.backend, adapter: curve.where };
  if (opts.json) {
    process.stdout.write(JSON.stringify(refLine) + '\n');
    for (const l of cosineLines(curve)) process.stdout.write(JSON.stringify({ event: 'cosine', env: curve.env, groups: curve.groups, reference: curve.reference, ...l }) + '\n');
    return 0;
  }
  const refText2 = tiny ? `the exact ∇J${opts.critic !== 'init' ? ' (critic = exact V)' : ''}` : `the reward-to-go mean of ${curve.referencePairs} pairs (other seeds), ${curve.referenceSeconds?.toFixed(2)} s on ${curve.where} (${curve.referenceWallSeconds?.toFixed(2)} s with building the engines)`;
  process.stdout.write(`${curve.env}: cosine similarity vs state-action pairs per estimate, K = ${curve.groups} estimates per point, γ=${config.gamma}, λ=${config.lambda}; reference = ${refText2}\n`);
  const head = ['n', 'pairs', ...kinds];
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '—');
  for (const [title, m] of [['mean pairwise cosine', curve.pairwise], [`mean cosine to ${tiny ? 'the exact ∇J' : 'the reference'}`, curve.toReference]] as const) {
    process.stdout.write(`\n${title}\n`);
    printTable(head, curve.samples.map((n, i) => [String(n), curve.pairs[i].toFixed(1), ...kinds.map((k) => f(m[k][i]))]));
  }
  if (dir) process.stdout.write(`results in ${dir} (cosine.csv, cosine.json)\n`);
  return 0;
}

/** One flat record per (point, estimator): the --json lines and the CSV rows. */
function cosineLines(c: CosineCurve) {
  return c.samples.flatMap((n, i) => c.kinds.map((k) => ({
    samples: n, pairs: c.pairs[i], envs: c.envs[i], estimator: k,
    pairwise_cosine: nullIfNaN(c.pairwise[k][i]), cosine_to_reference: nullIfNaN(c.toReference[k][i]),
  })));
}

/** What a result file records so it can be repeated (as `train`'s summary.json). */
function info(config: Config, backend: string, adapter: string): Record<string, unknown> {
  return { versions: versions(), backend, adapter, config };
}

/** cli-progress on stderr when it is a terminal and stdout is not JSON (as `train`). */
function progressBar(opts: Record<string, unknown>, format: string, total: number, stage: string, payload: Record<string, unknown> = {}): cliProgress.SingleBar | undefined {
  if (!process.stderr.isTTY || opts.json) return undefined;
  const bar = new cliProgress.SingleBar({ format, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { stage, ...payload });
  return bar;
}

function printTable(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd() + '\n');
}

function toCsv(cols: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cell = (v: unknown) => (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : String(v));
  return [cols.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

function nullIfNaN(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
