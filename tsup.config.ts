import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'lib/index.ts', testing: 'lib/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: false,
  shims: false,
});
