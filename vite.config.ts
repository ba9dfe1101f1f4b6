import { defineConfig } from 'vitest/config';

// The browser app (index.html → src/ui) and the unit / GPU / e2e test suites.
// WGSL files are imported with `?raw`, which Vite handles natively.
export default defineConfig({
  build: { outDir: 'dist/app', target: 'es2022' },
  worker: { format: 'es' },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: run files in two forks; GPU and e2e files are heavy and say so with their own timeouts.
    pool: 'forks',
    maxWorkers: 2,
  },
});
