import DOMPurify from 'dompurify';
import { useEffect, useState } from 'preact/hooks';
import type { LessonContentView } from '../../../server/protocol/courses';
import { api } from '../kit/api';
import { ActionButton } from '../kit/button';
import { t } from '../kit/i18n';
import { LoadFailed, Loading } from '../kit/load-states';
import { useTitle } from '../kit/shell';
import { announce } from '../kit/toast';
import { trackLeavingHeartbeat } from '../progress-flush';
import { lessonHref } from './learning/links';
import { LessonVideo } from './lesson-video';
import { QuizPanel } from './learning/quiz';
import '../styles/learning.css';

// A lesson of a course: a text lesson's body (Markdown the server rendered with raw HTML
// off, sanitized again here before it touches the DOM), previous/next through the whole
// course, and "mark as read", which counts the lesson as read in full. Going on to the
// next lesson marks this one read too: the reader reached its end.

/** Reports the whole text lesson as read: one interval over its length. */
function markRead(lesson: LessonContentView['lesson']): Promise<unknown> {
  const duration = lesson.durationSeconds ?? 300;
  return api('POST', '/progress/heartbeats', {
    contentId: lesson.id,
    intervals: [[0, duration]],
    position: 0,
    durationSeconds: duration,
    sentAt: Date.now(),
  });
}

export default function LessonPage({ id, lessonId }: { id: string; lessonId: string }) {
  const [view, setView] = useState<LessonContentView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [read, setRead] = useState(false);
  useEffect(() => {
    let current = true;
    setView(null);
    setError(null);
    setRead(false);
    api<LessonContentView>('GET', `/courses/${encodeURIComponent(id)}/lessons/${encodeURIComponent(lessonId)}`).then(
      (v) => current && setView(v),
      (err: unknown) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [id, lessonId]);
  useTitle(view?.lesson.title);

  if (error) return <LoadFailed error={error} back={{ href: `/courses/${encodeURIComponent(id)}`, label: t('nav.courses') }} />;
  if (!view) return <Loading text={t('learning:lesson.loading')} />;
  const { lesson, previous, next } = view;
  const isText = lesson.kind === 'text' && view.html !== null;
  return (
    <article class="page narrow lesson-page" data-testid="lesson-page" data-lesson={lesson.id}>
      <p class="muted">
        <a href={`/courses/${view.courseId}`}>{t('learning:lesson.backToCourse', { title: view.courseTitle })}</a> · {view.moduleTitle}
      </p>
      <h1>{lesson.title}</h1>
      {isText ? (
        // The server rendered it with raw HTML off; DOMPurify is the second lock.
        <div class="lesson-body" data-testid="lesson-body" dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(view.html!) }} />
      ) : lesson.kind === 'recording' ? (
        <p>
          {t('learning:lesson.notText')} <a href={lessonHref(view.courseId, lesson)}>{t('learning:lesson.watch')}</a>
        </p>
      ) : lesson.kind === 'quiz' ? (
        <QuizPanel courseId={view.courseId} lessonId={lesson.id} />
      ) : lesson.kind === 'upload' && view.video ? (
        <LessonVideo lessonId={lesson.id} video={view.video} title={lesson.title} />
      ) : (
        // A video from the library (an HLS playlist, not a seminar): the pages have no player for it yet.
        <p>{t('learning:lesson.noPlayer')}</p>
      )}
      {isText && (
        <p>
          {read ? (
            <span role="status" data-testid="lesson-read">
              {t('learning:lesson.read')}
            </span>
          ) : (
            <ActionButton
              data-testid="mark-read"
              run={async () => {
                await markRead(lesson);
                setRead(true);
                announce(t('learning:lesson.read'));
              }}
            >
              {t('learning:lesson.markRead')}
            </ActionButton>
          )}
        </p>
      )}
      <nav class="lesson-nav" aria-label={t('learning:lesson.navigation')}>
        {previous ? (
          <a href={lessonHref(view.courseId, previous)} rel="prev" data-testid="previous">
            ← {t('learning:lesson.previous', { title: previous.title })}
          </a>
        ) : (
          <span />
        )}
        {next && (
          <a
            href={lessonHref(view.courseId, next)}
            rel="next"
            data-testid="next"
            onClick={() => {
              if (isText && !read) trackLeavingHeartbeat(markRead(lesson));
            }}
          >
            {t('learning:lesson.next', { title: next.title })} →
          </a>
        )}
      </nav>
    </article>
  );
}
