/**
 * Engine.trajectory on the GPU engine against the CPU reference engine: same config and seed ⇒ the
 * same record of every env (obs, actions, π(·|s_t), log π, V, r, flags, Â_t, the re-simulated states)
 * within the float32 tolerance of the rollout parity tests (tests/gpu/rollout.test.ts), read back
 * while the rollout's θ is live and after an update has replaced it (then from the backup copy), and
 * on a second rollout that starts mid-episode.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig, type Config } from '../../src/core/config';
import type { Trajectory } from '../../src/core/types';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { createGpuEngine } from '../../src/backends/gpu/engine';
import { useGpu, withScopes } from './helpers';

const gpu = useGpu();

const relClose = (g: number, w: number, rel = 1e-4, abs = 1e-4) => Math.abs(g - w) <= rel * Math.abs(w) + abs;

/** Every field of two trajectories, element by element; returns the mismatches (empty when equal). */
function diff(g: Trajectory, c: Trajectory): string[] {
  const bad: string[] = [];
  const exact = (name: string, a: ArrayLike<number>, b: ArrayLike<number>) => {
    for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) bad.push(`${name}[${i}] ${a[i]} vs ${b[i]}`);
  };
  const close = (name: string, a: ArrayLike<number>, b: ArrayLike<number>) => {
    if (a.length !== b.length) bad.push(`${name}: length ${a.length} vs ${b.length}`);
    for (let i = 0; i < b.length; i++) if (!relClose(a[i], b[i])) bad.push(`${name}[${i}] ${a[i]} vs ${b[i]}`);
  };
  exact('shape', [g.env, g.T, g.obsDim, g.actDim, g.stateDim, g.k0], [c.env, c.T, c.obsDim, c.actDim, c.stateDim, c.k0]);
  exact('terminated', g.terminated, c.terminated);
  exact('truncated', g.truncated, c.truncated);
  close('obs', g.obs, c.obs);
  close('actions', g.actions, c.actions);
  close('states', g.states, c.states);
  close('logProb', g.logProb, c.logProb);
  close('values', g.values, c.values);
  close('nextValues', g.nextValues, c.nextValues);
  close('rewards', g.rewards, c.rewards);
  close('advantages', g.advantages, c.advantages);
  if (g.dist.kind !== c.dist.kind) bad.push(`dist ${g.dist.kind} vs ${c.dist.kind}`);
  else if (g.dist.kind === 'categorical' && c.dist.kind === 'categorical') close('probs', g.dist.probs, c.dist.probs);
  else if (g.dist.kind === 'gaussian' && c.dist.kind === 'gaussian') {
    close('mean', g.dist.mean, c.dist.mean);
    close('std', g.dist.std, c.dist.std);
  }
  return bad.slice(0, 8);
}

const cases: { name: string; config: Partial<Config> }[] = [
  { name: 'cartpole (softmax)', config: { env: 'cartpole', numEnvs: 4, numSteps: 24, hidden: [8, 8], seed: 3 } },
  { name: 'corridor (tabular)', config: { env: 'corridor', numEnvs: 3, numSteps: 24, seed: 2 } },
  { name: 'limitorder (Gaussian, 2-D actions)', config: { env: 'limitorder', numEnvs: 3, numSteps: 16, hidden: [8], seed: 9 } },
];

describe('GPU trajectory = CPU trajectory', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const ctx = gpu();
      const config = validateConfig({ ...c.config, epochs: 1, minibatches: 1, backend: 'gpu' });
      await withScopes(ctx.device, async () => {
        const g = await createGpuEngine(config, { device: ctx.acquired });
        const cpu = createCpuEngine(config);
        try {
          await expect(g.trajectory(0)).rejects.toThrow(/no rollout collected yet/);
          const all = async () => Promise.all(Array.from({ length: config.numEnvs }, (_, e) => Promise.all([g.trajectory(e), cpu.trajectory(e)])));
          // first rollout, θ still live
          await g.collect();
          await cpu.collect();
          const first = await all();
          for (const [tg, tc] of first) expect(diff(tg, tc)).toEqual([]);
          // after the update the record is read with the θ that collected it (the backup copy)
          await g.update();
          await cpu.update();
          const again = await all();
          again.forEach(([tg], e) => {
            expect([...tg.logProb]).toEqual([...first[e][0].logProb]);
            expect(diff(tg, first[e][0])).toEqual([]);
          });
          // a second rollout, from the states the first one left (k0 = T)
          await g.collect();
          await cpu.collect();
          for (const [tg, tc] of await all()) {
            expect(tg.k0).toBe(config.numSteps);
            expect(diff(tg, tc)).toEqual([]);
          }
          await expect(g.trajectory(config.numEnvs)).rejects.toThrow(/env must be an integer/);
        } finally {
          g.dispose();
        }
      });
    });
  }
});
