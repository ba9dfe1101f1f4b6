/**
 * Kernel choice by measurement at engine creation (src/backends/gpu/engine.ts chooseRolloutVariant and
 * chooseLearnerKernels, learn/tune.ts, autotune.ts): every applicable rollout variant and learner kernel set is timed on the run's network, the
 * fastest is used and stored; a second engine with the same adapter and shapes takes the stored choice
 * without measuring, and trains the same as an engine forced to that set.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config';
import { createGpuEngine } from '../../src/backends/gpu/engine';
import { MemoryTuneStore } from '../../src/backends/gpu/autotune';
import { kernelCandidates, kernelSetKey } from '../../src/backends/gpu/learn/tune';
import { rolloutTraits, rolloutVariantsFor } from '../../src/backends/gpu/rollout';
import { useGpu } from './helpers';

const gpu = useGpu();

describe('autotuned learner kernels', () => {
  it('measures every candidate once, keeps the fastest, and reuses the stored choice', { timeout: 300_000 }, async () => {
    const ctx = gpu();
    const cfg = validateConfig({ env: 'cartpole', numEnvs: 16, numSteps: 16, hidden: [16, 16], epochs: 1, minibatches: 2, backend: 'gpu', seed: 4 });
    const store = new MemoryTuneStore();
    const a = await createGpuEngine(cfg, { device: ctx.acquired, tune: 'on', tuneStore: store });
    const ca = a.lastProfile().choices.learner;
    const names = kernelCandidates(ctx.device).map(kernelSetKey);
    expect(names.length).toBeGreaterThan(1);
    expect(ca.cached).toBe(false);
    expect(Object.keys(ca.times).sort()).toEqual([...names].sort());
    // the choice is the fastest measured candidate
    const best = Math.min(...Object.values(ca.times));
    expect(ca.times[ca.choice]).toBe(best);
    // the rollout kernel too: every variant offered for the net timed, the fastest kept (both CPU drivers
    // offer 'loop' and 'subgroup', SwiftShader 'unrolled' too for 16-16; a single one is taken without measuring)
    const ra = a.lastProfile().choices.rollout;
    const variants = rolloutVariantsFor(a.layout, rolloutTraits(ctx.device));
    expect(a.rollout.variant).toBe(ra.choice);
    const timedRollout = variants.length > 1;
    if (timedRollout) {
      expect(Object.keys(ra.times).sort()).toEqual([...variants].sort());
      expect(ra.times[ra.choice]).toBe(Math.min(...Object.values(ra.times)));
      expect([...store.map.values()].sort()).toEqual([ca.choice, ra.choice].sort());
    } else {
      expect(ra).toEqual({ choice: variants[0], times: {}, cached: false });
      expect([...store.map.values()]).toEqual([ca.choice]);
    }
    for (const k of store.map.keys()) expect(k).toContain(ctx.acquired.adapterInfo.name);
    // a second engine on the same adapter and shapes: the stored choice, nothing measured
    const b = await createGpuEngine(cfg, { device: ctx.acquired, tune: 'on', tuneStore: store });
    expect(b.lastProfile().choices.learner).toEqual({ choice: ca.choice, times: {}, cached: true });
    expect(b.lastProfile().choices.rollout).toEqual({ choice: ra.choice, times: {}, cached: timedRollout });
    // and it trains bit for bit like the first (same kernels, same seed)
    await a.collect();
    await b.collect();
    const sa = await a.update();
    const sb = await b.update();
    expect(sb.policyLoss).toBe(sa.policyLoss);
    expect([...(await b.getParams())]).toEqual([...(await a.getParams())]);
    a.dispose();
    b.dispose();
  });
});
