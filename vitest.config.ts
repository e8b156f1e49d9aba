import { defineConfig } from 'vitest/config';

/**
 * Tests that assert the host stays responsive under hostile load (health latency while fuzzing, heavy
 * prompts): on two cores they measure the box when other test files run beside them, so they run after
 * the others, one file at a time.
 */
const ALONE = [
  'test/security/fuzz-routes.test.ts',
  'test/e2e/heavy-input.test.ts',
  // Its 2-minute budget and its timeouts (locks, model and webhook) assume the box to itself.
  'test/chaos/chaos.test.ts',
  // Measures the process's RSS while a 50 MB upload streams through: other files' work in this process's
  // neighbours makes garbage collection late and the figure noisy.
  'test/e2e/files.test.ts',
  // Headless Chromium beside the whole stack: a browser's processes would compete with other files' stacks.
  'test/local/dashboard/dashboard.browser.test.ts',
  // A 20,000-line fan-out timed against the single-job floor: throughput needs the box to itself.
  'test/e2e/batches-scale.test.ts',
];

export default defineConfig({
  test: {
    // Integration tests start emulators on ephemeral ports; two cores, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts', '{shared,functions,local}/**/*.test.ts'],
          exclude: ALONE,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
