import { useEffect, useRef, useState } from 'preact/hooks';
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
    void Promise.all([import('../hls'), savedPosition(lessonId, video.durationSeconds), accessToken()]).then(
      ([{ attachHls, hlsSupported }, resumeFrom, token]) => {
        if (destroyed) return;
        progress.token = token;
        if (!hlsSupported(el)) return setFailure('unsupported');
        const player = attachHls(el, video.playlistUrl, {
          live: false,
          startAt: resumeFrom || undefined,
          onFatal: (code) => setFailure(code),
        });
        destroy = () => player.destroy();
        setEngine(player.engine);
      },
    );
    return () => {
      destroyed = true;
      // Within the app: what was watched goes now, and "My learning" waits for it.
      progress.close();
      destroy?.();
    };
  }, [lessonId, video.playlistUrl, video.durationSeconds]);
  return (
    <div class="lesson-video">
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
    </div>
  );
}
