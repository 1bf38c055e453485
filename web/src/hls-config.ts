import type { HlsConfig } from 'hls.js';

// hls.js settings, apart from the player code so that bench/recording measures the
// very settings the pages use.

/**
 * Live: one target duration (one segment) behind the live edge, catching up by
 * playing up to 1.2× when hls.js finds itself further back. Recordings are plain
 * HLS (ffmpeg writes no LL-HLS parts), so the segment length sets the latency;
 * each stall moves the target back by a second, up to one more segment.
 */
export const LIVE_HLS: Partial<HlsConfig> = {
  lowLatencyMode: true,
  liveSyncDurationCount: 1,
  liveMaxLatencyDurationCount: 6,
  maxLiveSyncPlaybackRate: 1.2,
  backBufferLength: 30,
  manifestLoadingMaxRetry: 6,
  levelLoadingMaxRetry: 6,
  fragLoadingMaxRetry: 6,
};

/** A recording: ordinary buffering, from wherever the learner starts. */
export const VOD_HLS: Partial<HlsConfig> = {
  lowLatencyMode: false,
  backBufferLength: 90,
};
