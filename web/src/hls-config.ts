import type { HlsConfig } from 'hls.js';

// hls.js settings, apart from the player code so that bench/recording measures the
// very settings the pages use.

/**
 * Live: 1.5 s behind the live edge (hls.js never goes closer than one target
 * duration), catching up by playing up to 1.2× when it finds itself further back.
 * Recordings are plain HLS (ffmpeg writes no LL-HLS parts), so the segment length
 * sets the latency. One segment (1 s) of margin stalled the browser test under
 * load; 1.5 s passed it six times in a row and stays within 3 s of WebRTC.
 */
export const LIVE_HLS: Partial<HlsConfig> = {
  lowLatencyMode: true,
  liveSyncDuration: 1.5,
  liveMaxLatencyDuration: 6,
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
