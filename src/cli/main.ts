/**
 * The `policygrad` command line: train, variance, bench. User errors (bad flags or values, bad
 * checkpoints, no GPU) print one line on stderr and exit with code 2; no stack traces for them.
 * A closed output pipe (`… --json | head -1`) ends any command quietly with code 0.
 */
import { Command, CommanderError } from 'commander';
import type { Config } from '../core/config';
import { ConfigError, UserError } from '../core/errors';
import { addConfigOptions, cliMessage, configFromOptions, configFromPreset, givenConfigStrings, withPresetOptions } from './options';
import { trainCommand } from './train';
import { varianceCommand } from './variance';
import { benchCommand } from './bench';
import { exportCommand } from './export';
import { exitQuietlyOnClosedPipe } from './io';
import { intFlag, numberFlag } from './flags';
import { parseAdapterChoice } from '../backends/gpu/device';

exitQuietlyOnClosedPipe();

function fail(msg: string): never {
  process.stderr.write(`policygrad: ${msg}\n`);
  process.exit(2);
}

const ADAPTER_HELP = 'WebGPU adapter in Node: default (the system\'s first; SwiftShader when none), swiftshader or lavapipe (scripts/install-lavapipe.sh); default: POLICYGRAD_ADAPTER, else default';

/**
 * `--adapter NAME` holds for the whole process: it is set as POLICYGRAD_ADAPTER, which every device
 * request reads (src/backends/gpu/device.ts), so an engine rebuilt after a lost device gets the same.
 */
function useAdapter(opts: Record<string, unknown>): void {
  if (opts.adapter === undefined) return;
  process.env.POLICYGRAD_ADAPTER = parseAdapterChoice(String(opts.adapter), '--adapter');
}

async function guard(fn: () => Promise<number>): Promise<void> {
  try {
    const code = await fn();
    process.exitCode = code;
  } catch (e) {
    if (e instanceof ConfigError) fail(cliMessage(e));
    if (e instanceof UserError) fail(e.message);
    throw e;
  }
}

const program = new Command('policygrad')
  .description('Policy-gradient agents on many parallel environments, on the CPU or with WebGPU.')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `policygrad: ${s.slice(7)}` : s) })
  .showSuggestionAfterError(true);

addConfigOptions(
  program
    .command('train')
    .description('train an agent (every hyperparameter is a flag)')
    .option('--json', 'print one JSON object per line (per update, then a summary)')
    .option('--out <dir>', 'write summary.json, curve.csv and checkpoint.json into DIR')
    .option('--resume <file>', 'continue from a checkpoint file (its config; only the flags given override it, no preset)')
    .option('--checkpoint-every <n>', 'with --out: also write the checkpoint every N updates')
    .option('--adapter <name>', ADAPTER_HELP)
    .option('--target-return <r>', 'stop once the mean return of the last 100 finished episodes reaches R, and say when (update, env steps, seconds)')
    .option('--set <changes...>', 'live hyperparameter changes to replay, U:field=value[,field=value] each (field: lambda, lr, ent-coef, clip): from update U on (repeatable; summary.json lists a run\'s changes this way)')
    .option('--seeds <n|list>', 'train the configuration once per seed (on the GPU backend batched: every seed\'s envs in one rollout dispatch, one parameter set each; on the CPU one after another): N seeds (--seed, --seed+1, …, --seed+N−1; --seed defaults to 1) or a comma-separated list (then no --seed); JSON lines carry "seed", curve.csv a seed column, --out writes checkpoint-seed<S>.json per seed, the summary the final return per seed and its mean, min, max and standard error; not with --resume')
    .exitOverride(),
).action((opts: Record<string, unknown>) =>
  guard(async () => {
    useAdapter(opts);
    if (opts.targetReturn !== undefined) numberFlag('target-return', opts.targetReturn);
    const given = givenConfigStrings(opts);
    // defaults ← the env × algo preset ← the flags given (src/core/presets.ts)
    const config = configFromPreset(given);
    if (opts.checkpointEvery !== undefined) intFlag('checkpoint-every', opts.checkpointEvery, 0);
    // with --resume, only the flags actually given override the checkpoint's config
    const partial = Object.fromEntries(Object.keys(given).map((k) => [k, config[k as keyof Config]])) as Partial<Config>;
    return trainCommand(config, partial, opts);
  }),
);

addConfigOptions(
  program
    .command('variance')
    .description('gradient estimates of several estimators on the same rollouts: mean, trace of covariance, SNR, bias')
    .option('--estimators <list>', 'comma-separated: reinforce, reinforce-rtg, reinforce-baseline, actor-critic, gae', 'reinforce,reinforce-rtg,reinforce-baseline,actor-critic,gae')
    .option('--critic <which>', 'tiny envs: exact (the critic table holds the exact V^π) or init (as initialised)', 'exact')
    .option('--samples <n>', 'trajectories (one env each); tiny envs use each env\'s first complete episode', '20000')
    .option('--json', 'print one JSON object per estimator (--cosine: per point and estimator)')
    .option('--cosine', 'cosine similarity vs state-action pairs per estimate: mean pairwise, and to the true gradient (exact ∇J on the tiny envs, else a reward-to-go estimate of --reference-pairs pairs)')
    .option('--samples-list <list>', 'with --cosine: state-action pairs per estimate, comma-separated integers (non-tiny envs: multiples of --num-steps; default 64,256,1024,4096,16384)')
    .option('--reference-pairs <n>', 'with --cosine, envs without an exact gradient: pairs behind the reference gradient (default 1048576)')
    .option('--out <dir>', 'write variance.csv and variance.json (--cosine: cosine.csv and cosine.json, after every point) into DIR')
    .option('--adapter <name>', ADAPTER_HELP)
    .exitOverride(),
  ['numEnvs'],
).action((opts: Record<string, unknown>) => guard(() => varianceCommand(withPresetOptions(opts, ['numEnvs', 'numSteps', 'varianceGroups']))));

addConfigOptions(
  program
    .command('bench')
    .description('env-steps/s for rollout-only and full training per backend and env count')
    .option('--backends <list>', 'comma-separated: cpu, gpu', 'cpu')
    .option('--envs <list>', 'comma-separated env counts', '64,1024,4096')
    .option('--seconds <s>', 'minimum measuring time per cell', '2')
    .option('--modes <list>', 'comma-separated: rollout, train, peak (each backend’s arithmetic peak in GFLOP/s)', 'rollout,train')
    .option('--profile', 'GPU: per-kernel times from timestamp queries')
    .option('--json', 'print one JSON object per cell')
    .option('--out <dir>', 'write bench.csv (one row per cell) and bench.json (settings, cells, peaks, crossover) into DIR')
    .option('--adapter <name>', ADAPTER_HELP)
    .exitOverride(),
  ['numEnvs', 'backend'],
).action((opts: Record<string, unknown>) =>
  guard(() => {
    useAdapter(opts);
    return benchCommand(withPresetOptions(opts, ['numEnvs', 'backend']));
  }),
);

program
  .command('export')
  .description('write a checkpoint\'s trained policy as DIR/policy.safetensors (PyTorch names) and DIR/policy.json (the manifest)')
  .requiredOption('--checkpoint <file>', 'a checkpoint.json written by train')
  .requiredOption('--out <dir>', 'directory for policy.safetensors and policy.json (created if missing)')
  .option('--json', 'print one JSON object naming the files written')
  .exitOverride()
  .action((opts: Record<string, unknown>) => guard(() => exportCommand(opts)));

export { configFromOptions };

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed as one line by commander
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  throw e;
}
