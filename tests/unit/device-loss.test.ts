/**
 * DeviceLossWatch: a failed device round trip is called a lost device when the device's `lost`
 * promise says so, even when that news comes after the failure (as in a loaded browser, where it
 * crosses from the GPU process); any other failure keeps its own error. Fake timers stand in for
 * the delays, so the test says how late the news may come.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeviceLossWatch, LOST_GRACE_MS } from '../../src/backends/gpu/device-loss';
import { DeviceLostError } from '../../src/core/errors';

function lostLater(ms: number | null): Promise<GPUDeviceLostInfo> {
  return new Promise((resolve) => {
    if (ms !== null) setTimeout(() => resolve({ reason: 'destroyed', message: 'Device was destroyed.' } as GPUDeviceLostInfo), ms);
  });
}

const mapFails = () => Promise.reject(new Error('AbortError: mapAsync failed'));

describe('DeviceLossWatch', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('a round trip that fails 800 ms before `lost` settles is a DeviceLostError naming the reason', async () => {
    const w = new DeviceLossWatch(lostLater(800));
    const p = w.guard(mapFails);
    const seen = p.catch((e) => e);
    await vi.advanceTimersByTimeAsync(800);
    const e = await seen;
    expect(e).toBeInstanceOf(DeviceLostError);
    expect((e as Error).message).toBe('the WebGPU device was lost (destroyed: Device was destroyed.)');
    // and every later round trip fails at once, without running its work
    const work = vi.fn(async () => 1);
    await expect(w.guard(work)).rejects.toBeInstanceOf(DeviceLostError);
    expect(work).not.toHaveBeenCalled();
  });

  it('a failure on a live device keeps its own error after the grace', async () => {
    const w = new DeviceLossWatch(lostLater(null));
    const seen = w.guard(mapFails).catch((e) => e);
    await vi.advanceTimersByTimeAsync(LOST_GRACE_MS - 1);
    let settled = false;
    void seen.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const e = await seen;
    expect(e).not.toBeInstanceOf(DeviceLostError);
    expect((e as Error).message).toBe('AbortError: mapAsync failed');
    expect(w.reason).toBeNull();
  });

  it('success passes the value through; a loss the owner caused (disposed) is no news', async () => {
    const w = new DeviceLossWatch(lostLater(10));
    await expect(w.guard(async () => 42)).resolves.toBe(42);
    let disposed = false;
    const own = new DeviceLossWatch(lostLater(10), () => disposed);
    disposed = true;
    await vi.advanceTimersByTimeAsync(10);
    expect(own.reason).toBeNull();
    await vi.advanceTimersByTimeAsync(10);
    expect(w.reason).toBe('destroyed: Device was destroyed.');
  });
});
