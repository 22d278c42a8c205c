import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    // Tests import 'osipc' as users do; it is the compiled package in dist/.
    alias: { osipc: fileURLToPath(new URL('./dist/index.js', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Cross-process tests start real processes; on 2 CPUs keep concurrency low.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
