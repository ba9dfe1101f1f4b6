import { describe, expect, it } from 'vitest';
import { PhiloxStream, Purpose } from '../../src/core/rng';
import type { EnvDef } from '../../src/core/types';
import {
  actorBackward,
  actorForward,
  categoricalEntropy,
  categoricalEntropyGrad,
  categoricalLogProb,
  categoricalLogProbGrad,
  createWorkspace,
  criticBackward,
  criticForward,
  gaussianEntropy,
  gaussianEntropyGrad,
  gaussianLogProb,
  gaussianLogProbGrad,
  initParams,
  netLayout,
  netSpecFor,
  paramSegments,
  type NetLayout,
  type NetSpec,
} from '../../src/policy';

// ───────────── helpers ─────────────

/** Relative error with the usual floor for tiny gradients: |a−n| / max(|a|, |n|, floor). */
function relErr(a: number, n: number, floor = 1e-6): number {
  return Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), floor);
}

/** Central differences of L(θ) in float64 for every coordinate: (L(θ+h e_i) − L(θ−h e_i)) / 2h. */
function numericGrad(theta: Float64Array, loss: (t: Float64Array) => number, h = 1e-6): Float64Array {
  const g = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    const t0 = theta[i];
    theta[i] = t0 + h;
    const lp = loss(theta);
    theta[i] = t0 - h;
    const lm = loss(theta);
    theta[i] = t0;
    g[i] = (lp - lm) / (2 * h);
  }
  return g;
}

function expectGradClose(analytic: ArrayLike<number>, numeric: ArrayLike<number>, layout: NetLayout, tol = 1e-3): void {
  let worst = 0;
  let where = '';
  const segs = paramSegments(layout);
  for (let i = 0; i < numeric.length; i++) {
    const e = relErr(analytic[i], numeric[i]);
    if (e > worst) {
      worst = e;
      const s = segs.find((sg) => i >= sg.offset && i < sg.offset + sg.size);
      where = `${s?.name}[${i - (s?.offset ?? 0)}] analytic ${analytic[i]} numeric ${numeric[i]}`;
    }
  }
  expect(worst, where).toBeLessThanOrEqual(tol);
}

/** θ in float64: the orthogonal init plus noise so that biases, log σ and outputs are not special. */
function randomTheta(layout: NetLayout, seed: number, noise = 0.3): Float64Array {
  const th = Float64Array.from(initParams(layout, seed));
  const s = new PhiloxStream(seed + 1000, Purpose.Init);
  for (let i = 0; i < th.length; i++) th[i] += noise * s.normal();
  return th;
}

function randomArray(n: number, seed: number, scale = 1): Float64Array {
  const s = new PhiloxStream(seed, Purpose.Env);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * s.normal();
  return a;
}

/** An independent, obviously-correct per-sample MLP forward (nested arrays, no workspace). */
function naiveMlp(theta: ArrayLike<number>, layers: NetLayout['actorLayers'], act: 'tanh' | 'relu', x: number[]): number[] {
  let h = x;
  layers.forEach((l, k) => {
    const y: number[] = [];
    for (let o = 0; o < l.outDim; o++) {
      let s = theta[l.bOffset + o];
      for (let i = 0; i < l.inDim; i++) s += theta[l.wOffset + o * l.inDim + i] * h[i];
      if (k < layers.length - 1) s = act === 'tanh' ? Math.tanh(s) : Math.max(0, s);
      y.push(s);
    }
    h = y;
  });
  return h;
}

function fakeEnv(over: Partial<EnvDef>): EnvDef {
  return {
    name: 'cartpole',
    params: {},
    obsDim: 4,
    stateDim: 5,
    action: { kind: 'discrete', n: 2 },
    actDim: 1,
    horizon: 500,
    reset: () => {},
    step: () => {},
    observe: () => {},
    ...over,
  } as EnvDef;
}

// ───────────── layout ─────────────

describe('netLayout', () => {
  it('lays out CartPole 64-64 softmax as [actor | critic], W row-major then b', () => {
    const L = netLayout({ obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
    expect(L.actorLayers).toEqual([
      { wOffset: 0, bOffset: 256, inDim: 4, outDim: 64 },
      { wOffset: 320, bOffset: 4416, inDim: 64, outDim: 64 },
      { wOffset: 4480, bOffset: 4608, inDim: 64, outDim: 2 },
    ]);
    expect(L.actorSize).toBe(4610);
    expect(L.criticOffset).toBe(4610);
    expect(L.criticLayers).toEqual([
      { wOffset: 4610, bOffset: 4866, inDim: 4, outDim: 64 },
      { wOffset: 4930, bOffset: 9026, inDim: 64, outDim: 64 },
      { wOffset: 9090, bOffset: 9154, inDim: 64, outDim: 1 },
    ]);
    expect(L.total).toBe(9155);
    expect(L.criticSize).toBe(4545);
    expect(L.logStdOffset).toBe(-1);
    expect(L.headOutDim).toBe(2);
  });

  it('puts the Gaussian log σ right after the actor output layer', () => {
    // Pendulum: obs 3, hidden [64, 64], 1-D action
    const L = netLayout({ obsDim: 3, hidden: [64, 64], activation: 'tanh', head: { kind: 'gaussian', dim: 1 } });
    // 3·64+64 = 256, +64·64+64 = 4416, +64·1+1 = 4481
    expect(L.logStdOffset).toBe(4481);
    expect(L.actorSize).toBe(4482);
    expect(L.criticLayers[0].wOffset).toBe(4482);
    expect(L.total).toBe(4482 + 256 + 4160 + 65);
    expect(paramSegments(L).map((s) => s.name)).toEqual([
      'actor.0.weight', 'actor.0.bias', 'actor.1.weight', 'actor.1.bias', 'actor.2.weight', 'actor.2.bias', 'actor.logStd',
      'critic.0.weight', 'critic.0.bias', 'critic.1.weight', 'critic.1.bias', 'critic.2.weight', 'critic.2.bias',
    ]);
  });

  it('lays out tabular nets as a logits table [nStates][n] then a value table [nStates]', () => {
    const L = netLayout({ obsDim: 2, hidden: [], activation: 'tanh', head: { kind: 'tabular', nStates: 2, n: 3 } });
    expect(L.actorTableOffset).toBe(0);
    expect(L.criticTableOffset).toBe(6);
    expect(L.total).toBe(8);
    expect(paramSegments(L)).toEqual([
      { name: 'actor.table', offset: 0, size: 6, shape: [2, 3] },
      { name: 'critic.table', offset: 6, size: 2, shape: [2] },
    ]);
  });

  it('paramSegments cover [0, total) contiguously with sizes = product of shapes', () => {
    for (const spec of [
      { obsDim: 3, hidden: [7, 3], activation: 'relu', head: { kind: 'gaussian', dim: 2 } },
      { obsDim: 5, hidden: [5], activation: 'tanh', head: { kind: 'softmax', n: 4 } },
    ] as NetSpec[]) {
      const L = netLayout(spec);
      let off = 0;
      for (const s of paramSegments(L)) {
        expect(s.offset).toBe(off);
        expect(s.size).toBe(s.shape.reduce((a, b) => a * b, 1));
        off += s.size;
      }
      expect(off).toBe(L.total);
    }
  });

  it('netSpecFor picks tabular / softmax / gaussian from the env', () => {
    const cfg = { hidden: [32, 16], activation: 'relu' as const };
    const tab = netSpecFor(fakeEnv({ obsDim: 2, tabular: { nStates: 2 }, action: { kind: 'discrete', n: 2 } }), cfg);
    expect(tab).toEqual({ obsDim: 2, hidden: [], activation: 'relu', head: { kind: 'tabular', nStates: 2, n: 2 } });
    const disc = netSpecFor(fakeEnv({}), cfg);
    expect(disc).toEqual({ obsDim: 4, hidden: [32, 16], activation: 'relu', head: { kind: 'softmax', n: 2 } });
    const box = netSpecFor(fakeEnv({ obsDim: 3, action: { kind: 'box', low: [0, 0], high: [1, 1] }, actDim: 2 }), cfg);
    expect(box.head).toEqual({ kind: 'gaussian', dim: 2 });
    expect(box.hidden).not.toBe(cfg.hidden); // a copy
  });

  it('rejects bad shapes', () => {
    expect(() => netLayout({ obsDim: 0, hidden: [4], activation: 'tanh', head: { kind: 'softmax', n: 2 } })).toThrow(/obsDim/);
    expect(() => netLayout({ obsDim: 2, hidden: [4], activation: 'tanh', head: { kind: 'gaussian', dim: 5 } })).toThrow(/> 4/);
  });
});

// ───────────── initialisation ─────────────

describe('initParams (orthogonal, CleanRL gains)', () => {
  const spec: NetSpec = { obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'gaussian', dim: 2 } };
  const L = netLayout(spec);
  const th = initParams(L, 7);

  /** max |M − gain²·I| where M = WᵀW (rows ≥ cols) or WWᵀ (rows < cols). */
  function orthoError(w: Float32Array, off: number, rows: number, cols: number, gain: number): number {
    const n = Math.min(rows, cols);
    let worst = 0;
    for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) {
      let s = 0;
      if (rows >= cols) for (let r = 0; r < rows; r++) s += w[off + r * cols + p] * w[off + r * cols + q];
      else for (let c = 0; c < cols; c++) s += w[off + p * cols + c] * w[off + q * cols + c];
      worst = Math.max(worst, Math.abs(s - (p === q ? gain * gain : 0)));
    }
    return worst;
  }

  it('makes every weight matrix gain·(orthonormal), gains √2 hidden, 0.01 actor out, 1 critic out', () => {
    const cases: [NetLayout['actorLayers'][number], number][] = [
      [L.actorLayers[0], Math.SQRT2], // 64×4: WᵀW
      [L.actorLayers[1], Math.SQRT2], // 64×64
      [L.actorLayers[2], 0.01], // 2×64: WWᵀ
      [L.criticLayers[0], Math.SQRT2],
      [L.criticLayers[1], Math.SQRT2],
      [L.criticLayers[2], 1.0], // 1×64
    ];
    for (const [l, gain] of cases) {
      expect(orthoError(th, l.wOffset, l.outDim, l.inDim, gain)).toBeLessThan(1e-5);
      // relative to the gain too (the 0.01 layer would pass the absolute test trivially)
      expect(orthoError(th, l.wOffset, l.outDim, l.inDim, gain) / (gain * gain)).toBeLessThan(1e-5);
      for (let o = 0; o < l.outDim; o++) expect(th[l.bOffset + o]).toBe(0);
    }
    expect(th[L.logStdOffset]).toBe(0);
    expect(th[L.logStdOffset + 1]).toBe(0);
  });

  it('equals PyTorch orthogonal_: Q of the QR of the Gaussian draw with diag(R) > 0 (checked by Gram–Schmidt)', () => {
    // Independent construction for the first layer (64×4, tall) and the actor output layer (2×64, wide):
    // classical Gram–Schmidt on the columns of A (A = the draw, or its transpose) gives the unique Q with
    // positive R diagonal, which is what the sign fix Q·diag(sign R_jj) produces.
    const rng = new PhiloxStream(7, Purpose.Init);
    const draws: number[][] = [];
    for (const l of L.actorLayers) {
      const a: number[] = [];
      for (let i = 0; i < l.outDim * l.inDim; i++) a.push(rng.normal());
      draws.push(a);
    }
    const gramSchmidt = (A: number[][]): number[][] => {
      // A given as columns; returns orthonormal columns
      const Q: number[][] = [];
      for (const col of A) {
        const v = [...col];
        for (let pass = 0; pass < 2; pass++) for (const q of Q) {
          const d = q.reduce((s, qi, i) => s + qi * v[i], 0);
          for (let i = 0; i < v.length; i++) v[i] -= d * q[i];
        }
        const nrm = Math.hypot(...v);
        Q.push(v.map((x) => x / nrm));
      }
      return Q;
    };
    for (const k of [0, 2]) {
      const l = L.actorLayers[k];
      const gain = k === 2 ? 0.01 : Math.SQRT2;
      const rows = l.outDim;
      const cols = l.inDim;
      const a = draws[k];
      if (rows >= cols) {
        const colsOfA = Array.from({ length: cols }, (_, c) => Array.from({ length: rows }, (_, r) => a[r * cols + c]));
        const Q = gramSchmidt(colsOfA);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(th[l.wOffset + r * cols + c]).toBeCloseTo(gain * Q[c][r], 6);
      } else {
        // A ← Aᵀ (cols × rows); its columns are the rows of the draw
        const colsOfAt = Array.from({ length: rows }, (_, r) => a.slice(r * cols, (r + 1) * cols));
        const Q = gramSchmidt(colsOfAt); // Q is cols×rows with columns Q[r]; W = Qᵀ
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(th[l.wOffset + r * cols + c]).toBeCloseTo(gain * Q[r][c], 8);
      }
    }
  });

  it('is deterministic in the seed and differs between seeds', () => {
    const again = initParams(L, 7);
    let same = 0;
    for (let i = 0; i < th.length; i++) if (again[i] === th[i]) same++;
    expect(same).toBe(L.total);
    const other = initParams(L, 8);
    let diff = 0;
    for (let i = 0; i < th.length; i++) if (th[i] !== other[i]) diff++;
    expect(diff).toBeGreaterThan(L.total / 2);
  });

  it('leaves tabular tables at 0', () => {
    const T = netLayout({ obsDim: 2, hidden: [], activation: 'tanh', head: { kind: 'tabular', nStates: 2, n: 2 } });
    expect([...initParams(T, 3)]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

// ───────────── forward ─────────────

describe('actorForward / criticForward', () => {
  it('match an independent per-sample implementation (tanh and relu, batch with a remainder)', () => {
    for (const activation of ['tanh', 'relu'] as const) {
      const L = netLayout({ obsDim: 3, hidden: [7, 3], activation, head: { kind: 'softmax', n: 4 } });
      const th = Float32Array.from(randomTheta(L, 11));
      const B = 7; // one block of 4 + 3 leftover samples
      const obs = Float32Array.from(randomArray(B * 3, 5));
      const ws = createWorkspace(L, 16);
      const out = new Float32Array(B * 4);
      const v = new Float32Array(B);
      actorForward(L, th, obs, B, ws, out);
      criticForward(L, th, obs, B, ws, v);
      for (let b = 0; b < B; b++) {
        const x = [...obs.subarray(b * 3, b * 3 + 3)];
        const z = naiveMlp(th, L.actorLayers, activation, x);
        const vv = naiveMlp(th, L.criticLayers, activation, x);
        for (let k = 0; k < 4; k++) expect(out[b * 4 + k]).toBeCloseTo(z[k], 5);
        expect(v[b]).toBeCloseTo(vv[0], 5);
      }
    }
  });

  it('tabular forward picks the row of the one-hot observation', () => {
    const L = netLayout({ obsDim: 3, hidden: [], activation: 'tanh', head: { kind: 'tabular', nStates: 3, n: 2 } });
    const th = Float32Array.from([1, 2, 3, 4, 5, 6, -1, -2, -3]);
    const obs = Float32Array.from([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    const ws = createWorkspace(L, 3);
    const out = new Float32Array(6);
    const v = new Float32Array(3);
    actorForward(L, th, obs, 3, ws, out);
    criticForward(L, th, obs, 3, ws, v);
    expect([...out]).toEqual([5, 6, 1, 2, 3, 4]);
    expect([...v]).toEqual([-3, -1, -2]);
  });

  it('refuses a batch larger than the workspace', () => {
    const L = netLayout({ obsDim: 2, hidden: [3], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
    const ws = createWorkspace(L, 2);
    expect(() => actorForward(L, new Float32Array(L.total), new Float32Array(6), 3, ws, new Float32Array(6))).toThrow(/batch 3/);
  });
});

// ───────────── finite-difference gradient checks ─────────────

describe('backward passes match central differences (float64)', () => {
  const B = 6; // a block of 4 + 2 leftover samples
  const shapes: [number[], 'tanh' | 'relu'][] = [
    [[5], 'tanh'],
    [[7, 3], 'tanh'],
    [[5], 'relu'],
    [[7, 3], 'relu'],
  ];

  for (const [hidden, activation] of shapes) {
    it(`actor and critic, hidden ${JSON.stringify(hidden)} ${activation}: every layer`, () => {
      const L = netLayout({ obsDim: 3, hidden, activation, head: { kind: 'softmax', n: 3 } });
      const th = randomTheta(L, 21 + hidden.length);
      const obs = randomArray(B * 3, 3);
      const cOut = randomArray(B * 3, 4); // L = Σ cOut·z + Σ cV·V
      const cV = randomArray(B, 5);
      const ws = createWorkspace(L, B, 'f64');
      const out = new Float64Array(B * 3);
      const v = new Float64Array(B);
      const loss = (t: Float64Array): number => {
        actorForward(L, t, obs, B, ws, out);
        criticForward(L, t, obs, B, ws, v);
        let s = 0;
        for (let i = 0; i < B * 3; i++) s += cOut[i] * out[i];
        for (let b = 0; b < B; b++) s += cV[b] * v[b];
        return s;
      };
      const num = numericGrad(th, loss);
      loss(th);
      const grad = new Float64Array(L.total);
      actorBackward(L, th, obs, B, ws, cOut, grad);
      criticBackward(L, th, obs, B, ws, cV, grad);
      expectGradClose(grad, num, L);
      // sanity: every layer got a non-trivial gradient
      for (const s of paramSegments(L)) {
        let m = 0;
        for (let i = 0; i < s.size; i++) m = Math.max(m, Math.abs(grad[s.offset + i]));
        expect(m, s.name).toBeGreaterThan(1e-4);
      }
    });
  }

  it('accumulates into grad (+=)', () => {
    const L = netLayout({ obsDim: 2, hidden: [3], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
    const th = randomTheta(L, 2);
    const obs = randomArray(2 * 2, 1);
    const dOut = randomArray(2 * 2, 2);
    const ws = createWorkspace(L, 2, 'f64');
    const out = new Float64Array(4);
    actorForward(L, th, obs, 2, ws, out);
    const g1 = new Float64Array(L.total);
    actorBackward(L, th, obs, 2, ws, dOut, g1);
    const g2 = new Float64Array(L.total).fill(1);
    actorBackward(L, th, obs, 2, ws, dOut, g2);
    for (let i = 0; i < L.total; i++) expect(g2[i]).toBeCloseTo(1 + g1[i], 12);
    for (let i = L.criticOffset; i < L.total; i++) expect(g1[i]).toBe(0);
  });

  it('the float32 path (engines) agrees with the float64 path', () => {
    const L = netLayout({ obsDim: 4, hidden: [16, 16], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
    const th64 = randomTheta(L, 9);
    const th32 = Float32Array.from(th64);
    const th64r = Float64Array.from(th32); // same (rounded) parameters
    const Bn = 37;
    const obs32 = Float32Array.from(randomArray(Bn * 4, 8));
    const obs64 = Float64Array.from(obs32);
    const d = randomArray(Bn * 2, 9);
    const dv = randomArray(Bn, 10);
    const run = (th: Float32Array | Float64Array, obs: Float32Array | Float64Array, prec: 'f32' | 'f64'): Float64Array => {
      const ws = createWorkspace(L, Bn, prec);
      const out = prec === 'f32' ? new Float32Array(Bn * 2) : new Float64Array(Bn * 2);
      const v = prec === 'f32' ? new Float32Array(Bn) : new Float64Array(Bn);
      actorForward(L, th, obs, Bn, ws, out);
      criticForward(L, th, obs, Bn, ws, v);
      const g = prec === 'f32' ? new Float32Array(L.total) : new Float64Array(L.total);
      actorBackward(L, th, obs, Bn, ws, prec === 'f32' ? Float32Array.from(d) : d, g);
      criticBackward(L, th, obs, Bn, ws, prec === 'f32' ? Float32Array.from(dv) : dv, g);
      return Float64Array.from(g);
    };
    const g32 = run(th32, obs32, 'f32');
    const g64 = run(th64r, obs64, 'f64');
    let scale = 0;
    for (const x of g64) scale = Math.max(scale, Math.abs(x));
    for (let i = 0; i < L.total; i++) expect(Math.abs(g32[i] - g64[i])).toBeLessThan(1e-5 * scale);
  });

  it('tabular actor and critic', () => {
    const nS = 3;
    const n = 2;
    const L = netLayout({ obsDim: nS, hidden: [], activation: 'tanh', head: { kind: 'tabular', nStates: nS, n } });
    const th = randomArray(L.total, 12);
    const Bt = 5;
    const states = [0, 2, 2, 0, 0]; // state 1 never visited
    const obs = new Float64Array(Bt * nS);
    states.forEach((s, b) => (obs[b * nS + s] = 1));
    const act = [1, 0, 1, 1, 0];
    const adv = randomArray(Bt, 13);
    const ret = randomArray(Bt, 14);
    const ws = createWorkspace(L, Bt, 'f64');
    const out = new Float64Array(Bt * n);
    const v = new Float64Array(Bt);
    // L = Σ_b [ −Â_b log π(a_b|s_b) + ½ (V(s_b) − R_b)² ]
    const loss = (t: Float64Array): number => {
      actorForward(L, t, obs, Bt, ws, out);
      criticForward(L, t, obs, Bt, ws, v);
      let s = 0;
      for (let b = 0; b < Bt; b++) s += -adv[b] * categoricalLogProb(out, b * n, n, act[b]) + 0.5 * (v[b] - ret[b]) ** 2;
      return s;
    };
    const num = numericGrad(th, loss);
    loss(th);
    const dOut = new Float64Array(Bt * n);
    const dV = new Float64Array(Bt);
    for (let b = 0; b < Bt; b++) {
      categoricalLogProbGrad(out, b * n, n, act[b], -adv[b], dOut, b * n);
      dV[b] = v[b] - ret[b];
    }
    const grad = new Float64Array(L.total);
    actorBackward(L, th, obs, Bt, ws, dOut, grad);
    criticBackward(L, th, obs, Bt, ws, dV, grad);
    expectGradClose(grad, num, L);
    // the unvisited state's row and value get nothing (scatter only touches visited rows)
    expect([grad[1 * n], grad[1 * n + 1], grad[L.criticTableOffset + 1]]).toEqual([0, 0, 0]);
  });

  it('combined loss, softmax head: −Â log π(a|s) − β H + c·½(V − R)²', () => {
    const L = netLayout({ obsDim: 4, hidden: [7, 3], activation: 'tanh', head: { kind: 'softmax', n: 3 } });
    const th = randomTheta(L, 31, 0.5);
    const Bc = 9;
    const obs = randomArray(Bc * 4, 32);
    const act = Array.from({ length: Bc }, (_, b) => b % 3);
    const adv = randomArray(Bc, 33);
    const ret = randomArray(Bc, 34);
    const beta = 0.3;
    const c = 0.5;
    const ws = createWorkspace(L, Bc, 'f64');
    const out = new Float64Array(Bc * 3);
    const v = new Float64Array(Bc);
    const loss = (t: Float64Array): number => {
      actorForward(L, t, obs, Bc, ws, out);
      criticForward(L, t, obs, Bc, ws, v);
      let s = 0;
      for (let b = 0; b < Bc; b++) {
        s += -adv[b] * categoricalLogProb(out, b * 3, 3, act[b]) - beta * categoricalEntropy(out, b * 3, 3);
        s += c * 0.5 * (v[b] - ret[b]) ** 2;
      }
      return s / Bc;
    };
    const num = numericGrad(th, loss);
    loss(th);
    const dOut = new Float64Array(Bc * 3);
    const dV = new Float64Array(Bc);
    for (let b = 0; b < Bc; b++) {
      categoricalLogProbGrad(out, b * 3, 3, act[b], -adv[b] / Bc, dOut, b * 3);
      categoricalEntropyGrad(out, b * 3, 3, -beta / Bc, dOut, b * 3);
      dV[b] = (c * (v[b] - ret[b])) / Bc;
    }
    const grad = new Float64Array(L.total);
    actorBackward(L, th, obs, Bc, ws, dOut, grad);
    criticBackward(L, th, obs, Bc, ws, dV, grad);
    expectGradClose(grad, num, L);
  });

  it('combined loss, Gaussian head: log σ gradient passed per sample through dLogStd', () => {
    const dim = 2;
    const L = netLayout({ obsDim: 3, hidden: [5], activation: 'relu', head: { kind: 'gaussian', dim } });
    const th = randomTheta(L, 41, 0.4);
    const Bg = 6;
    const obs = randomArray(Bg * 3, 42);
    const a = randomArray(Bg * dim, 43);
    const adv = randomArray(Bg, 44);
    const ret = randomArray(Bg, 45);
    const beta = 0.1;
    const ws = createWorkspace(L, Bg, 'f64');
    const mu = new Float64Array(Bg * dim);
    const v = new Float64Array(Bg);
    const ls = L.logStdOffset;
    const loss = (t: Float64Array): number => {
      actorForward(L, t, obs, Bg, ws, mu);
      criticForward(L, t, obs, Bg, ws, v);
      let s = 0;
      for (let b = 0; b < Bg; b++) {
        s += -adv[b] * gaussianLogProb(a, b * dim, mu, b * dim, t, ls, dim) - beta * gaussianEntropy(t, ls, dim);
        s += 0.5 * (v[b] - ret[b]) ** 2;
      }
      return s;
    };
    const num = numericGrad(th, loss);
    loss(th);
    const dMu = new Float64Array(Bg * dim);
    const dLs = new Float64Array(Bg * dim);
    const dV = new Float64Array(Bg);
    for (let b = 0; b < Bg; b++) {
      gaussianLogProbGrad(a, b * dim, mu, b * dim, th, ls, dim, -adv[b], dMu, b * dim, dLs, b * dim);
      gaussianEntropyGrad(dim, -beta, dLs, b * dim);
      dV[b] = v[b] - ret[b];
    }
    const grad = new Float64Array(L.total);
    actorBackward(L, th, obs, Bg, ws, dMu, grad, dLs);
    criticBackward(L, th, obs, Bg, ws, dV, grad);
    expectGradClose(grad, num, L);
    expect(Math.abs(grad[ls]) + Math.abs(grad[ls + 1])).toBeGreaterThan(1e-3);
  });
});
