/**
 * Seeds batched on one device (createGpuSeedEngines: one rollout dispatch for every seed's envs, one
 * θ / Adam state / learner per seed) against the same seeds run alone: every seed's rollout, update
 * statistics and parameters are bit for bit those of `{ ...config, seed }` on its own engine (which the
 * engine tests pin to the CPU reference). A seed that stops early leaves the batch and the others go on
 * unchanged; a snapshot of a batched seed continues on an engine of its own as the batch does.
 * `policygrad train --seeds` on the GPU backend runs the batch and reports each seed as its single run.
 */
import { describe, expect, it, vi } from 'vitest';
import { trainCommand } from '../../src/cli/train';
import { validateConfig, type Config } from '../../src/core/config';
import type { Engine, UpdateStats } from '../../src/core/types';
import { createGpuEngine, createGpuSeedEngines } from '../../src/backends/gpu/engine';
import { useGpu, withScopes } from './helpers';

const gpu = useGpu();

/** What a run leaves behind after each update: its statistics and θ. */
interface Trace {
  stats: UpdateStats[];
  params: Float32Array[];
}

/** Runs `updates` collect + update rounds of all engines together (the batched ones must move in step). */
async function runTogether(engines: Engine[], updates: number): Promise<Trace[]> {
  const traces: Trace[] = engines.map(() => ({ stats: [], params: [] }));
  for (let u = 0; u < updates; u++) {
    await Promise.all(engines.map((e) => e.collect()));
    const stats = await Promise.all(engines.map((e) => e.update()));
    const params = await Promise.all(engines.map((e) => e.getParams()));
    engines.forEach((_, i) => {
      traces[i].stats.push(stats[i]);
      traces[i].params.push(params[i]);
    });
  }
  return traces;
}

/** The statistics of an update without its wall-clock fields. */
const comparable = (s: UpdateStats) => ({ ...s, sps: 0, wallS: 0 });

describe('seeds batched in one rollout = each seed alone', () => {
  it('PPO CartPole, 3 seeds: rollouts, statistics and θ bit for bit; the seeds differ from each other', async () => {
    const ctx = gpu();
    const cfg: Config = validateConfig({ env: 'cartpole', algo: 'ppo', numEnvs: 40, numSteps: 16, hidden: [16, 16], epochs: 2, minibatches: 2, backend: 'gpu', varianceEvery: 0 });
    const seeds = [3, 7, 11];
    await withScopes(ctx.device, async () => {
      const batch = await createGpuSeedEngines(cfg, seeds, { device: ctx.acquired });
      const got = await runTogether(batch, 3);
      // one env's trajectory of the last rollout, per seed (a middle slot's blocks and env offsets)
      const trajBatched = await batch[1].trajectory(37);
      batch.forEach((e) => e.dispose());
      for (const [i, seed] of seeds.entries()) {
        const alone = await createGpuEngine({ ...cfg, seed }, { device: ctx.acquired });
        const [want] = await runTogether([alone], 3);
        if (i === 1) expect(trajBatched).toEqual(await alone.trajectory(37));
        alone.dispose();
        expect(got[i].stats.map(comparable)).toEqual(want.stats.map(comparable));
        for (let u = 0; u < 3; u++) expect(got[i].params[u]).toEqual(want.params[u]);
        expect(got[i].stats[2].episodes).toBeGreaterThan(0);
      }
      // distinct seeds: distinct initial θ, rollouts and updates
      expect(got[0].params[0]).not.toEqual(got[1].params[0]);
      expect(got[0].stats[0].episodicReturn).not.toBe(got[2].stats[0].episodicReturn);
    });
  }, 240_000);

  it('a seed that leaves (disposed) does not hold the others back or change them; a batched snapshot continues alone', async () => {
    const ctx = gpu();
    const cfg: Config = validateConfig({ env: 'pendulum', algo: 'ppo', numEnvs: 24, numSteps: 8, hidden: [8], epochs: 1, minibatches: 2, backend: 'gpu', varianceEvery: 0 });
    const seeds = [5, 6];
    await withScopes(ctx.device, async () => {
      const batch = await createGpuSeedEngines(cfg, seeds, { device: ctx.acquired });
      await runTogether(batch, 1);
      const snap = await batch[1].snapshot();
      batch[0].dispose();
      // seed 6 goes on by itself: its collect no longer waits for seed 5
      const [after] = await runTogether([batch[1]], 2);
      batch[1].dispose();
      const alone = await createGpuEngine({ ...cfg, seed: 6 }, { device: ctx.acquired });
      const [want] = await runTogether([alone], 3);
      alone.dispose();
      expect(after.params[1]).toEqual(want.params[2]);
      expect(after.stats.map(comparable)).toEqual(want.stats.slice(1).map(comparable));
      // the snapshot of a batched seed (its slot of the env state) restores into an engine of its own
      const resumed = await createGpuEngine({ ...cfg, seed: 6 }, { device: ctx.acquired });
      await resumed.restore(snap);
      const [cont] = await runTogether([resumed], 2);
      resumed.dispose();
      expect(cont.params[1]).toEqual(want.params[2]);
    });
  }, 240_000);

  it('numEnvs × seeds beyond the device: one error naming numEnvs and the limit per seed', async () => {
    const ctx = gpu();
    const cap = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
    // CartPole obs: 4 floats per env step; N envs × 128 steps of one seed fit, 64 seeds of them do not
    const N = Math.floor(cap / (4 * 4 * 128) / 16);
    const cfg: Config = validateConfig({ env: 'cartpole', algo: 'ppo', numEnvs: N, numSteps: 128, backend: 'gpu' });
    await expect(createGpuSeedEngines(cfg, Array.from({ length: 64 }, (_, i) => i), { device: ctx.acquired })).rejects.toThrow(/^invalid numEnvs: \d+ envs × 64 seeds .*numEnvs ≤ \d+ with 64 seeds batched/);
  });

  it('train --seeds 2 on the GPU: one batch (summary `batched`), each seed\'s update lines those of the seed trained alone', async () => {
    const cfg: Config = validateConfig({ env: 'cartpole', algo: 'ppo', numEnvs: 16, numSteps: 8, totalSteps: 16 * 8 * 3, hidden: [8], epochs: 1, minibatches: 2, backend: 'gpu', varianceEvery: 0, seed: 4 });
    const run = async (c: Config, flags: Record<string, unknown>) => {
      const out: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
      const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        expect(await trainCommand(c, {}, { json: true, ...flags })).toBe(0);
      } finally {
        spy.mockRestore();
        err.mockRestore();
      }
      return out.join('').trim().split('\n').map((l) => JSON.parse(l));
    };
    const multi = await run(cfg, { seeds: '2' });
    const summary = multi.at(-1);
    expect(summary.event).toBe('summary');
    expect(summary.batched).toBe(true);
    expect(summary.seeds).toEqual([4, 5]);
    expect(summary.steps).toBe(2 * 16 * 8 * 3);
    const clockless = (o: Record<string, unknown>) => ({ ...o, sps: 0, seed: 0 });
    for (const seed of [4, 5]) {
      const alone = (await run({ ...cfg, seed }, {})).filter((o) => o.event === 'update');
      const mine = multi.filter((o) => o.event === 'update' && o.seed === seed);
      expect(mine.length).toBe(3);
      expect(mine.map(clockless)).toEqual(alone.map(clockless));
    }
  }, 120_000);
});
