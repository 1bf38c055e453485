import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: media tests spawn ffmpeg and mediasoup workers of their own.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
