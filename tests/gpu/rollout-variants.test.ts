/**
 * The rollout kernel's variants (rollout.ts ROLLOUT_VARIANTS): which are offered for a network on an
 * adapter, and that every variant offered on this device writes the same rollout as the CPU engine
 * (actions, rewards, flags and observations exactly for the first steps; log π and V within 1e-4) —
 * for a net small enough that SwiftShader offers 'unrolled' too, and for the default 64-64 net, where
 * it does not. (tests/gpu/rollout.test.ts covers the default variant in depth; POLICYGRAD_ROLLOUT
 * forces one there.)
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config';
import { createCpuEngine } from '../../src/backends/cpu/engine';
import { netLayout } from '../../src/policy/layout';
import {
  GpuRollout, ROLLOUT_VARIANTS, UNROLL_MAX_BLOCKS_SWIFTSHADER, rolloutBlocks, rolloutTraits, rolloutVariantsFor, subgroupBlockLanes, subgroupNetWgsl, unrolledNetWgsl,
} from '../../src/backends/gpu/rollout';
import { readBack, storageBuffer, useGpu, withScopes } from './helpers';

const gpu = useGpu();
const SS = { vendor: 'Google', description: 'SwiftShader Device (Subzero)' };
const LVP = { vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' };
const GPU = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };

describe('rollout variants offered', () => {
  const small = netLayout({ obsDim: 4, hidden: [16, 16], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
  const big = netLayout({ obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
  const huge = netLayout({ obsDim: 4, hidden: [256, 256], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
  it('prefers unrolled except on SwiftShader, and leaves it out above the block limits (on lavapipe always)', () => {
    expect(rolloutBlocks(big)).toBe(642);
    expect(rolloutBlocks(small)).toBeLessThanOrEqual(UNROLL_MAX_BLOCKS_SWIFTSHADER);
    expect(rolloutVariantsFor(big, GPU)).toEqual(['unrolled', 'loop']);
    expect(rolloutVariantsFor(huge, GPU)).toEqual(['loop']);
    // lavapipe: a fresh compile of an unrolled net takes minutes (UNROLL_MAX_BLOCKS_LLVMPIPE)
    expect(rolloutVariantsFor(small, LVP)).toEqual(['loop']);
    expect(rolloutVariantsFor(big, LVP)).toEqual(['loop']);
    // no adapter info: as cautious as on SwiftShader
    expect(rolloutVariantsFor(big)).toEqual(['loop']);
    expect(rolloutVariantsFor(big, SS)).toEqual(['loop']);
    expect(rolloutVariantsFor(small, SS)).toEqual(['loop', 'unrolled']);
    expect(rolloutVariantsFor(huge, LVP)).toEqual(['loop']);
    for (const l of [small, big, huge]) for (const info of [SS, LVP]) expect(rolloutVariantsFor(l, info)).toContain('loop');
  });
  it("offers 'subgroup' where the device has subgroups of 4 lanes or more (first on lavapipe), for MLPs", () => {
    const tab = netLayout({ obsDim: 3, hidden: [], activation: 'tanh', head: { kind: 'tabular', nStates: 3, n: 2 } });
    expect(rolloutVariantsFor(big, { ...LVP, subgroupLanes: 8 })).toEqual(['subgroup', 'loop']);
    expect(rolloutVariantsFor(big, { ...SS, subgroupLanes: 4 })).toEqual(['loop', 'subgroup']);
    expect(rolloutVariantsFor(small, { ...SS, subgroupLanes: 4 })).toEqual(['loop', 'subgroup', 'unrolled']);
    expect(rolloutVariantsFor(big, { ...GPU, subgroupLanes: 32 })).toEqual(['unrolled', 'subgroup', 'loop']);
    expect(rolloutVariantsFor(big, { ...GPU, subgroupLanes: 2 })).toEqual(['unrolled', 'loop']);
    expect(rolloutVariantsFor(tab, { ...LVP, subgroupLanes: 8 })).toEqual(['loop']);
    expect([1, 2, 4, 8, 16, 32, 64].map((n) => subgroupBlockLanes({ subgroupLanes: n }))).toEqual([0, 0, 4, 8, 16, 16, 16]);
  });
  it('subgroup nets: one vec4 load per lane for G/4 blocks, each column broadcast from its lane, loops kept loops', () => {
    for (const G of [4, 8, 16]) {
      const per = G / 4;
      const code = subgroupNetWgsl(big, G);
      expect(code.match(/fn net_critic/g)).toHaveLength(1);
      expect(code.match(/fn net_actor/g)).toHaveLength(1);
      // per net: the fused loop's b0[i4], M0[i4, 0] and 16 blocks M1[·, i4]; the second hidden layer's 16
      // bias blocks after it; the head loop's bias and 16 blocks: ⌈blocks / (G/4)⌉ vec4 loads each
      const loads = code.match(/let v\w*_\d+ = packed\[[^\n]*\]\[sl & 3u\];/g) ?? [];
      expect(loads).toHaveLength(2 * (Math.ceil(18 / per) + Math.ceil(16 / per) + Math.ceil(17 / per)));
      // no other reads of the weights (a scalar read per lane would be a gather per float on a CPU driver)
      expect(code.match(/packed\[/g)).toHaveLength(loads.length);
      // columns come from lanes 0 … G−1; the first hidden layer's bias is column 0 of the first block
      const lanes = [...code.matchAll(/subgroupBroadcast\(v\w*_\d+, (\d+)u\)/g)].map((m) => Number(m[1]));
      expect(Math.max(...lanes)).toBe(G - 1);
      expect(code).toContain('var s = subgroupBroadcast(v_0, 0u);');
      expect(code).toMatch(/i4 < 16u \+ ro\.zero/);
      // the fused loop adds M1[o4, i4] · h into the 16 accumulators of the second hidden layer: no selects there
      for (let o4 = 0; o4 < 16; o4++) expect(code).toContain(`c2_${o4} = c2_${o4} + (`);
      expect(code).not.toMatch(/c2_\d+ = select/);
      expect(code).toMatch(/c3_0 = select\(c3_0, y, o4 == 0u\)/);
    }
    expect(() => subgroupNetWgsl(big, 32)).toThrow(/4, 8 or 16/);
  });
  it('generates one critic and one actor function with constant block indices into the seed slot weights', () => {
    const code = unrolledNetWgsl(small);
    expect(code.match(/fn net_critic/g)).toHaveLength(1);
    expect(code.match(/fn net_actor/g)).toHaveLength(1);
    // every read is the slot's first block (workgroup-uniform) plus a constant
    expect(code).not.toMatch(/packed\[(?!pk \+ \d+u\])/);
    expect(code).toMatch(/packed\[pk \+ \d+u\]/);
  });
});

const CASES = [
  { hidden: [16, 16], N: 40, T: 24 },
  { hidden: [64, 64], N: 24, T: 16 },
  // the subgroup variant fuses the first two layers: with one hidden layer the second is the head; with
  // three, the third runs in its own loop (widths not multiples of 4: zero-padded blocks)
  { hidden: [12], N: 20, T: 12 },
  { hidden: [8, 10, 6], N: 20, T: 12 },
];

describe.each(CASES)('every offered variant = CPU engine: cartpole hidden $hidden', (c) => {
  it('writes the CPU rollout', async () => {
    const ctx = gpu();
    const d = ctx.device;
    const cfg = validateConfig({ env: 'cartpole', numEnvs: c.N, numSteps: c.T, seed: 11, minibatches: 1, hidden: c.hidden });
    const cpu = createCpuEngine(cfg);
    await cpu.collect();
    const ro = cpu.rollout;
    const offered = rolloutVariantsFor(cpu.layout, rolloutTraits(d));
    // the subgroup variant wherever the device has subgroups of 4 lanes or more (both CPU drivers do)
    if (subgroupBlockLanes(rolloutTraits(d)) > 0) expect(offered).toContain('subgroup');
    expect(offered.length).toBeGreaterThan(0);
    for (const variant of offered) {
      expect(ROLLOUT_VARIANTS).toContain(variant);
      await withScopes(d, async () => {
        // two seed slots in one dispatch: slot 0 another seed and θ, slot 1 the CPU run's (its blocks, its θ, its RNG)
        const other = createCpuEngine({ ...cfg, seed: 5 });
        const params0 = storageBuffer(d, other.params, 'params seed 5');
        const params = storageBuffer(d, cpu.params, 'params');
        const r = await GpuRollout.create(d, ctx.cache, cpu.env, cpu.layout, cfg, [params0, params], { variant, seeds: [5, 11] });
        expect(r.variant).toBe(variant);
        const enc = d.createCommandEncoder();
        r.encodeInit(enc);
        r.encodeCollect(enc);
        d.queue.submit([enc.finish()]);
        const b = r.slotBuffers(1);
        const plane = async (p: GPUBufferBinding) => new Float32Array(await readBack(d, p.buffer, p.size!, p.offset!));
        const actions = await plane(b.actions);
        const obs = await plane(b.obs);
        const logp = await plane(b.logp);
        const values = await plane(b.values);
        const nextValues = await plane(b.nextValues);
        const rewards = await plane(b.rewards);
        const flags = new Uint32Array(await readBack(d, b.flags.buffer, b.flags.size!, b.flags.offset!));
        // slot 0 is seed 5's rollout, not a copy of slot 1's
        expect(await plane(r.slotBuffers(0).obs)).not.toEqual(obs);
        // follow each env until its first action differs (a sample flipped by float rounding: rare)
        let compared = 0;
        for (let e = 0; e < c.N; e++) {
          for (let t = 0; t < c.T; t++) {
            const i = t * c.N + e;
            if (actions[i] !== cpu.actBuf[i]) break;
            for (let j = 0; j < 4; j++) expect(Math.abs(obs[4 * i + j] - cpu.obsBuf[4 * i + j]), `${variant} obs t=${t} e=${e}`).toBeLessThan(1e-4);
            expect(rewards[i]).toBe(ro.rewards[i]);
            expect(flags[i], `${variant} flags t=${t} e=${e}`).toBe(ro.terminated[i] | (ro.truncated[i] << 1));
            const near = (g: number, w: number) => Math.abs(g - w) <= 1e-4 * Math.abs(w) + 1e-5;
            expect(near(logp[i], cpu.logpBuf[i]), `${variant} logp t=${t} e=${e}: ${logp[i]} vs ${cpu.logpBuf[i]}`).toBe(true);
            expect(near(values[i], ro.values[i]), `${variant} value t=${t} e=${e}: ${values[i]} vs ${ro.values[i]}`).toBe(true);
            expect(near(nextValues[i], ro.nextValues[i]), `${variant} nextValue t=${t} e=${e}`).toBe(true);
            compared++;
          }
        }
        expect(compared, variant).toBeGreaterThan(0.9 * c.N * c.T);
        r.destroy();
        params.destroy();
        params0.destroy();
      });
    }
  });
  it('rejects a variant not offered', async () => {
    const ctx = gpu();
    const cfg = validateConfig({ env: 'cartpole', numEnvs: 8, numSteps: 4, seed: 1, minibatches: 1, hidden: [256, 256] });
    const cpu = createCpuEngine(cfg);
    const params = storageBuffer(ctx.device, cpu.params, 'params');
    await expect(GpuRollout.create(ctx.device, ctx.cache, cpu.env, cpu.layout, cfg, params, { variant: 'unrolled' })).rejects.toThrow(/not offered/);
    params.destroy();
  });
});
