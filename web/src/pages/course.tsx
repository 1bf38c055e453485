import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../kit/api';
import { ActionButton } from '../kit/button';
import { mediaTime } from '../kit/format';
import { t } from '../kit/i18n';
import { LoadFailed, Loading } from '../kit/load-states';
import { signInHref, useTitle } from '../kit/shell';
import { announce } from '../kit/toast';
import { who } from '../session';
import { CourseLecturers } from './course-lecturers';
import { lessonCount, lessonHref, type Course, type MyCourse } from './learning/links';
import { RelatedArticles } from './related-articles';
import '../styles/learning.css';

// A course's page: what it is, its modules and lessons (linked once enrolled), and enrol/leave.

export default function CoursePage({ id }: { id: string }) {
  const [course, setCourse] = useState<Course | null>(null);
  const [mine, setMine] = useState<MyCourse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  const { url } = useLocation();
  const me = who.value;
  useEffect(() => {
    let current = true;
    setError(null);
    void (async () => {
      try {
        const c = await api<Course>('GET', `/courses/${encodeURIComponent(id)}`);
        const learning = me ? await api<MyCourse[]>('GET', '/me/learning') : [];
        if (!current) return;
        setCourse(c);
        setMine(learning.find((m) => m.course.id === id) ?? null);
      } catch (err) {
        if (current) setError(err);
      }
    })();
    return () => {
      current = false;
    };
  }, [id, me?.userId, version]);
  useTitle(course?.title);

  if (error) return <LoadFailed error={error} back={{ href: '/courses', label: t('nav.courses') }} />;
  if (!course) return <Loading text={t('learning:course.loading')} />;
  const enrolled = mine !== null;
  const progress = new Map(mine?.lessons.map((l) => [l.lessonId, l]) ?? []);
  const enrol = async () => {
    await api('PUT', `/courses/${encodeURIComponent(id)}/enrolment`);
    announce(t('learning:course.enrolledNow'));
    setVersion((v) => v + 1);
  };
  const leave = async () => {
    await api('DELETE', `/courses/${encodeURIComponent(id)}/enrolment`);
    announce(t('learning:course.left'));
    setVersion((v) => v + 1);
  };
  return (
    <article class="page narrow course-page" data-testid="course-page" data-enrolled={String(enrolled)}>
      <h1>{course.title}</h1>
      <p class="muted">
        {t('learning:catalogue.track', { track: course.track })} · {t('learning:catalogue.lessons', { count: lessonCount(course) })}
      </p>
      <CourseLecturers ownerIds={course.ownerIds} />
      {!course.published && <p class="notice">{t('learning:course.unpublished')}</p>}
      {course.description && <p class="description">{course.description}</p>}
      <div class="actions">
        {!me && <a href={signInHref(url)}>{t('learning:course.signInToEnrol')}</a>}
        {me && !enrolled && course.published && (
          <ActionButton class="primary" data-testid="enrol" run={enrol}>
            {t('learning:course.enrol')}
          </ActionButton>
        )}
        {me && enrolled && (
          <>
            <span data-testid="enrolled">{t('learning:course.enrolled')}</span>
            <ActionButton data-testid="leave" run={leave}>
              {t('learning:course.leave')}
            </ActionButton>
          </>
        )}
      </div>
      <h2>{t('learning:course.modules')}</h2>
      {course.modules.map((m) => (
        <section key={m.id} class="module-block" aria-label={m.title}>
          <h3>{m.title}</h3>
          <ol class="lesson-list">
            {m.lessons.map((l) => {
              const p = progress.get(l.id);
              return (
                <li key={l.id} data-testid="course-lesson" data-lesson={l.id} class={p?.complete ? 'complete' : undefined}>
                  {enrolled ? <a href={lessonHref(course.id, l)}>{l.title}</a> : <span>{l.title}</span>}
                  <span class="muted">
                    {' '}
                    · {t(`learning:kind.${l.kind}`)}
                    {l.durationSeconds && l.kind !== 'text' ? ` · ${mediaTime(l.durationSeconds)}` : ''}
                    {p?.complete ? ` · ✓ ${t('learning:learning.complete')}` : ''}
                  </span>
                </li>
              );
            })}
          </ol>
        </section>
      ))}
      <RelatedArticles courseId={course.id} />
    </article>
  );
}
