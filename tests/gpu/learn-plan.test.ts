/**
 * Plain-TS arithmetic of the GPU learner (no device): the TS struct layouts equal the WGSL structs,
 * minibatch and split-K chunk bounds partition the batch exactly, tiles fit the workgroup limits.
 */
import { describe, expect, it } from 'vitest';
import { parseWgslStruct } from '../../src/backends/gpu/dispatch';
import { LEARN_WGSL } from '../../src/backends/gpu/learn/kernels';
import { chunkBounds, COLSUM_GEOM, GEMM_GEOM, gemmTile, groupOfEnv, LEARN_CTRL, LEARN_PARAMS, minibatchBounds, PARAMS_SLOT_BYTES, splitCount } from '../../src/backends/gpu/learn/layout';

describe('learner structs', () => {
  it('TS layouts declare the same members as the WGSL structs', () => {
    expect(LEARN_PARAMS.members()).toEqual(parseWgslStruct(LEARN_WGSL.common, 'LearnParams'));
    expect(LEARN_CTRL.members()).toEqual(parseWgslStruct(LEARN_WGSL.common, 'LearnCtrl'));
    expect(GEMM_GEOM.members()).toEqual(parseWgslStruct(LEARN_WGSL.gemm, 'GemmGeom'));
    expect(COLSUM_GEOM.members()).toEqual(parseWgslStruct(LEARN_WGSL.colsum, 'ColsumGeom'));
    expect(LEARN_PARAMS.size).toBeLessThanOrEqual(PARAMS_SLOT_BYTES);
  });
});

describe('batch partitions', () => {
  it('minibatches cover the B positions once, sizes differ by at most one', () => {
    for (const [B, M] of [[10, 3], [512, 4], [7, 7], [1000, 6]]) {
      let next = 0;
      const sizes: number[] = [];
      for (let m = 0; m < M; m++) {
        const [a, b] = minibatchBounds(m, M, B);
        expect(a).toBe(next);
        next = b;
        sizes.push(b - a);
      }
      expect(next).toBe(B);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('split-K chunks tile each group of whole units, in group-major order', () => {
    for (const [G, S, U, R] of [[1, 5, 103, 1], [4, 3, 22, 12], [3, 1, 3, 7], [8, 4, 1000, 128]]) {
      let next = 0;
      for (let g = 0; g < G; g++) {
        const start = R * Math.floor((g * U) / G);
        expect(next).toBe(start);
        for (let s = 0; s < S; s++) {
          const [a, b] = chunkBounds(g * S + s, G, S, U, R);
          expect(a).toBe(next);
          expect(b).toBeGreaterThanOrEqual(a);
          next = b;
        }
        expect(next).toBe(R * Math.floor(((g + 1) * U) / G));
      }
      expect(next).toBe(U * R);
    }
  });

  it('groupOfEnv inverts the group bounds', () => {
    for (const [N, G] of [[22, 4], [5, 5], [1000, 7]]) {
      for (let e = 0; e < N; e++) {
        const g = groupOfEnv(e, N, G);
        expect(Math.floor((g * N) / G)).toBeLessThanOrEqual(e);
        expect(e).toBeLessThan(Math.floor(((g + 1) * N) / G));
      }
    }
  });

  it('split counts respect the partial-buffer budget', () => {
    expect(splitCount(131072, 9155)).toBe(128);
    expect(splitCount(100, 9155)).toBe(1);
    expect(splitCount(1 << 20, 2_000_000) * 2_000_000 * 4).toBeLessThanOrEqual(64 * 2 ** 20);
  });
});

describe('GEMM tiles', () => {
  it('fit 256 threads and 2048 floats of workgroup memory, and cover small sides with few threads', () => {
    for (const M of [1, 2, 4, 7, 16, 64, 1 << 20]) {
      for (const N of [1, 2, 3, 4, 5, 16, 20, 64, 1024]) {
        const t = gemmTile(M, N);
        expect(t.TX * t.TY).toBeLessThanOrEqual(256);
        expect((4 * t.TX + 4 * t.TY) * t.KT).toBeLessThanOrEqual(2048);
        expect(t.KT).toBeGreaterThanOrEqual(1);
      }
    }
    expect(gemmTile(1 << 20, 64)).toEqual({ TX: 16, TY: 16, KT: 16 });
    expect(gemmTile(64, 4)).toEqual({ TX: 1, TY: 16, KT: 16 });
    expect(gemmTile(1, 64)).toEqual({ TX: 16, TY: 1, KT: 16 });
  });
});
