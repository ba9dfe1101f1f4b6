/**
 * Checkpoints move between backends: a GPU snapshot restored on the CPU engine continues the same
 * episodes (same env states, step counters and running returns), and back.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { createGpuEngine } from '../../src/backends/gpu/engine';
import { parseCheckpoint, serializeCheckpoint, makeCheckpoint } from '../../src/train/checkpoint';
import { useGpu, withScopes } from './helpers';

const gpu = useGpu();

describe('portable checkpoints', () => {
  it('GPU → CPU → GPU: the CPU rollout continues the GPU episodes, and the GPU continues the CPU ones', async () => {
    const ctx = gpu();
    const cfg = validateConfig({ env: 'cartpole', numEnvs: 16, numSteps: 24, seed: 11, hidden: [8], backend: 'gpu' });
    await withScopes(ctx.device, async () => {
      const g = await createGpuEngine(cfg, { device: ctx.acquired });
      await g.collect();
      await g.update();
      const text = serializeCheckpoint(makeCheckpoint(cfg, 'gpu', g.paramCount, await g.snapshot()));
      const ck = parseCheckpoint(text);

      // the CPU engine resumes the GPU's run: same parameters, states, counters
      const c = createCpuEngine({ ...cfg, backend: 'cpu' });
      await c.restore(ck.snapshot);
      const sc = await c.snapshot();
      expect([...sc.params]).toEqual([...ck.snapshot.params]);
      expect([...sc.state.envState]).toEqual([...ck.snapshot.state.envState]);
      expect([...sc.state.envStep]).toEqual([...ck.snapshot.state.envStep]);
      expect([...sc.state.envStep].every((k) => k === 24)).toBe(true);
      // and the next rollouts agree: same actions on both backends from the same restored state
      await g.collect();
      await c.collect();
      const sg2 = await g.snapshot();
      const sc2 = await c.snapshot();
      expect([...sg2.state.envStep]).toEqual([...sc2.state.envStep]);
      let close = 0;
      for (let i = 0; i < sg2.state.envState.length; i++) if (Math.abs(sg2.state.envState[i] - sc2.state.envState[i]) < 1e-3) close++;
      expect(close / sg2.state.envState.length).toBeGreaterThan(0.95); // float rounding may flip a rare sample
      for (let e = 0; e < 16; e++) expect(sg2.state.epLength[e]).toBe(sg2.state.envState[e * 5 + 4]);

      // CPU → GPU
      const back = await createGpuEngine(cfg, { device: ctx.acquired });
      await back.restore(sc2);
      const sb = await back.snapshot();
      expect([...sb.state.envState]).toEqual([...sc2.state.envState]);
      expect([...sb.state.epReturn]).toEqual([...sc2.state.epReturn].map(Math.fround));
      back.dispose();
      g.dispose();
    });
  });
});
