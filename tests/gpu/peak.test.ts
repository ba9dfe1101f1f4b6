/**
 * The WGSL arithmetic peak probe (shaders/peak.wgsl) computes exactly the recurrence of the closed form
 * in src/core/peak.ts, lane by lane, in float32; and measureGpuPeak reports what it timed.
 */
import { describe, expect, it } from 'vitest';
import { PEAK_C, PEAK_CHAINS, PEAK_M, peakChainSum, peakStart } from '../../src/core/peak';
import { measureGpuPeak, PEAK_INVOCATIONS, PEAK_PARAMS, PEAK_UNROLL, PeakProgram } from '../../src/backends/gpu/peak';
import { parseWgslStruct, UniformWriter } from '../../src/backends/gpu/dispatch';
import peakWgsl from '../../shaders/peak.wgsl?raw';
import { readBack, useGpu, withScopes } from './helpers';

const gpu = useGpu();

describe('GPU peak probe', () => {
  it('PEAK_PARAMS and PEAK_UNROLL match the WGSL', () => {
    expect(PEAK_PARAMS.members()).toEqual(parseWgslStruct(peakWgsl, 'PeakParams'));
    expect(peakWgsl).toContain(`const UNROLL: u32 = ${PEAK_UNROLL}u;`);
  });
  it('every invocation ends at the closed form (float32), for a few step counts', async () => {
    const { device, cache } = gpu();
    await withScopes(device, async () => {
      const prog = await new PeakProgram().build(cache);
      const n = 1000; // not a multiple of the workgroup: the tail is guarded
      const params = device.createBuffer({ size: PEAK_PARAMS.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      const out = device.createBuffer({ size: 4 * n, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      for (const blocks of [0, 1, 3, 64]) {
        const iters = blocks * PEAK_UNROLL;
        device.queue.writeBuffer(params, 0, new UniformWriter(PEAK_PARAMS).setAll({ blocks, m: PEAK_M, c: PEAK_C, pad: 0 }).data);
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        prog.dispatch(pass, prog.bindGroup({ params, out }), n);
        pass.end();
        device.queue.submit([enc.finish()]);
        const got = new Float32Array(await readBack(device, out));
        for (let i = 0; i < n; i++) {
          const want = peakChainSum(peakStart(i), iters);
          // float32 rounding stays far below one step's change (≈ 1e-3 relative; unit test)
          expect(Math.abs(got[i] - want) / want, `lane ${i}, ${iters} steps`).toBeLessThan(1e-4);
        }
      }
      params.destroy();
      out.destroy();
    });
  });
  it('measureGpuPeak: flops = 2 · 16 chains · steps · invocations · repetitions, results checked', async () => {
    const { device } = gpu();
    const r = await measureGpuPeak(device, 0.01);
    expect(r.relError).toBeLessThan(1e-4);
    const perDispatch = 2 * PEAK_CHAINS * PEAK_INVOCATIONS;
    expect(r.flops % perDispatch).toBe(0);
    expect(r.gflops).toBeCloseTo(r.flops / r.seconds / 1e9, 9);
  });
});
