/**
 * The suite runs once per driver (vite.config.ts: POLICYGRAD_ADAPTER=swiftshader / lavapipe): the
 * device it got is the one asked for, and an engine and a run's summary name that adapter.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config';
import { adapterFromEnv } from '../../src/backends/gpu/device';
import { Trainer } from '../../src/train/trainer';
import { runInfo } from '../../src/cli/runinfo';
import { useGpu } from './helpers';

const gpu = useGpu();

describe('adapter', () => {
  it('the device is on the driver POLICYGRAD_ADAPTER names, and the engine and summary.json say which', async () => {
    const ctx = gpu();
    const want = adapterFromEnv();
    const info = ctx.acquired.adapterInfo;
    if (want !== 'default') expect(info.driver).toBe(want);
    // SwiftShader has 4-wide subgroups, lavapipe 8-wide (AVX2): the two SIMD widths the suite covers
    const sub = (ctx.device as unknown as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    if (want === 'swiftshader' && sub?.subgroupMinSize) expect(sub.subgroupMinSize).toBe(4);
    if (want === 'lavapipe' && sub?.subgroupMinSize) expect(sub.subgroupMinSize).toBeGreaterThanOrEqual(8);
    const t = await Trainer.create(validateConfig({ env: 'cartpole', numEnvs: 8, numSteps: 8, hidden: [8], backend: 'gpu', totalSteps: 64 }), { adapter: want });
    try {
      expect(t.engine.backend).toBe('gpu');
      expect(t.engine.where).toBe(info.name);
      expect(runInfo(t).adapter).toBe(info.name);
    } finally {
      t.dispose();
    }
  });
});
