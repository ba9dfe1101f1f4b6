/**
 * The cosine similarities of Engine.gradientEstimates ({ cosine: true }, the cosine-vs-samples lab) on
 * the GPU engine against the CPU reference engine on the same rollout: the mean pairwise cosine of the
 * group estimates, and their mean cosine to a target (the exact ∇J, or a given reference vector).
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { createGpuEngine } from '../../src/backends/gpu/engine';
import { useGpu, withScopes } from './helpers';

const gpu = useGpu();

describe('GPU gradient cosines', () => {
  it.each([
    ['the exact ∇J', undefined],
    ['a given reference (as the Monte-Carlo one of the non-tiny envs)', [0.3, -1, 2, 0.5]],
  ] as const)('twostate, cosines to %s: the same as the CPU engine', async (_name, target) => {
    const ctx = gpu();
    const cfg = validateConfig({ env: 'twostate', numEnvs: 64, numSteps: 8, algo: 'reinforce', seed: 11, backend: 'gpu' });
    await withScopes(ctx.device, async () => {
      const g = await createGpuEngine(cfg, { device: ctx.acquired });
      const cpu = createCpuEngine(cfg);
      await g.collect();
      await cpu.collect();
      const kinds = ['reinforce-rtg', 'reinforce-baseline', 'actor-critic'] as const;
      const reference = target ? Float64Array.from(target) : undefined;
      const vg = await g.gradientEstimates(kinds, 8, { cosine: true, reference });
      const vc = await cpu.gradientEstimates(kinds, 8, { cosine: true, reference });
      // the target really is the one asked for: a given reference differs from the exact ∇J
      if (reference) expect(vc.estimators[0].cosineToReference).not.toBeCloseTo((await cpu.gradientEstimates(kinds, 8, { cosine: true })).estimators[0].cosineToReference!, 2);
      vg.estimators.forEach((s, k) => {
        const w = vc.estimators[k];
        expect(w.pairwiseCosine, w.kind).toBeGreaterThan(-1);
        expect(w.cosineToReference, w.kind).toBeGreaterThan(-1);
        expect(s.pairwiseCosine!, s.kind).toBeCloseTo(w.pairwiseCosine!, 3);
        expect(s.cosineToReference!, s.kind).toBeCloseTo(w.cosineToReference!, 3);
      });
      // without `cosine` nothing is computed (O(G²·P))
      expect((await g.gradientEstimates(kinds, 8)).estimators[0].pairwiseCosine).toBeUndefined();
      g.dispose();
      cpu.dispose();
    });
  });
});
