/**
 * The benchmark's shared procedures (src/train/bench.ts), used by `policygrad bench` and the page:
 * the crossover definition on hand-made cells, and the measuring loop on a fake engine.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/types';
import { crossover, crossovers, measure, type BenchCell } from '../../src/train/bench';

const cell = (backend: 'cpu' | 'gpu', envs: number, mode: 'rollout' | 'train', sps: number): BenchCell => ({ backend, envs, mode, env_steps_per_s: sps, reps: 2, on: backend });

describe('crossover: the smallest measured env count where the GPU is strictly faster', () => {
  it('names a measured count, never one between two measurements', () => {
    // GPU 100·n vs CPU 1e5: the curves cross at 1000, the first faster measured count is 1024
    expect(crossover([256, 1024, 4096], [25_600, 102_400, 409_600], [1e5, 1e5, 1e5])).toBe(1024);
  });
  it('a tie is not overtaking; points missing a value are skipped; none faster → null', () => {
    expect(crossover([64, 1024], [10, 10], [10, 10])).toBeNull();
    expect(crossover([64, 1024], [10, 11], [10, 10])).toBe(1024);
    expect(crossover([16, 64, 256], [null, 50, 200], [100, undefined, 100])).toBe(256);
    expect(crossover([16, 64], [1, 2], [3, 4])).toBeNull();
    expect(crossover([], [], [])).toBeNull();
  });
  it('faster at the first measured count: that count', () => {
    expect(crossover([16, 64], [200, 300], [100, 100])).toBe(16);
  });
  it('per mode from bench cells, as the CLI and the page both report it', () => {
    const cells = [
      cell('cpu', 4096, 'rollout', 100), cell('gpu', 4096, 'rollout', 300),
      cell('cpu', 64, 'rollout', 100), cell('gpu', 64, 'rollout', 50),
      cell('cpu', 1024, 'rollout', 100), cell('gpu', 1024, 'rollout', 150),
      cell('cpu', 64, 'train', 10), cell('gpu', 64, 'train', 10),
    ];
    // cells in any order: the env counts are sorted first
    expect(crossovers(cells)).toEqual({ rollout: 1024, train: null });
    expect(crossovers(cells.filter((c) => c.mode === 'rollout' || c.backend === 'gpu'))).toEqual({ rollout: 1024 });
  });
});

describe('measure', () => {
  function fakeEngine(log: string[]): Engine {
    return {
      collect: async () => void log.push('collect'),
      update: async () => void log.push('update'),
      sync: async () => void log.push('sync'),
    } as unknown as Engine;
  }
  it('one warm-up repetition, then at least minReps timed ones, each ending with sync', async () => {
    const log: string[] = [];
    const r = await measure(fakeEngine(log), 'train', 100, 0, 3);
    expect(r.reps).toBe(3);
    expect(log).toEqual(Array(4).fill(['collect', 'update', 'sync']).flat());
    expect(r.sps).toBeGreaterThan(0);
    const roll: string[] = [];
    expect((await measure(fakeEngine(roll), 'rollout', 100, 0)).reps).toBe(2); // default: 2 timed reps
    expect(roll).toEqual(Array(3).fill(['collect', 'sync']).flat());
  });
  it('keeps measuring until minSeconds have passed', async () => {
    const t0 = performance.now();
    const r = await measure(fakeEngine([]), 'rollout', 10, 0.05);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(50);
    expect(r.reps).toBeGreaterThanOrEqual(2);
  });
});
