/**
 * The seed's comparison table, pinned on twostate (γ = 1, so every Monte-Carlo Ψ is unbiased for the
 * exact ∇J): actor-critic has the lowest variance of the five estimators and, with the exact V^π in the
 * critic, no bias; with a deliberately wrong V its bias is measurable, and GAE(λ = 1) = G_t − V(s_t)
 * (a state-dependent baseline) removes it.
 *
 * Noise yardstick, from the per-group spread of the same rollout: the mean of G group estimates has
 * E‖m − E m‖² = tr Σ / G, so its standard error is SE = √(tr Σ̂ / G) and bias² is measured in SE²
 * (≈ 1 for an unbiased estimator; "within 3 SE" is bias² ≤ 9 SE²).
 */
import { describe, expect, it } from 'vitest';
import { configFromStrings } from '../../src/core/config';
import { ESTIMATORS, type EstimatorStats, type GradientEstimateOptions } from '../../src/core/types';
import { makeEnv } from '../../src/envs';
import { netLayout, netSpecFor, setTabularValues } from '../../src/policy/layout';
import { createEngine } from '../../src/train/trainer';
import { exactCriticValues } from '../../src/train/variance-lab';

const G = 64;
const config = configFromStrings({ env: 'twostate', gamma: '1', lambda: '0.95', numEnvs: '4096', numSteps: '64', varianceGroups: String(G), seed: '11' });

/** One rollout with the critic table set to `critic(exact V^π)`; estimates of `opts` on each env's first episode. */
async function estimates(critic: (V: Float64Array) => ArrayLike<number>, runs: { kinds: readonly (typeof ESTIMATORS)[number][]; opts?: GradientEstimateOptions }[]) {
  const engine = await createEngine(config);
  try {
    const layout = netLayout(netSpecFor(makeEnv('twostate'), config));
    const s = await engine.snapshot();
    const V = exactCriticValues('twostate', s.params.subarray(0, layout.actorSize), config.gamma);
    setTabularValues(layout, s.params, critic(V));
    await engine.restore(s);
    await engine.collect();
    const out: Record<string, EstimatorStats & { se2: number }> = {};
    for (const r of runs) {
      const v = await engine.gradientEstimates(r.kinds, G, { episodes: 'first', ...r.opts });
      expect(v.groups).toBe(G);
      for (const e of v.estimators) out[e.kind + (r.opts?.lambda !== undefined ? `@${r.opts.lambda}` : '')] = { ...e, se2: e.traceCov / G };
    }
    return out;
  } finally {
    engine.dispose();
  }
}

describe('the comparison table on twostate', () => {
  it('exact V: actor-critic is unbiased (bias² within 3 SE) and has the lowest variance of the five', async () => {
    const s = await estimates((V) => V, [{ kinds: ESTIMATORS }]);
    for (const k of ESTIMATORS) {
      expect(s[k].bias2, k).toBeDefined();
      // every estimator is unbiased here (γ = 1, V exact): bias² ≈ SE², within 3 SE
      expect(s[k].bias2! / s[k].se2, `${k}: bias² = ${s[k].bias2}, SE² = ${s[k].se2}`).toBeLessThan(9);
    }
    const ac = s['actor-critic'].traceCov;
    for (const k of ESTIMATORS) if (k !== 'actor-critic') expect(ac, `actor-critic vs ${k}`).toBeLessThan(s[k].traceCov);
    // and the known part of the table: REINFORCE ≥ reward-to-go ≥ baseline
    expect(s.reinforce.traceCov).toBeGreaterThan(s['reinforce-rtg'].traceCov);
  });

  it('wrong V: actor-critic is biased by several SE, GAE(λ = 1) on the same rollout is not', async () => {
    // V off by ±3 in the two states: δ_t = r + V(s') − V(s) carries V's error of the next state, which
    // the action decides (the next state is the action, slip 0.1), so E[∇log π · δ] ≠ ∇J
    const s = await estimates((V) => [V[0] + 3, V[1] - 3], [{ kinds: ['actor-critic', 'gae'] }, { kinds: ['gae'], opts: { lambda: 1 } }]);
    const ac = s['actor-critic'];
    expect(ac.bias2! / ac.se2, `actor-critic: bias² = ${ac.bias2}, SE² = ${ac.se2}`).toBeGreaterThan(25);
    const g1 = s['gae@1'];
    expect(g1.bias2! / g1.se2, `GAE(1): bias² = ${g1.bias2}, SE² = ${g1.se2}`).toBeLessThan(9);
    // GAE(λ) in between: λ = 0.95 already shrinks the bias (Σ (γλ)^l δ telescopes towards G_t − V)
    expect(s.gae.bias2!).toBeLessThan(ac.bias2!);
  });
});
