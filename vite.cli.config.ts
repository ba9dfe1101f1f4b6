import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// The Node CLI, bundled by Vite so WGSL `?raw` imports work outside the browser too.
// Dependencies stay external (SSR build) and are resolved from node_modules at run time.
export default defineConfig({
  logLevel: 'warn',
  define: { __POLICYGRAD_VERSION__: JSON.stringify(pkg.version) },
  build: {
    ssr: 'src/cli/main.ts',
    outDir: 'dist/cli',
    target: 'node20',
    emptyOutDir: true,
    rollupOptions: { output: { entryFileNames: 'main.js' } },
  },
});
