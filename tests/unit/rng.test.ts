import { describe, expect, it } from 'vitest';
import { boxMuller, FeistelPermutation, mulhi32, philox4x32, PhiloxStream, Purpose, sampleCategorical, u32ToUnit, uniform4 } from '../../src/core/rng';

describe('Philox4x32-10', () => {
  // Random123's published known-answer vectors (kat_vectors: philox4x32 10 rounds).
  const kat: [number[], number[], number[]][] = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ];
  it.each(kat)('matches the Random123 known answer for ctr %j', (ctr, key, want) => {
    expect([...philox4x32(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1])]).toEqual(want);
  });

  it('mulhi32 equals the exact BigInt high word', () => {
    const s = new PhiloxStream(7, Purpose.Init);
    for (let i = 0; i < 2000; i++) {
      const a = s.nextU32();
      const b = i % 3 === 0 ? 0xffffffff : s.nextU32();
      expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
    }
  });
});

describe('distributions on top of Philox', () => {
  it('u32ToUnit stays in the open interval (0,1)', () => {
    expect(u32ToUnit(0)).toBeGreaterThan(0);
    expect(u32ToUnit(0xffffffff)).toBeLessThan(1);
    expect(Math.fround(u32ToUnit(0x12345678))).toBe(u32ToUnit(0x12345678));
  });

  it('uniforms have mean 1/2 and variance 1/12; different keys give different streams', () => {
    const n = 20000;
    let s = 0;
    let s2 = 0;
    const u = new Float64Array(4);
    for (let i = 0; i < n / 4; i++) {
      uniform4(3, Purpose.Action, i % 97, Math.floor(i / 97), 0, u);
      for (const x of u) {
        s += x;
        s2 += x * x;
      }
    }
    const mean = s / n;
    const v = s2 / n - mean * mean;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(v - 1 / 12)).toBeLessThan(0.003);
    const a = [...uniform4(3, Purpose.Action, 0, 0, 0)];
    const b = [...uniform4(3, Purpose.Env, 0, 0, 0)];
    const c = [...uniform4(4, Purpose.Action, 0, 0, 0)];
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
    expect([...uniform4(3, Purpose.Action, 0, 0, 0)]).toEqual(a);
  });

  it('Box–Muller gives standard normals (mean 0, variance 1, fourth moment 3)', () => {
    const s = new PhiloxStream(11, Purpose.Init);
    const n = 40000;
    let m1 = 0, m2 = 0, m4 = 0;
    for (let i = 0; i < n; i++) {
      const z = s.normal();
      m1 += z; m2 += z * z; m4 += z ** 4;
    }
    expect(Math.abs(m1 / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(m2 / n - 1)).toBeLessThan(0.03);
    expect(Math.abs(m4 / n - 3)).toBeLessThan(0.2);
    expect(boxMuller(Math.exp(-0.5), 0)).toBeCloseTo(1, 12);
    expect(boxMuller(Math.exp(-0.5), 0.25, 1)).toBeCloseTo(1, 12);
  });

  it('categorical sampling by inverse CDF hits each class with its probability', () => {
    const p = [0.2, 0.5, 0.3];
    const counts = [0, 0, 0];
    const s = new PhiloxStream(5, Purpose.Action);
    const n = 30000;
    for (let i = 0; i < n; i++) counts[sampleCategorical(p, 0, 3, s.uniform())]++;
    for (let k = 0; k < 3; k++) expect(Math.abs(counts[k] / n - p[k])).toBeLessThan(4 * Math.sqrt(p[k] * (1 - p[k]) / n));
    expect(sampleCategorical(p, 0, 3, 0.19999)).toBe(0);
    expect(sampleCategorical(p, 0, 3, 0.2)).toBe(1);
    expect(sampleCategorical(p, 0, 3, 0.99999)).toBe(2);
  });
});

describe('FeistelPermutation', () => {
  it.each([1, 2, 3, 7, 64, 1000, 4097])('is a permutation of [0, %i)', (n) => {
    const p = new FeistelPermutation(n, 9, 3);
    const seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const j = p.at(i);
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThan(n);
      seen[j]++;
    }
    expect(seen.every((c) => c === 1)).toBe(true);
  });
  it('differs between streams and looks shuffled (few fixed points, position uniform)', () => {
    const n = 1000;
    const a = new FeistelPermutation(n, 9, 0);
    const b = new FeistelPermutation(n, 9, 1);
    let same = 0;
    let fixed = 0;
    for (let i = 0; i < n; i++) {
      if (a.at(i) === b.at(i)) same++;
      if (a.at(i) === i) fixed++;
    }
    expect(same).toBeLessThan(10); // expected ~1 for independent permutations
    expect(fixed).toBeLessThan(10);
    // where element 0 lands over many streams is roughly uniform over 4 quarters
    const q = [0, 0, 0, 0];
    for (let s = 0; s < 4000; s++) q[Math.floor((new FeistelPermutation(n, 9, s).at(0) * 4) / n)]++;
    for (const c of q) expect(Math.abs(c - 1000)).toBeLessThan(4 * Math.sqrt(1000 * 0.75));
  });
});
