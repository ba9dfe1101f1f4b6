/**
 * Policy export (src/train/export.ts, `policygrad export`): the safetensors bytes against vectors built
 * by hand from the format's definition (the same bytes the reference implementation's own tests expect),
 * a round trip and the reader's rejections; then checkpoints from short real training runs, exported,
 * parsed back and run through an independent plain-JS forward pass driven only by the manifest, which
 * must reproduce the CPU engine's own π(a|s) (softmax, tabular) or μ and σ (Gaussian) and V(s).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/core/config';
import { CheckpointError, UserError } from '../../src/core/errors';
import { makeEnv } from '../../src/envs';
import { softmax } from '../../src/policy/heads';
import { netLayout, netSpecFor } from '../../src/policy/layout';
import { actorForward, createWorkspace, criticForward } from '../../src/policy/mlp';
import { parseCheckpoint, serializeCheckpoint, type Checkpoint } from '../../src/train/checkpoint';
import { encodeSafetensors, exportPolicy, parseSafetensors, type SafetensorsTensor } from '../../src/train/export';
import { Trainer } from '../../src/train/trainer';

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const u64 = (n: number) => [n, 0, 0, 0, 0, 0, 0, 0];
const spaces = (n: number) => new Array(n).fill(0x20);
const zeros = (n: number) => new Array(n).fill(0);

describe('safetensors bytes', () => {
  // {"test": int32 zeros(2, 2)}: JSON of 60 bytes padded with 4 spaces to N = 64, then 16 data bytes
  const testJson = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';

  it('writes the reference vectors byte for byte', () => {
    const z = new Int32Array(4);
    expect([...encodeSafetensors([{ name: 'test', shape: [2, 2], data: z }])]).toEqual([...u64(64), ...ascii(testJson), ...spaces(4), ...zeros(16)]);
    // data[1][1] = 1: the last int32, little-endian 01 00 00 00
    const one = new Int32Array([0, 0, 0, 1]);
    expect([...encodeSafetensors([{ name: 'test1', shape: [2, 2], data: one }], { framework: 'pt' })]).toEqual([
      ...u64(96),
      ...ascii('{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}'),
      ...spaces(1),
      ...zeros(12),
      1,
      0,
      0,
      0,
    ]);
    // float32 1 = 0x3F800000, −2 = 0xC0000000, little-endian; JSON 54 bytes + 2 spaces = 56
    expect([...encodeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1, -2]) }])]).toEqual([
      ...u64(56),
      ...ascii('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'),
      ...spaces(2),
      0x00,
      0x00,
      0x80,
      0x3f,
      0x00,
      0x00,
      0x00,
      0xc0,
    ]);
  });

  it('reads the reference vectors, padded or not', () => {
    const unpadded = new Uint8Array([...u64(60), ...ascii(testJson), ...zeros(12), 7, 0, 0, 0]);
    const r = parseSafetensors(unpadded);
    expect([...r.tensors.keys()]).toEqual(['test']);
    const t = r.tensors.get('test')!;
    expect(t.dtype).toBe('I32');
    expect(t.shape).toEqual([2, 2]);
    expect([...t.data]).toEqual([0, 0, 0, 7]);
    expect(r.metadata).toEqual({});
    const withMeta = parseSafetensors(new Uint8Array([...u64(96), ...ascii('{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}'), 0x20, ...zeros(16)]));
    expect(withMeta.metadata).toEqual({ framework: 'pt' });
    expect([...withMeta.tensors.get('test1')!.data]).toEqual([0, 0, 0, 0]);
  });

  it('round-trips tensors bit for bit, in order, header aligned to 8 bytes', () => {
    // awkward float32 values: subnormal, −0, extremes, and a mix of shapes including scalars and empty tensors
    const a = new Float32Array([1.401298464324817e-45, -0, 3.4028234663852886e38, -1.1754943508222875e-38, Math.PI, -123.456]);
    const b = new Float32Array(7 * 3).map((_, i) => Math.sin(i * 1.3) * 10 ** ((i % 7) - 3));
    const c = new Float32Array([42.5]);
    const e = new Float32Array(0);
    const list = [
      { name: 'actor.0.weight', shape: [2, 3], data: a },
      { name: 'b', shape: [7, 3], data: b },
      { name: 'scalar', shape: [], data: c },
      { name: 'empty', shape: [0, 4], data: e },
      { name: 'ints', shape: [3], data: new Int32Array([-1, 2147483647, -2147483648]) },
    ];
    const bytes = encodeSafetensors(list, { env: 'cartpole', note: 'ünïcödé σ' });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const r = parseSafetensors(bytes);
    expect(r.metadata).toEqual({ env: 'cartpole', note: 'ünïcödé σ' });
    expect([...r.tensors.keys()]).toEqual(list.map((t) => t.name));
    for (const t of list) {
      const got = r.tensors.get(t.name)!;
      expect(got.shape).toEqual(t.shape);
      expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
    }
    // packed without gaps: each tensor starts where the previous ended, the last ends at the file's end
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    let at = 0;
    for (const t of list) {
      expect(header[t.name].data_offsets).toEqual([at, at + t.data.byteLength]);
      at += t.data.byteLength;
    }
    expect(bytes.length).toBe(8 + n + at);
  });

  it('rejects short, truncated and malformed files with one line naming the problem', () => {
    const good = encodeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1, -2]) }]);
    const hdr = (json: string, data: number[]) => {
      const j = ascii(json);
      const pad = (8 - (j.length % 8)) % 8;
      return new Uint8Array([...u64(j.length + pad), ...j, ...spaces(pad), ...data]);
    };
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(3), /shorter than the 8-byte header length/],
      [good.subarray(0, 20), /header length 56 runs past the end of the file/],
      [good.subarray(0, good.length - 1), /tensor w runs past the end of the data \(truncated file\?\)/],
      [new Uint8Array([...good, 0, 0, 0, 0]), /the tensors cover 8 of 12 data bytes/],
      [hdr('[1,2]', []), /does not start with "\{"/],
      [hdr('{"w":', []), /not valid UTF-8 JSON/],
      [hdr('{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', zeros(4)), /tensor w has dtype "F16" \(this reader handles F32, I32\)/],
      [hdr('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', zeros(8)), /tensor w holds 8 bytes, its shape \[3\] needs 12/],
      [hdr('{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', zeros(12)), /tensor w starts at byte 4, expected 0 \(overlap or gap\)/],
      [hdr('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', zeros(8)), /overlap or gap/],
      [hdr('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}', []), /tensor w has a bad shape/],
      [hdr('{"__metadata__":{"n":1}}', []), /__metadata__\.n is not a string/],
    ];
    for (const [bytes, re] of cases) {
      let err: unknown;
      try {
        parseSafetensors(bytes);
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/^not a valid safetensors file: /);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('\n');
    }
  });
});

// ───────────────────────── the exported policy ─────────────────────────

interface Manifest {
  format: string;
  weights: string;
  env: { name: string };
  observation: { dim: number; encoding: string; nStates?: number };
  action: { kind: string; n?: number; dim?: number; low?: number[]; high?: number[] };
  normalization: null;
  head: { kind: 'softmax' | 'gaussian' | 'tabular'; n?: number; dim?: number; nStates?: number; logStd?: string; logits?: string; values?: string };
  actor: { kind: 'mlp' | 'table'; activation?: string; layers?: { weight: string; bias: string; in: number; out: number }[]; table?: string; shape?: number[] };
  critic: { kind: 'mlp' | 'table'; activation?: string; layers?: { weight: string; bias: string; in: number; out: number }[]; table?: string; shape?: number[] };
  tensors: { name: string; dtype: string; shape: number[]; meaning: string }[];
  forward: string[];
}

/**
 * The forward pass a user of the export would write: only the manifest and the tensors, float64,
 * Math.tanh, its own softmax. Returns π(·|s) or (μ, σ), and V(s).
 */
function independentForward(m: Manifest, t: Map<string, SafetensorsTensor>, obs: number[]): { probs?: number[]; mu?: number[]; sigma?: number[]; v: number } {
  const get = (name: string) => {
    const x = t.get(name);
    if (!x) throw new Error(`missing tensor ${name}`);
    return x;
  };
  const softmaxOf = (z: number[]) => {
    const mx = Math.max(...z);
    const e = z.map((v) => Math.exp(v - mx));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  if (m.head.kind === 'tabular') {
    const nS = m.head.nStates!;
    let s = 0;
    for (let i = 1; i < nS; i++) if (obs[i] > obs[s]) s = i;
    const logits = get(m.actor.table!);
    const [rows, n] = logits.shape;
    expect(rows).toBe(nS);
    return { probs: softmaxOf([...logits.data.subarray(s * n, s * n + n)]), v: get(m.critic.table!).data[s] };
  }
  const mlp = (net: Manifest['actor']) => {
    const f = net.activation === 'tanh' ? Math.tanh : net.activation === 'relu' ? (x: number) => Math.max(0, x) : null;
    if (!f) throw new Error(`unknown activation ${net.activation}`);
    let x = obs;
    net.layers!.forEach((l, k) => {
      const W = get(l.weight);
      const b = get(l.bias);
      expect(W.shape).toEqual([l.out, l.in]); // torch.nn.Linear: weight [out, in]
      expect(b.shape).toEqual([l.out]);
      const z: number[] = [];
      for (let o = 0; o < l.out; o++) {
        let s = b.data[o];
        for (let i = 0; i < l.in; i++) s += W.data[o * l.in + i] * x[i];
        z.push(s);
      }
      x = k < net.layers!.length - 1 ? z.map(f) : z;
    });
    return x;
  };
  const z = mlp(m.actor);
  const v = mlp(m.critic);
  expect(v.length).toBe(1);
  if (m.head.kind === 'softmax') return { probs: softmaxOf(z), v: v[0] };
  return { mu: z, sigma: [...get(m.head.logStd!).data].map(Math.exp), v: v[0] };
}

/** The CPU engine's own answer: actorForward / criticForward and the head code of src/policy. */
function engineForward(ck: Checkpoint, obs: number[][]): { probs?: number[][]; mu?: number[][]; sigma?: number[]; v: number[] } {
  const layout = netLayout(netSpecFor(makeEnv(ck.config.env), ck.config));
  const B = obs.length;
  const ws = createWorkspace(layout, B);
  const theta = ck.snapshot.params;
  const x = Float32Array.from(obs.flat());
  const out = new Float32Array(B * layout.headOutDim);
  const vOut = new Float32Array(B);
  actorForward(layout, theta, x, B, ws, out);
  criticForward(layout, theta, x, B, ws, vOut);
  const n = layout.headOutDim;
  const rows = [...Array(B).keys()];
  if (layout.spec.head.kind === 'gaussian') {
    const sigma = [...theta.subarray(layout.logStdOffset, layout.logStdOffset + n)].map(Math.exp);
    return { mu: rows.map((b) => [...out.subarray(b * n, b * n + n)]), sigma, v: [...vOut] };
  }
  const p = new Float64Array(n);
  return {
    probs: rows.map((b) => {
      softmax(out, b * n, n, p, 0);
      return [...p];
    }),
    v: [...vOut],
  };
}

/** A checkpoint from a short real training run, through the file format (serialize + parse). */
async function trainedCheckpoint(config: Partial<Config>, updates: number): Promise<{ ck: Checkpoint; init: Float32Array }> {
  const t = await Trainer.create({ numEnvs: 4, numSteps: 32, totalSteps: 4 * 32 * updates, seed: 3, ...config });
  const init = await t.engine.getParams();
  await t.run();
  const ck = parseCheckpoint(serializeCheckpoint(await t.checkpoint()));
  t.dispose();
  return { ck, init };
}

const maxAbs = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

// runs × fixed observations (cartpole: x, ẋ, θ, θ̇; pendulum: cos θ, sin θ, θ̇; limitorder: q, m/(σ√H), t/H)
const RUNS: { label: string; config: Partial<Config>; obs: number[][]; head: string }[] = [
  {
    label: 'cartpole, PPO, tanh [16, 16] (softmax)',
    config: { env: 'cartpole', algo: 'ppo', hidden: [16, 16], activation: 'tanh', lr: 0.01 },
    obs: [[0, 0, 0, 0], [0.03, -0.4, 0.05, 0.6], [-1.2, 1.5, -0.18, -2], [2.3, 3, 0.2, 3.5], [-2.4, -3.3, -0.21, -4]],
    head: 'softmax',
  },
  {
    label: 'cartpole, actor-critic, relu [8] (softmax)',
    config: { env: 'cartpole', algo: 'actor-critic', hidden: [8], activation: 'relu', lr: 0.01 },
    obs: [[0, 0, 0, 0], [0.5, -1, 0.1, 2], [-1, 2, -0.2, -3]],
    head: 'softmax',
  },
  {
    label: 'pendulum, PPO, tanh [16, 16] (Gaussian, 1-D)',
    config: { env: 'pendulum', algo: 'ppo', hidden: [16, 16], activation: 'tanh', lr: 0.01 },
    obs: [0, 0.5, 1.5, 3.1, -2].map((th, i) => [Math.cos(th), Math.sin(th), (i - 2) * 3.5]),
    head: 'gaussian',
  },
  {
    label: 'limitorder, GAE, relu [8, 8, 8] (Gaussian, 2-D)',
    config: { env: 'limitorder', algo: 'gae', hidden: [8, 8, 8], activation: 'relu', lr: 0.01, numSteps: 10 },
    obs: [[1, 0, 0], [0.6, 1.2, 0.3], [0.1, -2, 0.9]],
    head: 'gaussian',
  },
  {
    label: 'twostate, REINFORCE (tabular, 2 states)',
    config: { env: 'twostate', algo: 'reinforce', lr: 0.1, numSteps: 64, annealLr: false },
    obs: [[1, 0], [0, 1]],
    head: 'tabular',
  },
  {
    label: 'corridor, REINFORCE with baseline (tabular, 1 aliased state)',
    config: { env: 'corridor', algo: 'reinforce-baseline', lr: 0.1, numSteps: 64, annealLr: false },
    obs: [[1]],
    head: 'tabular',
  },
];

describe('exportPolicy: the manifest and tensors reproduce the engine', () => {
  for (const run of RUNS) {
    it(run.label, async () => {
      const { ck, init } = await trainedCheckpoint(run.config, 3);
      // the run trained: θ moved away from its initialisation
      expect(maxAbs([...ck.snapshot.params], [...init])).toBeGreaterThan(1e-4);

      const files = exportPolicy(ck);
      expect(files.map((f) => [f.name, f.type])).toEqual([
        ['policy.safetensors', 'application/octet-stream'],
        ['policy.json', 'application/json'],
      ]);
      const { tensors, metadata } = parseSafetensors(files[0].bytes);
      const m = JSON.parse(new TextDecoder().decode(files[1].bytes)) as Manifest;

      // the manifest describes the file: same tensors, order, shapes; every parameter exported once
      expect(m.format).toBe('policygrad-policy');
      expect(m.weights).toBe('policy.safetensors');
      expect(m.head.kind).toBe(run.head);
      expect(m.env.name).toBe(ck.config.env);
      expect(m.normalization).toBeNull();
      expect(m.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([...tensors.values()].map((t) => [t.name, t.dtype, t.shape]));
      expect([...tensors.values()].reduce((s, t) => s + t.data.length, 0)).toBe(ck.paramCount);
      expect(metadata).toMatchObject({ format: 'pt', env: ck.config.env, head: run.head, manifest: 'policy.json' });
      const env = makeEnv(ck.config.env);
      expect(m.observation.dim).toBe(env.obsDim);
      if (run.head === 'tabular') {
        expect([...tensors.keys()]).toEqual(['actor.logits', 'critic.values']);
      } else {
        const K = ck.config.hidden.length + 1;
        const dense = (net: string) => [...Array(K).keys()].flatMap((k) => [`${net}.${k}.weight`, `${net}.${k}.bias`]);
        expect([...tensors.keys()]).toEqual([...dense('actor'), ...(run.head === 'gaussian' ? ['actor.log_std'] : []), ...dense('critic')]);
        expect(m.actor.activation).toBe(ck.config.activation);
      }
      if (run.head === 'gaussian') {
        expect(m.action).toMatchObject({ kind: 'box', dim: (env.action as { low: number[] }).low.length });
        // log σ trained away from its initial 0, so σ is really read from the file
        expect(Math.max(...[...tensors.get('actor.log_std')!.data].map(Math.abs))).toBeGreaterThan(1e-5);
      }

      const eng = engineForward(ck, run.obs);
      let err = 0;
      run.obs.forEach((o, b) => {
        const got = independentForward(m, tensors, o);
        if (eng.probs) {
          err = Math.max(err, maxAbs(got.probs!, eng.probs[b]));
          expect(got.probs!.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
        } else {
          err = Math.max(err, maxAbs(got.mu!, eng.mu![b]), maxAbs(got.sigma!, eng.sigma!));
        }
        expect(Math.abs(got.v - eng.v[b])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(eng.v[b])));
      });
      // float32 engine (activations stored in f32) against a float64 pass over the same f32 weights
      expect(err).toBeLessThan(1e-6);
      // the policy is not the uniform one (the comparison above is not between two constants)
      if (eng.probs) expect(Math.max(...eng.probs.flat().map((p) => Math.abs(p - 1 / eng.probs![0].length)))).toBeGreaterThan(1e-4);
    });
  }

  it('refuses a checkpoint whose parameters do not fit its own network', async () => {
    const { ck } = await trainedCheckpoint({ env: 'cartpole', hidden: [4] }, 1);
    const bad: Checkpoint = { ...ck, config: { ...ck.config, hidden: [5] } };
    expect(() => exportPolicy(bad)).toThrow(CheckpointError);
    expect(() => exportPolicy(bad)).toThrow(/checkpoint does not fit its own config: 55 parameters, the cartpole network with hidden \[5\] has 68/);
  });
});

// ───────────────────────── the CLI ─────────────────────────

describe('policygrad export', () => {
  const root = join(__dirname, '..', '..');
  const bin = join(root, 'bin', 'policygrad.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'policygrad-export-'));
  const ckPath = join(dir, 'checkpoint.json');
  let ckText = '';
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, FORCE_COLOR: '0' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    const main = join(root, 'dist', 'cli', 'main.js');
    if (!existsSync(main) || !readFileSync(main, 'utf8').includes('policy.safetensors')) execFileSync('npm', ['run', '-s', 'build:cli'], { cwd: root, stdio: 'inherit' });
    const { ck } = await trainedCheckpoint({ env: 'pendulum', hidden: [8] }, 2);
    ckText = serializeCheckpoint(ck);
    writeFileSync(ckPath, ckText);
    writeFileSync(join(dir, 'truncated.json'), ckText.slice(0, 100));
    writeFileSync(join(dir, 'a-file'), 'not a directory');
  }, 180_000);

  it('writes exactly what exportPolicy gives for the checkpoint, and leaves the checkpoint alone', () => {
    const out = join(dir, 'out', 'nested');
    const r = cli(['export', '--checkpoint', ckPath, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const expected = exportPolicy(parseCheckpoint(ckText));
    const line = JSON.parse(r.stdout);
    expect(line).toEqual({ event: 'export', out, files: expected.map((f) => ({ name: f.name, bytes: f.bytes.length })) });
    for (const f of expected) {
      const got = readFileSync(join(out, f.name));
      if (f.name === 'policy.json') {
        // identical but for nothing: the manifest is a pure function of the checkpoint
        expect(got.toString('utf8')).toBe(new TextDecoder().decode(f.bytes));
      } else {
        expect(got.equals(Buffer.from(f.bytes))).toBe(true);
      }
    }
    expect(readFileSync(ckPath, 'utf8')).toBe(ckText);
  });

  const BAD: [string, string[], RegExp][] = [
    ['missing checkpoint file', ['--checkpoint', join(dir, 'missing.json'), '--out', join(dir, 'x')], /^policygrad: checkpoint file not found: .*missing\.json$/],
    ['corrupt checkpoint', ['--checkpoint', join(dir, 'truncated.json'), '--out', join(dir, 'x')], /^policygrad: checkpoint is not valid JSON \(truncated or corrupt file\?\)$/],
    ['--out under a file', ['--checkpoint', ckPath, '--out', join(dir, 'a-file', 'sub')], /^policygrad: cannot create --out directory .*a-file\/sub: ENOTDIR \(a part of the path is a file\)$/],
    ['--out is a file', ['--checkpoint', ckPath, '--out', join(dir, 'a-file')], /^policygrad: cannot create --out directory .*a-file: EEXIST/],
    // Node's recursive mkdir spins forever under /proc: the command must still answer with one line
    ['--out under /proc', ['--checkpoint', ckPath, '--out', '/proc/policygrad-export-test/sub'], /^policygrad: cannot create --out directory \/proc\/policygrad-export-test\/sub: E[A-Z]+/],
    ['--out empty', ['--checkpoint', ckPath, '--out', ''], /^policygrad: invalid --out: "" \(allowed: a directory path/],
    ['no --out', ['--checkpoint', ckPath], /^policygrad: required option '--out <dir>' not specified$/],
    ['no --checkpoint', ['--out', join(dir, 'x')], /^policygrad: required option '--checkpoint <file>' not specified$/],
  ];
  for (const [label, args, re] of BAD) {
    it(`${label}: exit 2, one line`, () => {
      const r = cli(['export', ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(re);
    });
  }
});
