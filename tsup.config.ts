import { defineConfig } from 'tsup';

const common = { target: 'node20', sourcemap: true, splitting: false, shims: false } as const;

export default defineConfig([
  {
    ...common,
    entry: { index: 'lib/index.ts', testing: 'lib/testing/index.ts', sql: 'lib/store/sql/index.ts', 'azure-ad': 'lib/azure-ad/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
  },
  // The command line: ESM only, no types.
  { ...common, entry: { cli: 'lib/cli/main.ts' }, format: ['esm'], dts: false, clean: false },
]);
