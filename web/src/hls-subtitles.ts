import Hls from 'hls.js';
import { attachWith, type HlsPlayer } from './hls';

// A recording with subtitles: the full build of hls.js (the light one has no subtitle tracks),
// which reads the master playlist's SUBTITLES group and shows the chosen track's cues through
// the video's own text track. The browser's own HLS (Safari) offers the same tracks as text
// tracks of the video, chosen here by language.

export interface SubtitledPlayer extends HlsPlayer {
  /** Shows the track of this language, or none (null). */
  select(language: string | null): void;
}

export function attachSubtitledHls(
  video: HTMLVideoElement,
  url: string,
  opts: { live: boolean; startAt?: number; onFatal?: (code: string) => void },
): SubtitledPlayer {
  const { player, hls } = attachWith(Hls, video, url, opts);
  let wanted: string | null = null;
  const apply = () => {
    if (hls) {
      const index = wanted === null ? -1 : hls.subtitleTracks.findIndex((t) => t.lang === wanted);
      hls.subtitleDisplay = index >= 0;
      hls.subtitleTrack = index;
      return;
    }
    for (const track of Array.from(video.textTracks)) {
      if (track.kind !== 'subtitles' && track.kind !== 'captions') continue;
      track.mode = wanted !== null && track.language === wanted ? 'showing' : 'disabled';
    }
  };
  // The tracks are known once the master playlist is read: a choice made before is applied then.
  hls?.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, apply);
  const onAdd = () => apply();
  if (!hls) video.textTracks.addEventListener('addtrack', onAdd);
  return {
    engine: player.engine,
    destroy: () => {
      video.textTracks.removeEventListener('addtrack', onAdd);
      player.destroy();
    },
    select: (language) => {
      wanted = language;
      apply();
    },
  };
}
