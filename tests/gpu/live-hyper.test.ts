/**
 * Live hyperparameters on the GPU engine: after `setHyper` the next update writes the new λ, lr,
 * entropy coefficient and clip ε into the learner's uniforms, and matches the CPU reference engine
 * given the same values from the same state (within the float32 tolerance of tests/gpu/engine.test.ts);
 * the update with the old values lies far outside it, so the change is what is being matched.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config';
import { ConfigError } from '../../src/core/errors';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { createGpuEngine } from '../../src/backends/gpu/engine';
import { useGpu, withScopes } from './helpers';

const gpu = useGpu();

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('GPU engine: live hyperparameters', () => {
  it('after setHyper the GPU update matches the CPU reference with the new λ, lr, β, ε', async () => {
    const ctx = gpu();
    const cfg = validateConfig({ env: 'cartpole', numEnvs: 16, numSteps: 16, seed: 3, hidden: [8, 8], epochs: 2, minibatches: 2, backend: 'gpu', totalSteps: 4 * 16 * 16 });
    const NEW = { lambda: 0.5, lr: 5e-4, entCoef: 0.05, clip: 0.1 };
    await withScopes(ctx.device, async () => {
      const g = await createGpuEngine(cfg, { device: ctx.acquired });
      try {
        // one update with the starting values, then both engines continue from the CPU's state
        const c = createCpuEngine(cfg);
        await c.collect();
        await c.update();
        const snap = await c.snapshot();
        await g.restore(snap);
        g.setHyper(NEW);
        c.setHyper(NEW);
        expect(() => g.setHyper({ clip: 0 })).toThrow(ConfigError);
        expect(g.config).toMatchObject(NEW);
        expect(cfg.lambda).toBe(0.95); // the caller's config is not the engine's

        await g.collect();
        await c.collect();
        const sg = await g.update();
        const sc = await c.update();
        expect(sg.update).toBe(2);
        expect([sg.lambda, sg.entCoef, sg.clip]).toEqual([NEW.lambda, NEW.entCoef, NEW.clip]);
        expect(sg.lr).toBeCloseTo(NEW.lr * (1 - 1 / 4), 12);
        expect(sg.lr).toBeCloseTo(sc.lr, 12);
        expect(sg.episodes).toBe(sc.episodes);
        expect(sg.epochsRun).toBe(sc.epochsRun);
        expect(sg.valueLoss).toBeCloseTo(sc.valueLoss, 3);
        expect(sg.entropy).toBeCloseTo(sc.entropy, 4);
        const pg = await g.getParams();
        const diff = maxAbsDiff(pg, c.params);
        expect(diff, `max |θ_gpu − θ_cpu| = ${diff}`).toBeLessThan(2e-5);

        // the CPU update with the old values from the same state: far from the GPU's
        const old = createCpuEngine(cfg);
        await old.restore(snap);
        await old.collect();
        await old.update();
        const oldDiff = maxAbsDiff(pg, old.params);
        expect(oldDiff, `max |θ_gpu − θ_cpu(old values)| = ${oldDiff}`).toBeGreaterThan(20 * Math.max(diff, 1e-6));
      } finally {
        g.dispose();
      }
    });
  });
});
