/**
 * Batched forward and backward passes of the actor and the critic over B samples, by hand over typed
 * arrays (the WGSL kernels mirror these loops). Layout of θ: see layout.ts.
 *
 * Shapes (all row-major, sample-major):
 *   obs   B × obsDim                      (tabular: one-hot over nStates; the row is argmax(obs))
 *   out   B × headOutDim                  actor outputs: logits z (softmax, tabular) or means μ (gaussian)
 *   vOut  B                               critic values V(s)
 *   dOut  B × headOutDim                  ∂L/∂out, given by the caller (from the head derivative helpers)
 *   dLogStd B × dim (optional)            ∂L/∂log σ per sample (Gaussian); summed over the batch here
 *   dV    B                               ∂L/∂V
 *   grad  total (= layout.total)          accumulated with += (actor and critic segments of one vector)
 *
 * Per dense layer k (x₀ = obs, z_k = W_k x_k + b_k, x_{k+1} = f(z_k) for hidden layers):
 *   forward   z[b][o] = b_k[o] + Σ_i W[o][i] · x[b][i]
 *   backward  ∂W[o][i] += Σ_b δ[b][o] · x[b][i],   ∂b[o] += Σ_b δ[b][o],
 *             ∂x[b][i]  = Σ_o W[o][i] · δ[b][o],   δ_{k−1} = ∂x ⊙ f′,   f′ = 1 − x² (tanh), 1[x > 0] (relu)
 * where f′ is evaluated from the stored post-activation x_{k} (tanh′(z) = 1 − tanh(z)², relu′(z) = 1[relu(z) > 0]).
 * Sums over the batch are accumulated in float64 scratch, then added to `grad` once per parameter.
 *
 * The workspace keeps every hidden activation of the last actorForward / criticForward (separately for
 * the two nets); actorBackward / criticBackward read them, so call the matching forward first with the
 * same θ, obs and B. Nothing is allocated per call.
 */
import type { DenseLayer, NetLayout } from './layout';

/** A float array the passes accept: Float32Array in the engines; Float64Array for float64 checks. */
export type Vec = Float32Array | Float64Array;

const ACT_NONE = 0;
const ACT_TANH = 1;
const ACT_RELU = 2;

export interface Workspace {
  readonly layout: NetLayout;
  readonly maxBatch: number;
  /** 'f32': activations stored in Float32Array (as on the GPU); 'f64': Float64Array (gradient checks) */
  readonly precision: 'f32' | 'f64';
  /** post-activation outputs x_{k+1} of each actor hidden layer k, maxBatch × hidden[k] */
  readonly actorActs: Vec[];
  /** the same for the critic */
  readonly criticActs: Vec[];
  /** backward δ buffers (ping-pong), maxBatch × maxWidth, float64 */
  readonly d0: Float64Array;
  readonly d1: Float64Array;
  /** float64 accumulators of Σ_b for one layer's ∂W (or a tabular table) and ∂b */
  readonly accW: Float64Array;
  readonly accB: Float64Array;
  /** Wᵀ of the layer being back-propagated through, float64 */
  readonly wT: Float64Array;
}

/** A reusable workspace for batches of up to `maxBatch` samples. */
export function createWorkspace(layout: NetLayout, maxBatch: number, precision: 'f32' | 'f64' = 'f32'): Workspace {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`createWorkspace: maxBatch must be a positive integer, got ${maxBatch}`);
  const mk = (n: number): Vec => (precision === 'f64' ? new Float64Array(n) : new Float32Array(n));
  const hidden = layout.actorLayers.slice(0, -1).map((l) => l.outDim);
  let maxW = 1;
  for (const l of [...layout.actorLayers, ...layout.criticLayers]) maxW = Math.max(maxW, l.inDim * l.outDim);
  if (layout.spec.head.kind === 'tabular') maxW = Math.max(maxW, layout.actorSize, layout.criticSize);
  return {
    layout,
    maxBatch,
    precision,
    actorActs: hidden.map((h) => mk(maxBatch * h)),
    criticActs: hidden.map((h) => mk(maxBatch * h)),
    d0: new Float64Array(maxBatch * layout.maxWidth),
    d1: new Float64Array(maxBatch * layout.maxWidth),
    accW: new Float64Array(maxW),
    accB: new Float64Array(Math.max(1, layout.maxWidth)),
    wT: new Float64Array(maxW),
  };
}

function actCode(layout: NetLayout): number {
  return layout.spec.activation === 'relu' ? ACT_RELU : ACT_TANH;
}

/** Argument checks (once per call, outside the loops): workspace shape, batch size, array lengths. */
function checkBatch(fn: string, layout: NetLayout, ws: Workspace, B: number, theta: Vec, obs: Vec, io: Vec, ioPerSample: number): void {
  const wl = ws.layout;
  if (wl !== layout && (wl.total !== layout.total || wl.maxWidth !== layout.maxWidth || wl.actorLayers.length !== layout.actorLayers.length)) {
    throw new Error(`${fn}: workspace was made for another layout`);
  }
  if (!(B >= 0 && B <= ws.maxBatch && Number.isInteger(B))) throw new Error(`${fn}: batch ${B} outside [0, ${ws.maxBatch}]`);
  if (theta.length < layout.total) throw new Error(`${fn}: θ has ${theta.length} < ${layout.total} floats`);
  if (obs.length < B * layout.spec.obsDim) throw new Error(`${fn}: obs has ${obs.length} < ${B}×${layout.spec.obsDim} floats`);
  if (io.length < B * ioPerSample) throw new Error(`${fn}: output/gradient array has ${io.length} < ${B}×${ioPerSample} floats`);
}

/**
 * One dense layer over the batch: y[b][o] = f(b[o] + Σ_i W[o][i] x[b][i]).
 * Loop order b → o → i walks W's row o and x's row b contiguously; four samples share each W load.
 * tanh(s) is evaluated as 1 − 2/(e^{2s} + 1) (exact to ~3e-16 absolute, ±1 at overflow; about twice as
 * fast as Math.tanh in V8).
 */
function denseForward(theta: Vec, l: DenseLayer, x: Vec, B: number, y: Vec, act: number): void {
  const inD = l.inDim;
  const outD = l.outDim;
  const wo = l.wOffset;
  const bo = l.bOffset;
  let b = 0;
  for (; b + 4 <= B; b += 4) {
    const x0 = b * inD;
    const x1 = x0 + inD;
    const x2 = x1 + inD;
    const x3 = x2 + inD;
    const y0 = b * outD;
    for (let o = 0; o < outD; o++) {
      const bias = theta[bo + o];
      let s0 = bias;
      let s1 = bias;
      let s2 = bias;
      let s3 = bias;
      const w = wo + o * inD;
      for (let i = 0; i < inD; i++) {
        const wi = theta[w + i];
        s0 += wi * x[x0 + i];
        s1 += wi * x[x1 + i];
        s2 += wi * x[x2 + i];
        s3 += wi * x[x3 + i];
      }
      if (act === ACT_TANH) {
        s0 = 1 - 2 / (Math.exp(2 * s0) + 1);
        s1 = 1 - 2 / (Math.exp(2 * s1) + 1);
        s2 = 1 - 2 / (Math.exp(2 * s2) + 1);
        s3 = 1 - 2 / (Math.exp(2 * s3) + 1);
      } else if (act === ACT_RELU) {
        s0 = s0 > 0 ? s0 : 0;
        s1 = s1 > 0 ? s1 : 0;
        s2 = s2 > 0 ? s2 : 0;
        s3 = s3 > 0 ? s3 : 0;
      }
      const yo = y0 + o;
      y[yo] = s0;
      y[yo + outD] = s1;
      y[yo + 2 * outD] = s2;
      y[yo + 3 * outD] = s3;
    }
  }
  for (; b < B; b++) {
    const xb = b * inD;
    const yb = b * outD;
    for (let o = 0; o < outD; o++) {
      let s = theta[bo + o];
      const w = wo + o * inD;
      for (let i = 0; i < inD; i++) s += theta[w + i] * x[xb + i];
      if (act === ACT_TANH) s = 1 - 2 / (Math.exp(2 * s) + 1);
      else if (act === ACT_RELU) s = s > 0 ? s : 0;
      y[yb + o] = s;
    }
  }
}

function mlpForward(layers: DenseLayer[], theta: Vec, obs: Vec, B: number, acts: Vec[], out: Vec, act: number): void {
  let x = obs;
  const K = layers.length;
  for (let k = 0; k < K - 1; k++) {
    denseForward(theta, layers[k], x, B, acts[k], act);
    x = acts[k];
  }
  denseForward(theta, layers[K - 1], x, B, out, ACT_NONE);
}

/**
 * Backward through a dense stack. δ_{K−1} = dOut; for k = K−1 … 0:
 *   ∂W_k += Σ_b δ_k[b] x_k[b]ᵀ, ∂b_k += Σ_b δ_k[b]            (4 samples per pass over the ∂W row)
 *   δ_{k−1}[b][i] = f′(x_k[b][i]) · Σ_o Wᵀ[i][o] δ_k[b][o]   (k > 0; Wᵀ copied once into ws.wT so the
 *                                                            sum over o is a contiguous dot product)
 */
function mlpBackward(layers: DenseLayer[], theta: Vec, obs: Vec, B: number, acts: Vec[], dOut: Vec, grad: Vec, ws: Workspace, act: number): void {
  const accW = ws.accW;
  const accB = ws.accB;
  const wT = ws.wT;
  let dz: Vec = dOut;
  for (let k = layers.length - 1; k >= 0; k--) {
    const l = layers[k];
    const inD = l.inDim;
    const outD = l.outDim;
    const wo = l.wOffset;
    const bo = l.bOffset;
    const x = k === 0 ? obs : acts[k - 1];
    const nW = outD * inD;
    accW.fill(0, 0, nW);
    accB.fill(0, 0, outD);
    // ∂W, ∂b: accW[o][i] += Σ_b δ[b][o] x[b][i]
    let b = 0;
    for (; b + 4 <= B; b += 4) {
      const x0 = b * inD;
      const x1 = x0 + inD;
      const x2 = x1 + inD;
      const x3 = x2 + inD;
      const d0 = b * outD;
      for (let o = 0; o < outD; o++) {
        const g0 = dz[d0 + o];
        const g1 = dz[d0 + outD + o];
        const g2 = dz[d0 + 2 * outD + o];
        const g3 = dz[d0 + 3 * outD + o];
        if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue; // dead relu units
        accB[o] += g0 + g1 + g2 + g3;
        const a = o * inD;
        for (let i = 0; i < inD; i++) accW[a + i] += g0 * x[x0 + i] + g1 * x[x1 + i] + g2 * x[x2 + i] + g3 * x[x3 + i];
      }
    }
    for (; b < B; b++) {
      const xb = b * inD;
      const db = b * outD;
      for (let o = 0; o < outD; o++) {
        const g = dz[db + o];
        if (g === 0) continue;
        accB[o] += g;
        const a = o * inD;
        for (let i = 0; i < inD; i++) accW[a + i] += g * x[xb + i];
      }
    }
    if (k > 0) {
      // δ_{k−1} = (Wᵀ δ) ⊙ f′(x)
      for (let o = 0; o < outD; o++) {
        const w = wo + o * inD;
        for (let i = 0; i < inD; i++) wT[i * outD + o] = theta[w + i];
      }
      const dx = dz === ws.d0 ? ws.d1 : ws.d0;
      // ∂x[b][i] = Σ_o Wᵀ[i][o] δ[b][o], four samples per pass over the Wᵀ row
      let bb = 0;
      for (; bb + 4 <= B; bb += 4) {
        const e0 = bb * outD;
        const e1 = e0 + outD;
        const e2 = e1 + outD;
        const e3 = e2 + outD;
        const xb = bb * inD;
        for (let i = 0; i < inD; i++) {
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          const t = i * outD;
          for (let o = 0; o < outD; o++) {
            const w = wT[t + o];
            s0 += w * dz[e0 + o];
            s1 += w * dz[e1 + o];
            s2 += w * dz[e2 + o];
            s3 += w * dz[e3 + o];
          }
          dx[xb + i] = s0;
          dx[xb + inD + i] = s1;
          dx[xb + 2 * inD + i] = s2;
          dx[xb + 3 * inD + i] = s3;
        }
      }
      for (; bb < B; bb++) {
        const xb = bb * inD;
        const db = bb * outD;
        for (let i = 0; i < inD; i++) {
          let s = 0;
          const t = i * outD;
          for (let o = 0; o < outD; o++) s += wT[t + o] * dz[db + o];
          dx[xb + i] = s;
        }
      }
      // δ_{k−1} = ∂x ⊙ f′(x):  f′ = 1 − x² (tanh), 1[x > 0] (relu)
      const nx = B * inD;
      if (act === ACT_TANH) {
        for (let j = 0; j < nx; j++) {
          const h = x[j];
          dx[j] *= 1 - h * h;
        }
      } else if (act === ACT_RELU) {
        for (let j = 0; j < nx; j++) if (!(x[j] > 0)) dx[j] = 0;
      }
      dz = dx;
    }
    for (let j = 0; j < nW; j++) grad[wo + j] += accW[j];
    for (let o = 0; o < outD; o++) grad[bo + o] += accB[o];
  }
}

/** The tabular state of a one-hot observation: s = argmax_i obs[off + i] (first maximum). */
export function tabularState(obs: ArrayLike<number>, off: number, nStates: number): number {
  let best = 0;
  let bv = obs[off];
  for (let i = 1; i < nStates; i++) {
    if (obs[off + i] > bv) {
      bv = obs[off + i];
      best = i;
    }
  }
  return best;
}

/**
 * Actor forward: out[b] = head outputs of obs[b] (B × headOutDim): logits z (softmax), means μ
 * (gaussian; log σ is θ[logStdOffset …], state-independent), or the table row z(s) = θ[s·n …] (tabular).
 * Stores the hidden activations in `ws` for actorBackward.
 */
export function actorForward(layout: NetLayout, theta: Vec, obs: Vec, B: number, ws: Workspace, out: Vec): void {
  checkBatch('actorForward', layout, ws, B, theta, obs, out, layout.headOutDim);
  const head = layout.spec.head;
  if (head.kind === 'tabular') {
    const n = head.n;
    const nS = head.nStates;
    const od = layout.spec.obsDim;
    const t0 = layout.actorTableOffset;
    for (let b = 0; b < B; b++) {
      const row = t0 + tabularState(obs, b * od, nS) * n;
      const ob = b * n;
      for (let a = 0; a < n; a++) out[ob + a] = theta[row + a];
    }
    return;
  }
  mlpForward(layout.actorLayers, theta, obs, B, ws.actorActs, out, actCode(layout));
}

/** Critic forward: vOut[b] = V(obs[b]) (MLP, or the value table θ[criticOffset + s]). */
export function criticForward(layout: NetLayout, theta: Vec, obs: Vec, B: number, ws: Workspace, vOut: Vec): void {
  checkBatch('criticForward', layout, ws, B, theta, obs, vOut, 1);
  const head = layout.spec.head;
  if (head.kind === 'tabular') {
    const od = layout.spec.obsDim;
    const t0 = layout.criticTableOffset;
    for (let b = 0; b < B; b++) vOut[b] = theta[t0 + tabularState(obs, b * od, head.nStates)];
    return;
  }
  mlpForward(layout.criticLayers, theta, obs, B, ws.criticActs, vOut, actCode(layout));
}

/**
 * Actor backward: grad[actor segment] += ∂L/∂θ_actor given dOut = ∂L/∂out (B × headOutDim) and, for a
 * Gaussian head, dLogStd = ∂L/∂log σ per sample (B × dim, or null): grad[logStdOffset + j] += Σ_b dLogStd[b][j].
 * Tabular: grad[s_b·n + a] += dOut[b][a] (scatter to the row of each sample's state).
 * Uses the activations stored by the last actorForward on `ws`.
 */
export function actorBackward(
  layout: NetLayout,
  theta: Vec,
  obs: Vec,
  B: number,
  ws: Workspace,
  dOut: Vec,
  grad: Vec,
  dLogStd: Vec | null = null,
): void {
  checkBatch('actorBackward', layout, ws, B, theta, obs, dOut, layout.headOutDim);
  if (grad.length < layout.total) throw new Error(`actorBackward: grad has ${grad.length} < ${layout.total} floats`);
  const head = layout.spec.head;
  if (head.kind === 'tabular') {
    const n = head.n;
    const nS = head.nStates;
    const od = layout.spec.obsDim;
    const acc = ws.accW;
    const size = nS * n;
    acc.fill(0, 0, size);
    for (let b = 0; b < B; b++) {
      const row = tabularState(obs, b * od, nS) * n;
      const ob = b * n;
      for (let a = 0; a < n; a++) acc[row + a] += dOut[ob + a];
    }
    const t0 = layout.actorTableOffset;
    for (let j = 0; j < size; j++) grad[t0 + j] += acc[j];
    return;
  }
  mlpBackward(layout.actorLayers, theta, obs, B, ws.actorActs, dOut, grad, ws, actCode(layout));
  if (dLogStd !== null && layout.logStdOffset >= 0) {
    const dim = layout.headOutDim;
    const ls = layout.logStdOffset;
    if (dLogStd.length < B * dim) throw new Error(`actorBackward: dLogStd has ${dLogStd.length} < ${B}×${dim} floats`);
    for (let j = 0; j < dim; j++) {
      let s = 0;
      for (let b = 0; b < B; b++) s += dLogStd[b * dim + j];
      grad[ls + j] += s;
    }
  }
}

/**
 * Critic backward: grad[critic segment] += ∂L/∂θ_critic given dV = ∂L/∂V (B). Tabular:
 * grad[criticOffset + s_b] += dV[b]. Uses the activations stored by the last criticForward on `ws`.
 */
export function criticBackward(layout: NetLayout, theta: Vec, obs: Vec, B: number, ws: Workspace, dV: Vec, grad: Vec): void {
  checkBatch('criticBackward', layout, ws, B, theta, obs, dV, 1);
  if (grad.length < layout.total) throw new Error(`criticBackward: grad has ${grad.length} < ${layout.total} floats`);
  const head = layout.spec.head;
  if (head.kind === 'tabular') {
    const nS = head.nStates;
    const od = layout.spec.obsDim;
    const acc = ws.accW;
    acc.fill(0, 0, nS);
    for (let b = 0; b < B; b++) acc[tabularState(obs, b * od, nS)] += dV[b];
    const t0 = layout.criticTableOffset;
    for (let s = 0; s < nS; s++) grad[t0 + s] += acc[s];
    return;
  }
  mlpBackward(layout.criticLayers, theta, obs, B, ws.criticActs, dV, grad, ws, actCode(layout));
}
