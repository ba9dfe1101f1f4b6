/** Numerical faults on the CPU engine: a NaN reward or an extreme learning rate is detected in the update, rolled back, reported and survived. */
import { describe, expect, it } from 'vitest';
import { validateConfig, type Config } from '../../src/core/config';
import type { EnvDef } from '../../src/core/types';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { makeEnv } from '../../src/envs';
import { NumericalFaultError, Trainer } from '../../src/train/trainer';

/** CartPole whose reward is NaN at the listed per-env step counts t (only in env 0's state slice). */
function poisoned(badSteps: Set<number>): EnvDef {
  const base = makeEnv('cartpole');
  let calls = 0;
  return {
    ...base,
    step(s, off, a, aoff, u, out) {
      base.step(s, off, a, aoff, u, out);
      if (off === 0 && badSteps.has(calls++)) out.reward = NaN;
    },
  };
}

const config = (c: Partial<Config> = {}) => validateConfig({ env: 'cartpole', numEnvs: 4, numSteps: 32, totalSteps: 4 * 32 * 6, hidden: [16], seed: 3, ...c });

describe('non-finite updates', () => {
  it('a NaN reward in one rollout: that update is rolled back to the exact last good parameters and optimiser state, and training continues', async () => {
    const cfg = config();
    const engine = createCpuEngine(cfg, { env: poisoned(new Set([40])) }); // env 0's 41st step is in update 2
    const t = await Trainer.create(cfg, { engine });
    await t.runUpdate();
    const before = await engine.snapshot();
    const row = await t.runUpdate();
    expect(row.nonFinite).toBe(true);
    const after = await engine.snapshot();
    expect(Buffer.from(after.params.buffer).equals(Buffer.from(before.params.buffer))).toBe(true);
    expect(Buffer.from(after.adamM.buffer).equals(Buffer.from(before.adamM.buffer))).toBe(true);
    expect(after.adamT).toBe(before.adamT);
    const next = await t.runUpdate();
    expect(next.nonFinite).toBe(false);
    expect(Number.isFinite(next.policyLoss)).toBe(true);
    const p = await engine.getParams();
    expect(p.every(Number.isFinite)).toBe(true);
    expect(p).not.toEqual(before.params);
  });

  it('maxFaults consecutive faults stop the run with one clear error, keeping the last good parameters', async () => {
    const cfg = config({ maxFaults: 2 });
    const every = new Set(Array.from({ length: 10000 }, (_, i) => i));
    const engine = createCpuEngine(cfg, { env: poisoned(every) });
    const t = await Trainer.create(cfg, { engine });
    const p0 = await engine.getParams();
    await t.runUpdate(); // fault 1
    await expect(t.runUpdate()).rejects.toThrow(NumericalFaultError);
    expect(t.history.filter((r) => r.nonFinite).length).toBe(2);
    expect(await engine.getParams()).toEqual(p0);
  });

  it('an extreme learning rate with a huge gradient clip either trains finitely or is rolled back (never leaves non-finite parameters)', async () => {
    const t = await Trainer.create(config({ lr: 1, maxGradNorm: 1e6, maxFaults: 1000 }));
    await t.run();
    expect((await t.engine.getParams()).every(Number.isFinite)).toBe(true);
  });
});
