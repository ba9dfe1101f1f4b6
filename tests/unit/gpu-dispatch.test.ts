import { describe, expect, it } from 'vitest';
import {
  StructLayout,
  UniformWriter,
  alignTo,
  ceilDiv,
  fnv1a,
  packTable,
  packWeights,
  packedLayout,
  parseWgslOverrides,
  parseWgslStruct,
  planeLayout,
  rolloutSizes,
  workgroups1D,
} from '../../src/backends/gpu/dispatch';
import { pipelineKey, type PipelineSpec } from '../../src/backends/gpu/pipeline-cache';
import { acquireDevice, checkLimits, runBufferSizes } from '../../src/backends/gpu/device';
import { ConfigError, DeviceError } from '../../src/core/errors';
import { ENV_NAMES } from '../../src/core/types';
import { ENVS } from '../../src/envs';
import { ENV_WGSL, envModule } from '../../src/backends/gpu/env-shaders';
import { PACK_PARAMS, ROLLOUT_PARAMS, STATS_PARAMS, rolloutConstants } from '../../src/backends/gpu/rollout';
import { netLayout, netSpecFor } from '../../src/policy/layout';
import { makeEnv } from '../../src/envs';
import { defaultConfig } from '../../src/core/config';
import rolloutCode from '../../shaders/rollout.wgsl?raw';
import packCode from '../../shaders/pack_weights.wgsl?raw';
import statsCode from '../../shaders/episode_stats.wgsl?raw';
import {
  COLSUM_GEOM,
  GEMM_GEOM,
  GEMM_SIMPLE_WG,
  gemmWgGrid,
  gemmWgShape,
  LOSS_ROWS_SERIAL,
  REDUCE_RUN_SERIAL,
  SERIAL_WG,
  colsumSerialGrid,
  colsumSerialWg,
  colsumVec4,
  gemmBlock,
  gemmSimpleGrid,
  gemmVariantFor,
  lossPartialCount,
  lossSerialGrid,
  reduceSerialGrid,
  reduceVariantFor,
  sqPartialCount,
  workspaceRowFloats,
  wgSubgroupLanes,
} from '../../src/backends/gpu/learn/layout';
import {
  AdvStatsProgram,
  ColsumProgram,
  FinalizeProgram,
  GemmProgram,
  LEARN_WGSL,
  gemmWgLanesWgsl,
  gemmWgWeightSubWgsl,
  gemmWgCode,
  LossProgram,
  ReduceProgram,
  type GemmLayer,
} from '../../src/backends/gpu/learn/kernels';
import { fallbackKernels, fastest, kernelCandidates, kernelSetKey, median } from '../../src/backends/gpu/learn/tune';

describe('workgroup counts', () => {
  it('covers every thread with the fewest groups', () => {
    expect(ceilDiv(1000, 64)).toBe(16);
    expect(workgroups1D(1000, 64)).toEqual([16, 1, 1]);
    expect(workgroups1D(1024, 64)).toEqual([16, 1, 1]);
    expect(workgroups1D(1, 256)).toEqual([1, 1, 1]);
    expect(workgroups1D(0, 64)).toEqual([0, 1, 1]);
  });
  it('splits over y beyond the per-dimension limit, without losing threads', () => {
    // 64·65535 + 1 threads need 65536 groups > 65535: two rows of 32768
    const [x, y] = workgroups1D(64 * 65535 + 1, 64);
    expect([x, y]).toEqual([32768, 2]);
    // small limit: every thread index i = gx + gy·x·wg below `threads` is reached exactly once
    const threads = 603;
    const [x2, y2] = workgroups1D(threads, 8, 10);
    expect(x2).toBeLessThanOrEqual(10);
    expect(x2 * y2 * 8).toBeGreaterThanOrEqual(threads);
    const seen = new Set<number>();
    for (let gy = 0; gy < y2; gy++) for (let gx = 0; gx < x2; gx++) for (let l = 0; l < 8; l++) seen.add(gx * 8 + l + gy * x2 * 8);
    for (let i = 0; i < threads; i++) expect(seen.has(i)).toBe(true);
  });
  it('rejects nonsense', () => {
    expect(() => workgroups1D(-1, 64)).toThrow();
    expect(() => workgroups1D(10, 0)).toThrow();
  });
});

describe('WGSL struct layout', () => {
  it('matches the WGSL spec example (struct A { u: f32, v: f32, w: vec2<f32>, x: f32 })', () => {
    // WGSL spec §"Structure Member Layout" example: offsets 0, 4, 8, 16; align 8; size 24
    const s = new StructLayout([
      ['u', 'f32'],
      ['v', 'f32'],
      ['w', 'vec2<f32>'],
      ['x', 'f32'],
    ]);
    expect(s.fields.map((f) => f.offset)).toEqual([0, 4, 8, 16]);
    expect(s.align).toBe(8);
    expect(s.size).toBe(24);
  });
  it('aligns vec3 / vec4 to 16 and rounds the size to the struct alignment', () => {
    const s = new StructLayout([
      ['a', 'u32'],
      ['b', 'vec3f'],
      ['c', 'f32'],
      ['d', 'vec4<u32>'],
      ['e', 'i32'],
    ]);
    // a 0; b 16 (align 16, size 12); c 28 (fits after the vec3); d 32; e 48; size alignTo(52,16)=64
    expect(s.fields.map((f) => f.offset)).toEqual([0, 16, 28, 32, 48]);
    expect(s.size).toBe(64);
    expect(alignTo(52, 16)).toBe(64);
  });
  it('writes typed fields at their offsets and checks ranges', () => {
    const s = new StructLayout([
      ['n', 'u32'],
      ['gamma', 'f32'],
      ['off', 'i32'],
      ['v', 'vec2<f32>'],
    ]);
    const w = new UniformWriter(s).setAll({ n: 4096, gamma: 0.99, off: -3, v: [1.5, 0.1] });
    const dv = new DataView(w.data);
    expect(dv.getUint32(0, true)).toBe(4096);
    expect(dv.getFloat32(4, true)).toBe(Math.fround(0.99));
    expect(dv.getInt32(8, true)).toBe(-3);
    expect(dv.getFloat32(16, true)).toBe(1.5);
    expect(w.get('v')[1]).toBe(Math.fround(0.1));
    expect(() => w.set('n', -1)).toThrow(/u32/);
    expect(() => w.set('n', 1.5)).toThrow(/u32/);
    expect(() => w.set('v', 1)).toThrow(/2 value/);
    expect(() => w.set('nope', 1)).toThrow(/no field nope/);
  });
  it('parses a WGSL struct and its overrides (so a TS layout can be pinned to the shader)', () => {
    const code = `
      // comment with struct Fake { x: f32 }
      override WG_SIZE: u32 = 64u;
      override HID0: u32;
      struct Params {
        num_envs: u32,   // N
        seed: u32,
        gamma: f32,
        w: vec4f,
      }
      @id(3) override other = 1.0;`;
    expect(parseWgslStruct(code, 'Params')).toEqual([
      ['num_envs', 'u32'],
      ['seed', 'u32'],
      ['gamma', 'f32'],
      ['w', 'vec4<f32>'],
    ]);
    expect(parseWgslOverrides(code)).toEqual(['WG_SIZE', 'HID0', 'other']);
  });
});

describe('buffer layouts', () => {
  it('packs planes at 256-byte binding offsets', () => {
    const p = planeLayout(4, 10);
    expect(p).toEqual({ strideBytes: 256, strideElems: 64, planeBytes: 40, totalBytes: 3 * 256 + 40 });
    const q = planeLayout(4, 128);
    expect(q.strideBytes).toBe(512);
    expect(q.totalBytes).toBe(2048);
  });
  it('sizes the rollout buffers time-major', () => {
    // CartPole: obsDim 4, stateDim 5, actDim 1; T = 128, N = 8 → TN = 1024
    const r = rolloutSizes({ numSteps: 128, numEnvs: 8, obsDim: 4, actDim: 1, stateDim: 5 });
    expect(r.obs).toBe(1024 * 4 * 4);
    expect(r.actions).toBe(1024 * 4);
    expect(r.flags).toBe(1024 * 4);
    expect(r.traj.totalBytes).toBe(4 * 4096);
    expect(r.envState).toBe(8 * 5 * 4);
    expect(r.stepCount).toBe(32);
    expect(r.episode).toBe(8 * 32); // two vec4 per env: sums, min/max
    expect(r.largestBinding).toBe(16384);
  });
});

describe('checkLimits', () => {
  const cartpole = { obsDim: 4, stateDim: 5, actDim: 1 };
  const P = 9155; // CartPole 64-64 actor + critic
  it('passes a run that fits', () => {
    const s = checkLimits({ numEnvs: 4096, numSteps: 128, varianceGroups: 16 }, { limits: { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 } }, cartpole, P);
    // largest binding: obs = T·N·obsDim·4 = 128·4096·16 = 8 MiB (the trajectory planes are the same size)
    expect(s.largestBinding).toBe(8 * 2 ** 20);
    expect(s).toEqual(runBufferSizes({ numEnvs: 4096, numSteps: 128, varianceGroups: 16 }, cartpole, P));
  });
  it('names the largest env count that fits', () => {
    // cap 4 MiB: obs needs 16·T·N bytes ≤ 4 MiB → N ≤ 2^22 / (16·128) = 2048
    const cfg = { numEnvs: 4096, numSteps: 128, varianceGroups: 16 };
    const dev = { limits: { maxStorageBufferBindingSize: 4 * 2 ** 20, maxBufferSize: 2 ** 30 } };
    let err: unknown;
    try {
      checkLimits(cfg, dev, cartpole, P);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('numEnvs');
    expect((err as Error).message).toMatch(/largest env count that fits at num-steps 128 is 2048/);
    expect(() => checkLimits({ ...cfg, numEnvs: 2048 }, dev, cartpole, P)).not.toThrow();
    expect(() => checkLimits({ ...cfg, numEnvs: 2049 }, dev, cartpole, P)).toThrow(ConfigError);
  });
  it("counts the learner's minibatch workspace: rows × the widest hidden layer", () => {
    // CartPole 64-64: the widest row is a hidden layer's 64 floats
    const workspaceRow = workspaceRowFloats(netLayout(netSpecFor(makeEnv('cartpole'), defaultConfig())), 4, 1);
    expect(workspaceRow).toBe(64);
    // one minibatch of T·N rows × 64 floats: 128 · 4096 · 64 · 4 B = 128 MiB, exactly the cap; 8192 envs need 256 MiB
    const dev = { limits: { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 2 ** 30 } };
    const cfg = { numEnvs: 4096, numSteps: 128, varianceGroups: 16, minibatches: 1, workspaceRow };
    expect(checkLimits(cfg, dev, cartpole, P).largestBinding).toBe(128 * 2 ** 20);
    expect(() => checkLimits({ ...cfg, numEnvs: 8192 }, dev, cartpole, P)).toThrow(/largest env count that fits at num-steps 128 is 4096/);
    // four minibatches: a quarter of the rows each
    expect(() => checkLimits({ ...cfg, numEnvs: 8192, minibatches: 4 }, dev, cartpole, P)).not.toThrow();
  });
});

describe('pipeline cache keys', () => {
  const base: PipelineSpec = {
    name: 'rollout',
    code: 'fn main() {}',
    entryPoint: 'main',
    bindings: ['uniform', 'storage'],
    constants: { WG_SIZE: 64, HID0: 64 },
    keyParts: { env: 'cartpole', head: 'softmax' },
  };
  it('is independent of the order constants are listed in', () => {
    expect(pipelineKey({ ...base, constants: { HID0: 64, WG_SIZE: 64 } })).toBe(pipelineKey(base));
  });
  it('changes with every shaping constant, the entry point, bindings and the code', () => {
    const k = pipelineKey(base);
    const variants: PipelineSpec[] = [
      { ...base, name: 'other' },
      { ...base, entryPoint: 'init' },
      { ...base, bindings: ['uniform', 'read-only-storage'] },
      { ...base, constants: { WG_SIZE: 128, HID0: 64 } },
      { ...base, constants: { WG_SIZE: 64, HID0: 32 } },
      { ...base, keyParts: { env: 'pendulum', head: 'softmax' } },
      { ...base, keyParts: { env: 'cartpole', head: 'gaussian' } },
      { ...base, code: 'fn main() { }' },
    ];
    const keys = new Set(variants.map(pipelineKey));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(k)).toBe(false);
  });
  it('hashes with FNV-1a (known answers)', () => {
    expect(fnv1a('')).toBe('811c9dc5');
    expect(fnv1a('a')).toBe('e40c292c');
    expect(fnv1a('foobar')).toBe('bf9cf968');
  });
});

describe('env twins carry every TS parameter', () => {
  it.each(ENV_NAMES)('%s: one override per param, defaults equal (as f32)', (name) => {
    const env = ENVS[name];
    const m = envModule(env);
    expect(Object.keys(m.constants).sort()).toEqual(Object.keys(env.params).map((k) => `${name}_${k}`).sort());
    // the WGSL defaults are the TS defaults (so a pipeline without constants is still the same env)
    const code = ENV_WGSL[name];
    for (const [k, v] of Object.entries(env.params as Record<string, number>)) {
      const mm = new RegExp(`override\\s+${name}_${k}\\s*:\\s*f32\\s*=\\s*([^;]+);`).exec(code);
      expect(mm, `${name}_${k}`).not.toBeNull();
      expect(Math.fround(Number(mm![1]))).toBe(Math.fround(v));
    }
  });
  it('rejects a twin / TS mismatch', () => {
    const env = { ...ENVS.bandit, params: { p0: 0.2, p1: 0.8, p2: 0.5 } };
    expect(() => envModule(env)).toThrow(/no override bandit_p2/);
  });
});

describe('packed weights of the rollout kernel', () => {
  // a hand-checkable net: obsDim 3 → 5 → 2 (actor), 3 → 5 → 1 (critic), θ[i] = i + 1
  const layout = netLayout({ obsDim: 3, hidden: [5], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
  const theta = Float32Array.from({ length: layout.total }, (_, i) => i + 1);
  const p = packedLayout(layout);
  it('lays out 4×4 blocks after a verbatim θ copy', () => {
    // θ: actor W0 15 + b0 5, W1 10 + b1 2 = 32; critic W0 15 + b0 5, W1 5 + b1 1 = 26 → 58 floats → 64
    expect(layout.total).toBe(58);
    expect(p.thetaLen16).toBe(64);
    // actor L0: in4 1, out4 2 → W blocks 4,5; b blocks 6,7. L1: in4 2, out4 1 → W 8,9; b 10
    expect(p.layers.map((l) => [l.net, l.in4, l.out4, l.wBlock, l.bBlock])).toEqual([
      [0, 1, 2, 4, 6],
      [0, 2, 1, 8, 10],
      [1, 1, 2, 11, 13],
      [1, 2, 1, 15, 17],
    ]);
    expect(p.totalFloats).toBe(18 * 16);
  });
  it('packs column c, row r of block (o4, i4) as W[4·o4 + r][4·i4 + c], zero-padded', () => {
    const out = packWeights(p, theta);
    expect([...out.subarray(0, 58)]).toEqual([...theta]);
    // actor W0[o][i] = θ[o·3 + i]; block (0,0) column 1 = (W[0][1], W[1][1], W[2][1], W[3][1]) = (2, 5, 8, 11)
    expect([...out.subarray(4 * 16 + 4, 4 * 16 + 8)]).toEqual([2, 5, 8, 11]);
    // column 3 is padding (in = 3)
    expect([...out.subarray(4 * 16 + 12, 4 * 16 + 16)]).toEqual([0, 0, 0, 0]);
    // block (1,0): rows 4..7, only row 4 real: column 0 = (W[4][0], 0, 0, 0) = (13, 0, 0, 0)
    expect([...out.subarray(5 * 16, 5 * 16 + 4)]).toEqual([13, 0, 0, 0]);
    // bias blocks: b0 = θ[15 … 19] = 16 … 20 → (16,17,18,19) then (20,0,0,0); other columns 0
    expect([...out.subarray(6 * 16, 6 * 16 + 16)]).toEqual([16, 17, 18, 19, ...new Array(12).fill(0)]);
    expect([...out.subarray(7 * 16, 7 * 16 + 4)]).toEqual([20, 0, 0, 0]);
    // matrix–vector by blocks reproduces W x + b
    const x = [0.5, -1, 2];
    const l0 = p.layers[0];
    for (let o = 0; o < 5; o++) {
      let want = theta[15 + o];
      for (let i = 0; i < 3; i++) want += theta[o * 3 + i] * x[i];
      const o4 = o >> 2;
      const r = o & 3;
      let got = out[(l0.bBlock + o4) * 16 + r];
      for (let c = 0; c < 4; c++) got += out[(l0.wBlock + o4 * l0.in4) * 16 + 4 * c + r] * (x[c] ?? 0);
      expect(got).toBeCloseTo(want, 5);
    }
    expect([...packTable(p).subarray(0, 8)]).toEqual([4 * 16, 0, 3, 5, 8 * 16, 20, 5, 2]);
  });
  it('sets the rollout overrides from the layout', () => {
    const c = rolloutConstants(layout);
    expect(c).toMatchObject({ HEAD_KIND: 0, ACTIVATION: 0, NUM_LAYERS: 2, DIM_0: 3, DIM_1: 5, DIM_2: 2, DIM_3: 0, AW_0: 4, AW_1: 8, CW_0: 11, CW_1: 15, HEAD_OUT: 2, CRITIC_OFFSET: 32 });
    // every override the constants set is declared in the shader
    const declared = new Set(parseWgslOverrides(rolloutCode));
    for (const k of Object.keys(c)) expect(declared.has(k), k).toBe(true);
  });
  it('rejects layers wider than the kernel holds, naming the field', () => {
    const wide = netLayout({ obsDim: 4, hidden: [300], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
    expect(() => rolloutConstants(wide)).toThrow(ConfigError);
    expect(() => rolloutConstants(wide)).toThrow(/hidden/);
  });
  it('declares the same uniform structs as the shaders', () => {
    expect(parseWgslStruct(rolloutCode, 'RolloutParams')).toEqual(ROLLOUT_PARAMS.members());
    expect(parseWgslStruct(packCode, 'PackParams')).toEqual(PACK_PARAMS.members());
    expect(parseWgslStruct(statsCode, 'StatsParams')).toEqual(STATS_PARAMS.members());
  });
});

describe('acquireDevice without an adapter', () => {
  it('throws DeviceError saying what to install', async () => {
    const fake = { requestAdapter: async () => null } as unknown as GPU;
    const err = await acquireDevice({ gpu: fake, log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toMatch(/apt-get install -y chromium libvulkan1/);
  });
});

describe('learner GEMM variants (quad or simple on SwiftShader, tiled elsewhere)', () => {
  const layer = (inDim: number, outDim: number): GemmLayer => ({ inDim, outDim, wOffset: 0, bOffset: inDim * outDim, wT: 0, act: 1 });
  const view = { stride: 64, offset: 0 };
  it('picks the variant from the adapter info', () => {
    expect(gemmVariantFor({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' })).toBe('simple');
    expect(gemmVariantFor({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100' })).toBe('tiled');
    expect(gemmVariantFor({})).toBe('tiled');
    expect(gemmVariantFor(undefined)).toBe('tiled');
  });
  it("'quad' only on SwiftShader with the subgroups feature and subgroups of exactly 4 lanes", () => {
    const ss = { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' };
    expect(gemmVariantFor({ ...ss, subgroupMinSize: 4, subgroupMaxSize: 4 }, true)).toBe('quad');
    expect(gemmVariantFor({ ...ss, subgroupMinSize: 4, subgroupMaxSize: 4 }, false)).toBe('simple');
    expect(gemmVariantFor({ ...ss, subgroupMinSize: 4, subgroupMaxSize: 8 }, true)).toBe('simple');
    expect(gemmVariantFor({ ...ss }, true)).toBe('simple');
    expect(gemmVariantFor({ vendor: 'nvidia', architecture: 'hopper', subgroupMinSize: 4, subgroupMaxSize: 4 }, true)).toBe('tiled');
  });
  it("'wgsub': G lanes from the subgroup size, each weight of the block broadcast from the lane that loaded it", () => {
    expect([0, 2, 4, 8, 16, 32, 64].map((n) => wgSubgroupLanes({ subgroupMinSize: n }, true))).toEqual([0, 0, 4, 8, 16, 16, 16]);
    expect(wgSubgroupLanes({ subgroupMinSize: 8 }, false)).toBe(0);
    // scalar k of the 16 block columns: lane k mod G of load ⌊k/G⌋
    const g8 = gemmWgLanesWgsl(8);
    expect(g8).toContain('const SG: u32 = 8u;');
    expect(g8).toContain('vec4<f32>(subgroupBroadcast(t1, 4u), subgroupBroadcast(t1, 5u), subgroupBroadcast(t1, 6u), subgroupBroadcast(t1, 7u))');
    expect(g8).not.toMatch(/subgroupBroadcast\(t[23]/);
    expect(gemmWgLanesWgsl(4)).toContain('subgroupBroadcast(t3, 3u))');
    expect(gemmWgLanesWgsl(16)).toContain('subgroupBroadcast(t0, 15u))');
    expect(gemmWgLanesWgsl(16)).not.toMatch(/subgroupBroadcast\(t1/);
    expect(gemmWgLanesWgsl(0)).toContain('const SG: u32 = 0u;');
    expect(() => gemmWgLanesWgsl(32)).toThrow(/0, 4, 8 or 16/);
    // the row modes get the lanes; so does the weight gradient of a layer of ≥ 32 outputs and inputs
    // (main_weight_sub: the dY loads shared); a smaller one runs 'wg''s kernel, in 'wg''s pipeline
    const fwd = new GemmProgram('forward', layer(64, 64), view, view, view, 'wgsub', 8);
    expect(fwd.spec.code).toMatch(/^enable subgroups;/);
    expect(fwd.spec.code).toContain('const SG: u32 = 8u;');
    const wgrad = new GemmProgram('weightGrad', layer(64, 64), view, view, view, 'wgsub', 8);
    expect(wgrad.spec.code).toBe(gemmWgCode(8));
    expect(wgrad.spec.entryPoint).toBe('main_weight_sub');
    expect(wgrad.grid(4096, 3)).toEqual([2, 1, 3]);
    const small = new GemmProgram('weightGrad', layer(4, 64), view, view, view, 'wgsub', 8);
    expect([small.spec.code, small.spec.entryPoint, small.spec.keyParts]).toEqual([LEARN_WGSL.gemmWg, 'main_weight', { variant: 'wg' }]);
    expect(new GemmProgram('weightGrad', layer(64, 2), view, view, view, 'wgsub', 8).spec.entryPoint).toBe('main_weight');
    // main_weight_sub also writes ∂b (the learner then runs no column sum for that layer); nothing else does
    expect(wgrad.fusesBias).toBe(true);
    expect([small.fusesBias, fwd.fusesBias, new GemmProgram('weightGrad', layer(64, 64), view, view, view, 'wg').fusesBias]).toEqual([false, false, false]);
    expect(new GemmProgram('weightGrad', { ...layer(64, 64), bOffset: -1 }, view, view, view, 'wgsub', 8).fusesBias).toBe(false);
    expect(() => new GemmProgram('forward', layer(64, 64), view, view, view, 'wgsub', 0)).toThrow(/4, 8 or 16/);
  });
  it("'wgsub' weight gradient: dW row o0 + o from load ⌊o/G⌋ of lane o mod G, 4 + 32/G loads per row of the batch", () => {
    const g8 = gemmWgWeightSubWgsl(8);
    expect(g8).toContain('a0 = fma(vec4<f32>(subgroupBroadcast(t0, 0u)), x, a0);');
    expect(g8).toContain('a13 = fma(vec4<f32>(subgroupBroadcast(t1, 5u)), x, a13);');
    expect(g8).toContain('a31 = fma(vec4<f32>(subgroupBroadcast(t3, 7u)), x, a31);');
    expect(g8).toContain('let oa3 = L.S0_OFF + min(o0 + 24u + sl, ml) * L.S0_CS;');
    const loads = (code: string) => (code.match(/src[01]\[/g) ?? []).length;
    expect([4, 8, 16].map((g) => loads(gemmWgWeightSubWgsl(g)))).toEqual([4 + 8, 4 + 4, 4 + 2]);
    expect((g8.match(/put_cols\(/g) ?? []).length).toBe(32);
    // ∂b[o0 + q·G + sl] = Σ_b t_q, written by the first G lanes of each subgroup in column block 0
    expect(g8).toContain('bs3 = bs3 + t3;');
    expect(g8).toContain('if (o0 + 24u + sl < M) { dst[chunk * P.gradStride + L.B_OFF + o0 + 24u + sl] = bs3; }');
    expect(gemmWgWeightSubWgsl(16)).toContain('a31 = fma(vec4<f32>(subgroupBroadcast(t1, 15u)), x, a31);');
    expect(() => gemmWgWeightSubWgsl(32)).toThrow(/4, 8 or 16 lanes/);
  });
  it('quad blocks take 16 columns when N > 8', () => {
    expect(gemmBlock(1 << 20, 64, true)).toEqual({ RB: 8, CB: 16 });
    expect(gemmBlock(1 << 20, 9, true)).toEqual({ RB: 8, CB: 16 });
    expect(gemmBlock(1 << 20, 8, true)).toEqual({ RB: 8, CB: 8 });
    expect(gemmBlock(64, 4, true)).toEqual({ RB: 8, CB: 4 });
  });
  it('quad grids round the row blocks up to whole quads', () => {
    // 1001 rows → 126 row blocks → 128 (whole quads) · 4 column blocks of 16 = 512 invocations = 8 groups
    expect(gemmSimpleGrid(1001, 63, { RB: 8, CB: 16 }, 1, 64, true)).toEqual([8, 1, 1]);
    expect(gemmSimpleGrid(1001, 63, { RB: 8, CB: 16 }, 1, 64, false)).toEqual([8, 1, 1]); // 126 · 4 = 504
    // 5 row blocks of a 33-output weight gradient → 8, times 3 column blocks = 24 invocations
    expect(gemmSimpleGrid(33, 36, { RB: 8, CB: 16 }, 2, 64, true)).toEqual([1, 1, 2]);
  });
  it("GemmProgram: 'quad' runs a weight gradient with fewer than 4 row blocks as 'simple'", () => {
    const wHead = new GemmProgram('weightGrad', layer(64, 2), view, view, { stride: 1, offset: 0 }, 'quad');
    expect(wHead.variant).toBe('simple');
    expect(wHead.block).toEqual({ RB: 4, CB: 8 });
    const wHidden = new GemmProgram('weightGrad', layer(64, 64), view, view, { stride: 1, offset: 0 }, 'quad');
    expect(wHidden.variant).toBe('quad');
    expect(wHidden.block).toEqual({ RB: 8, CB: 16 });
    // 8 row blocks · 4 column blocks = 32 invocations per chunk
    expect(wHidden.grid(8192, 8)).toEqual([1, 1, 8]);
    const fwdQ = new GemmProgram('forward', layer(64, 64), view, view, view, 'quad');
    expect(fwdQ.spec.code).toBe(LEARN_WGSL.gemmQuad);
    expect(fwdQ.spec.code.startsWith('enable subgroups;')).toBe(true);
    expect(fwdQ.spec.keyParts).toEqual({ variant: 'quad' });
    // 8192 rows → 1024 row blocks · 4 column blocks of 16 = 4096 invocations = 64 groups
    expect(fwdQ.grid(8192, 1)).toEqual([64, 1, 1]);
    const declared = new Set(parseWgslOverrides(LEARN_WGSL.gemmQuad));
    for (const k of Object.keys(fwdQ.spec.constants)) expect(declared.has(k), k).toBe(true);
  });
  it('blocks 8 along sides longer than 4, else 4', () => {
    expect(gemmBlock(1 << 20, 64)).toEqual({ RB: 8, CB: 8 });
    expect(gemmBlock(1 << 20, 2)).toEqual({ RB: 8, CB: 4 });
    expect(gemmBlock(64, 4)).toEqual({ RB: 8, CB: 4 });
    expect(gemmBlock(1, 64)).toEqual({ RB: 4, CB: 8 });
    expect(gemmBlock(5, 5)).toEqual({ RB: 8, CB: 8 });
  });
  it('dispatches ⌈M/RB⌉·⌈N/CB⌉ invocations in 1-D, chunks along z', () => {
    expect(GEMM_SIMPLE_WG).toBe(64);
    // 8192 rows × 64 outputs in 8 × 8 blocks: 1024 · 8 = 8192 invocations = 128 groups of 64
    expect(gemmSimpleGrid(8192, 64, { RB: 8, CB: 8 }, 1)).toEqual([128, 1, 1]);
    // 8192 rows × 2 outputs in 8 × 4 blocks: 1024 invocations
    expect(gemmSimpleGrid(8192, 2, { RB: 8, CB: 4 }, 1)).toEqual([16, 1, 1]);
    // ragged: 1001 rows × 63 columns → 126 · 8 = 1008 invocations → 16 groups
    expect(gemmSimpleGrid(1001, 63, { RB: 8, CB: 8 }, 1)).toEqual([16, 1, 1]);
    // weight grad of a 64 × 64 layer over 8 chunks: 64 blocks per chunk
    expect(gemmSimpleGrid(64, 64, { RB: 8, CB: 8 }, 8)).toEqual([1, 1, 8]);
    // beyond 65535 groups the blocks spill over y (workgroups1D)
    // 2²³ rows: 2²⁰ · 8 invocations = 131072 groups > 2 · 65535 → 3 rows of 43691
    expect(gemmSimpleGrid(1 << 23, 64, { RB: 8, CB: 8 }, 1)).toEqual([43691, 3, 1]);
    expect(43691 * 3 * 64).toBeGreaterThanOrEqual((1 << 20) * 8);
    expect(gemmSimpleGrid(0, 64, { RB: 8, CB: 8 }, 1)).toEqual([0, 1, 1]);
  });
  it('GemmProgram: the grid and pipeline key follow the variant', () => {
    const fwdS = new GemmProgram('forward', layer(64, 64), view, view, view, 'simple');
    const fwdT = new GemmProgram('forward', layer(64, 64), view, view, view, 'tiled');
    expect(fwdS.variant).toBe('simple');
    expect(fwdS.grid(8192, 1)).toEqual([128, 1, 1]);
    expect(fwdT.grid(8192, 1)).toEqual([128, 1, 1]); // 64 × 64 tiles
    const inS = new GemmProgram('inputGrad', layer(64, 2), view, view, view, 'simple');
    expect(inS.block).toEqual({ RB: 8, CB: 8 });
    expect(inS.grid(1000, 1)).toEqual([16, 1, 1]); // 125 · 8 invocations
    const wS = new GemmProgram('weightGrad', layer(4, 64), view, view, { stride: 1, offset: 0 }, 'simple');
    expect(wS.block).toEqual({ RB: 8, CB: 4 });
    expect(wS.grid(8192, 8)).toEqual([1, 1, 8]);
    const wT = new GemmProgram('weightGrad', layer(4, 64), view, view, { stride: 1, offset: 0 }, 'tiled');
    expect(wT.grid(8192, 8)).toEqual([1, 1, 8]);
    expect(pipelineKey(fwdS.spec)).not.toBe(pipelineKey(fwdT.spec));
    expect(fwdS.spec.keyParts).toEqual({ variant: 'simple' });
    expect(fwdT.spec.keyParts).toEqual({ variant: 'tiled' });
    // every override set is declared in the variant's shader
    for (const [p, code] of [[fwdS, LEARN_WGSL.gemmSimple], [fwdT, LEARN_WGSL.gemm]] as const) {
      const declared = new Set(parseWgslOverrides(code));
      for (const k of Object.keys(p.spec.constants)) expect(declared.has(k), k).toBe(true);
    }
  });
  it('all variants declare the same GemmGeom', () => {
    expect(parseWgslStruct(LEARN_WGSL.gemmSimple, 'GemmGeom')).toEqual(GEMM_GEOM.members());
    expect(parseWgslStruct(LEARN_WGSL.gemmQuad, 'GemmGeom')).toEqual(GEMM_GEOM.members());
    expect(parseWgslStruct(LEARN_WGSL.gemm, 'GemmGeom')).toEqual(GEMM_GEOM.members());
  });
});

describe('learner reduction variants (serial on SwiftShader, tree elsewhere)', () => {
  const swift = { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' };
  it('picks the variant from the adapter info', () => {
    expect(reduceVariantFor(swift)).toBe('serial');
    expect(reduceVariantFor({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100' })).toBe('tree');
    expect(reduceVariantFor(undefined)).toBe('tree');
  });
  it('loss: one partial per 32 rows (serial) or per 256-row workgroup (tree)', () => {
    expect(LOSS_ROWS_SERIAL).toBe(32);
    expect(SERIAL_WG).toBe(64);
    expect(lossPartialCount(8192, 'serial')).toBe(256);
    expect(lossPartialCount(8192, 'tree')).toBe(32);
    expect(lossPartialCount(2257, 'serial')).toBe(71); // 70 full runs + 17 rows
    expect(lossPartialCount(2257, 'tree')).toBe(9);
    // 256 invocations = 4 groups of 64; 71 invocations → 2 groups
    expect(lossSerialGrid(8192)).toEqual([4, 1, 1]);
    expect(lossSerialGrid(2257)).toEqual([2, 1, 1]);
    expect(lossSerialGrid(0)).toEqual([0, 1, 1]);
    // every row is in exactly one run t: [32t, min(32t + 32, rows))
    for (const rows of [1, 31, 32, 33, 2257]) {
      const [x, y] = lossSerialGrid(rows);
      const covered = new Array(rows).fill(0);
      for (let t = 0; t < x * y * SERIAL_WG; t++) for (let j = t * 32; j < Math.min(t * 32 + 32, rows); j++) covered[j]++;
      expect(covered.every((c) => c === 1)).toBe(true);
      expect(Math.max(...Array.from({ length: x * y * SERIAL_WG }, (_, t) => (t * 32 < rows ? t : -1))) + 1).toBe(lossPartialCount(rows, 'serial'));
    }
    const ls = new LossProgram({ head: 0, nOut: 2, actDim: 1, logStdOffset: -1 }, 'serial');
    expect(ls.spec.entryPoint).toBe('main_serial');
    expect(ls.workgroups(8192)).toEqual([4, 1, 1]);
    const lt = new LossProgram({ head: 0, nOut: 2, actDim: 1, logStdOffset: -1 }, 'tree');
    expect(lt.spec.entryPoint).toBe('main');
    expect(lt.workgroups(8192)).toEqual([32, 1, 1]);
    expect(LossProgram.partialCount(8192, 'serial')).toBe(256);
  });
  it('reduce: one sq partial per 32 entries (serial) or per 256 (tree); groups along y', () => {
    expect(REDUCE_RUN_SERIAL).toBe(32);
    expect(sqPartialCount(9155, 'serial')).toBe(287);
    expect(sqPartialCount(9155, 'tree')).toBe(36);
    // 287 invocations → 5 groups of 64
    expect(reduceSerialGrid(9155, 1)).toEqual([5, 1, 1]);
    expect(reduceSerialGrid(9155, 4)).toEqual([5, 4, 1]);
    expect(reduceSerialGrid(32 * 64, 1)).toEqual([1, 1, 1]);
    expect(reduceSerialGrid(32 * 64 + 1, 1)).toEqual([2, 1, 1]);
    const rs = new ReduceProgram(100, 'serial');
    expect(rs.grid(9155, 2)).toEqual([5, 2, 1]);
    expect(ReduceProgram.sqCount(9155, 'serial')).toBe(287);
    expect(new ReduceProgram(100, 'tree').grid(9155, 2)).toEqual([36, 2, 1]);
  });
  it('colsum: one invocation per (column, chunk), 4 / 16 / 64 lanes by column class', () => {
    expect(colsumSerialWg(1)).toBe(4);
    expect(colsumSerialWg(4)).toBe(4);
    expect(colsumSerialWg(5)).toBe(16);
    expect(colsumSerialWg(64)).toBe(64);
    expect(colsumSerialWg(65)).toBe(64);
    expect(colsumSerialGrid(64, 8)).toEqual([1, 1, 8]);
    expect(colsumSerialGrid(2, 8)).toEqual([1, 1, 8]);
    expect(colsumSerialGrid(65, 3)).toEqual([2, 1, 3]);
    const v = { stride: 64, offset: 0 };
    // 64 columns in a view that is not 4-aligned: one invocation per column
    const cs = new ColsumProgram(64, { stride: 66, offset: 1 }, 0, 'serial');
    expect(cs.vec4).toBe(false);
    expect(cs.workgroupSize).toBe(64);
    expect(cs.grid(8)).toEqual([1, 1, 8]);
    expect(new ColsumProgram(64, v, 0, 'tree').grid(8)).toEqual([1, 1, 8]);
    expect(new ColsumProgram(100, v, 0, 'tree').grid(8)).toEqual([2, 1, 8]);
    expect(new ColsumProgram(3, v, 0, 'serial').workgroupSize).toBe(4);
  });
  it('colsum: vec4 loads (4 columns per invocation) only for 4-aligned views', () => {
    expect(colsumVec4(64, 64, 0)).toBe(true);
    expect(colsumVec4(20, 20, 0)).toBe(true);
    expect(colsumVec4(2, 3, 0)).toBe(false); // the head's δ in dOut (stride NOUT + 1)
    expect(colsumVec4(8, 12, 2)).toBe(false);
    expect(colsumVec4(7, 8, 0)).toBe(false);
    const h = new ColsumProgram(64, { stride: 64, offset: 0 }, 0, 'serial');
    expect(h.vec4).toBe(true);
    expect(h.spec.entryPoint).toBe('main_serial4');
    expect(h.workgroupSize).toBe(16); // 16 groups of 4 columns
    expect(h.grid(8)).toEqual([1, 1, 8]);
    const h20 = new ColsumProgram(20, { stride: 20, offset: 0 }, 0, 'serial');
    expect(h20.workgroupSize).toBe(16);
    expect(h20.grid(3)).toEqual([1, 1, 3]); // 5 groups of 4 in one workgroup of 16
    const head = new ColsumProgram(2, { stride: 3, offset: 0 }, 0, 'serial');
    expect(head.vec4).toBe(false);
    expect(head.spec.entryPoint).toBe('main_serial');
    expect(new ColsumProgram(64, { stride: 64, offset: 0 }, 0, 'tree').spec.entryPoint).toBe('main');
  });
  it('every variant names an entry point of its shader and only overrides it declares', () => {
    const v = { stride: 64, offset: 0 };
    for (const variant of ['serial', 'tree'] as const) {
      const progs: Array<[{ spec: { entryPoint: string; constants: Record<string, number> } }, string]> = [
        [new LossProgram({ head: 1, nOut: 2, actDim: 2, logStdOffset: 10 }, variant), LEARN_WGSL.loss],
        [new ColsumProgram(64, v, 0, variant), LEARN_WGSL.colsum],
        [new ColsumProgram(3, { stride: 3, offset: 0 }, 0, variant), LEARN_WGSL.colsum],
        [new ReduceProgram(100, variant), LEARN_WGSL.reduce],
        [new FinalizeProgram(36, variant), LEARN_WGSL.finalize],
        [new AdvStatsProgram(variant), LEARN_WGSL.advstats],
      ];
      for (const [p, code] of progs) {
        expect(code).toMatch(new RegExp(`fn ${p.spec.entryPoint}\\(`));
        const declared = new Set(parseWgslOverrides(code));
        for (const k of Object.keys(p.spec.constants)) expect(declared.has(k), k).toBe(true);
      }
    }
    // finalize reads the loss partials of the same variant
    expect(new FinalizeProgram(1, 'serial').spec.constants.LOSS_ROWS).toBe(LOSS_ROWS_SERIAL);
    expect(new FinalizeProgram(1, 'tree').spec.constants.LOSS_ROWS).toBe(256);
    expect(new FinalizeProgram(1, 'serial').workgroupSize).toBe(1);
  });
});

describe("learner 'wg' GEMM, feature-major views and the kernel choice by timing", () => {
  const layer = (inDim: number, outDim: number): GemmLayer => ({ inDim, outDim, wOffset: 0, bOffset: inDim * outDim, wT: 0, act: 1 });
  const fm = (rows: number) => ({ stride: 1, offset: 0, colStride: rows });
  it("'wg' shapes: 8 rows × 4/8/16 columns per lane in the row modes, 8 (4 for ≤ 4 outputs) × CB blocks in the weight mode", () => {
    expect(gemmWgShape(false, 1 << 20, 64)).toEqual({ RB: 8, CB: 16, WG: 64, RED_LEN: 1, sub: false });
    expect(gemmWgShape(false, 1 << 20, 64, 8)).toEqual({ RB: 8, CB: 16, WG: 64, RED_LEN: 1, sub: false });
    expect(gemmWgShape(false, 1 << 20, 8)).toMatchObject({ CB: 8 });
    expect(gemmWgShape(false, 1 << 20, 2)).toMatchObject({ CB: 4 });
    // weight mode: 16 lanes split the chunk's rows; their 8 × 16 blocks need 16 · 32 vec4 = 8 KiB of workgroup memory
    expect(gemmWgShape(true, 64, 64)).toEqual({ RB: 8, CB: 16, WG: 16, RED_LEN: 512, sub: false });
    expect(gemmWgShape(true, 2, 64)).toEqual({ RB: 4, CB: 16, WG: 16, RED_LEN: 256, sub: false });
    expect(gemmWgShape(true, 64, 4)).toEqual({ RB: 8, CB: 4, WG: 16, RED_LEN: 128, sub: false });
    // 'wgsub' (lanes > 0): 32 rows of dW × 4 columns per lane, no lane sums, for ≥ 32 outputs and inputs
    expect(gemmWgShape(true, 64, 64, 8)).toEqual({ RB: 32, CB: 64, WG: 16, RED_LEN: 1, sub: true });
    expect(gemmWgShape(true, 33, 36, 4)).toMatchObject({ sub: true });
    expect([gemmWgShape(true, 31, 64, 8).sub, gemmWgShape(true, 64, 31, 8).sub]).toEqual([false, false]);
    for (const [M, N] of [[64, 64], [1, 1], [33, 36], [1024, 1024]]) expect(16 * gemmWgShape(true, M, N).RED_LEN).toBeLessThanOrEqual(16384);
  });
  it("'wg' grids: row blocks of RB·WG rows × column blocks along y; weight blocks × chunks along z", () => {
    const s = gemmWgShape(false, 1 << 20, 64);
    // 32768 rows / 512 = 64 row groups × 4 column blocks of 16
    expect(gemmWgGrid(false, 32768, 64, s, 1)).toEqual([64, 4, 1]);
    expect(gemmWgGrid(false, 1001, 63, s, 1)).toEqual([2, 4, 1]);
    expect(gemmWgGrid(true, 33, 36, gemmWgShape(true, 33, 36), 3)).toEqual([5, 3, 3]);
    expect(() => gemmWgGrid(false, 512 * 65536, 64, s, 1)).toThrow(/workgroups along x/);
    const f = new GemmProgram('forward', layer(64, 64), fm(8192), fm(8192), fm(8192), 'wg');
    expect(f.grid(8192, 1)).toEqual([16, 4, 1]);
    expect(f.spec.entryPoint).toBe('main');
    expect(f.spec.keyParts).toEqual({ variant: 'wg' });
    expect(f.spec.code).toBe(LEARN_WGSL.gemmWg);
    const w = new GemmProgram('weightGrad', layer(64, 64), fm(8192), fm(8192), { stride: 1, offset: 0 }, 'wg');
    expect(w.spec.entryPoint).toBe('main_weight');
    expect(w.workgroupSize).toBe(16);
    expect(w.grid(8192, 8)).toEqual([8, 4, 8]);
    for (const p of [f, w, new GemmProgram('inputGrad', layer(64, 2), fm(100), fm(100), fm(100), 'wg')]) {
      expect(LEARN_WGSL.gemmWg).toMatch(new RegExp(`fn ${p.spec.entryPoint}\\(`));
      const declared = new Set(parseWgslOverrides(LEARN_WGSL.gemmWg));
      for (const k of Object.keys(p.spec.constants)) expect(declared.has(k), k).toBe(true);
    }
  });
  it('GemmGeom carries column strides (feature-major views); every variant declares the same struct', () => {
    expect(parseWgslStruct(LEARN_WGSL.gemmWg, 'GemmGeom')).toEqual(GEMM_GEOM.members());
    const f = new GemmProgram('forward', layer(64, 64), fm(8192), { stride: 64, offset: 0 }, { stride: 3, offset: 2 }, 'wg');
    const u = new Uint32Array(f.geometry());
    const at = (k: string): number => u[GEMM_GEOM.field(k).offset / 4];
    expect([at('S0_STRIDE'), at('S0_CS'), at('S1_STRIDE'), at('S1_CS'), at('D_STRIDE'), at('D_CS'), at('D_OFF')]).toEqual([1, 8192, 64, 1, 3, 1, 2]);
  });
  it('column sums of feature-major views read one column per invocation (no vec4 path)', () => {
    expect(colsumVec4(64, 64, 0)).toBe(true);
    expect(colsumVec4(64, 1, 0, 4096)).toBe(false);
    const c = new ColsumProgram(64, fm(4096), 0, 'serial');
    expect(c.spec.entryPoint).toBe('main_serial');
    const u = new Uint32Array(c.geometry());
    expect(u[COLSUM_GEOM.field('CS').offset / 4]).toBe(4096);
    expect(u[COLSUM_GEOM.field('STRIDE').offset / 4]).toBe(1);
    expect(parseWgslStruct(LEARN_WGSL.colsum, 'ColsumGeom')).toEqual(COLSUM_GEOM.members());
  });
  it('candidates: every GEMM × reduction variant, quad only with 4-lane subgroups, env overrides narrow them', () => {
    const dev = (info: object, subgroups: boolean) => ({ adapterInfo: info, features: new Set(subgroups ? ['subgroups'] : []) }) as unknown as GPUDevice;
    const keys = (d: GPUDevice) => kernelCandidates(d).map(kernelSetKey);
    const prev = { g: process.env.POLICYGRAD_GEMM, r: process.env.POLICYGRAD_REDUCE };
    try {
      delete process.env.POLICYGRAD_GEMM;
      delete process.env.POLICYGRAD_REDUCE;
      expect(keys(dev({ subgroupMinSize: 8, subgroupMaxSize: 8 }, true))).toEqual(['wgsub/serial', 'wgsub/tree', 'wg/serial', 'wg/tree', 'simple/serial', 'simple/tree', 'tiled/serial', 'tiled/tree']);
      expect(keys(dev({ subgroupMinSize: 8, subgroupMaxSize: 8 }, false))).not.toContain('wgsub/serial');
      expect(keys(dev({ subgroupMinSize: 2, subgroupMaxSize: 2 }, true))).not.toContain('wgsub/serial');
      expect(keys(dev({ subgroupMinSize: 4, subgroupMaxSize: 4 }, true))).toContain('quad/serial');
      expect(keys(dev({ subgroupMinSize: 4, subgroupMaxSize: 4 }, false))).not.toContain('quad/serial');
      process.env.POLICYGRAD_GEMM = 'simple';
      expect(keys(dev({}, false))).toEqual(['simple/serial', 'simple/tree']);
      process.env.POLICYGRAD_REDUCE = 'serial';
      expect(keys(dev({}, false))).toEqual(['simple/serial']);
      expect(fallbackKernels(dev({ description: 'NVIDIA' }, false))).toEqual({ gemm: 'simple', reductions: 'serial' });
      delete process.env.POLICYGRAD_GEMM;
      delete process.env.POLICYGRAD_REDUCE;
      // the fallback (no timing possible) is the adapter-name rule
      expect(fallbackKernels(dev({ description: 'NVIDIA' }, false))).toEqual({ gemm: 'tiled', reductions: 'tree' });
      expect(fallbackKernels(dev({ architecture: 'swiftshader', subgroupMinSize: 4, subgroupMaxSize: 4 }, true))).toEqual({ gemm: 'quad', reductions: 'serial' });
    } finally {
      if (prev.g === undefined) delete process.env.POLICYGRAD_GEMM;
      else process.env.POLICYGRAD_GEMM = prev.g;
      if (prev.r === undefined) delete process.env.POLICYGRAD_REDUCE;
      else process.env.POLICYGRAD_REDUCE = prev.r;
    }
  });
  it('the fastest timed candidate wins; medians; untimed candidates are skipped', () => {
    const c = [{ gemm: 'wg', reductions: 'serial' }, { gemm: 'simple', reductions: 'serial' }, { gemm: 'tiled', reductions: 'tree' }] as const;
    expect(fastest(c, { 'wg/serial': 5, 'simple/serial': 3, 'tiled/tree': 9 })).toEqual(c[1]);
    expect(fastest(c, { 'wg/serial': 5, 'tiled/tree': 5 })).toEqual(c[0]);
    expect(fastest(c, { 'tiled/tree': Number.NaN })).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
