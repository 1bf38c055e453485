import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { z } from 'zod';
import type { myCourseView } from '../../../server/protocol/courses';
import type { SeminarView } from '../../../server/protocol/seminars';
import { api, ApiError } from '../kit/api';
import { errorText } from '../kit/errors';
import { Field, FormError, SubmitButton, text, useForm } from '../kit/form';
import { dateTime, mediaTime } from '../kit/format';
import { t } from '../kit/i18n';
import { useTitle } from '../kit/shell';
import { toast } from '../kit/toast';
import { signIn, who } from '../session';
import { SeminarLinks } from './seminar-links';
import '../styles/portal.css';

// Sign in, then the list of seminars with links to watch them, and to the studio
// for the ones the signed-in lecturer runs; for a signed-in learner, "My learning":
// enrolled courses with per-lesson progress, recordings linked to the replay page.

type MyCourse = z.infer<typeof myCourseView>;

function SignIn() {
  const { query, route } = useLocation();
  const form = useForm(async (data) => {
    await signIn(text(data, 'email'), text(data, 'password'));
    const next = query.next;
    if (next?.startsWith('/') && !next.startsWith('//')) route(next);
  });
  return (
    <form id="sign-in" class="card" onSubmit={form.onSubmit} aria-labelledby="sign-in-title" noValidate>
      <h2 id="sign-in-title">{t('auth.title')}</h2>
      <Field form={form} name="email" label={t('auth.email')} type="email" autocomplete="username" required />
      <Field form={form} name="password" label={t('auth.password')} type="password" autocomplete="current-password" required />
      <FormError form={form} />
      <SubmitButton form={form}>{t('auth.submit')}</SubmitButton>
      <p class="muted">
        <a href="/forgot-password">{t('auth.forgot')}</a>
      </p>
      <p>
        {t('auth.newHere')} <a href="/sign-up">{t('auth.createAccount')}</a>
      </p>
    </form>
  );
}

function Lesson({
  lesson,
  progress,
}: {
  lesson: MyCourse['course']['modules'][number]['lessons'][number];
  progress?: MyCourse['lessons'][number];
}) {
  const pct = Math.round((progress?.fraction ?? 0) * 100);
  const href = lesson.kind === 'recording' && lesson.seminarId ? `/replay/${lesson.seminarId}` : null;
  const resume =
    progress && progress.resumePosition > 1 && !progress.complete
      ? t('portal:learning.continue', { time: mediaTime(progress.resumePosition) })
      : t('portal:learning.open');
  return (
    <li
      class={`lesson${progress?.complete ? ' complete' : ''}`}
      data-testid="lesson"
      data-lesson={lesson.id}
      data-fraction={progress?.fraction ?? 0}
    >
      <span class="lesson-title">
        {progress?.complete ? '✓ ' : ''}
        {lesson.title}
      </span>
      <span class="bar" aria-hidden="true">
        <span style={{ width: `${pct}%` }} />
      </span>
      <span class="muted pct">{progress?.complete ? t('portal:learning.complete') : `${pct}%`}</span>
      {href && <a href={href}>{resume}</a>}
    </li>
  );
}

/** My courses: each lesson with a progress bar, a completion mark and, for recordings, a link to the replay. */
function Learning({ courses }: { courses: MyCourse[] }) {
  return (
    <section id="learning" class="learning" aria-labelledby="learning-title">
      <h2 id="learning-title">
        <a href="/learning">{t('portal:learning.title')}</a>
      </h2>
      <ul id="courses" class="courses" data-testid="learning">
        {courses.length === 0 && <li class="empty">{t('portal:learning.empty')}</li>}
        {courses.map((c) => {
          const progress = new Map(c.lessons.map((l) => [l.lessonId, l]));
          // The share actually watched: a lesson watched to 81 % counts before it is complete.
          const percent = Math.round(c.watchedPercent);
          return (
            <li key={c.course.id} class="course" data-testid="course">
              <h3>{c.course.title}</h3>
              <div class="muted">{t('portal:learning.summary', { done: c.completedLessons, total: c.totalLessons, percent })}</div>
              <progress max={100} value={percent} class="course-bar" aria-label={t('portal:learning.progress', { percent })} />
              {c.course.modules.map((m) => (
                <div key={m.id} class="module">
                  <div class="module-title">{m.title}</div>
                  <ul class="lessons">
                    {m.lessons.map((lesson) => (
                      <Lesson key={lesson.id} lesson={lesson} progress={progress.get(lesson.id)} />
                    ))}
                  </ul>
                </div>
              ))}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export default function Home() {
  const me = who.value;
  const [seminars, setSeminars] = useState<SeminarView[]>([]);
  const [learning, setLearning] = useState<MyCourse[]>([]);
  useTitle(undefined);
  const signedInAs = me?.userId ?? null;
  useEffect(() => {
    let current = true;
    void (async () => {
      try {
        const list = (await api<{ items: SeminarView[] }>('GET', '/seminars?limit=50')).items;
        if (current) setSeminars(list);
      } catch (err) {
        if (current) setSeminars([]);
        if (!(err instanceof ApiError && err.status === 401)) toast(errorText(err));
      }
      if (!signedInAs) return setLearning([]);
      try {
        const courses = await api<MyCourse[]>('GET', '/me/learning');
        if (current) setLearning(courses);
      } catch (err) {
        if (current) setLearning([]);
        // Staff without the learner's grant have no "My learning".
        if (!(err instanceof ApiError && (err.status === 401 || err.status === 403))) toast(errorText(err));
      }
    })();
    return () => {
      current = false;
    };
  }, [signedInAs]);

  return (
    <div class="page home">
      <h1 class="visually-hidden">{t('app.name')}</h1>
      <p class="muted">{t('app.tagline')}</p>
      {!me && <SignIn />}
      {me && <Learning courses={learning} />}
      <section aria-labelledby="seminars-title">
        <h2 id="seminars-title">{t('portal:seminars.title')}</h2>
        <ul id="seminars" class="seminars">
          {seminars.length === 0 && <li class="empty">{t('portal:seminars.empty')}</li>}
          {seminars.map((s) => (
            <li key={s.id} class="seminar" data-testid="seminar">
              <div>
                <a class="seminar-title" href={`/seminars/${s.id}`}>
                  {s.title}
                </a>{' '}
                <span class={`badge ${s.status}`}>{t(`status.${s.status}`)}</span>
              </div>
              <div class="muted">
                {dateTime(s.startsAt, s.timeZone)} · {s.track}
              </div>
              <SeminarLinks s={s} me={me} />
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
