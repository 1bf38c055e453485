import { defineConfig } from 'vitest/config';

// The recording's browser test measures media made in real time: Chromium encodes simulcast
// and the recorder transcodes on the same 2 cores. Beside another test file it starved
// (hand-overs of 9-18 s, the guest's sound missing from the mix), so it runs in a group of
// its own after the rest of the suite, alone on the machine, as a recording would run.
const ALONE = ['test/e2e/recording.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: media tests spawn ffmpeg and mediasoup workers of their own.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ALONE, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
