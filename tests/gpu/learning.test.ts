/**
 * GPU training learns: PPO on CartPole-v1 with the GPU engine reaches the CPU learning test's
 * threshold (mean return ≥ 195 over the last 100 episodes within 30 720 env steps, same config and
 * seed; tests/unit/cpu-engine.test.ts), with every WebGPU validation error failing the test.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config';
import { createGpuEngine } from '../../src/backends/gpu/engine';
import { Trainer } from '../../src/train/trainer';
import { useGpu, withScopes } from './helpers';

const gpu = useGpu();

describe('GPU learning', () => {
  it('PPO on CartPole-v1 reaches a mean return ≥ 195 over the last 100 episodes within 30 720 env steps', { timeout: 300_000 }, async () => {
    const ctx = gpu();
    const cfg = validateConfig({ env: 'cartpole', algo: 'ppo', backend: 'gpu', numEnvs: 8, numSteps: 128, totalSteps: 30720, lr: 0.0025, seed: 1 });
    await withScopes(ctx.device, async () => {
      const engine = await createGpuEngine(cfg, { device: ctx.acquired });
      const t = await Trainer.create(cfg, { engine });
      const s = await t.run();
      console.log(`[gpu learning] final return ${s.final_return.toFixed(1)} after ${s.steps} steps in ${s.wall_s.toFixed(1)} s`);
      expect(s.steps).toBe(30720);
      expect(s.nonFiniteUpdates).toBe(0);
      expect(t.history[0].episodicReturn).toBeLessThan(50);
      expect(s.final_return).toBeGreaterThanOrEqual(195);
      engine.dispose();
    });
  });
});
