import { useEffect, useRef, useState } from 'preact/hooks';
import type { LessonContentView } from '../../../server/protocol/courses';
import { t } from '../kit/i18n';

// An upload lesson's video: the packaged HLS behind signed links, played by hls.js (loaded
// only here, as the replay page does) or the browser's own HLS.

export function LessonVideo({ video, title }: { video: NonNullable<LessonContentView['video']>; title: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  const [engine, setEngine] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let destroyed = false;
    let destroy: (() => void) | undefined;
    void import('../hls').then(({ attachHls, hlsSupported }) => {
      if (destroyed) return;
      if (!hlsSupported(el)) return setFailure('unsupported');
      const player = attachHls(el, video.playlistUrl, { live: false, onFatal: (code) => setFailure(code) });
      destroy = () => player.destroy();
      setEngine(player.engine);
    });
    return () => {
      destroyed = true;
      destroy?.();
    };
  }, [video.playlistUrl]);
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
