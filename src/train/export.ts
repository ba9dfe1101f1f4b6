/**
 * Take the trained policy away: a checkpoint's networks as `policy.safetensors` (the weights) plus
 * `policy.json` (a manifest: env, spaces, layers, activation, head, normalisation, the forward pass in
 * words and a PyTorch loader). Browser-safe (no node imports): the CLI's `export` command and the page's
 * "Export policy" button both call `exportPolicy`.
 *
 * safetensors (written here: the npm package of that name is a 0.0.1 placeholder), all little-endian:
 *
 *   [ N: u64 ][ N bytes: UTF-8 JSON header, padded with spaces so N % 8 = 0 ][ data ]
 *   header = { "__metadata__": { string: string }, "name": { "dtype": "F32", "shape": [...],
 *              "data_offsets": [begin, end] }, ... }
 *
 * Offsets are relative to the start of the data; tensors are packed in header order without gaps and
 * the data holds nothing else. A tensor's bytes are row-major (C order), so θ's [out][in] weights
 * (src/policy/layout.ts) are already `torch.nn.Linear.weight`'s layout.
 *
 * Tensor names follow PyTorch state_dict keys of two `torch.nn.ModuleList`s of `torch.nn.Linear`
 * (`actor.0.weight` [out, in], `actor.0.bias` [out], … and `critic.…`), plus `actor.log_std` [dim]
 * (Gaussian heads, registered as a Parameter on the actor list) or, for tabular heads,
 * `actor.logits` [nStates, nActions] and `critic.values` [nStates].
 */
import { CheckpointError, UserError } from '../core/errors';
import { makeEnv } from '../envs';
import { netLayout, netSpecFor, paramSegments, type NetLayout } from '../policy/layout';
import type { Checkpoint } from './checkpoint';

export interface ExportFile {
  name: string;
  bytes: Uint8Array;
  type: string;
}

export const POLICY_FORMAT = 'policygrad-policy';
export const POLICY_VERSION = 1;
export const WEIGHTS_FILE = 'policy.safetensors';
export const MANIFEST_FILE = 'policy.json';

// ───────────────────────── safetensors ─────────────────────────

/** The dtypes this reader and writer handle (F32 for policies; I32 for the format's reference vectors). */
const DTYPES = { F32: Float32Array, I32: Int32Array } as const;
export type SafetensorsDtype = keyof typeof DTYPES;
type TensorData = Float32Array | Int32Array;

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

function dtypeOf(a: TensorData): SafetensorsDtype {
  return a instanceof Float32Array ? 'F32' : 'I32';
}

/** The safetensors bytes of `tensors` (in this order) with optional string metadata. */
export function encodeSafetensors(tensors: { name: string; shape: number[]; data: TensorData }[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let end = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw new Error(`encodeSafetensors: duplicate or reserved tensor name ${t.name}`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`encodeSafetensors: ${t.name} has ${t.data.length} values for shape [${t.shape}]`);
    const begin = end;
    end += t.data.byteLength;
    header[t.name] = { dtype: dtypeOf(t.data), shape: t.shape, data_offsets: [begin, end] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + end);
  const view = new DataView(out.buffer);
  view.setUint32(0, n, true); // u64 little-endian: low word, then a zero high word
  view.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, at += 4) {
      if (t.data instanceof Float32Array) view.setFloat32(at, t.data[i], true);
      else view.setInt32(at, t.data[i], true);
    }
  }
  return out;
}

/**
 * Read safetensors bytes: every tensor (header order) and the metadata. Throws `UserError` naming what
 * is wrong for a short, truncated or malformed file, an unknown dtype, a tensor whose size does not match
 * its shape, or offsets that overlap, leave gaps or run past the data.
 */
export function parseSafetensors(bytes: Uint8Array): { tensors: Map<string, SafetensorsTensor>; metadata: Record<string, string> } {
  function bad(why: string): never {
    throw new UserError(`not a valid safetensors file: ${why}`);
  }
  if (bytes.length < 8) bad(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > bytes.length - 8) bad(`header length ${n} runs past the end of the file (${bytes.length} bytes)`);
  if (bytes[8] !== 0x7b) bad('the header does not start with "{"');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    return bad('the header is not valid UTF-8 JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) bad('the header is not a JSON object');
  const metadata: Record<string, string> = {};
  const metaIn = header.__metadata__;
  if (metaIn !== undefined) {
    if (!metaIn || typeof metaIn !== 'object' || Array.isArray(metaIn)) bad('__metadata__ is not an object');
    for (const [k, v] of Object.entries(metaIn as Record<string, unknown>)) {
      if (typeof v !== 'string') bad(`__metadata__.${k} is not a string`);
      metadata[k] = v as string;
    }
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: off } = (e ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in DTYPES)) bad(`tensor ${name} has dtype ${JSON.stringify(dtype)} (this reader handles ${Object.keys(DTYPES).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) bad(`tensor ${name} has a bad shape`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1]) bad(`tensor ${name} has bad data_offsets`);
    const [begin, end] = off as number[];
    const size = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPES[dtype as SafetensorsDtype].BYTES_PER_ELEMENT;
    if (end - begin !== size) bad(`tensor ${name} holds ${end - begin} bytes, its shape [${shape}] needs ${size}`);
    if (end > dataLength) bad(`tensor ${name} runs past the end of the data (truncated file?)`);
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  // the data must be covered exactly: sorted by offset, each tensor starts where the previous ended
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at) bad(`tensor ${e.name} starts at byte ${e.begin}, expected ${at} (overlap or gap)`);
    at = e.end;
  }
  if (at !== dataLength) bad(`the tensors cover ${at} of ${dataLength} data bytes`);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    const C = DTYPES[e.dtype];
    const data = new C((e.end - e.begin) / 4);
    for (let i = 0, p = dataStart + e.begin; i < data.length; i++, p += 4) data[i] = e.dtype === 'F32' ? view.getFloat32(p, true) : view.getInt32(p, true);
    tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

// ───────────────────────── the policy ─────────────────────────

/** PyTorch's name for a θ segment (layout.ts names): dense layers keep theirs. */
function torchName(segment: string): string {
  return { 'actor.logStd': 'actor.log_std', 'actor.table': 'actor.logits', 'critic.table': 'critic.values' }[segment] ?? segment;
}

/** What a tensor holds, for the manifest. */
function meaning(name: string, layout: NetLayout): string {
  const head = layout.spec.head;
  if (name === 'actor.log_std') return 'log σ of the Gaussian policy, one per action dimension, state-independent: σ = exp(actor.log_std)';
  if (name === 'actor.logits') return `logits z(s, a), row s = the state (argmax of the one-hot observation): π(a|s) = softmax(z(s, ·))_a`;
  if (name === 'critic.values') return 'the state value V(s), one per state';
  const m = /^(actor|critic)\.(\d+)\.(weight|bias)$/.exec(name);
  if (!m) return '';
  const layers = m[1] === 'actor' ? layout.actorLayers : layout.criticLayers;
  const k = Number(m[2]);
  const last = k === layers.length - 1;
  const what = last ? (m[1] === 'critic' ? 'output layer (V(s))' : head.kind === 'gaussian' ? 'output layer (the means μ)' : 'output layer (the logits)') : `hidden layer ${k}`;
  return `${m[1]} ${what}: ${m[3] === 'weight' ? `W [out ${layers[k].outDim}, in ${layers[k].inDim}]` : `b [${layers[k].outDim}]`} of z = W x + b (torch.nn.Linear)`;
}

/** The manifest's description of one MLP (its dense layers by tensor name). */
function mlpOf(net: 'actor' | 'critic', layout: NetLayout) {
  const layers = net === 'actor' ? layout.actorLayers : layout.criticLayers;
  return {
    kind: 'mlp',
    activation: layout.spec.activation,
    layers: layers.map((l, k) => ({ weight: `${net}.${k}.weight`, bias: `${net}.${k}.bias`, in: l.inDim, out: l.outDim })),
  };
}

/** A checkpoint's network layout, checked against its parameter vector. */
function layoutOf(ck: Checkpoint): NetLayout {
  const layout = netLayout(netSpecFor(makeEnv(ck.config.env), ck.config));
  if (layout.total !== ck.snapshot.params.length || layout.total !== ck.paramCount) {
    throw new CheckpointError(`checkpoint does not fit its own config: ${ck.snapshot.params.length} parameters, the ${ck.config.env} network with hidden [${ck.config.hidden}] has ${layout.total}`);
  }
  return layout;
}

/** The PyTorch lines that rebuild the networks and load policy.safetensors into them. */
function pytorchLoader(layout: NetLayout): string[] {
  const head = layout.spec.head;
  if (head.kind === 'tabular') {
    return [
      'import torch',
      'from safetensors.torch import load_file',
      `sd = load_file("${WEIGHTS_FILE}")`,
      'logits, values = sd["actor.logits"], sd["critic.values"]',
      'def policy(obs):  # obs: one-hot over the states',
      `    s = int(torch.argmax(torch.as_tensor(obs)[:${head.nStates}]))`,
      '    return torch.softmax(logits[s], dim=-1), values[s]',
    ];
  }
  const act = layout.spec.activation === 'relu' ? 'torch.nn.ReLU()' : 'torch.nn.Tanh()';
  const list = (layers: NetLayout['actorLayers']) => `torch.nn.ModuleList([${layers.map((l) => `torch.nn.Linear(${l.inDim}, ${l.outDim})`).join(', ')}])`;
  const lines = [
    'import torch',
    'from safetensors.torch import load_file',
    'class Policy(torch.nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    `        self.actor = ${list(layout.actorLayers)}`,
    `        self.critic = ${list(layout.criticLayers)}`,
  ];
  if (head.kind === 'gaussian') lines.push(`        self.actor.log_std = torch.nn.Parameter(torch.zeros(${head.dim}))`);
  lines.push(
    `        self.act = ${act}`,
    '    def mlp(self, layers, x):',
    '        for k, layer in enumerate(layers):',
    '            x = layer(x)',
    '            if k < len(layers) - 1:',
    '                x = self.act(x)',
    '        return x',
    '    def forward(self, obs):',
    head.kind === 'gaussian'
      ? '        return self.mlp(self.actor, obs), self.actor.log_std.exp(), self.mlp(self.critic, obs).squeeze(-1)  # μ, σ, V(s)'
      : '        return torch.softmax(self.mlp(self.actor, obs), dim=-1), self.mlp(self.critic, obs).squeeze(-1)  # π(·|s), V(s)',
    'policy = Policy()',
    `policy.load_state_dict(load_file("${WEIGHTS_FILE}"))`,
  );
  return lines;
}

/** The forward pass in words. */
function forwardInWords(layout: NetLayout, obsDim: number): string[] {
  const head = layout.spec.head;
  if (head.kind === 'tabular') {
    return [
      `s = argmax of the observation's first ${head.nStates} entries (one-hot over ${head.nStates} state${head.nStates > 1 ? 's' : ''}; the first maximum wins)`,
      `π(a|s) = softmax(actor.logits[s])_a over ${head.n} actions`,
      'V(s) = critic.values[s]',
    ];
  }
  const K = layout.actorLayers.length;
  const f = layout.spec.activation;
  return [
    `x₀ = the observation (${obsDim} floats exactly as the env emits them: no normalisation)`,
    `actor: for k = 0 … ${K - 1}: z_k = actor.k.weight · x_k + actor.k.bias; x_{k+1} = ${f}(z_k) for k < ${K - 1}, no activation after the last layer (k = ${K - 1})`,
    head.kind === 'softmax'
      ? `head: π(a|s) = softmax(z_${K - 1})_a over ${head.n} actions (the last layer's outputs are logits)`
      : `head: diagonal Gaussian with mean μ = z_${K - 1} (${head.dim} value${head.dim > 1 ? 's' : ''}) and standard deviation σ = exp(actor.log_std), independent of the state; a = μ + σ·ε, ε ~ N(0, I), is sent raw and the env clips it to [low, high] (use μ for a deterministic policy)`,
    `critic: the same stack with critic.k.weight, critic.k.bias (same activation, none after the last layer) gives V(s) = its single output`,
  ];
}

/** The manifest object (policy.json) for a checkpoint, with the tensors in file order. */
export function policyManifest(ck: Checkpoint): { manifest: Record<string, unknown>; tensors: { name: string; shape: number[]; data: Float32Array }[] } {
  const layout = layoutOf(ck);
  const env = makeEnv(ck.config.env);
  const head = layout.spec.head;
  const theta = ck.snapshot.params;
  const tensors = paramSegments(layout).map((s) => ({ name: torchName(s.name), shape: s.shape, data: theta.slice(s.offset, s.offset + s.size) }));
  const a = env.action;
  const manifest = {
    format: POLICY_FORMAT,
    version: POLICY_VERSION,
    weights: WEIGHTS_FILE,
    source: {
      checkpointCreatedAt: ck.createdAt,
      backend: ck.backend,
      algo: ck.config.algo,
      seed: ck.config.seed,
      update: ck.snapshot.update,
      envSteps: ck.snapshot.envSteps,
    },
    env: { name: env.name, params: env.params, horizon: env.horizon },
    observation: {
      dim: env.obsDim,
      ...(env.tabular ? { encoding: 'one-hot', nStates: env.tabular.nStates } : { encoding: 'raw' }),
      layout: `the header comment of src/envs/${env.name}.ts`,
    },
    action:
      a.kind === 'discrete'
        ? { kind: 'discrete', n: a.n }
        : { kind: 'box', dim: a.low.length, low: a.low, high: a.high, note: 'the raw Gaussian sample goes to the env, which clips each dimension to [low, high]' },
    normalization: null,
    normalizationNote: 'none: the networks read observations exactly as the env emits them (no running mean/std, no clipping), and returns/rewards are not rescaled',
    head:
      head.kind === 'softmax'
        ? { kind: 'softmax', n: head.n, logits: `actor.${layout.actorLayers.length - 1} (the last actor layer's outputs)` }
        : head.kind === 'gaussian'
          ? { kind: 'gaussian', dim: head.dim, mean: `actor.${layout.actorLayers.length - 1} (the last actor layer's outputs)`, logStd: 'actor.log_std' }
          : { kind: 'tabular', nStates: head.nStates, n: head.n, logits: 'actor.logits', values: 'critic.values' },
    actor: head.kind === 'tabular' ? { kind: 'table', table: 'actor.logits', shape: [head.nStates, head.n] } : mlpOf('actor', layout),
    critic: head.kind === 'tabular' ? { kind: 'table', table: 'critic.values', shape: [head.nStates] } : mlpOf('critic', layout),
    tensors: tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: t.shape, meaning: meaning(t.name, layout) })),
    forward: forwardInWords(layout, env.obsDim),
    pytorch: pytorchLoader(layout),
  };
  return { manifest, tensors };
}

/** JSON indented by two spaces, with arrays of numbers (shapes, bounds) kept on one line. */
function prettyJson(o: unknown): string {
  return JSON.stringify(o, null, 2).replace(/\[[\d\s,.eE+-]*\]/g, (m) => m.replace(/\s+/g, '').replace(/,/g, ', ')) + '\n';
}

/** policy.safetensors and policy.json (the manifest) for a checkpoint. */
export function exportPolicy(ck: Checkpoint): ExportFile[] {
  const { manifest, tensors } = policyManifest(ck);
  const head = (manifest.head as { kind: string }).kind;
  const metadata = {
    format: 'pt',
    producer: POLICY_FORMAT,
    manifest: MANIFEST_FILE,
    env: ck.config.env,
    head,
    activation: ck.config.activation,
    hidden: head === 'tabular' ? '' : ck.config.hidden.join(','),
  };
  return [
    { name: WEIGHTS_FILE, bytes: encodeSafetensors(tensors, metadata), type: 'application/octet-stream' },
    { name: MANIFEST_FILE, bytes: new TextEncoder().encode(prettyJson(manifest)), type: 'application/json' },
  ];
}
