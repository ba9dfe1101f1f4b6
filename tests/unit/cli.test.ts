/**
 * The CLI as a user runs it (the built `policygrad` bin): every bad input gives exit code 2 and one
 * clear line on stderr naming the field and the allowed range, never a stack trace; good runs write
 * their results, checkpoints resume (saying so when the learning-rate schedule changes), Ctrl-C saves,
 * and a closed output pipe (`… | head -1`) ends any command quietly.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'policygrad.mjs');
const dir = mkdtempSync(join(tmpdir(), 'policygrad-cli-'));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// --lr and --anneal-lr pinned: the schedule messages below quote them (the cartpole × ppo preset sets its own lr)
const tiny = ['--env', 'cartpole', '--envs', '2', '--num-steps', '16', '--hidden', '8', '--steps', '64', '--lr', '0.00025', '--anneal-lr', 'true'];
let good = '';

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) execFileSync('npm', ['run', '-s', 'build:cli'], { cwd: root, stdio: 'inherit' });
  // a good checkpoint to corrupt in various ways
  const out = join(dir, 'good');
  const r = cli(['train', ...tiny, '--out', out, '--json']);
  expect(r.code, r.stderr).toBe(0);
  good = readFileSync(join(out, 'checkpoint.json'), 'utf8');
  writeFileSync(join(dir, 'empty.json'), '');
  writeFileSync(join(dir, 'truncated.json'), good.slice(0, Math.floor(good.length / 2)));
  writeFileSync(join(dir, 'garbage.json'), '\u0000\u0001binary junk');
  writeFileSync(join(dir, 'foreign.json'), JSON.stringify({ hello: 'world', params: [1, 2, 3] }));
  const o = JSON.parse(good);
  o.params.data = o.params.data.slice(0, 40);
  writeFileSync(join(dir, 'badarray.json'), JSON.stringify(o));
  const v = JSON.parse(good);
  v.version = 99;
  writeFileSync(join(dir, 'version.json'), JSON.stringify(v));
}, 180_000);

// [arguments, what the one stderr line must say]
const BAD: [string[], RegExp][] = [
  [['train', '--env', 'mountaincar'], /invalid --env: "mountaincar" \(allowed: one of bandit, twostate, corridor, cartpole, pendulum, limitorder\)/],
  [['train', '--algo', 'dqn'], /invalid --algo: "dqn" \(allowed: one of reinforce/],
  [['train', '--backend', 'tpu'], /invalid --backend: "tpu" \(allowed: one of cpu, gpu\)/],
  [['train', '--envs', '0'], /invalid --envs: 0 \(allowed: an integer 1 ≤ envs ≤ 65536\)/],
  [['train', '--envs', '-4'], /invalid --envs: -4 /],
  [['train', '--envs', '1.5'], /invalid --envs: 1\.5 \(allowed: an integer/],
  [['train', '--envs', '100000'], /invalid --envs: 100000 \(allowed: an integer 1 ≤ envs ≤ 65536\)/],
  [['train', '--steps', '0'], /invalid --steps: 0 \(allowed: an integer 1 ≤ steps/],
  [['train', '--gamma', '1.5'], /invalid --gamma: 1\.5 \(allowed: a number 0 ≤ gamma ≤ 1\)/],
  [['train', '--lambda', '2'], /invalid --lambda: 2 \(allowed: a number 0 ≤ lambda ≤ 1\)/],
  [['train', '--lambda', '-0.1'], /invalid --lambda: -0\.1/],
  [['train', '--lr', '0'], /invalid --lr: 0 \(allowed: a number 0 < lr ≤ 1\)/],
  [['train', '--lr', '-1e-3'], /invalid --lr: -0\.001/],
  [['train', '--lr', 'NaN'], /invalid --lr: NaN/],
  [['train', '--lr', 'Infinity'], /invalid --lr: Infinity/],
  [['train', '--lr', 'abc'], /invalid --lr: "abc" \(allowed: a number/],
  [['train', '--clip', '0'], /invalid --clip: 0 \(allowed: a number 0 < clip ≤ 10\)/],
  [['train', '--hidden', ''], /invalid --hidden: "" \(allowed: 1–4 comma-separated integers/],
  [['train', '--hidden', '64,0'], /invalid --hidden: \[64,0\] \(allowed: 1–4 comma-separated integers, each 1–1024\)/],
  [['train', '--hidden', 'x,y'], /invalid --hidden: "x,y"/],
  [['train', '--minibatches', '64', '--envs', '2', '--num-steps', '16'], /invalid --minibatches: 64 \(allowed: an integer 1 ≤ minibatches ≤ envs × num-steps = 32\)/],
  [['train', '--foo', '1'], /unknown option '--foo'/],
  [['train', '--resume', join(dir, 'missing.json')], /checkpoint file not found/],
  [['train', '--resume', join(dir, 'empty.json')], /checkpoint is empty/],
  [['train', '--resume', join(dir, 'truncated.json')], /checkpoint is not valid JSON \(truncated or corrupt file\?\)/],
  [['train', '--resume', join(dir, 'garbage.json')], /checkpoint is not valid JSON/],
  [['train', '--resume', join(dir, 'foreign.json')], /not a policygrad checkpoint/],
  [['train', '--resume', join(dir, 'badarray.json')], /checkpoint is corrupt: params/],
  [['train', '--resume', join(dir, 'version.json')], /checkpoint format version 99 is not supported/],
  [['train', '--resume', join(dir, 'good', 'checkpoint.json'), '--hidden', '16'], /checkpoint does not fit this run: its hidden is \[8\], the run's is \[16\]/],
  [['train', '--resume', join(dir, 'good', 'checkpoint.json'), '--env', 'pendulum'], /checkpoint does not fit this run: its env is "cartpole"/],
  [['train', '--resume', join(dir, 'good', 'checkpoint.json'), '--envs', '3'], /checkpoint does not fit this run: its numEnvs is 2, the run's is 3/],
  [['train', '--checkpoint-every', 'often'], /invalid --checkpoint-every: "often"/],
  [['variance', '--estimators', 'reinforce,foo'], /invalid --estimators: "foo" \(allowed: reinforce, reinforce-rtg/],
  [['variance', '--samples', '1'], /invalid --samples: "1" \(allowed: an integer 2 ≤ samples/],
  [['variance', '--env', 'twostate', '--num-steps', '10'], /invalid --num-steps: 10 \(allowed: .*horizon 64/],
  [['bench', '--envs', '0'], /invalid --envs: "0"/],
  [['bench', '--backends', 'cpu,tpu'], /invalid --backends: "tpu" \(allowed: cpu, gpu\)/],
  [['bench', '--modes', 'rollout,fast'], /invalid --modes: "fast" \(allowed: rollout, train, peak\)/],
  [['bench', '--seconds', '0'], /invalid --seconds: "0" \(allowed: a number 0 < seconds ≤ 600\)/],
  [['train', '--target-return', 'high'], /invalid --target-return: "high" \(allowed: a finite number\)/],
  [['bench', '--adapter', 'metal'], /invalid --adapter: "metal" \(allowed: one of default, swiftshader, lavapipe\)/],
  [['train', '--adapter', 'LAVAPIPE'], /invalid --adapter: "LAVAPIPE" \(allowed: one of default, swiftshader, lavapipe\)/],
];

describe('CLI bad input: exit 2, one clear line, no stack trace', () => {
  it.each(BAD)('policygrad %j', (args, want) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^policygrad: /);
    expect(lines[0]).toMatch(want);
    expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
  });
});

describe('CLI runs', () => {
  it('train --json prints one update object per update and a summary; --out writes summary, curve and checkpoint', () => {
    const out = join(dir, 'run');
    const r = cli(['train', ...tiny, '--steps', '96', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const updates = lines.filter((l) => l.event === 'update');
    expect(updates.map((u) => u.step)).toEqual([32, 64, 96]);
    for (const u of updates) expect(typeof u.sps).toBe('number');
    const s = lines[lines.length - 1];
    expect(s.event).toBe('summary');
    expect(s.steps).toBe(96);
    expect(Object.keys(s)).toEqual(expect.arrayContaining(['steps', 'wall_s', 'final_return', 'sps']));
    expect(s).toMatchObject({ backend: 'cpu', adapter: 'cpu (TypeScript reference engine)' });
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.config.hidden).toEqual([8]);
    expect(summary.backend).toBe('cpu');
    expect(summary.adapter).toBe('cpu (TypeScript reference engine)');
    expect(summary.versions.node).toBe(process.version);
    const csv = readFileSync(join(out, 'curve.csv'), 'utf8').trim().split('\n');
    expect(csv[0].split(',')).toContain('episodicReturn');
    expect(csv).toHaveLength(4);
  });

  it('--target-return stops the run once the mean of the last 100 episodes reaches it, and says when', () => {
    // the bandit: one-step episodes with reward 0 or 1, so 100 episodes finish in the first update
    const r = cli(['train', '--env', 'bandit', '--envs', '64', '--num-steps', '4', '--steps', '25600', '--target-return', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const updates = lines.filter((l) => l.event === 'update');
    const s = lines[lines.length - 1];
    // 256 episodes finish in the first update: the target (any mean ≥ 0) is met at once and the run stops
    expect(updates).toHaveLength(1);
    expect(s.target_return).toBe(0);
    expect(s.target_reached).toMatchObject({ update: 1, steps: 256 });
    expect(s.target_reached.return).toBeCloseTo(updates[0].episodic_return, 2);
    expect(s.steps).toBe(256);
    // an unreachable target: the whole run, and a plain-text line that says so
    const t = cli(['train', ...tiny, '--target-return', '1e9']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('target not reached: the mean return of the last 100 episodes stayed below 1000000000');
  });

  it('--resume continues from the checkpoint to the new --steps', () => {
    const out = join(dir, 'resumed');
    const r = cli(['train', '--resume', join(dir, 'good', 'checkpoint.json'), '--steps', '128', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'update').map((u) => u.step);
    expect(steps).toEqual([96, 128]);
  });

  it('--resume says in one line when the learning-rate schedule differs from the checkpoint\'s', () => {
    const ck = join(dir, 'good', 'checkpoint.json');
    // annealing on (the default): 2 updates stretched to 4
    const r = cli(['train', '--resume', ck, '--steps', '128', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toBe(
      "policygrad: the learning-rate schedule differs from the checkpoint's: lr 0.00025 annealed linearly over 4 updates " +
        "(the checkpoint's: lr 0.00025 annealed linearly over 2 updates); update 3 uses lr 0.000125",
    );
    expect(JSON.parse(r.stdout.trim().split('\n')[0]).lr).toBe(0.000125);
    // turning annealing off is a different schedule too
    expect(cli(['train', '--resume', ck, '--steps', '96', '--anneal-lr', 'false', '--json']).stderr).toMatch(/constant lr 0\.00025 \(the checkpoint's: lr 0\.00025 annealed linearly over 2 updates\); update 3 uses lr 0\.00025\n$/);
    // the same schedule: nothing to say
    const out = join(dir, 'constant');
    expect(cli(['train', ...tiny, '--anneal-lr', 'false', '--out', out, '--json']).code).toBe(0);
    const same = cli(['train', '--resume', join(out, 'checkpoint.json'), '--steps', '128', '--json']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toBe('');
  });

  it('scheduleChange: null for the same schedule or when no update is left', async () => {
    const { scheduleChange } = await import('../../src/train/trainer');
    const c = { lr: 1e-3, annealLr: true, totalSteps: 64, numEnvs: 2, numSteps: 16 };
    expect(scheduleChange(c, c, 1)).toBeNull();
    expect(scheduleChange(c, { ...c, totalSteps: 63 }, 1)).toBeNull(); // ⌈63/32⌉ = 2 updates either way
    expect(scheduleChange(c, { ...c, totalSteps: 128 }, 2)).toMatch(/over 4 updates .*over 2 updates\); update 3 uses lr 0\.0005$/);
    expect(scheduleChange(c, { ...c, lr: 2e-3 }, 2)).toBeNull(); // the run is complete
    expect(scheduleChange(c, { ...c, lr: 2e-3 }, 1)).toMatch(/^.*: lr 0\.002 annealed .* update 2 uses lr 0\.001$/);
    const flat = { ...c, annealLr: false };
    expect(scheduleChange(flat, { ...flat, totalSteps: 1e6 }, 2)).toBeNull();
  });

  it('Ctrl-C finishes the update in flight, writes the checkpoint and exits 130', async () => {
    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [bin, 'train', '--env', 'cartpole', '--envs', '4', '--num-steps', '64', '--hidden', '16', '--steps', '100000000', '--json', '--out', out]);
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes('"event":"update"')) {
        sent = true; // one Ctrl-C (a second one exits at once)
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    expect(code).toBe(130);
    const ck = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'));
    expect(ck.format).toBe('policygrad-checkpoint');
    expect(ck.update).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(out, 'curve.csv'))).toBe(true);
  });

  it('bench --json: one event per (backend, envs, mode) cell, steps/s from whole timed rollouts, and the peak probe', () => {
    const r = cli(['bench', '--backends', 'cpu', '--envs', '2,4', '--modes', 'rollout,peak', '--seconds', '0.05', '--num-steps', '16', '--hidden', '8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const ev = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const peak = ev.filter((e) => e.mode === 'peak');
    expect(peak).toHaveLength(1);
    expect(peak[0]).toMatchObject({ event: 'bench', backend: 'cpu', on: 'JS, 1 thread' });
    expect(peak[0].gflop_per_s).toBeGreaterThan(0);
    const cells = ev.filter((e) => e.mode === 'rollout');
    expect(cells.map((c) => [c.backend, c.envs])).toEqual([['cpu', 2], ['cpu', 4]]);
    for (const c of cells) {
      expect(c.reps).toBeGreaterThanOrEqual(2);
      expect(c.env_steps_per_s).toBeGreaterThan(0);
    }
    // one backend: no crossover to name
    expect(ev.some((e) => e.event === 'crossover')).toBe(false);
  });

  it('bench prints a table with the peak lines', () => {
    const r = cli(['bench', '--backends', 'cpu', '--envs', '2', '--modes', 'train,peak', '--seconds', '0.05', '--num-steps', '16', '--hidden', '8']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^mode\s+envs\s+cpu steps\/s$/);
    expect(lines[1]).toMatch(/^train\s+2\s+[\d,]+$/);
    // where each backend ran (the adapter's name for the GPU)
    expect(lines[2]).toBe('cpu: cpu (TypeScript reference engine)');
    expect(lines[3]).toMatch(/^peak cpu: \d+\.\d\d GFLOP\/s \(independent fma chains; JS, 1 thread\)$/);
  });

  it('variance on twostate prints the exact gradient and each estimator', () => {
    const r = cli(['variance', '--env', 'twostate', '--samples', '2000', '--gamma', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.estimator)).toEqual(['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic', 'gae']);
    expect(rows[0].exact[0]).toBeCloseTo(0.4375, 10); // ∇J at the uniform policy (hand check in exact.test.ts)
  });
});

describe('env × algo presets (src/core/presets.ts)', () => {
  const summaryOf = (r: { code: number | null; stdout: string; stderr: string }) => {
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    return lines[lines.length - 1];
  };

  it('train with only --env and --algo runs the preset; a flag given wins; the summary prints the whole config', async () => {
    const { presetFor } = await import('../../src/core/presets');
    const { defaultConfig } = await import('../../src/core/config');
    const p = presetFor('bandit', 'reinforce');
    const s = summaryOf(cli(['train', '--env', 'bandit', '--algo', 'reinforce', '--steps', '512', '--json']));
    expect(s.config).toEqual({ ...defaultConfig(), ...p, env: 'bandit', algo: 'reinforce', totalSteps: 512 });
    const o = summaryOf(cli(['train', '--env', 'bandit', '--algo', 'reinforce', '--steps', '512', '--lr', '0.3', '--envs', '16', '--json']));
    expect(o.config).toMatchObject({ ...p, totalSteps: 512, lr: 0.3, numEnvs: 16 });
    expect(p.lr).not.toBe(0.3);
  });

  it('--resume keeps the checkpoint\'s config: only the flags given override it, no preset of any env', () => {
    const out = join(dir, 'preset-resume');
    // a bandit run off its preset (lr 0.3, 8 envs × 2 steps)
    summaryOf(cli(['train', '--env', 'bandit', '--algo', 'reinforce', '--lr', '0.3', '--envs', '8', '--num-steps', '2', '--steps', '32', '--anneal-lr', 'false', '--out', out, '--json']));
    const ck = join(out, 'checkpoint.json');
    // no --env: neither the default env's (cartpole) preset nor the bandit's comes back
    const r = summaryOf(cli(['train', '--resume', ck, '--steps', '64', '--json']));
    // (γ 1 is the bandit run's; the cartpole × ppo preset would say 0.98)
    expect(r.config).toMatchObject({ env: 'bandit', algo: 'reinforce', lr: 0.3, numEnvs: 8, numSteps: 2, totalSteps: 64, annealLr: false, gamma: 1 });
    // a flag given on resume wins
    expect(summaryOf(cli(['train', '--resume', ck, '--steps', '64', '--lr', '0.2', '--json'])).config.lr).toBe(0.2);
  });

  it('train --help says where the defaults come from', () => {
    const r = cli(['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Defaults come from the env × algo preset \(src\/core\/presets\.ts\)/);
  });
});

describe('a closed output pipe ends the program quietly', () => {
  // [command, arguments]: each prints more than one line on stdout
  const PIPED: [string, string[]][] = [
    ['train', ['train', '--env', 'cartpole', '--envs', '2', '--num-steps', '16', '--hidden', '8', '--steps', '100000000', '--json']],
    ['train (text)', ['train', '--env', 'cartpole', '--envs', '2', '--num-steps', '16', '--hidden', '8', '--steps', '100000000']],
    ['bench', ['bench', '--backends', 'cpu', '--envs', '2,3,4,5,6,7,8', '--modes', 'rollout', '--seconds', '0.05', '--num-steps', '16', '--hidden', '8', '--json']],
    ['variance', ['variance', '--env', 'twostate', '--samples', '2000', '--json']],
  ];
  it.each(PIPED)('%s | head -1: exit 0, nothing on stderr', async (_, args) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      // the reader goes away after its first line, as `head -1` does
      if (stdout.includes('\n')) child.stdout.destroy();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('exit', (c, s) => res([c, s])));
    clearTimeout(killer);
    expect(signal, stderr).toBeNull();
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(stderr).toBe('');
  }, 90_000);
});

describe('npm run cli builds only when the sources changed', () => {
  it('ensureBuilt: builds once, then not until a source, shader or config file changes or the stamp is gone', async () => {
    const { ensureBuilt } = await import('../../scripts/cli-build.mjs');
    const root = mkdtempSync(join(tmpdir(), 'policygrad-build-'));
    const put = (f: string, text: string) => {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), text);
    };
    put('src/cli/main.ts', 'one');
    put('shaders/rollout.wgsl', 'fn main() {}');
    put('vite.cli.config.ts', 'export default {}');
    let builds = 0;
    // what `npm run build:cli` does: empty dist/cli (emptyOutDir), write the bundle
    const build = (r: string) => {
      builds++;
      rmSync(join(r, 'dist', 'cli'), { recursive: true, force: true });
      put('dist/cli/main.js', `bundle ${builds}`);
      return true;
    };
    expect(ensureBuilt(root, build)).toBe('built');
    expect(ensureBuilt(root, build)).toBe('fresh');
    put('src/cli/main.ts', 'one'); // rewritten, same content: nothing to do
    expect(ensureBuilt(root, build)).toBe('fresh');
    expect(builds).toBe(1);
    for (const f of ['src/cli/main.ts', 'shaders/rollout.wgsl', 'vite.cli.config.ts', 'src/core/new.ts']) {
      put(f, `changed ${f}`);
      expect(ensureBuilt(root, build), f).toBe('built');
      expect(ensureBuilt(root, build), f).toBe('fresh');
    }
    expect(builds).toBe(5);
    // a build made elsewhere (`npm run build:cli`) removes the stamp: rebuild once
    build(root);
    expect(ensureBuilt(root, build)).toBe('built');
    expect(ensureBuilt(root, build)).toBe('fresh');
    // a failed build is reported and not stamped
    put('src/cli/main.ts', 'two');
    expect(ensureBuilt(root, () => false)).toBe('failed');
    expect(ensureBuilt(root, build)).toBe('built');
  });
});

describe('bench crossover', () => {
  const cell = (backend: 'cpu' | 'gpu', envs: number, mode: 'rollout' | 'train', sps: number) => ({ backend, envs, mode, env_steps_per_s: sps, reps: 2, on: backend });
  it('is the smallest env count where the GPU beats the CPU, per mode; null when it never does', async () => {
    const { crossovers } = await import('../../src/train/bench');
    const cells = [
      cell('cpu', 64, 'rollout', 100), cell('gpu', 64, 'rollout', 50),
      cell('cpu', 1024, 'rollout', 100), cell('gpu', 1024, 'rollout', 101),
      cell('cpu', 4096, 'rollout', 100), cell('gpu', 4096, 'rollout', 90),
      cell('cpu', 64, 'train', 10), cell('gpu', 64, 'train', 9),
      cell('cpu', 1024, 'train', 10), cell('gpu', 1024, 'train', 10),
    ];
    expect(crossovers(cells)).toEqual({ rollout: 1024, train: null });
    // one backend only: nothing to compare
    expect(crossovers(cells.filter((c) => c.backend === 'cpu'))).toEqual({});
  });
});

describe('target return', () => {
  it('the mean of the last 100 finished episodes, only once 100 have finished', async () => {
    const { targetReturnOf } = await import('../../src/cli/train');
    const row = (episodes: number, episodicReturn: number) => ({ episodes, episodicReturn }) as never;
    // 60 episodes: no evidence yet, whatever their mean
    expect(targetReturnOf([row(60, 500)], 10)).toBeUndefined();
    // 60 at 500 then 60 at 400: the last 100 are 60·400 + 40·500 → 440
    expect(targetReturnOf([row(60, 500), row(60, 400)], 440)).toBeCloseTo(440, 10);
    expect(targetReturnOf([row(60, 500), row(60, 400)], 441)).toBeUndefined();
    // updates with no finished episode do not count
    expect(targetReturnOf([row(60, 500), row(0, NaN), row(60, 400)], 0)).toBeCloseTo(440, 10);
  });
});
