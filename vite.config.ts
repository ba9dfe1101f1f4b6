import { defineConfig } from 'vitest/config';

// The browser app (index.html → src/ui) and the unit / GPU / e2e test suites.
// WGSL files are imported with `?raw`, which Vite handles natively.
//
// The GPU suite runs twice, once per CPU Vulkan driver this machine has (POLICYGRAD_ADAPTER,
// src/backends/gpu/device.ts): SwiftShader (4-wide subgroups, Debian's chromium) and Mesa's lavapipe
// (8-wide AVX2 subgroups, scripts/install-lavapipe.sh). Two SIMD widths catch kernel bugs one hides.
// Engines in tests take the adapter's fallback kernels without timing (POLICYGRAD_TUNE=off: no tune file
// is read or written, no seconds spent measuring at every engine creation); the parity tests run every
// kernel variant explicitly, and tests/gpu/autotune.test.ts runs the measured choice.
const gpuSuite = (adapter: string) => ({
  extends: true as const,
  // 300 s per test: a fresh machine compiles every kernel variant cold in the driver (lavapipe: LLVM), and a
  // loaded 2-core machine took 50–120 s for one learn-update case; a hang guard, not a speed assertion.
  test: { name: `gpu-${adapter}`, include: ['tests/gpu/**/*.test.ts'], env: { POLICYGRAD_ADAPTER: adapter }, testTimeout: 300_000, hookTimeout: 300_000 },
});

export default defineConfig({
  build: { outDir: 'dist/app', target: 'es2022' },
  worker: { format: 'es' },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: run files in two forks; GPU and e2e files are heavy and say so with their own timeouts.
    pool: 'forks',
    maxWorkers: 2,
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp', POLICYGRAD_TUNE: 'off' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      gpuSuite('swiftshader'),
      gpuSuite('lavapipe'),
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'] } },
    ],
  },
});
