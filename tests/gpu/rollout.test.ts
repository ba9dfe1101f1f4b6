/**
 * The fused rollout kernel against the CPU reference engine (src/backends/cpu/engine.ts): same config,
 * same θ, same seed ⇒ the same observations, actions, rewards and flags step for step (until float
 * rounding flips a sample or a threshold in some env, after which that env is compared no further),
 * log π and V within 1e-4 relative; env state and per-env step counters persist into a second rollout;
 * the on-device episode statistics equal the sums over the CPU rollout.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig, type Config } from '../../src/core/config';
import type { EnvName } from '../../src/core/types';
import { createCpuEngine, type CpuEngine } from '../../src/backends/cpu/engine';
import { GpuRollout } from '../../src/backends/gpu/rollout';
import { packWeights } from '../../src/backends/gpu/dispatch';
import { readBack, storageBuffer, useGpu, withScopes } from './helpers';

const gpu = useGpu();

interface Got {
  obs: Float32Array;
  actions: Float32Array;
  logp: Float32Array;
  values: Float32Array;
  rewards: Float32Array;
  nextValues: Float32Array;
  flags: Uint32Array;
  stats: Float32Array;
}

async function readRollout(d: GPUDevice, r: GpuRollout): Promise<Got> {
  const b = r.buffers;
  const plane = async (p: GPUBufferBinding) => new Float32Array(await readBack(d, p.buffer, p.size!, p.offset!));
  return {
    obs: new Float32Array(await readBack(d, b.obs, r.sizes.obs)),
    actions: new Float32Array(await readBack(d, b.actions, r.sizes.actions)),
    logp: await plane(b.logp),
    values: await plane(b.values),
    rewards: await plane(b.rewards),
    nextValues: await plane(b.nextValues),
    flags: new Uint32Array(await readBack(d, b.flags, r.sizes.flags)),
    stats: new Float32Array(await readBack(d, b.stats, 16)),
  };
}

const relClose = (g: number, w: number, rel: number, abs = 1e-6) => Math.abs(g - w) <= rel * Math.abs(w) + abs;
// Tolerances: the TS envs compute in float64 (state stored as float32), the twins in float32; over
// 2T steps of Pendulum the state drifts by up to ~1e-5, hence 1e-4 on obs and rewards. log π and V
// are held to 1e-4 relative (+1e-5 absolute near 0).

/**
 * Compare one rollout env by env. An env is followed until its first mismatch (a sample or threshold
 * flipped by rounding, or — Pendulum near the top is unstable, errors grow ~1.2× a step — float32 vs
 * float64 drift beyond tolerance); later steps of that env are not compared. Mismatches inside the
 * first `strictSteps` steps are bugs and reported.
 */
function compare(cpu: CpuEngine, got: Got, cfg: Config, firstRollout: boolean, strictSteps: number) {
  const { numEnvs: N, numSteps: T } = cfg;
  const { obsDim, actDim } = cpu.env;
  const ro = cpu.rollout;
  const discrete = cpu.env.action.kind === 'discrete';
  const bad: string[] = [];
  let compared = 0;
  let diverged = 0;
  for (let e = 0; e < N; e++) {
    for (let t = 0; t < T; t++) {
      const i = t * N + e;
      const why: string[] = [];
      const wantFlags = ro.terminated[i] | (ro.truncated[i] << 1);
      if (got.flags[i] !== wantFlags) why.push(`flags ${got.flags[i]} vs ${wantFlags}`);
      for (let j = 0; j < actDim; j++) {
        const g = got.actions[i * actDim + j];
        const w = cpu.actBuf[i * actDim + j];
        if (discrete ? g !== w : !relClose(g, w, 1e-4, 1e-4)) why.push(`action ${g} vs ${w}`);
      }
      for (let j = 0; j < obsDim; j++) {
        if (!relClose(got.obs[i * obsDim + j], cpu.obsBuf[i * obsDim + j], 1e-4, 1e-4)) why.push(`obs[${j}] ${got.obs[i * obsDim + j]} vs ${cpu.obsBuf[i * obsDim + j]}`);
      }
      if (!relClose(got.logp[i], cpu.logpBuf[i], 1e-4, 1e-5)) why.push(`logp ${got.logp[i]} vs ${cpu.logpBuf[i]}`);
      if (!relClose(got.values[i], ro.values[i], 1e-4, 1e-5)) why.push(`values ${got.values[i]} vs ${ro.values[i]}`);
      if (!relClose(got.nextValues[i], ro.nextValues[i], 1e-4, 1e-5)) why.push(`nextValues ${got.nextValues[i]} vs ${ro.nextValues[i]}`);
      if (!relClose(got.rewards[i], ro.rewards[i], 1e-4, 1e-4)) why.push(`reward ${got.rewards[i]} vs ${ro.rewards[i]}`);
      if (why.length) {
        if (t < strictSteps) bad.push(`t${t} e${e}: ${why.join(', ')}`);
        diverged++;
        break;
      }
      compared++;
    }
  }
  expect(bad.slice(0, 8)).toEqual([]);
  // episode statistics of the first rollout, from the CPU arrays (episodes start at the rollout start)
  const statsChecked = firstRollout && diverged === 0;
  if (statsChecked) {
    let sumRet = 0;
    let sumLen = 0;
    let count = 0;
    for (let e = 0; e < N; e++) {
      let ret = 0;
      let len = 0;
      for (let t = 0; t < T; t++) {
        const i = t * N + e;
        ret += ro.rewards[i];
        len++;
        if (ro.terminated[i] || ro.truncated[i]) {
          sumRet += ret;
          sumLen += len;
          count++;
          ret = 0;
          len = 0;
        }
      }
    }
    expect(got.stats[2]).toBe(count);
    expect(got.stats[1]).toBe(sumLen);
    expect(relClose(got.stats[0], sumRet, 1e-5, 1e-3)).toBe(true);
  }
  return { compared, diverged, statsChecked };
}

const CASES: Array<{ env: EnvName; hidden?: number[]; activation?: 'tanh' | 'relu'; N: number; T: number }> = [
  { env: 'cartpole', N: 64, T: 48 },
  { env: 'cartpole', hidden: [32], activation: 'relu', N: 40, T: 40 },
  { env: 'pendulum', N: 48, T: 40 },
  { env: 'limitorder', hidden: [16, 16, 16], N: 48, T: 24 },
  { env: 'twostate', N: 64, T: 40 },
  { env: 'bandit', N: 128, T: 4 },
  { env: 'corridor', N: 32, T: 64 },
];

describe.each(CASES)('GPU rollout = CPU engine: $env hidden $hidden $activation', (c) => {
  it('matches step for step over two consecutive rollouts', async () => {
    const ctx = gpu();
    const d = ctx.device;
    const cfg = validateConfig({ env: c.env, numEnvs: c.N, numSteps: c.T, seed: 7, minibatches: 1, ...(c.hidden ? { hidden: c.hidden } : {}), ...(c.activation ? { activation: c.activation } : {}) });
    const cpu = createCpuEngine(cfg);
    await withScopes(d, async () => {
      const params = storageBuffer(d, cpu.params, 'params');
      // stepsPerDispatch < T on one case exercises chunked dispatches
      const r = await GpuRollout.create(d, ctx.cache, cpu.env, cpu.layout, cfg, params, { stepsPerDispatch: c.env === 'cartpole' ? 16 : undefined });
      let enc = d.createCommandEncoder();
      r.encodeInit(enc);
      r.encodeCollect(enc);
      d.queue.submit([enc.finish()]);
      await cpu.collect();
      // the pack kernel reproduces the host packing bit for bit
      const packed = new Float32Array(await readBack(d, r.packed, r.packing.totalFloats * 4));
      expect(packed).toEqual(packWeights(r.packing, cpu.params));
      const first = compare(cpu, await readRollout(d, r), cfg, true, Math.min(c.T, 12));
      enc = d.createCommandEncoder();
      r.encodeCollect(enc);
      d.queue.submit([enc.finish()]);
      await cpu.collect();
      const second = compare(cpu, await readRollout(d, r), cfg, false, 0);
      // almost every env-step is compared (divergence is rare rounding, not a bug)
      const total = 2 * c.N * c.T;
      const chaotic = c.env === 'pendulum';
      if (!chaotic) expect(first.statsChecked).toBe(true);
      expect(first.compared + second.compared).toBeGreaterThan((chaotic ? 0.75 : 0.9) * total);
      expect(first.diverged + second.diverged).toBeLessThanOrEqual(chaotic ? c.N / 2 : Math.max(2, c.N / 16));
      const k = new Uint32Array(await readBack(d, r.buffers.stepCount));
      expect([...k].every((x) => x === 2 * c.T)).toBe(true);
      r.destroy();
      params.destroy();
    });
  });
});
