// Test projects: unit (pure code); db and API on PGlite in memory; the same db and API suite
// on PostgreSQL when TEST_DATABASE_URL is set; e2e against the built server in real
// processes, with Debian chromium driven by playwright-core for pages; lighthouse last, alone.
import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.resolve(import.meta.dirname, '..');
const dbSuite = ['tests/db/**/*.test.ts', 'tests/api/**/*.test.ts'];
const lighthouse = 'tests/e2e/lighthouse.test.ts';
const postgresUrl = process.env.TEST_DATABASE_URL;
if (!postgresUrl) {
  console.log('TEST_DATABASE_URL is not set: the db/API suite runs on PGlite only (set it to run it on PostgreSQL too).');
}

export default defineConfig({
  root,
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'pglite', include: dbSuite, provide: { database: 'pglite' }, globalSetup: ['tests/support/demo-snapshot.ts'] } },
      ...(postgresUrl
        ? [
            {
              extends: true,
              test: { name: 'postgres', include: dbSuite, provide: { database: 'postgres' as const }, globalSetup: ['tests/support/demo-snapshot.ts'] },
            },
          ]
        : []),
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          exclude: [lighthouse],
          globalSetup: ['tests/support/build-once.ts'],
          // Each file starts its own server processes; two at a time suit a 2-core machine.
          maxWorkers: 2,
          testTimeout: 180_000,
        },
      },
      {
        // Lighthouse scores a page load from the CPU time it observes, so it runs alone once
        // every other project has finished: beside the suite's servers and databases on a
        // 2-core machine it measured the same pages at 86–88 instead of 100.
        extends: true,
        test: {
          name: 'lighthouse',
          include: [lighthouse],
          globalSetup: ['tests/support/build-once.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
        },
      },
    ],
  },
});
