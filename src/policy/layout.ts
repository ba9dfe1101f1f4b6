/**
 * The flat parameter vector θ and where every tensor lives in it. Both engines (CPU here, WGSL on the
 * GPU) and the checkpoint format read θ through this layout; it is the single source of the offsets.
 *
 * θ is ONE Float32Array: θ = [ actor | critic ], the critic starting at `criticOffset = actorSize`.
 *
 * MLP nets (head 'softmax' or 'gaussian'), hidden widths h₀ … h_{L−1}, activation f (tanh or relu):
 *
 *   actor : obsDim → h₀ → … → h_{L−1} → headOutDim          (headOutDim = n logits or `dim` means μ)
 *   critic: obsDim → h₀ → … → h_{L−1} → 1                   (V(s))
 *
 *   Each dense layer k (in = inDim, out = outDim) is stored as
 *     W_k  at wOffset: outDim·inDim floats, row-major [out][in]:  W_k[o][i] = θ[wOffset + o·inDim + i]
 *     b_k  at bOffset = wOffset + outDim·inDim: outDim floats
 *   and computes  z_k = W_k x_k + b_k,  x_{k+1} = f(z_k)  (no activation after the last layer).
 *   Layers follow each other without padding: actor layer 0, actor layer 1, …, actor output layer,
 *   then (Gaussian only) log σ: `dim` floats at logStdOffset (state-independent), then the critic's
 *   layers in the same order starting at criticOffset.
 *
 * Tabular nets (head 'tabular', tiny MDPs with one-hot observations over nStates):
 *
 *   actor  = logits table [nStates][n] at actorTableOffset = 0:   z(s)_a = θ[s·n + a]
 *   critic = value table  [nStates]    at criticTableOffset = criticOffset = nStates·n:  V(s) = θ[criticOffset + s]
 *
 *   (the same layout as the exact-gradient code's θ = logits [nStates][nActions]).
 *
 * Example, CartPole with hidden [64, 64] (softmax, n = 2):
 *   actor  L0 W 0 (256) b 256 (64) | L1 W 320 (4096) b 4416 (64) | L2 W 4480 (128) b 4608 (2)  → actorSize 4610
 *   critic L0 W 4610 … | L1 … | L2 W 9090 (64) b 9154 (1)                                       → total 9155
 */
import type { Config } from '../core/config';
import type { Activation, EnvDef } from '../core/types';

/** The policy head: what the actor's outputs mean. */
export type HeadSpec =
  /** n logits z, π(a|s) = softmax(z)_a */
  | { kind: 'softmax'; n: number }
  /** `dim` means μ(s), diagonal Gaussian with state-independent log σ (dim ≤ 4: the RNG gives 4 normals per step) */
  | { kind: 'gaussian'; dim: number }
  /** a logits table [nStates][n] and a value table [nStates]; no hidden layers */
  | { kind: 'tabular'; nStates: number; n: number };

export interface NetSpec {
  obsDim: number;
  /** hidden widths; ignored (and [] in specs from `netSpecFor`) for tabular heads */
  hidden: number[];
  activation: Activation;
  head: HeadSpec;
}

/** One dense layer z = W x + b inside θ. */
export interface DenseLayer {
  /** offset of W (row-major [outDim][inDim]) */
  wOffset: number;
  /** offset of b[outDim] = wOffset + outDim·inDim */
  bOffset: number;
  inDim: number;
  outDim: number;
}

export interface NetLayout {
  spec: NetSpec;
  /** dense layers of the actor, input first (empty for tabular) */
  actorLayers: DenseLayer[];
  /** dense layers of the critic, input first (empty for tabular) */
  criticLayers: DenseLayer[];
  /** offset of the Gaussian log σ[dim]; −1 for other heads */
  logStdOffset: number;
  /** offset of the tabular logits table [nStates][n]; −1 for MLP nets */
  actorTableOffset: number;
  /** offset of the tabular value table [nStates]; −1 for MLP nets */
  criticTableOffset: number;
  /** number of actor parameters (θ[0 … actorSize−1]) */
  actorSize: number;
  /** first critic parameter (= actorSize) */
  criticOffset: number;
  /** number of critic parameters */
  criticSize: number;
  /** length of θ */
  total: number;
  /** actor outputs per sample: n logits (softmax, tabular) or `dim` means (gaussian) */
  headOutDim: number;
  /** widest layer input or output over both nets (workspace sizing) */
  maxWidth: number;
}

/** The widths of a dense stack obsDim → hidden… → outDim, laid out from `offset`. */
function denseStack(obsDim: number, hidden: number[], outDim: number, offset: number): DenseLayer[] {
  const widths = [obsDim, ...hidden, outDim];
  const layers: DenseLayer[] = [];
  let off = offset;
  for (let k = 0; k + 1 < widths.length; k++) {
    const inDim = widths[k];
    const out = widths[k + 1];
    layers.push({ wOffset: off, bOffset: off + out * inDim, inDim, outDim: out });
    off += out * inDim + out;
  }
  return layers;
}

function checkPositiveInt(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`netLayout: ${what} must be a positive integer, got ${v}`);
}

/** Compute every segment's offset for `spec` (see the file comment for the layout). */
export function netLayout(spec: NetSpec): NetLayout {
  checkPositiveInt('obsDim', spec.obsDim);
  const head = spec.head;
  if (head.kind === 'tabular') {
    checkPositiveInt('nStates', head.nStates);
    checkPositiveInt('n', head.n);
    const actorSize = head.nStates * head.n;
    return {
      spec,
      actorLayers: [],
      criticLayers: [],
      logStdOffset: -1,
      actorTableOffset: 0,
      criticTableOffset: actorSize,
      actorSize,
      criticOffset: actorSize,
      criticSize: head.nStates,
      total: actorSize + head.nStates,
      headOutDim: head.n,
      maxWidth: Math.max(spec.obsDim, head.n),
    };
  }
  for (const h of spec.hidden) checkPositiveInt('hidden width', h);
  const headOutDim = head.kind === 'softmax' ? head.n : head.dim;
  checkPositiveInt(head.kind === 'softmax' ? 'n' : 'dim', headOutDim);
  if (head.kind === 'gaussian' && headOutDim > 4) throw new Error(`netLayout: Gaussian dim ${headOutDim} > 4 (the action RNG gives 4 normals per step)`);
  const actorLayers = denseStack(spec.obsDim, spec.hidden, headOutDim, 0);
  const last = actorLayers[actorLayers.length - 1];
  let actorSize = last.bOffset + last.outDim;
  let logStdOffset = -1;
  if (head.kind === 'gaussian') {
    logStdOffset = actorSize;
    actorSize += head.dim;
  }
  const criticLayers = denseStack(spec.obsDim, spec.hidden, 1, actorSize);
  const clast = criticLayers[criticLayers.length - 1];
  const total = clast.bOffset + 1;
  return {
    spec,
    actorLayers,
    criticLayers,
    logStdOffset,
    actorTableOffset: -1,
    criticTableOffset: -1,
    actorSize,
    criticOffset: actorSize,
    criticSize: total - actorSize,
    total,
    headOutDim,
    maxWidth: Math.max(spec.obsDim, headOutDim, ...spec.hidden),
  };
}

/**
 * The network for an environment: tabular when `env.tabular` is set (hidden ignored), else a softmax
 * head for a discrete action space and a Gaussian head (dim = action dimension) for a box.
 */
export function netSpecFor(env: EnvDef<any>, config: Pick<Config, 'hidden' | 'activation'>): NetSpec {
  const a = env.action;
  if (env.tabular) {
    if (a.kind !== 'discrete') throw new Error(`netSpecFor: tabular env ${env.name} needs a discrete action space`);
    return { obsDim: env.obsDim, hidden: [], activation: config.activation, head: { kind: 'tabular', nStates: env.tabular.nStates, n: a.n } };
  }
  const head: HeadSpec = a.kind === 'discrete' ? { kind: 'softmax', n: a.n } : { kind: 'gaussian', dim: a.low.length };
  return { obsDim: env.obsDim, hidden: [...config.hidden], activation: config.activation, head };
}

/** One named tensor inside θ. */
export interface ParamSegment {
  /** e.g. 'actor.0.weight', 'actor.0.bias', 'actor.logStd', 'critic.2.bias', 'actor.table', 'critic.table' */
  name: string;
  offset: number;
  size: number;
  /** [outDim, inDim] for weights, [outDim] for biases, [dim] for log σ, [nStates, n] / [nStates] for tables */
  shape: number[];
}

/**
 * Every tensor of θ in storage order, contiguous and covering [0, total) exactly: for checkpoint shape
 * checks, parameter summaries and the GPU engine's buffer bindings.
 */
export function paramSegments(layout: NetLayout): ParamSegment[] {
  const segs: ParamSegment[] = [];
  const dense = (net: string, layers: DenseLayer[]): void => {
    layers.forEach((l, k) => {
      segs.push({ name: `${net}.${k}.weight`, offset: l.wOffset, size: l.outDim * l.inDim, shape: [l.outDim, l.inDim] });
      segs.push({ name: `${net}.${k}.bias`, offset: l.bOffset, size: l.outDim, shape: [l.outDim] });
    });
  };
  const head = layout.spec.head;
  if (head.kind === 'tabular') {
    segs.push({ name: 'actor.table', offset: layout.actorTableOffset, size: head.nStates * head.n, shape: [head.nStates, head.n] });
    segs.push({ name: 'critic.table', offset: layout.criticTableOffset, size: head.nStates, shape: [head.nStates] });
    return segs;
  }
  dense('actor', layout.actorLayers);
  if (layout.logStdOffset >= 0) segs.push({ name: 'actor.logStd', offset: layout.logStdOffset, size: layout.headOutDim, shape: [layout.headOutDim] });
  dense('critic', layout.criticLayers);
  return segs;
}

/**
 * Write a tabular critic's values into θ: V(s) = values[s] for every policy row s < nStates, at
 * `criticTableOffset` (the actor's logits and everything else are left as they are). Throws for an
 * MLP layout or a `values` array of the wrong length.
 */
export function setTabularValues(layout: NetLayout, theta: Float32Array | Float64Array, values: ArrayLike<number>): void {
  const head = layout.spec.head;
  if (head.kind !== 'tabular') throw new Error(`setTabularValues: the ${head.kind} head has no value table`);
  if (values.length !== head.nStates) throw new Error(`setTabularValues: ${values.length} values for ${head.nStates} table rows`);
  if (theta.length < layout.total) throw new Error(`setTabularValues: θ has ${theta.length} entries, the layout ${layout.total}`);
  for (let s = 0; s < head.nStates; s++) theta[layout.criticTableOffset + s] = values[s];
}
