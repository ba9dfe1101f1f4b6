import { defineConfig } from 'vite';

// The Node CLI, bundled by Vite so WGSL `?raw` imports work outside the browser too.
// Dependencies stay external (SSR build) and are resolved from node_modules at run time.
export default defineConfig({
  logLevel: 'warn',
  build: {
    ssr: 'src/cli/main.ts',
    outDir: 'dist/cli',
    target: 'node20',
    emptyOutDir: true,
    rollupOptions: { output: { entryFileNames: 'main.js' } },
  },
});
