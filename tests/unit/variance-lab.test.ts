/**
 * The variance-lab procedure shared by `policygrad variance` and the page (src/train/variance-lab.ts),
 * and the backend choice with fallback both front ends call (src/train/trainer.ts `startTrainer`).
 */
import { describe, expect, it } from 'vitest';
import { configFromStrings } from '../../src/core/config';
import type { EstimatorStats, VarianceStats } from '../../src/core/types';
import { bias2 } from '../../src/estimators/variance';
import { startTrainer } from '../../src/train/trainer';
import { bias2Of, exactCriticValues, VarianceLab } from '../../src/train/variance-lab';

const est = (kind: EstimatorStats['kind'], mean: number[], b2?: number): EstimatorStats => ({ kind, mean: Float64Array.from(mean), traceCov: 1, snr: 1, projections: new Float64Array(2), ...(b2 !== undefined ? { bias2: b2 } : {}) });
const stats = (estimators: EstimatorStats[]): VarianceStats => ({ groups: 2, envSteps: 10, direction: new Float64Array(2), estimators });

describe('bias2Of', () => {
  it('the exact bias² when known, else ‖mean − reward-to-go mean‖² (estimators/variance.bias2), else NaN', () => {
    expect(bias2Of(stats([est('gae', [1, 2], 0.25)]), 'gae')).toBe(0.25);
    const s = stats([est('reinforce-rtg', [1, 1]), est('gae', [2, 3])]);
    expect(bias2Of(s, 'gae')).toBe(5);
    expect(bias2Of(s, 'gae')).toBe(bias2([2, 3], [1, 1], 2));
    expect(bias2Of(s, 'reinforce-rtg')).toBe(0);
    expect(bias2Of(stats([est('gae', [2, 3])]), 'gae')).toBeNaN();
    expect(bias2Of(s, 'reinforce')).toBeNaN();
  });
});

describe('VarianceLab', () => {
  it('twostate: exact critic, numSteps raised to the horizon, first-episode estimates with the exact ∇J; λ moves only GAE', async () => {
    const config = configFromStrings({ env: 'twostate', numEnvs: '64', numSteps: '8', gamma: '0.9', varianceGroups: '8' });
    const lab = await VarianceLab.open({ config, kinds: ['reinforce', 'actor-critic', 'gae'], groups: 8, critic: 'exact', monteCarloReference: true });
    try {
      expect(lab.tiny).toBe(true);
      expect(lab.config.numSteps).toBe(64); // each env's first episode must end inside the rollout
      expect(lab.kinds).toEqual(['reinforce', 'actor-critic', 'gae']); // the exact ∇J is the reference: no reward-to-go added
      const p = await lab.engine.getParams();
      const v = exactCriticValues('twostate', p.subarray(0, 4), 0.9);
      expect([...p.subarray(4, 6)]).toEqual([...Float32Array.from(v)]);
      expect(v[0]).not.toBe(0);
      const a = await lab.estimates(0);
      const b = await lab.estimates(1);
      expect(a.reference).toBeDefined();
      expect(lab.actor(a)).toEqual([...p.subarray(0, 4)]);
      const mean = (s: VarianceStats, k: string) => [...s.estimators.find((e) => e.kind === k)!.mean];
      expect(mean(a, 'reinforce')).toEqual(mean(b, 'reinforce'));
      expect(mean(a, 'actor-critic')).toEqual(mean(b, 'actor-critic'));
      expect(mean(a, 'gae')).not.toEqual(mean(b, 'gae'));
      // GAE(λ = 0) is the actor-critic estimate
      expect(mean(a, 'gae')).toEqual(mean(a, 'actor-critic'));
      const sweep = await lab.sweep([0, 1]);
      expect(sweep.variance.gae).toEqual([a, b].map((s) => s.estimators.find((e) => e.kind === 'gae')!.traceCov));
      expect(sweep.bias2.reinforce[0]).toBe(sweep.bias2.reinforce[1]);
    } finally {
      lab.dispose();
    }
  });

  it('warm-up trains the frozen policy; elsewhere reward-to-go is added as the Monte-Carlo reference', async () => {
    const config = configFromStrings({ env: 'cartpole', numEnvs: '8', numSteps: '16', hidden: '8', varianceGroups: '4', lr: '0.01' });
    const cold = await VarianceLab.open({ config, kinds: ['gae'], groups: 4 });
    let warmed = 0;
    const warm = await VarianceLab.open({ config, kinds: ['gae'], groups: 4, warmup: 2, monteCarloReference: true, onWarmupUpdate: () => void warmed++ });
    try {
      expect(warmed).toBe(2);
      expect([...warm.params]).not.toEqual([...cold.params]);
      expect([...(await warm.engine.getParams())]).toEqual([...warm.params]);
      expect(cold.kinds).toEqual(['gae']);
      expect(warm.kinds).toEqual(['gae', 'reinforce-rtg']);
      const s = await warm.estimates();
      expect(s.reference).toBeUndefined();
      expect(bias2Of(s, 'gae')).toBeGreaterThan(0);
    } finally {
      cold.dispose();
      warm.dispose();
    }
  });
});

describe('startTrainer', () => {
  it('a GPU request runs on the CPU engine with fallback when no GPU can be had, and says why', async () => {
    const config = configFromStrings({ env: 'bandit', backend: 'gpu', numEnvs: '4', numSteps: '4' });
    const r = await startTrainer(config, { fallback: true, gpuUnavailable: 'WebGPU is not available in this browser' });
    try {
      expect(r.backend).toBe('cpu');
      expect(r.trainer.engine.backend).toBe('cpu');
      expect(r.detail).toBe('WebGPU is not available in this browser; running on the CPU engine');
      expect(r.reason).toBe('WebGPU is not available in this browser');
    } finally {
      r.trainer.dispose();
    }
    const c = await startTrainer(configFromStrings({ env: 'bandit', numEnvs: '4', numSteps: '4' }));
    expect([c.backend, c.detail, c.reason]).toEqual(['cpu', 'CPU engine', undefined]);
    c.trainer.dispose();
  });

  it('continues from a checkpoint and says when it was written by the other engine', async () => {
    const config = configFromStrings({ env: 'bandit', numEnvs: '4', numSteps: '4', totalSteps: '64' });
    const first = await startTrainer(config);
    await first.trainer.runUpdate();
    const ck = await first.trainer.checkpoint();
    first.trainer.dispose();
    const said: string[] = [];
    const r = await startTrainer({ ...config, backend: 'gpu' }, { checkpoint: { ...ck, backend: 'gpu' }, fallback: true, gpuUnavailable: 'no GPU', notice: (m) => said.push(m) });
    expect(r.trainer.update).toBe(1);
    expect(said).toEqual(['the checkpoint was written by the GPU engine; it continues on the CPU engine.']);
    r.trainer.dispose();
  });
});
