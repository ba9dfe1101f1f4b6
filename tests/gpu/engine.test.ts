/**
 * The GPU engine end to end against the CPU reference engine: same config and seed ⇒ the same
 * initial θ, the same episode statistics after a rollout, and (one PPO update later) parameters within
 * float32 tolerance of the CPU's; snapshot / restore continues a run bit for bit; profiling reports
 * every rollout kernel.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { createGpuEngine } from '../../src/backends/gpu/engine';
import { useGpu, withScopes } from './helpers';

const gpu = useGpu();

describe('GPU engine = CPU engine', () => {
  it('collect + one PPO update: same episode statistics, parameters within f32 tolerance', async () => {
    const ctx = gpu();
    const cfg = validateConfig({ env: 'cartpole', numEnvs: 32, numSteps: 32, seed: 3, hidden: [16, 16], epochs: 2, minibatches: 2, backend: 'gpu' });
    await withScopes(ctx.device, async () => {
      const g = await createGpuEngine(cfg, { device: ctx.acquired });
      const c = createCpuEngine(cfg);
      expect([...(await g.getParams())]).toEqual([...c.params]);
      await g.collect();
      await c.collect();
      const sg = await g.update();
      const sc = await c.update();
      expect(sg.episodes).toBe(sc.episodes);
      expect(sg.episodicLength).toBeCloseTo(sc.episodicLength, 4);
      expect(sg.episodicReturn).toBeCloseTo(sc.episodicReturn, 4);
      expect(sg.episodicReturnMin).toBeCloseTo(sc.episodicReturnMin, 4);
      expect(sg.episodicReturnMax).toBeCloseTo(sc.episodicReturnMax, 4);
      expect(sg.episodicReturnMin).toBeLessThan(sg.episodicReturnMax);
      expect(sg.update).toBe(1);
      expect(sg.envSteps).toBe(32 * 32);
      expect(sg.lr).toBeCloseTo(sc.lr, 12);
      expect(sg.epochsRun).toBe(sc.epochsRun);
      expect(sg.valueLoss).toBeCloseTo(sc.valueLoss, 3);
      const pg = await g.getParams();
      let maxDiff = 0;
      for (let i = 0; i < pg.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pg[i] - c.params[i]));
      // Adam's first step moves each parameter by ≈ lr = 2.5e-4; agreement far below that
      expect(maxDiff).toBeLessThan(2e-5);
      g.dispose();
    });
  });

  it('snapshot / restore continues bit for bit; profiling names every kernel', async () => {
    const ctx = gpu();
    const cfg = validateConfig({ env: 'pendulum', numEnvs: 16, numSteps: 16, seed: 5, hidden: [8], epochs: 1, minibatches: 2, backend: 'gpu' });
    await withScopes(ctx.device, async () => {
      const g = await createGpuEngine(cfg, { device: ctx.acquired, profile: true });
      await g.collect();
      await g.update();
      const snap = await g.snapshot();
      await g.collect();
      const a = await g.update();
      const pa = await g.getParams();
      await g.restore(snap);
      await g.collect();
      const b = await g.update();
      const pb = await g.getParams();
      expect([...pb]).toEqual([...pa]);
      expect(b.policyLoss).toBe(a.policyLoss);
      expect(b.update).toBe(a.update);
      const full = g.lastProfile();
      const prof = full.ms;
      // one small readback per update (the learner's statistics + the episode sums), and the dispatches counted
      expect(full.bytesReadPerUpdate).toBeGreaterThan(0);
      expect(full.bytesReadPerUpdate).toBeLessThan(4096);
      expect(full.dispatchesPerUpdate).toBeGreaterThan(10);
      if (ctx.acquired.features.timestampQuery) {
        // every rollout kernel is named; this small rollout may finish within one tick of the clock
        // (lavapipe: 65.5 µs), so its time may read 0 — the learner's products below may not
        for (const k of ['pack-weights', 'rollout', 'episode-stats']) expect(prof[k], k).toBeGreaterThanOrEqual(0);
        // every minibatch of the update (at most 16) is timed kernel by kernel, the mean per minibatch reported
        expect(g.learner.profiledSlots).toBe(Math.min(cfg.epochs * cfg.minibatches, 16));
        // every learner kernel is named (tiny kernels may read 0 ms at the clock's resolution)
        for (const k of ['learn-scan', 'learn-gather', 'learn-gemm-forward', 'learn-loss', 'learn-gemm-weight-grad', 'learn-gemm-input-grad', 'learn-reduce', 'learn-finalize', 'learn-adam']) {
          expect(prof[k], k).toBeGreaterThanOrEqual(0);
        }
        expect(prof['learn-gemm-forward']).toBeGreaterThan(0);
        expect(prof['update-wall']).toBeGreaterThan(0);
      }
      g.dispose();
    });
  });

  it('gradient estimates on twostate: same per-estimator statistics as the CPU, exact reference attached', async () => {
    const ctx = gpu();
    const cfg = validateConfig({ env: 'twostate', algo: 'reinforce', numEnvs: 64, numSteps: 8, seed: 11, backend: 'gpu' });
    await withScopes(ctx.device, async () => {
      const g = await createGpuEngine(cfg, { device: ctx.acquired });
      const c = createCpuEngine(cfg);
      await g.collect();
      await c.collect();
      const kinds = ['reinforce', 'reinforce-rtg', 'actor-critic'] as const;
      const vg = await g.gradientEstimates(kinds, 8);
      const vc = await c.gradientEstimates(kinds, 8);
      expect(vg.groups).toBe(8);
      expect(vg.reference).toBeDefined();
      expect([...vg.reference!].map((x) => +x.toFixed(6))).toEqual([...vc.reference!].map((x) => +x.toFixed(6)));
      vg.estimators.forEach((s, k) => {
        const w = vc.estimators[k];
        expect(s.kind).toBe(w.kind);
        for (let p = 0; p < s.mean.length; p++) expect(Math.abs(s.mean[p] - w.mean[p])).toBeLessThan(1e-4 * (1 + Math.abs(w.mean[p])));
        expect(s.traceCov).toBeCloseTo(w.traceCov, 3);
        expect(s.snr).toBeCloseTo(w.snr, 3);
        expect(s.bias2!).toBeCloseTo(w.bias2!, 4);
        for (let gi = 0; gi < 8; gi++) expect(s.projections[gi]).toBeCloseTo(w.projections[gi], 3);
      });
      g.dispose();
    });
  });
});
