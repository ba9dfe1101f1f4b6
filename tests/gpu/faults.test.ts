/**
 * Reliability of the GPU engine (issue 6): a non-finite update is detected by the kernels' flag,
 * rolled back to the exact last good θ, m, v and Adam step (as the CPU engine does), and training
 * goes on; maxFaults in a row stop the run; a lost device (GPUDevice.destroy() mid-run) is survived:
 * the trainer builds a new engine on a new device, restores the last update's state and continues,
 * giving the same next update as an engine restored from that state by hand.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig, type Config } from '../../src/core/config';
import { createGpuEngine, type GpuEngine } from '../../src/backends/gpu/engine';
import { NumericalFaultError, Trainer } from '../../src/train/trainer';
import { useGpu, withScopes } from './helpers';

const gpu = useGpu();

const config = (c: Partial<Config> = {}) =>
  validateConfig({ env: 'cartpole', backend: 'gpu', numEnvs: 4, numSteps: 32, totalSteps: 4 * 32 * 6, hidden: [16], seed: 3, epochs: 2, minibatches: 2, ...c });

/** Make the rewards of the next rollouts NaN at (t = 5, env 0) while `poison()` says so. */
function poisonRewards(engine: GpuEngine, poison: () => boolean): void {
  const collect = engine.collect.bind(engine);
  engine.collect = async () => {
    await collect();
    const r = engine.rollout.buffers.rewards; // a plane { buffer, offset } of the trajectory buffer, [T][N] f32
    if (poison()) engine.device.queue.writeBuffer(r.buffer, (r.offset ?? 0) + 5 * engine.config.numEnvs * 4, new Float32Array([NaN]));
  };
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('GPU non-finite updates', () => {
  it('a NaN reward: the update is flagged and rolled back to the exact last good θ, m, v, t; the next update trains', async () => {
    const ctx = gpu();
    await withScopes(ctx.device, async () => {
      const cfg = config();
      const engine = await createGpuEngine(cfg, { device: ctx.acquired });
      let n = 0;
      poisonRewards(engine, () => ++n === 2);
      const t = await Trainer.create(cfg, { engine });
      expect((await t.runUpdate()).nonFinite).toBe(false);
      const before = await engine.snapshot();
      const row = await t.runUpdate();
      expect(row.nonFinite).toBe(true);
      const after = await engine.snapshot();
      expect(bits(after.params).equals(bits(before.params))).toBe(true);
      expect(bits(after.adamM).equals(bits(before.adamM))).toBe(true);
      expect(bits(after.adamV).equals(bits(before.adamV))).toBe(true);
      expect(after.adamT).toBe(before.adamT);
      const next = await t.runUpdate();
      expect(next.nonFinite).toBe(false);
      expect(Number.isFinite(next.policyLoss)).toBe(true);
      const p = await engine.getParams();
      expect(p.every(Number.isFinite)).toBe(true);
      expect(bits(p).equals(bits(before.params))).toBe(false);
      // Adam continues from the step count before the faulty update
      expect((await engine.snapshot()).adamT).toBe(before.adamT + 2 * 2);
      engine.dispose();
    });
  });

  it('maxFaults consecutive faults stop the run with NumericalFaultError, keeping the initial parameters', async () => {
    const ctx = gpu();
    await withScopes(ctx.device, async () => {
      const cfg = config({ maxFaults: 2 });
      const engine = await createGpuEngine(cfg, { device: ctx.acquired });
      poisonRewards(engine, () => true);
      const t = await Trainer.create(cfg, { engine });
      const p0 = await engine.getParams();
      await t.runUpdate();
      await expect(t.runUpdate()).rejects.toThrow(NumericalFaultError);
      expect(t.history.filter((r) => r.nonFinite).length).toBe(2);
      expect(bits(await engine.getParams()).equals(bits(p0))).toBe(true);
      engine.dispose();
    });
  });

  it('an extreme learning rate never leaves non-finite parameters', async () => {
    const ctx = gpu();
    await withScopes(ctx.device, async () => {
      const cfg = config({ lr: 1, maxGradNorm: 1e6, maxFaults: 1000 });
      const engine = await createGpuEngine(cfg, { device: ctx.acquired });
      const t = await Trainer.create(cfg, { engine });
      await t.run();
      expect((await engine.getParams()).every(Number.isFinite)).toBe(true);
      engine.dispose();
    });
  });
});

describe('lost GPU device', () => {
  it('device.destroy() mid-run: a new engine on a new device continues from the last update, as a by-hand restore would', { timeout: 120_000 }, async () => {
    gpu(); // the file's device: fails loudly when there is no adapter
    const cfg = config({ totalSteps: 4 * 32 * 5 });
    const notices: string[] = [];
    // warnings only (SwiftShader's "correct but slow" is an info notice)
    const t = await Trainer.create(cfg, { snapshotEvery: 1, notice: (m, level) => void (level === 'warn' && notices.push(m)) });
    const first = t.engine as GpuEngine;
    await t.runUpdate();
    await t.runUpdate();
    const s2 = await first.snapshot();
    first.device.destroy();
    const row = await t.runUpdate();
    expect(row.update).toBe(3);
    expect(row.envSteps).toBe(3 * 4 * 32);
    expect(t.engine).not.toBe(first);
    expect(t.engine.backend).toBe('gpu');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/WebGPU device was lost \(destroyed.*continuing on a new GPU device from update 2/);
    expect(t.recoveries).toEqual(notices);
    // the same update 3 from the same state on a healthy engine
    const ref = await createGpuEngine(cfg, {});
    await ref.restore(s2);
    await ref.collect();
    const refRow = await ref.update();
    expect(row.episodes).toBe(refRow.episodes);
    expect(row.episodicReturn).toBe(refRow.episodicReturn);
    expect(bits(await t.engine.getParams()).equals(bits(await ref.getParams()))).toBe(true);
    ref.dispose();
    // and the run goes on to the end
    const summary = await t.run();
    expect(summary.updates).toBe(5);
    t.dispose();
  });

  it('with a snapshot every 2 updates, a loss after update 3 goes back to update 2 and runs update 3 again, the same', { timeout: 120_000 }, async () => {
    gpu();
    const cfg = config({ totalSteps: 4 * 32 * 5 });
    const rewinds: number[] = [];
    const t = await Trainer.create(cfg, { snapshotEvery: 2, onRewind: (u) => rewinds.push(u) });
    const first = t.engine as GpuEngine;
    const rows = [];
    for (let i = 0; i < 3; i++) rows.push(await t.runUpdate());
    const params3 = bits(await first.getParams());
    first.device.destroy();
    const again = await t.runUpdate();
    expect(rewinds).toEqual([2]);
    expect(t.recoveries[0]).toMatch(/continuing on a new GPU device from update 2$/);
    // update 3 again, from the update-2 snapshot: the same rollout (RNG counters restored), the same step
    expect(again.update).toBe(3);
    expect(again.episodes).toBe(rows[2].episodes);
    expect(again.episodicReturn).toBe(rows[2].episodicReturn);
    expect(bits(await t.engine.getParams()).equals(params3)).toBe(true);
    // every update once in the history
    expect(t.history.map((r) => r.update)).toEqual([1, 2, 3]);
    await t.run();
    expect(t.history.map((r) => r.update)).toEqual([1, 2, 3, 4, 5]);
    t.dispose();
  });
});
