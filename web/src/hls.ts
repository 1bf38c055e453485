// The light build (no subtitles, alternate audio or DRM) keeps the pages small; a recording with
// subtitles is played by the full build (hls-subtitles.ts), loaded only then.
import Hls from 'hls.js/light';
import type FullHls from 'hls.js';
import { LIVE_HLS, VOD_HLS } from './hls-config';

// HLS in a <video>: hls.js over Media Source Extensions where the browser has
// them, the browser's own HLS (Safari, recent Chromium) otherwise.

export interface HlsPlayer {
  /** 'hls.js' or 'native': which engine plays. */
  readonly engine: 'hls.js' | 'native';
  destroy(): void;
}

export function hlsSupported(video: HTMLVideoElement): boolean {
  return Hls.isSupported() || video.canPlayType('application/vnd.apple.mpegurl') !== '';
}

/**
 * Attaches a playlist to a video. `startAt` (seconds) starts a recording there;
 * `onFatal` hears an error hls.js could not recover from, as hls.js's detail code
 * (manifestLoadError, bufferAppendError…), which the page turns into its own text.
 */
export function attachHls(
  video: HTMLVideoElement,
  url: string,
  opts: { live: boolean; startAt?: number; onFatal?: (code: string) => void },
): HlsPlayer {
  return attachWith(Hls, video, url, opts).player;
}

/** attachHls with a build of hls.js of the caller's choice; `hls` is the instance when hls.js plays (null: the browser's own HLS). */
export function attachWith(
  Hls: typeof FullHls,
  video: HTMLVideoElement,
  url: string,
  opts: { live: boolean; startAt?: number; onFatal?: (code: string) => void },
): { player: HlsPlayer; hls: FullHls | null } {
  if (Hls.isSupported()) {
    const hls = new Hls({
      ...(opts.live ? LIVE_HLS : VOD_HLS),
      ...(opts.startAt !== undefined && !opts.live ? { startPosition: opts.startAt } : {}),
    });
    let mediaRecoveries = 0;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      // In the console for diagnosis (the browser tests print it when they fail): a stall
      // or a recovery explains a player that stopped.
      console.warn(`[hls] ${data.type}: ${data.details}${data.fatal ? ' (fatal)' : ''}`);
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries++ < 3) return hls.recoverMediaError();
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR && data.details !== Hls.ErrorDetails.MANIFEST_LOAD_ERROR) return hls.startLoad();
      opts.onFatal?.(data.details);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    return { player: { engine: 'hls.js', destroy: () => hls.destroy() }, hls };
  }
  const start = () => {
    if (opts.startAt !== undefined && !opts.live) video.currentTime = opts.startAt;
  };
  video.addEventListener('loadedmetadata', start, { once: true });
  video.src = url;
  return {
    player: {
      engine: 'native',
      destroy: () => {
        video.removeEventListener('loadedmetadata', start);
        video.removeAttribute('src');
        video.load();
      },
    },
    hls: null,
  };
}
