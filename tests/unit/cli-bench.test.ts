/**
 * `policygrad bench` as a user runs it (the built bin), on a tiny CPU bench: `--out DIR` writes
 * bench.csv and bench.json that say exactly what was printed (the `--json` lines, the per-cell stderr
 * lines and the table), DIR is created when missing, a DIR that cannot be created is one line and
 * exit code 2, and on a terminal the progress bar replaces the per-cell lines.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BENCH_CSV_COLUMNS, benchCellsToCsv, type BenchCell } from '../../src/train/bench';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'policygrad.mjs');
const dir = mkdtempSync(join(tmpdir(), 'policygrad-cli-bench-'));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// two env counts × two modes on the CPU engine, 0.2 s a cell
const tiny = ['bench', '--backends', 'cpu', '--envs', '2,4', '--env', 'cartpole', '--num-steps', '8', '--hidden', '8', '--seconds', '0.2'];

/** bench.csv parsed by its header (numbers as numbers; the `on` field may be quoted). */
function readCsv(path: string): Record<string, string | number>[] {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  expect(head.split(',')).toEqual([...BENCH_CSV_COLUMNS]);
  return rows.map((line) => {
    const fields = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.slice(0, BENCH_CSV_COLUMNS.length).map((f) => f.replace(/,$/, ''));
    return Object.fromEntries(
      BENCH_CSV_COLUMNS.map((k, i) => {
        const f = fields[i].startsWith('"') ? fields[i].slice(1, -1).replace(/""/g, '"') : fields[i];
        return [k, /^\d+$/.test(f) ? Number(f) : f];
      }),
    );
  });
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) execFileSync('npm', ['run', '-s', 'build:cli'], { cwd: root, stdio: 'inherit' });
}, 180_000);

describe('bench --out', () => {
  it('--json: bench.csv and bench.json hold exactly the printed cells, into a DIR created on the way', () => {
    const out = join(dir, 'nested', 'json');
    const r = cli([...tiny, '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const printed = lines.filter((l) => l.event === 'bench').map(({ event: _e, ...cell }) => cell);
    expect(printed.map((c) => `${c.envs} ${c.mode}`)).toEqual(['2 rollout', '2 train', '4 rollout', '4 train']);
    for (const c of printed) {
      expect(c.backend).toBe('cpu');
      expect(c.env_steps_per_s).toBeGreaterThan(0);
      expect(c.reps).toBeGreaterThanOrEqual(2);
    }
    expect(readCsv(join(out, 'bench.csv'))).toEqual(printed);
    const json = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8'));
    expect(json.cells).toEqual(printed);
    expect(json).toMatchObject({ event: 'summary', backends: ['cpu'], envs: [2, 4], modes: ['rollout', 'train'], seconds: 0.2, peaks: [], crossover: {}, profiles: [] });
    // the shared config is the one given; backend and env count are per cell
    expect(json.config).toMatchObject({ env: 'cartpole', numSteps: 8, hidden: [8] });
    expect(json.config).not.toHaveProperty('numEnvs');
    expect(json.versions.node).toBe(process.version);
    // --json: stderr has no per-cell lines and no bar
    expect(r.stderr).not.toMatch(/env-steps\/s|\|/);
  });

  it('text: the stderr lines and the table agree with bench.csv', () => {
    const out = join(dir, 'text');
    const r = cli([...tiny, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const csv = readCsv(join(out, 'bench.csv'));
    expect(csv).toHaveLength(4);
    // not a terminal: one stderr line per cell, in the order measured
    const perCell = r.stderr.split('\n').filter((l) => l.includes('env-steps/s'));
    expect(perCell).toEqual(csv.map((c) => `  ${c.backend} ${c.envs} envs ${c.mode}: ${c.env_steps_per_s} env-steps/s (${c.reps} reps)`));
    // the table: one row per (mode, envs) with the steps/s as printed (en-US grouping)
    for (const c of csv) {
      const row = new RegExp(`^${c.mode}\\s+${c.envs}\\s+${Number(c.env_steps_per_s).toLocaleString('en-US')}$`, 'm');
      expect(r.stdout).toMatch(row);
    }
    expect(r.stdout).toContain(`cpu: ${csv[0].on}`);
    expect(r.stdout).toContain(`results in ${out} (bench.csv, bench.json)`);
    expect(JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')).cells).toEqual(csv);
  });

  it('a DIR that cannot be created: one line, exit code 2, nothing measured', () => {
    writeFileSync(join(dir, 'afile'), 'x');
    for (const [bad, why] of [
      [join(dir, 'afile'), /EEXIST: a file of that name exists/],
      [join(dir, 'afile', 'sub'), /ENOTDIR: a part of the path is a file/],
    ] as const) {
      const r = cli([...tiny, '--out', bad]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      // the only stderr line: refused before measuring (each measured cell would have printed a line)
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^policygrad: invalid --out: "${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" \\(allowed: a directory that exists or can be created and written; here `));
      expect(lines[0]).toMatch(why);
    }
  });

  it('on a terminal: a progress bar on stderr instead of the per-cell lines; the files are the same', () => {
    const out = join(dir, 'tty');
    // `script` runs the bench on a pseudo-terminal (stdout and stderr both)
    const cmd = [process.execPath, bin, ...tiny, '--envs', '2', '--out', out].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bench \|[█░]+\| 2\/2 cells \| cpu 2 envs train: \d+ env-steps\/s \(\d+ reps\)/);
    expect(r.stdout).not.toMatch(/^ {2}cpu 2 envs rollout/m);
    const csv = readCsv(join(out, 'bench.csv'));
    expect(csv.map((c) => `${c.envs} ${c.mode}`)).toEqual(['2 rollout', '2 train']);
  });
});

describe('benchCellsToCsv', () => {
  it('one header, one line per cell in BENCH_CSV_COLUMNS order; a field with a comma or quote is quoted', () => {
    const cells: BenchCell[] = [
      { backend: 'gpu', envs: 64, mode: 'train', env_steps_per_s: 1234, reps: 3, on: 'llvmpipe, "software"' },
      { backend: 'cpu', envs: 1, mode: 'rollout', env_steps_per_s: 5, reps: 2, on: 'cpu' },
    ];
    expect(benchCellsToCsv(cells)).toBe('backend,envs,mode,env_steps_per_s,reps,on\ngpu,64,train,1234,3,"llvmpipe, ""software"""\ncpu,1,rollout,5,2,cpu\n');
    expect(benchCellsToCsv([])).toBe('backend,envs,mode,env_steps_per_s,reps,on\n');
  });
});
