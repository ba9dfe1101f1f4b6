/**
 * Shared helpers of the GPU test files: one device per file (acquired in beforeAll, destroyed in
 * afterAll), validation scopes that turn any WebGPU error into a test failure, and small
 * upload / readback / run-a-kernel utilities. No adapter ⇒ acquireDevice throws DeviceError and every
 * test of the file fails loudly (never skipped).
 */
import { afterAll, beforeAll } from 'vitest';
import { acquireDevice, type AcquiredDevice } from '../../src/backends/gpu/device';
import { PipelineCache } from '../../src/backends/gpu/pipeline-cache';
import { Program, type BufferResource, type NamedBinding } from '../../src/backends/gpu/program';
import type { LearnerBuffers } from '../../src/backends/gpu/learn/learner';
import type { LearnData } from './learn-reference';

export interface GpuContext {
  device: GPUDevice;
  acquired: AcquiredDevice;
  cache: PipelineCache;
}

/** Register beforeAll/afterAll for this file; the returned getter gives the live context inside tests. */
export function useGpu(): () => GpuContext {
  let ctx: GpuContext | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      const acquired = await acquireDevice({ log: (m) => process.stderr.write(`[gpu test] ${m}\n`) });
      ctx = { device: acquired.device, acquired, cache: new PipelineCache(acquired.device) };
    } catch (e) {
      failure = e;
    }
  });
  afterAll(() => {
    ctx?.device.destroy();
  });
  return () => {
    if (!ctx) throw failure instanceof Error ? failure : new Error(`no GPU device: ${String(failure)}`);
    return ctx;
  };
}

/** Run `fn` inside validation, out-of-memory and internal error scopes; throw on any captured error. */
export async function withScopes<T>(device: GPUDevice, fn: () => Promise<T> | T): Promise<T> {
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  let result: T;
  try {
    result = await fn();
  } finally {
    const internal = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const validation = await device.popErrorScope();
    const errs = [validation, oom, internal].filter((e) => e !== null) as GPUError[];
    if (errs.length) throw new Error(`WebGPU error: ${errs.map((e) => e.message).join(' | ')}`);
  }
  return result;
}

/** A storage buffer initialised with `data` (or zeroed to `bytes`), COPY_SRC | COPY_DST too. */
export function storageBuffer(device: GPUDevice, data: ArrayBufferView | number, label = 'test'): GPUBuffer {
  const bytes = typeof data === 'number' ? data : data.byteLength;
  const buf = device.createBuffer({
    label,
    size: Math.max(4, Math.ceil(bytes / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  if (typeof data !== 'number') device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
  return buf;
}

/** The learner's input buffers for a test batch `data` and parameters θ (Adam m, v zeroed). */
export function learnerBuffers(device: GPUDevice, data: LearnData, theta: Float32Array): LearnerBuffers {
  return {
    obs: storageBuffer(device, data.obs),
    actions: storageBuffer(device, data.actions),
    logp: storageBuffer(device, data.logp),
    values: storageBuffer(device, data.rollout.values),
    rewards: storageBuffer(device, data.rollout.rewards),
    nextValues: storageBuffer(device, data.rollout.nextValues),
    flags: storageBuffer(device, data.flags),
    params: storageBuffer(device, theta),
    adamM: storageBuffer(device, theta.length * 4),
    adamV: storageBuffer(device, theta.length * 4),
  };
}

export function uniformBuffer(device: GPUDevice, data: ArrayBuffer, label = 'uniforms'): GPUBuffer {
  const buf = device.createBuffer({ label, size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, data);
  return buf;
}

/** Copy a buffer (or a range) back to the host. */
export async function readBack(device: GPUDevice, src: GPUBuffer, bytes = src.size, offset = 0): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, offset, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return out;
}

/** Build a one-off program, bind, dispatch `threads`, and wait for the queue. */
export async function runProgram(
  ctx: GpuContext,
  desc: { name: string; code: string; entryPoint?: string; bindings: NamedBinding[]; constants?: Record<string, number>; workgroupSize?: number },
  resources: Record<string, BufferResource>,
  threads: number,
): Promise<void> {
  const p = await new Program({
    name: desc.name,
    code: desc.code,
    entryPoint: desc.entryPoint ?? 'main',
    bindings: desc.bindings,
    constants: desc.constants ?? {},
    workgroupSize: desc.workgroupSize ?? 64,
  }).build(ctx.cache);
  const enc = ctx.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  p.dispatch(pass, p.bindGroup(resources), threads);
  pass.end();
  ctx.device.queue.submit([enc.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
}
