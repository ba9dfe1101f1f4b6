/**
 * Parameter initialisation as in CleanRL's `layer_init`: orthogonal weights (PyTorch
 * `nn.init.orthogonal_`), zero biases. Gains: √2 for hidden layers, 0.01 for the actor's output
 * layer, 1.0 for the critic's output layer; Gaussian log σ = 0; tabular tables = 0.
 *
 * Randomness: one PhiloxStream(seed, Purpose.Init) read in this order: actor layer 0, 1, …, actor
 * output layer, then critic layer 0, 1, …, critic output layer; for each layer the Gaussian matrix
 * A[out][in] row-major, one `normal()` per entry. So θ is a pure function of (spec, seed).
 */
import { PhiloxStream, Purpose } from '../core/rng';
import type { DenseLayer, NetLayout } from './layout';

export const GAIN_HIDDEN = Math.SQRT2;
export const GAIN_ACTOR_OUT = 0.01;
export const GAIN_CRITIC_OUT = 1.0;

/**
 * PyTorch `nn.init.orthogonal_` on a rows × cols matrix (rows = out, cols = in), written row-major
 * into `dst[off …]`, multiplied by `gain`:
 *
 *   A ~ N(0,1)^{rows×cols};  if rows < cols: A ← Aᵀ          (so A is m×n with m ≥ n)
 *   A = Q R (reduced QR, Householder);  Q ← Q · diag(sign(R_jj))  (unique Q: makes the draw Haar-uniform)
 *   if rows < cols: Q ← Qᵀ;   W = gain · Q
 *
 * Hence WᵀW = gain²·I when rows ≥ cols, WWᵀ = gain²·I when rows < cols. Computed in float64.
 */
export function orthogonalInto(dst: Float32Array | Float64Array, off: number, rows: number, cols: number, gain: number, rng: PhiloxStream): void {
  const a0 = new Float64Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) a0[i] = rng.normal();
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  // A (m×n) row-major: A[r][c]
  const A = new Float64Array(m * n);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    if (tall) A[r * n + c] = a0[r * cols + c];
    else A[c * n + r] = a0[r * cols + c];
  }
  // Householder QR: for each column j, a reflector H_j = I − 2 v vᵀ/(vᵀv) zeroing A[j+1…][j].
  const V = new Float64Array(m * n); // v_j stored in column j (rows j … m−1)
  const rdiag = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let norm2 = 0;
    for (let r = j; r < m; r++) norm2 += A[r * n + j] * A[r * n + j];
    const norm = Math.sqrt(norm2);
    const x0 = A[j * n + j];
    const alpha = x0 >= 0 ? -norm : norm; // R_jj = alpha (sign chosen against cancellation, as LAPACK)
    let vnorm2 = 0;
    for (let r = j; r < m; r++) {
      const v = r === j ? x0 - alpha : A[r * n + j];
      V[r * n + j] = v;
      vnorm2 += v * v;
    }
    rdiag[j] = alpha;
    if (vnorm2 === 0) continue;
    // apply H_j to the remaining columns
    for (let c = j; c < n; c++) {
      let d = 0;
      for (let r = j; r < m; r++) d += V[r * n + j] * A[r * n + c];
      const s = (2 * d) / vnorm2;
      for (let r = j; r < m; r++) A[r * n + c] -= s * V[r * n + j];
    }
  }
  // Q = H_0 H_1 … H_{n−1} [I_n; 0]  (m×n): apply reflectors in reverse to the first n columns of I
  const Q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) Q[j * n + j] = 1;
  for (let j = n - 1; j >= 0; j--) {
    let vnorm2 = 0;
    for (let r = j; r < m; r++) vnorm2 += V[r * n + j] * V[r * n + j];
    if (vnorm2 === 0) continue;
    for (let c = 0; c < n; c++) {
      let d = 0;
      for (let r = j; r < m; r++) d += V[r * n + j] * Q[r * n + c];
      const s = (2 * d) / vnorm2;
      for (let r = j; r < m; r++) Q[r * n + c] -= s * V[r * n + j];
    }
  }
  // sign fix: Q[:, j] *= sign(R_jj)   (torch.sign(0) = 0 never happens for a Gaussian draw)
  for (let j = 0; j < n; j++) {
    const sg = Math.sign(rdiag[j]);
    for (let r = 0; r < m; r++) Q[r * n + j] *= sg;
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    dst[off + r * cols + c] = gain * (tall ? Q[r * n + c] : Q[c * n + r]);
  }
}

function initDense(theta: Float32Array, layers: DenseLayer[], outGain: number, rng: PhiloxStream): void {
  layers.forEach((l, k) => {
    const gain = k === layers.length - 1 ? outGain : GAIN_HIDDEN;
    orthogonalInto(theta, l.wOffset, l.outDim, l.inDim, gain, rng);
    theta.fill(0, l.bOffset, l.bOffset + l.outDim);
  });
}

/**
 * θ₀ for `layout` and a u32 `seed`: orthogonal weights with CleanRL's gains (hidden √2, actor output
 * 0.01, critic output 1.0), biases 0, log σ 0, tabular tables 0. Deterministic in (layout, seed).
 */
export function initParams(layout: NetLayout, seed: number): Float32Array {
  const theta = new Float32Array(layout.total); // zeros: tables, biases, log σ
  if (layout.spec.head.kind === 'tabular') return theta;
  const rng = new PhiloxStream(seed >>> 0, Purpose.Init);
  initDense(theta, layout.actorLayers, GAIN_ACTOR_OUT, rng);
  initDense(theta, layout.criticLayers, GAIN_CRITIC_OUT, rng);
  return theta;
}
