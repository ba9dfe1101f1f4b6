/**
 * The GPU side of the arithmetic peak probe (src/core/peak.ts): shaders/peak.wgsl over 65,536
 * invocations, its step count doubled until one dispatch takes ≥ 50 ms, then timed to the queue's completion
 * for at least `seconds`. The results of the last dispatch are read back and checked against the
 * closed form.
 */
import peakWgsl from '../../../shaders/peak.wgsl?raw';
import { PEAK_C, PEAK_CHAINS, PEAK_M, peakChainSum, peakStart, type PeakResult } from '../../core/peak';
import { StructLayout, UniformWriter } from './dispatch';
import { PipelineCache } from './pipeline-cache';
import { Program } from './program';

export const PEAK_PARAMS = new StructLayout([
  ['blocks', 'u32'],
  ['m', 'f32'],
  ['c', 'f32'],
  ['pad', 'u32'],
]);

/** Steps per loop iteration of shaders/peak.wgsl (its UNROLL); the kernel runs PEAK_UNROLL · blocks steps. */
export const PEAK_UNROLL = 32;

/** Invocations per probe dispatch. */
export const PEAK_INVOCATIONS = 1 << 16;

export class PeakProgram extends Program {
  constructor() {
    super({
      name: 'peak-fma',
      code: peakWgsl,
      entryPoint: 'main',
      bindings: [
        { name: 'params', kind: 'uniform' },
        { name: 'out', kind: 'storage' },
      ],
      constants: {},
      workgroupSize: 64,
    });
  }
}

export async function measureGpuPeak(device: GPUDevice, seconds: number): Promise<PeakResult> {
  const prog = await new PeakProgram().build(new PipelineCache(device));
  const n = PEAK_INVOCATIONS;
  const params = device.createBuffer({ size: PEAK_PARAMS.size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const out = device.createBuffer({ size: 4 * n, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const staging = device.createBuffer({ size: 4 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bg = prog.bindGroup({ params, out });
  // one dispatch of `steps` steps, timed to the queue's completion
  const run = async (steps: number): Promise<number> => {
    device.queue.writeBuffer(params, 0, new UniformWriter(PEAK_PARAMS).setAll({ blocks: steps / PEAK_UNROLL, m: PEAK_M, c: PEAK_C, pad: 0 }).data);
    const t0 = performance.now();
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    prog.dispatch(pass, bg, n);
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / 1000;
  };
  try {
    let steps = 8 * PEAK_UNROLL;
    await run(steps); // compile and warm up
    while (steps < 1 << 20 && (await run(steps)) < 0.05) steps *= 2;
    let reps = 0;
    let secs = 0;
    while (reps < 3 || secs < seconds) {
      secs += await run(steps);
      reps++;
    }
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(out, 0, staging, 0, 4 * n);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    let relError = 0;
    for (let i = 0; i < 256; i++) {
      const want = peakChainSum(peakStart(i), steps);
      for (let j = i; j < n; j += 256) relError = Math.max(relError, Math.abs(got[j] - want) / Math.abs(want));
    }
    const flops = 2 * PEAK_CHAINS * steps * n * reps;
    return { gflops: flops / secs / 1e9, flops, seconds: secs, relError };
  } finally {
    params.destroy();
    out.destroy();
    staging.destroy();
  }
}
