import { useEffect, useRef, useState } from 'preact/hooks';
import type { SubtitledPlayer } from '../hls-subtitles';
import { SubtitlePicker, TranscriptPanel, transcriptTrack } from './subtitles-ui';
import type { LessonContentView } from '../../../server/protocol/courses';
import { t } from '../kit/i18n';
import { accessToken } from '../session';
import { savedPosition, WatchProgress } from '../watch-progress';

// An upload lesson's video: the packaged HLS behind signed links, played by hls.js (loaded
// only here, as the replay page does) or the browser's own HLS. What the learner watches is
// kept under the lesson's id, sent as a seminar's replay sends it (watch-progress.ts), and
// the video starts where they stopped last time.

export function LessonVideo({
  lessonId,
  video,
  title,
}: {
  lessonId: string;
  video: NonNullable<LessonContentView['video']>;
  title: string;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  const [engine, setEngine] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [now, setNow] = useState(0);
  const [language, setLanguage] = useState<string | null>(null);
  const subtitled = useRef<SubtitledPlayer | null>(null);
  const hasSubtitles = video.subtitles.length > 0;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let destroyed = false;
    let destroy: (() => void) | undefined;
    const progress = new WatchProgress(el, {
      contentId: lessonId,
      ready: () => true,
      durationSeconds: () => video.durationSeconds ?? (Number.isFinite(el.duration) ? el.duration : undefined),
    });
    const onTime = () => setNow(el.currentTime);
    el.addEventListener('timeupdate', onTime);
    el.addEventListener('seeked', onTime);
    // Only a video with subtitles loads the full hls.js.
    const engines = hasSubtitles ? import('../hls-subtitles') : Promise.resolve(null);
    void Promise.all([import('../hls'), engines, savedPosition(lessonId, video.durationSeconds), accessToken()]).then(
      ([{ attachHls, hlsSupported }, withSubtitles, resumeFrom, token]) => {
        if (destroyed) return;
        progress.token = token;
        if (!hlsSupported(el)) return setFailure('unsupported');
        const options = { live: false, startAt: resumeFrom || undefined, onFatal: (code: string) => setFailure(code) };
        let player;
        if (withSubtitles) {
          const withTracks = withSubtitles.attachSubtitledHls(el, video.playlistUrl, options);
          subtitled.current = withTracks;
          player = withTracks;
        } else {
          player = attachHls(el, video.playlistUrl, options);
        }
        destroy = () => player.destroy();
        setEngine(player.engine);
      },
    );
    return () => {
      destroyed = true;
      subtitled.current = null;
      el.removeEventListener('timeupdate', onTime);
      el.removeEventListener('seeked', onTime);
      // Within the app: what was watched goes now, and "My learning" waits for it.
      progress.close();
      destroy?.();
    };
  }, [lessonId, video.playlistUrl, video.durationSeconds, hasSubtitles]);
  const choose = (next: string | null) => {
    setLanguage(next);
    subtitled.current?.select(next);
  };
  const seek = (seconds: number) => {
    if (ref.current) ref.current.currentTime = seconds;
  };
  return (
    <div class={`lesson-video${hasSubtitles ? ' with-transcript' : ''}`}>
      <div>
        <video
          ref={ref}
          data-testid="lesson-video"
          data-engine={engine ?? ''}
          controls
          playsInline
          preload="metadata"
          poster={video.posterUrl ?? undefined}
          aria-label={t('learning:lesson.video', { title })}
        />
        {failure && <p role="alert">{t('learning:lesson.videoFailed', { code: failure })}</p>}
        <SubtitlePicker tracks={video.subtitles} value={language} onChange={choose} />
      </div>
      <TranscriptPanel track={transcriptTrack(video.subtitles, language)} now={now} onSeek={seek} />
    </div>
  );
}
