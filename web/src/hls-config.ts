import type { HlsConfig, LoadPolicy } from 'hls.js';

// hls.js settings, apart from the player code so that bench/recording measures the
// very settings the pages use.

function sixTries(maxLoadTimeMs: number): LoadPolicy {
  return {
    default: {
      maxTimeToFirstByteMs: 10_000,
      maxLoadTimeMs,
      timeoutRetry: { maxNumRetry: 6, retryDelayMs: 0, maxRetryDelayMs: 0 },
      errorRetry: { maxNumRetry: 6, retryDelayMs: 1000, maxRetryDelayMs: 8000 },
    },
  };
}

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
  manifestLoadPolicy: {
    default: {
      maxTimeToFirstByteMs: Infinity,
      maxLoadTimeMs: 20_000,
      timeoutRetry: { maxNumRetry: 6, retryDelayMs: 0, maxRetryDelayMs: 0 },
      // ffmpeg writes the playlist with the first segment, a second or more after the
      // seminar goes live (longer on a loaded server), and a viewer may open the page
      // before that. hls.js never retries a 4xx on its own, so a 404 is retried here
      // for up to about half a minute.
      errorRetry: {
        maxNumRetry: 20,
        retryDelayMs: 1000,
        maxRetryDelayMs: 2000,
        backoff: 'linear',
        shouldRetry: (config, count, _timeout, response, retry) => retry || (response?.code === 404 && count < (config?.maxNumRetry ?? 0)),
      },
    },
  },
  // hls.js's defaults, with six tries where it gives two to four: a live viewer rides out a
  // few seconds of a busy server instead of stopping.
  playlistLoadPolicy: sixTries(20_000),
  fragLoadPolicy: sixTries(120_000),
};

/** A recording: ordinary buffering, from wherever the learner starts. */
export const VOD_HLS: Partial<HlsConfig> = {
  lowLatencyMode: false,
  backBufferLength: 90,
};
