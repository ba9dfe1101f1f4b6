/**
 * Cosine similarity vs samples (src/train/variance-lab.ts `cosineVsSamples`, Ilyas et al. Fig. 1–2) on
 * twostate: the cosine to the exact ∇J rises towards 1 as the pairs per estimate grow, and at one small
 * n both measures agree with a large Monte-Carlo run of a plain-JS sampler of the MDP (its own episodes,
 * Ψ_t and score function; only the exact ∇J and V^π come from src, checked elsewhere by finite
 * differences and a Bellman solve).
 */
import { describe, expect, it } from 'vitest';
import { configFromStrings } from '../../src/core/config';
import type { EstimatorKind } from '../../src/core/types';
import { exactGradient } from '../../src/estimators/exact';
import { cosineVsSamples, exactCriticValues, parseSamplesList } from '../../src/train/variance-lab';
import { initParams } from '../../src/policy/init';
import { netLayout, netSpecFor } from '../../src/policy/layout';
import { makeEnv } from '../../src/envs';

const KINDS: EstimatorKind[] = ['reinforce', 'reinforce-rtg', 'reinforce-baseline', 'actor-critic', 'gae'];

describe('cosineVsSamples on twostate', () => {
  it('the cosine to the exact ∇J rises with n towards 1 (every estimator), as does the pairwise cosine', async () => {
    const config = configFromStrings({ env: 'twostate', gamma: '1', lambda: '0.9', varianceGroups: '16', seed: '3' });
    const c = await cosineVsSamples({ config, kinds: KINDS, samples: [32, 128, 512, 2048], critic: 'exact' });
    expect(c.reference).toBe('exact');
    expect(c.samples).toEqual([32, 128, 512, 2048]);
    // twostate's episodes last 1/q = 4 steps on average: n/4 first episodes per estimate, K of them
    expect(c.envs).toEqual([128, 512, 2048, 8192]);
    c.pairs.forEach((p, i) => expect(Math.abs(p / c.samples[i] - 1)).toBeLessThan(0.15));
    for (const k of KINDS) {
      for (const m of [c.toReference[k], c.pairwise[k]]) {
        for (let i = 1; i < m.length; i++) expect(m[i], `${k} at n = ${c.samples[i]}`).toBeGreaterThan(m[i - 1] - 0.02);
        expect(m[m.length - 1] - m[0], k).toBeGreaterThan(0.02);
      }
      expect(c.toReference[k][3], k).toBeGreaterThan(0.95);
      expect(c.toReference[k][3], k).toBeLessThanOrEqual(1);
    }
  });

  it('at n = 64 both measures match a plain-JS Monte-Carlo of the same estimators (within 4 standard errors)', async () => {
    const gamma = 1;
    const lambda = 0.9;
    const K = 256;
    const config = configFromStrings({ env: 'twostate', gamma: String(gamma), lambda: String(lambda), varianceGroups: String(K), seed: '5' });
    const kinds: EstimatorKind[] = ['reinforce', 'reinforce-rtg', 'actor-critic', 'gae'];
    const c = await cosineVsSamples({ config, kinds, samples: [64], critic: 'exact' });
    expect(c.envs).toEqual([16 * K]);

    // the frozen policy (warm-up 0: the initial parameters) and the critic the lab writes (f32)
    const layout = netLayout(netSpecFor(makeEnv('twostate'), config));
    const theta = Array.from(initParams(layout, config.seed).subarray(0, 4));
    const V = Array.from(Float32Array.from(exactCriticValues('twostate', theta, gamma)));
    const ref = exactGradient('twostate', theta, gamma).grad;
    const rng = mulberry32(12345);
    const M = 20_000;
    for (const kind of kinds) {
      const est = Array.from({ length: M }, () => sampleEstimate(kind, theta, V, gamma, lambda, 16, rng));
      const toRef = est.map((g) => cos(g, ref));
      const pair = Array.from({ length: M / 2 }, (_, i) => cos(est[2 * i], est[2 * i + 1]));
      // SE of the lab's value: the mean over K groups of cos(ĝ_g, ∇J) has sd/√K; the pairwise mean is a
      // U-statistic of order 2, whose variance is at most 4·Var/K + 2·Var/K²
      const [m1, s1] = meanSd(toRef);
      const [m2, s2] = meanSd(pair);
      const se1 = Math.hypot(s1 / Math.sqrt(K), s1 / Math.sqrt(M));
      const se2 = Math.hypot(s2 * Math.sqrt(4 / K + 2 / K ** 2), s2 / Math.sqrt(M / 2));
      expect(Math.abs(c.toReference[kind][0] - m1), `${kind}: lab ${c.toReference[kind][0]} vs Monte-Carlo ${m1} ± ${se1}`).toBeLessThan(4 * se1);
      expect(Math.abs(c.pairwise[kind][0] - m2), `${kind}: lab ${c.pairwise[kind][0]} vs Monte-Carlo ${m2} ± ${se2}`).toBeLessThan(4 * se2);
      // the check has teeth: the estimators differ by more than these errors
      expect(se1).toBeLessThan(0.05);
    }
    expect(c.toReference['actor-critic'][0] - c.toReference.reinforce[0]).toBeGreaterThan(0.2);
    expect(c.pairwise['actor-critic'][0] - c.pairwise.reinforce[0]).toBeGreaterThan(0.4);
  });
});

describe('parseSamplesList', () => {
  it('sorted distinct positive integers; anything else one error naming --samples-list', () => {
    expect(parseSamplesList('256, 64,64,1024')).toEqual([64, 256, 1024]);
    for (const bad of ['', '64,', '0', '-4', '1.5', 'x', String(2 ** 24 + 1), Array.from({ length: 13 }, (_, i) => i + 1).join(',')]) {
      expect(() => parseSamplesList(bad), bad).toThrow(/^invalid --samples-list: .* \(allowed: a comma-separated list of 1–12 integers 1 ≤ n ≤ 16777216\)$/);
    }
  });
});

/**
 * One estimate of ∇J from m episodes of twostate (start s = 0; r(0,0) = 1, r(1,1) = 2, else 0; the
 * next state is the action, flipped w.p. 0.1; the episode ends w.p. 0.25 after every step; cut at 64
 * steps and bootstrapped with V): (1/m) Σ_episodes Σ_t ∇_θ log π(a_t|s_t) Ψ_t with
 * ∂log π(a|s)/∂θ[s][b] = 1[a = b] − π(b|s), and Ψ_t as the estimator defines it.
 */
function sampleEstimate(kind: EstimatorKind, theta: number[], V: number[], gamma: number, lambda: number, m: number, rng: () => number): number[] {
  const R = [[1, 0], [0, 2]];
  const g = [0, 0, 0, 0];
  for (let ep = 0; ep < m; ep++) {
    const steps: { s: number; a: number; r: number; next: number; term: boolean }[] = [];
    let s = 0;
    for (let t = 0; t < 64; t++) {
      const p1 = 1 / (1 + Math.exp(-(theta[2 * s + 1] - theta[2 * s])));
      const a = rng() < p1 ? 1 : 0;
      const next = rng() < 0.1 ? 1 - a : a;
      const term = rng() < 0.25;
      steps.push({ s, a, r: R[s][a], next, term });
      if (term) break;
      s = next;
    }
    const T = steps.length;
    const last = steps[T - 1];
    // reward-to-go, bootstrapped when the time limit cut the episode
    const G = new Array<number>(T);
    for (let t = T - 1; t >= 0; t--) G[t] = steps[t].r + gamma * (t === T - 1 ? (last.term ? 0 : V[last.next]) : G[t + 1]);
    const delta = steps.map((x) => x.r + gamma * (x.term ? 0 : V[x.next]) - V[x.s]);
    const adv = new Array<number>(T);
    for (let t = T - 1; t >= 0; t--) adv[t] = delta[t] + (t < T - 1 ? gamma * lambda * adv[t + 1] : 0);
    steps.forEach((x, t) => {
      const psi = kind === 'reinforce' ? G[0] : kind === 'reinforce-rtg' ? G[t] : kind === 'actor-critic' ? delta[t] : adv[t];
      const p1 = 1 / (1 + Math.exp(-(theta[2 * x.s + 1] - theta[2 * x.s])));
      const pi = [1 - p1, p1];
      for (let b = 0; b < 2; b++) g[2 * x.s + b] += ((x.a === b ? 1 : 0) - pi[b]) * psi;
    });
  }
  return g.map((x) => x / m);
}

function cos(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = 0; j < a.length; j++) {
    ab += a[j] * b[j];
    aa += a[j] * a[j];
    bb += b[j] * b[j];
  }
  return ab / Math.sqrt(aa * bb);
}

function meanSd(xs: number[]): [number, number] {
  const valid = xs.filter((x) => Number.isFinite(x));
  const m = valid.reduce((a, b) => a + b, 0) / valid.length;
  const v = valid.reduce((a, b) => a + (b - m) ** 2, 0) / (valid.length - 1);
  return [m, Math.sqrt(v)];
}

/** A small seeded PRNG (Mulberry32), independent of the engine's Philox streams. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
