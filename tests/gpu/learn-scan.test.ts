/**
 * The GPU reverse scan (shaders/learn/scan.wgsl) against the CPU estimators (src/estimators/returns.ts)
 * on random rollouts with mixed terminations, truncations, padding and the rollout cut.
 */
import { describe, expect, it } from 'vitest';
import { UniformWriter } from '../../src/backends/gpu/dispatch';
import { ScanProgram } from '../../src/backends/gpu/learn/kernels';
import { FLAG_PADDING, FLAG_TERMINATED, FLAG_TRUNCATED, LEARN_PARAMS, psiKindId } from '../../src/backends/gpu/learn/layout';
import { PhiloxStream, Purpose } from '../../src/core/rng';
import { ESTIMATORS } from '../../src/core/types';
import { computePsi, createRollout, criticTargets, gae, type Rollout } from '../../src/estimators';
import { readBack, storageBuffer, uniformBuffer, useGpu, withScopes } from './helpers';

const gpu = useGpu();

function randomRollout(T: number, N: number, seed: number, withMask: boolean): Rollout {
  const r = createRollout(T, N, withMask);
  const s = new PhiloxStream(seed, Purpose.Init);
  for (let i = 0; i < T * N; i++) {
    r.rewards[i] = s.normal();
    r.values[i] = s.normal();
    r.nextValues[i] = s.normal();
    const u = s.uniform();
    if (u < 0.08) r.terminated[i] = 1;
    else if (u < 0.14) r.truncated[i] = 1;
    if (r.mask && s.uniform() < 0.05) r.mask[i] = 0;
  }
  return r;
}

function flagsOf(r: Rollout): Uint32Array {
  const f = new Uint32Array(r.T * r.N);
  for (let i = 0; i < f.length; i++) {
    f[i] = (r.terminated[i] ? FLAG_TERMINATED : 0) | (r.truncated[i] ? FLAG_TRUNCATED : 0) | (r.mask && !r.mask[i] ? FLAG_PADDING : 0);
  }
  return f;
}

async function gpuScan(r: Rollout, kind: (typeof ESTIMATORS)[number], gamma: number, lambda: number, targetLambda: number, baseline: number): Promise<Float32Array> {
  const { device, cache } = gpu();
  const n = r.T * r.N;
  return withScopes(device, async () => {
    const p = await new ScanProgram().build(cache);
    const w = new UniformWriter(LEARN_PARAMS).setAll({ T: r.T, N: r.N, batch: n, psiKind: psiKindId(kind), gamma, lambda, targetLambda, baseline });
    const logp = new Float32Array(n).map((_, i) => -0.001 * i);
    const aux = storageBuffer(device, n * 16);
    const bg = p.bindGroup({
      params: uniformBuffer(device, w.data),
      rewards: storageBuffer(device, r.rewards),
      values: storageBuffer(device, r.values),
      nextValues: storageBuffer(device, r.nextValues),
      logp: storageBuffer(device, logp),
      flags: storageBuffer(device, flagsOf(r)),
      aux,
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    p.dispatch(pass, bg, r.N);
    pass.end();
    device.queue.submit([enc.finish()]);
    const out = new Float32Array(await readBack(device, aux));
    for (let i = 0; i < n; i++) expect(out[4 * i + 2]).toBe(Math.fround(logp[i]));
    return out;
  });
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel = 2e-5): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i]));
    worst = Math.max(worst, err);
  }
  expect(worst).toBeLessThan(rel);
}

describe('GPU advantage / return scan', () => {
  const T = 37;
  const N = 29;
  for (const withMask of [false, true]) {
    it.each(ESTIMATORS.map((k) => [k]))(`Ψ = %s equals returns.ts (mask: ${withMask})`, async (kind) => {
      const r = randomRollout(T, N, withMask ? 11 : 12, withMask);
      const gamma = 0.97;
      const lambda = 0.9;
      const targetLambda = 0.8;
      const baseline = 0.37;
      const out = await gpuScan(r, kind, gamma, lambda, targetLambda, baseline);
      const n = T * N;
      const want = computePsi(kind, r, gamma, lambda, baseline, new Float64Array(n));
      const psi = new Float64Array(n);
      const tgt = new Float64Array(n);
      const valid = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        psi[i] = out[4 * i];
        tgt[i] = out[4 * i + 1];
        valid[i] = out[4 * i + 3];
      }
      expectClose(psi, want);
      const wantT = criticTargets(r, gae(r, gamma, targetLambda, new Float64Array(n)), new Float64Array(n));
      expectClose(tgt, wantT);
      for (let i = 0; i < n; i++) expect(valid[i]).toBe(r.mask && !r.mask[i] ? 0 : 1);
    });
  }

  it('hand-worked 1-env example: termination, truncation and the cut', async () => {
    // rewards 1,2,3,4,5 ; terminated at t=1, truncated at t=3, cut at t=4; γ = 0.5
    const r = createRollout(5, 1);
    r.rewards.set([1, 2, 3, 4, 5]);
    r.values.set([0, 0, 0, 0, 0]);
    r.nextValues.set([0, 10, 0, 8, 6]);
    r.terminated[1] = 1;
    r.truncated[3] = 1;
    const out = await gpuScan(r, 'reinforce-rtg', 0.5, 1, 1, 0);
    // G_4 = 5 + 0.5·6 = 8; G_3 = 4 + 0.5·8 = 8; G_2 = 3 + 0.5·8 = 7; G_1 = 2 (terminal); G_0 = 1 + 0.5·2 = 2
    expect([0, 1, 2, 3, 4].map((t) => out[4 * t])).toEqual([2, 2, 7, 8, 8]);
    const seg = await gpuScan(r, 'reinforce', 0.5, 1, 1, 0);
    // segments [0,1], [2,3], [4]: R = G at each segment's first step
    expect([0, 1, 2, 3, 4].map((t) => seg[4 * t])).toEqual([2, 2, 7, 7, 8]);
  });
});
