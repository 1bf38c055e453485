import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../kit/api';
import { errorText } from '../kit/errors';
import { mediaTime } from '../kit/format';
import { t } from '../kit/i18n';
import { signInHref, useTitle } from '../kit/shell';
import { leavingHeartbeatsSettled } from '../progress-flush';
import { who } from '../session';
import { MyCertificates } from './learning/certificates';
import { lessonHref, type MyCourse } from './learning/links';
import '../styles/learning.css';

// "My learning": per course, the lessons completed and the share of the course actually
// watched (two different figures: 81 % of a long lesson is real progress before any lesson
// is complete), and "Continue" to the first lesson not yet complete, at its saved position.

type Lesson = MyCourse['course']['modules'][number]['lessons'][number];

/** The first lesson not complete, in the course's order, with its progress; null when all are. */
function nextLesson(c: MyCourse): { lesson: Lesson; resume: number } | null {
  const progress = new Map(c.lessons.map((l) => [l.lessonId, l]));
  for (const m of c.course.modules) {
    for (const lesson of m.lessons) {
      const p = progress.get(lesson.id);
      if (!p?.complete) return { lesson, resume: p?.resumePosition ?? 0 };
    }
  }
  return null;
}

function CourseProgress({ c }: { c: MyCourse }) {
  const next = nextLesson(c);
  const watched = Math.round(c.watchedPercent);
  const lessons = Math.round(c.percent);
  const resumable = next && next.lesson.kind !== 'text' && next.resume > 1;
  return (
    <li
      class="course-card"
      data-testid="learning-course"
      data-course={c.course.id}
      data-done={c.completedLessons}
      data-total={c.totalLessons}
      data-watched={c.watchedPercent}
    >
      <h2>
        <a href={`/courses/${c.course.id}`}>{c.course.title}</a>
      </h2>
      <p data-testid="lessons-figure">{t('learning:learning.lessons', { done: c.completedLessons, total: c.totalLessons })}</p>
      <progress max={100} value={lessons} aria-label={t('learning:learning.lessonsBar', { percent: lessons })} />
      <p data-testid="watched-figure">{t('learning:learning.watched', { percent: watched })}</p>
      <progress max={100} value={watched} aria-label={t('learning:learning.watched', { percent: watched })} />
      <p>
        {next ? (
          <a class="button primary" data-testid="continue" href={lessonHref(c.course.id, next.lesson)}>
            {resumable
              ? t('learning:learning.continueAt', { title: next.lesson.title, time: mediaTime(next.resume) })
              : t('learning:learning.continueLesson', { title: next.lesson.title })}
          </a>
        ) : (
          <span data-testid="course-done">✓ {t('learning:learning.done')}</span>
        )}
      </p>
    </li>
  );
}

export default function Learning() {
  const me = who.value;
  const { url } = useLocation();
  const [courses, setCourses] = useState<MyCourse[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useTitle(t('learning:learning.title'));
  useEffect(() => {
    if (!me) return;
    let current = true;
    void (async () => {
      try {
        // A replay just left sends its last position on the way out: read after it lands.
        await leavingHeartbeatsSettled();
        const list = await api<MyCourse[]>('GET', '/me/learning');
        if (current) setCourses(list);
      } catch (err) {
        if (current) setError(err);
      }
    })();
    return () => {
      current = false;
    };
  }, [me?.userId]);

  return (
    <div class="page learning-page" data-testid="learning-page">
      <h1>{t('learning:learning.title')}</h1>
      {!me && (
        <p>
          <a href={signInHref(url)}>{t('auth.signIn')}</a>
        </p>
      )}
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {me && courses === null && error === null && <p role="status">{t('learning:course.loading')}</p>}
      {courses !== null && (
        <ul class="course-cards" data-testid="learning-list">
          {courses.length === 0 && (
            <li class="empty">
              {t('learning:learning.empty')} <a href="/courses">{t('learning:learning.browse')}</a>
            </li>
          )}
          {courses.map((c) => (
            <CourseProgress key={c.course.id} c={c} />
          ))}
        </ul>
      )}
      {me && <MyCertificates />}
    </div>
  );
}
