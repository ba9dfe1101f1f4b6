/**
 * The CPU learner's minibatch step (src/backends/cpu/update.ts, the ground truth of the GPU parity
 * tests) against an independent gradient: central finite differences of the minibatch loss
 *   ℓ(θ) = mean_j [ ℓ_pg + c_v ½(V(s_j) − target_j)² − β H(π(·|s_j)) + β_KL k3 ],
 *   ℓ_pg = −min(ρÂ, clip(ρ, 1−ε, 1+ε)Â) (PPO) or −Ψ log π (plain), ρ = π/π_old, k3 = (ρ − 1) − log ρ,
 * evaluated in float64 by a forward pass, heads and loss written here from the layout contract
 * (src/policy/layout.ts) and DESIGN.md's formulas — no code shared with the update. Small nets: obs 3,
 * hidden [4], 2 actions (softmax), a 2-dim Gaussian head (μ and log σ), and a tabular head.
 */
import { describe, expect, it } from 'vitest';
import { PhiloxStream, Purpose } from '../../src/core/rng';
import { initParams } from '../../src/policy/init';
import { netLayout, type NetLayout, type NetSpec } from '../../src/policy/layout';
import { createAdamState } from '../../src/optim/adam';
import {
  createLearnerScratch, createMinibatchScratch, learnerUpdate, minibatchUpdate, type Minibatch, type MinibatchOptions,
} from '../../src/backends/cpu/update';

const SPECS: Record<string, NetSpec> = {
  softmax: { obsDim: 3, hidden: [4], activation: 'tanh', head: { kind: 'softmax', n: 2 } },
  gaussian: { obsDim: 3, hidden: [4], activation: 'tanh', head: { kind: 'gaussian', dim: 2 } },
  tabular: { obsDim: 3, hidden: [], activation: 'tanh', head: { kind: 'tabular', nStates: 3, n: 2 } },
};

// ---- the independent loss, float64 ---------------------------------------------------------------

function dense(theta: ArrayLike<number>, l: { wOffset: number; bOffset: number; inDim: number; outDim: number }, x: number[], act: 'tanh' | 'relu' | null): number[] {
  const y: number[] = [];
  for (let o = 0; o < l.outDim; o++) {
    let z = theta[l.bOffset + o];
    for (let i = 0; i < l.inDim; i++) z += theta[l.wOffset + o * l.inDim + i] * x[i];
    y.push(act === 'tanh' ? Math.tanh(z) : act === 'relu' ? Math.max(0, z) : z);
  }
  return y;
}

function mlp(theta: ArrayLike<number>, layers: NetLayout['actorLayers'], x: number[], act: 'tanh' | 'relu'): number[] {
  let h = x;
  layers.forEach((l, k) => {
    h = dense(theta, l, h, k === layers.length - 1 ? null : act);
  });
  return h;
}

/** (log π(a|s), H(π(·|s)), V(s)) for one sample. */
function policyAt(layout: NetLayout, theta: ArrayLike<number>, obs: number[], action: number[]): { logp: number; H: number; V: number } {
  const head = layout.spec.head;
  if (head.kind === 'tabular') {
    const s = obs.indexOf(1);
    const z = Array.from({ length: head.n }, (_, a) => theta[s * head.n + a]);
    return { ...categorical(z, action[0]), V: theta[layout.actorSize + s] };
  }
  const act = layout.spec.activation;
  const V = mlp(theta, layout.criticLayers, obs, act)[0];
  const out = mlp(theta, layout.actorLayers, obs, act);
  if (head.kind === 'softmax') return { ...categorical(out, action[0]), V };
  let logp = 0;
  let H = 0;
  for (let k = 0; k < head.dim; k++) {
    const ls = theta[layout.logStdOffset + k];
    const d = (action[k] - out[k]) / Math.exp(ls);
    logp += -0.5 * d * d - ls - 0.5 * Math.log(2 * Math.PI);
    H += ls + 0.5 * Math.log(2 * Math.PI * Math.E);
  }
  return { logp, H, V };
}

function categorical(z: number[], a: number): { logp: number; H: number } {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
  const lp = z.map((x) => x - lse);
  return { logp: lp[a], H: -lp.reduce((s, l) => s + Math.exp(l) * l, 0) };
}

function loss(layout: NetLayout, theta: ArrayLike<number>, mb: Minibatch, o: MinibatchOptions): number {
  const n = mb.n;
  const od = layout.spec.obsDim;
  const ad = layout.spec.head.kind === 'gaussian' ? layout.headOutDim : 1;
  let adv = Array.from(mb.psi);
  if (o.normAdv) {
    const mu = adv.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(adv.reduce((s, x) => s + (x - mu) ** 2, 0) / (n - 1));
    adv = adv.map((x) => (x - mu) / (sd + 1e-8));
  }
  let total = 0;
  for (let j = 0; j < n; j++) {
    const obs = Array.from(mb.obs.subarray(j * od, (j + 1) * od));
    const action = Array.from(mb.actions.subarray(j * ad, (j + 1) * ad));
    const { logp, H, V } = policyAt(layout, theta, obs, action);
    const rho = Math.exp(logp - mb.logp[j]);
    const A = adv[j];
    const pg = o.loss === 'ppo' ? -Math.min(rho * A, Math.min(Math.max(rho, 1 - o.clip), 1 + o.clip) * A) : -A * logp;
    const k3 = rho - 1 - Math.log(rho);
    total += pg + o.vfCoef * 0.5 * (V - mb.targets[j]) ** 2 - o.entCoef * H + o.klCoef * k3;
  }
  return total / n;
}

/** Central differences of `loss` in every coordinate of θ, float64. */
function fdGradient(layout: NetLayout, theta: Float32Array, mb: Minibatch, o: MinibatchOptions, h = 1e-6): Float64Array {
  const th = Float64Array.from(theta);
  const g = new Float64Array(th.length);
  for (let p = 0; p < th.length; p++) {
    const x = th[p];
    th[p] = x + h;
    const up = loss(layout, th, mb, o);
    th[p] = x - h;
    const down = loss(layout, th, mb, o);
    th[p] = x;
    g[p] = (up - down) / (2 * h);
  }
  return g;
}

// ---- random problems -----------------------------------------------------------------------------

function problem(name: string, n: number, seed: number) {
  const layout = netLayout(SPECS[name]);
  const s = new PhiloxStream(seed, Purpose.Init, 4321);
  const theta = initParams(layout, seed);
  for (let i = 0; i < theta.length; i++) theta[i] += 0.3 * s.normal();
  const head = layout.spec.head;
  const od = layout.spec.obsDim;
  const ad = head.kind === 'gaussian' ? head.dim : 1;
  const obs = new Float64Array(n * od);
  const actions = new Float64Array(n * ad);
  for (let j = 0; j < n; j++) {
    if (head.kind === 'tabular') obs[j * od + (j % head.nStates)] = 1;
    else for (let k = 0; k < od; k++) obs[j * od + k] = s.normal();
    if (head.kind === 'gaussian') for (let k = 0; k < ad; k++) actions[j * ad + k] = s.normal();
    else actions[j] = Math.floor(s.uniform() * head.n);
  }
  const psi = Float64Array.from({ length: n }, () => s.normal());
  const targets = Float64Array.from({ length: n }, () => s.normal());
  const mb0: Minibatch = { n, obs, actions, logp: new Float64Array(n), psi, targets };
  // log π_old = log π_θ + noise: ratios ≠ 1, some outside the clip range
  const logp = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const { logp: lp } = policyAt(layout, Float64Array.from(theta), Array.from(obs.subarray(j * od, (j + 1) * od)), Array.from(actions.subarray(j * ad, (j + 1) * ad)));
    logp[j] = lp + 0.3 * s.normal();
  }
  return { layout, theta, mb: { ...mb0, logp } as Minibatch };
}

const BASE: MinibatchOptions = {
  loss: 'ppo', normAdv: true, clip: 0.2, entCoef: 0.05, vfCoef: 0.5, klCoef: 0.3, maxGradNorm: 1e9, adamEps: 1e-12,
};

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let r = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    r += b[i] ** 2;
  }
  return Math.sqrt(d / r);
}

describe('CPU minibatch update: the gradient it applies = finite differences of the loss', () => {
  const cases: Array<[string, string, Partial<MinibatchOptions>]> = [
    ['softmax', 'PPO clip + value + entropy + KL penalty, normalised Ψ', {}],
    ['softmax', 'plain −Ψ log π + value + entropy', { loss: 'pg', normAdv: false, klCoef: 0 }],
    ['gaussian', 'PPO (μ and log σ) + value + entropy + KL penalty', {}],
    ['gaussian', 'plain −Ψ log π, no entropy', { loss: 'pg', normAdv: false, entCoef: 0, klCoef: 0 }],
    ['tabular', 'PPO + value + entropy', { klCoef: 0 }],
  ];
  it.each(cases)('%s head, %s (float64)', (name, _what, over) => {
    const o = { ...BASE, ...over };
    const { layout, theta, mb } = problem(name, 13, 3);
    const want = fdGradient(layout, theta, mb, o);
    const sc = createMinibatchScratch(layout, 'f64', 5); // 5-row chunks: the chunked sums are exercised
    const grad = new Float64Array(layout.total);
    const th = Float32Array.from(theta);
    const adam = createAdamState(layout.total);
    const lr = 1e-3;
    const s = minibatchUpdate(layout, th, adam, mb, o, lr, sc, grad);
    expect(s.nonFinite).toBe(false);
    // every parameter gets a gradient, and it is the loss's
    let nonzero = 0;
    for (const g of want) if (Math.abs(g) > 1e-6) nonzero++;
    expect(nonzero).toBeGreaterThan(layout.total * 0.8);
    expect(relErr(grad, want)).toBeLessThan(1e-6);
    // some ratios lie outside the clip range (the clipped branch is on the path)
    if (o.loss === 'ppo') expect(s.clipped).toBeGreaterThan(0);
    // the loss it reports is the one differentiated
    const l = s.policyLoss + o.vfCoef * s.valueLoss - o.entCoef * s.entropy + o.klCoef * s.approxKl;
    expect(l).toBeCloseTo(loss(layout, theta, mb, o), 10);
    // and the step applies it: Adam's first step is −lr · g / (|g| + ε) per parameter (no clipping here)
    expect(s.gradNorm).toBeCloseTo(Math.hypot(...want), 6);
    expect(adam.t).toBe(1);
    for (let p = 0; p < layout.total; p++) {
      if (Math.abs(want[p]) < 1e-4) continue;
      expect((th[p] - theta[p]) / (-lr * Math.sign(want[p]))).toBeCloseTo(1, 3);
    }
  });

  it.each(['softmax', 'gaussian', 'tabular'])('%s head: approx KL (k3) and clip fraction = the ones recomputed from old and new log-probs', (name) => {
    const { layout, theta, mb } = problem(name, 17, 4);
    const od = layout.spec.obsDim;
    const ad = layout.spec.head.kind === 'gaussian' ? layout.headOutDim : 1;
    let k3 = 0;
    let clipped = 0;
    for (let j = 0; j < mb.n; j++) {
      const { logp } = policyAt(layout, Float64Array.from(theta), Array.from(mb.obs.subarray(j * od, (j + 1) * od)), Array.from(mb.actions.subarray(j * ad, (j + 1) * ad)));
      const rho = Math.exp(logp - mb.logp[j]);
      k3 += rho - 1 - Math.log(rho);
      if (Math.abs(rho - 1) > BASE.clip) clipped++;
    }
    const s = minibatchUpdate(layout, Float32Array.from(theta), createAdamState(layout.total), mb, BASE, 1e-3, createMinibatchScratch(layout, 'f64'));
    // measured at the θ the step starts from (the ratios of the noisy log π_old: some clipped, some not)
    expect(clipped).toBeGreaterThan(0);
    expect(clipped).toBeLessThan(mb.n);
    expect(s.clipped).toBe(clipped);
    expect(s.clipFrac).toBeCloseTo(clipped / mb.n, 15);
    expect(s.approxKl).toBeCloseTo(k3 / mb.n, 10);
  });

  it.each(['softmax', 'gaussian'])('%s head, in the engine precision (float32 activations)', (name) => {
    const { layout, theta, mb } = problem(name, 9, 5);
    const want = fdGradient(layout, theta, mb, BASE);
    const sc = createMinibatchScratch(layout, 'f32');
    const grad = new Float64Array(layout.total);
    minibatchUpdate(layout, Float32Array.from(theta), createAdamState(layout.total), mb, BASE, 1e-3, sc, grad);
    expect(relErr(grad, want)).toBeLessThan(1e-4);
  });

  it('clips the applied gradient to maxGradNorm and reports the norm before clipping', () => {
    const { layout, theta, mb } = problem('softmax', 11, 6);
    const want = fdGradient(layout, theta, mb, BASE);
    const norm = Math.hypot(...want);
    const o = { ...BASE, maxGradNorm: norm / 4 };
    const sc = createMinibatchScratch(layout, 'f64');
    const s = minibatchUpdate(layout, Float32Array.from(theta), createAdamState(layout.total), mb, o, 1e-3, sc);
    expect(s.gradNorm).toBeCloseTo(norm, 6);
    // sc.grad is what Adam was given: the gradient scaled to norm maxGradNorm (up to clip.ts's ε in the norm)
    expect(relErr(sc.grad, want.map((g) => g / 4))).toBeLessThan(1e-5);
  });

  it('a non-finite loss takes no step', () => {
    const { layout, theta, mb } = problem('softmax', 6, 7);
    const bad = { ...mb, targets: Float64Array.from(mb.targets, (t, j) => (j === 2 ? NaN : t)) };
    const th = Float32Array.from(theta);
    const adam = createAdamState(layout.total);
    const s = minibatchUpdate(layout, th, adam, bad, BASE, 1e-3, createMinibatchScratch(layout, 'f64'));
    expect(s.nonFinite).toBe(true);
    expect(Array.from(th)).toEqual(Array.from(theta));
    expect(adam.t).toBe(0);
  });
});

describe('CPU learner update: epochs × minibatches of the minibatch step', () => {
  it('one epoch of one minibatch is one minibatch step on the permuted batch', () => {
    const { layout, theta, mb } = problem('gaussian', 10, 8);
    const o = { ...BASE, epochs: 1, minibatches: 1, targetKl: 0, seed: 3 };
    const th = Float32Array.from(theta);
    const first = new Float64Array(layout.total);
    const r = learnerUpdate(layout, th, createAdamState(layout.total), { B: mb.n, ...mb }, o, 1e-3, 0, createLearnerScratch(layout, mb.n, 'f64'), first);
    expect(r.epochsRun).toBe(1);
    expect(r.perMinibatch).toHaveLength(1);
    // the loss is a mean over the minibatch, so the permutation does not change its gradient
    expect(relErr(first, fdGradient(layout, theta, mb, o))).toBeLessThan(1e-6);
  });

  it('runs every minibatch of every epoch unless the target KL stops it after an epoch', () => {
    const { layout, theta, mb } = problem('softmax', 24, 9);
    const run = (targetKl: number) =>
      learnerUpdate(layout, Float32Array.from(theta), createAdamState(layout.total), { B: mb.n, ...mb }, { ...BASE, epochs: 3, minibatches: 4, targetKl, seed: 1 }, 1e-2, 6, createLearnerScratch(layout, mb.n));
    const all = run(0);
    expect(all.epochsRun).toBe(3);
    expect(all.perMinibatch.map((s) => s.rows)).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6]);
    const stopped = run(1e-9);
    expect(stopped.epochsRun).toBe(1);
    expect(stopped.perMinibatch).toHaveLength(4);
  });
});
