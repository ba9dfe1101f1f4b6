/**
 * Choosing the WebGPU adapter (src/backends/gpu/device.ts) and choosing kernels by measurement
 * (src/backends/gpu/autotune.ts): pure parts, no GPU.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDevice, adapterFromEnv, lavapipeIcdPath, parseAdapterChoice, summarizeAdapter } from '../../src/backends/gpu/device';
import { autotune, fastest, FileTuneStore, MemoryTuneStore, medianTime, tuneFilePath } from '../../src/backends/gpu/autotune';
import { ConfigError, DeviceError } from '../../src/core/errors';

describe('adapter choice', () => {
  it('POLICYGRAD_ADAPTER: unset → default; a known name; anything else is one ConfigError naming the field and the choices', () => {
    expect(adapterFromEnv({})).toBe('default');
    expect(adapterFromEnv({ POLICYGRAD_ADAPTER: '' })).toBe('default');
    expect(adapterFromEnv({ POLICYGRAD_ADAPTER: 'lavapipe' })).toBe('lavapipe');
    expect(adapterFromEnv({ POLICYGRAD_ADAPTER: 'swiftshader' })).toBe('swiftshader');
    expect(() => adapterFromEnv({ POLICYGRAD_ADAPTER: 'vulkan' })).toThrow(ConfigError);
    expect(() => adapterFromEnv({ POLICYGRAD_ADAPTER: 'vulkan' })).toThrow('invalid POLICYGRAD_ADAPTER: "vulkan" (allowed: one of default, swiftshader, lavapipe)');
    expect(() => parseAdapterChoice('x', '--adapter')).toThrow('invalid --adapter: "x" (allowed: one of default, swiftshader, lavapipe)');
  });

  it('the lavapipe ICD lives where scripts/install-lavapipe.sh puts it', () => {
    expect(lavapipeIcdPath({ HOME: '/home/u' })).toBe('/home/u/.cache/policygrad/lavapipe/lvp_icd.json');
    expect(lavapipeIcdPath({ HOME: '/home/u', XDG_CACHE_HOME: '/c' })).toBe('/c/policygrad/lavapipe/lvp_icd.json');
    expect(lavapipeIcdPath({ POLICYGRAD_DRIVER_DIR: '/d' })).toBe('/d/lavapipe/lvp_icd.json');
    expect(lavapipeIcdPath({ POLICYGRAD_LAVAPIPE_ICD: '/x.json', POLICYGRAD_DRIVER_DIR: '/d' })).toBe('/x.json');
    // the script and the code agree on the folder
    const script = readFileSync('scripts/install-lavapipe.sh', 'utf8');
    expect(script).toContain('${POLICYGRAD_DRIVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/policygrad}/lavapipe');
    expect(script).toContain('icd="$dir/lvp_icd.json"');
  });

  it('a missing driver is one clear DeviceError naming how to install it', async () => {
    const saved = { ...process.env };
    try {
      process.env.POLICYGRAD_LAVAPIPE_ICD = '/nonexistent/lvp_icd.json';
      const err = await acquireDevice({ adapter: 'lavapipe', log: () => {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceError);
      expect((err as Error).message).toBe('the lavapipe driver is not installed (no /nonexistent/lvp_icd.json): run bash scripts/install-lavapipe.sh');
    } finally {
      process.env = saved;
    }
  });

  it('adapter summaries: driver family and one-line name from the adapter info', () => {
    const lvp = summarizeAdapter({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1' });
    expect(lvp).toMatchObject({ driver: 'lavapipe', isSwiftShader: false, name: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1, software' });
    const ss = summarizeAdapter({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' });
    expect(ss).toMatchObject({ driver: 'swiftshader', isSwiftShader: true, name: 'SwiftShader driver 5.0.0, swiftshader' });
    const gpu = summarizeAdapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: '' });
    expect(gpu).toMatchObject({ driver: 'gpu', name: 'nvidia, hopper' });
    expect(summarizeAdapter({}).name).toBe('WebGPU adapter');
  });
});

describe('autotune: the fastest candidate by measurement, cached per key', () => {
  /** a candidate whose runs take the given (fake) milliseconds in turn */
  const cand = (name: string, ms: number[], calls: string[] = []) => {
    let i = 0;
    return {
      name,
      time: async () => {
        calls.push(name);
        return ms[Math.min(i++, ms.length - 1)];
      },
    };
  };

  it('median of reps after one warm-up run', async () => {
    // warm-up 100 is ignored; median of [5, 1, 9] is 5
    expect(await medianTime(cand('a', [100, 5, 1, 9]).time, 3)).toBe(5);
  });

  it('fastest: smallest finite time, first listed on ties, undefined when none', () => {
    expect(fastest({ a: 2, b: 1, c: 1 }, ['a', 'b', 'c'])).toBe('b');
    expect(fastest({ a: NaN, b: 3 }, ['a', 'b'])).toBe('b');
    expect(fastest({ a: NaN }, ['a'])).toBeUndefined();
  });

  it('measures every candidate once, keeps the fastest, then answers from the store without measuring', async () => {
    const store = new MemoryTuneStore();
    const calls: string[] = [];
    const r = await autotune('k', [cand('slow', [9], calls), cand('fast', [1, 2, 3, 2], calls)], { store, reps: 3 });
    expect(r).toEqual({ key: 'k', choice: 'fast', times: { slow: 9, fast: 2 }, cached: false });
    expect(calls.filter((c) => c === 'fast')).toHaveLength(4);
    expect(store.map.get('k')).toBe('fast');
    calls.length = 0;
    const again = await autotune('k', [cand('slow', [9], calls), cand('fast', [1], calls)], { store });
    expect(again).toEqual({ key: 'k', choice: 'fast', times: {}, cached: true });
    expect(calls).toEqual([]);
    // a cached name that is no longer a candidate is measured again
    const other = await autotune('k', [cand('x', [4]), cand('y', [3])], { store, reps: 1 });
    expect(other.choice).toBe('y');
    expect(other.cached).toBe(false);
  });

  it('a candidate that throws is skipped; all throwing rethrows the first error; one candidate is not measured', async () => {
    const boom = { name: 'boom', time: async () => { throw new Error('no subgroups'); } };
    const r = await autotune('k2', [boom, cand('ok', [7])], { store: null, reps: 1 });
    expect(r.choice).toBe('ok');
    expect(r.times.boom).toBeNaN();
    await expect(autotune('k3', [boom, { ...boom, name: 'boom2' }], { store: null })).rejects.toThrow('no subgroups');
    const calls: string[] = [];
    expect(await autotune('k4', [cand('only', [1], calls)], { store: null })).toEqual({ key: 'k4', choice: 'only', times: {}, cached: false });
    expect(calls).toEqual([]);
  });

  it('the Node store is a JSON file (created on first write, kept across instances)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-tune-'));
    try {
      const path = join(dir, 'sub', 'tune.json');
      expect(await new FileTuneStore(path).get('a')).toBeUndefined();
      await new FileTuneStore(path).set('a', 'x');
      await new FileTuneStore(path).set('b', 'y');
      const s = new FileTuneStore(path);
      expect([await s.get('a'), await s.get('b')]).toEqual(['x', 'y']);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: 'x', b: 'y' });
      expect(tuneFilePath({ POLICYGRAD_DRIVER_DIR: '/d' })).toBe('/d/tune.json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('profile FLOP counts from the shapes', () => {
  it('CartPole 64-64: hand-counted multiply-adds of the rollout and one minibatch', async () => {
    const { profileFlops } = await import('../../src/backends/gpu/engine');
    const { netLayout } = await import('../../src/policy/layout');
    const layout = netLayout({ obsDim: 4, hidden: [64, 64], activation: 'tanh', head: { kind: 'softmax', n: 2 } });
    // actor 4·64 + 64·64 + 64·2 = 4480, critic 4·64 + 64·64 + 64·1 = 4416; first layers 2·256
    const f = profileFlops(layout, 128, 8, 4);
    expect(f.rollout).toBe(2 * 128 * 8 * 8896);
    expect(f['learn-gemm-forward']).toBe(2 * 256 * 8896);
    expect(f['learn-gemm-weight-grad']).toBe(2 * 256 * 8896);
    expect(f['learn-gemm-input-grad']).toBe(2 * 256 * (8896 - 512));
  });
});
