import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { CourseView } from '../../../../server/protocol/courses';
import { api } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { t } from '../../kit/i18n';
import { signInHref, useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { who } from '../../session';
import { lessonCount } from './course-draft';
import { useLoad } from './load';
import '../../styles/workspace.css';

// My courses: the courses the lecturer may edit (an admin: all), each opening the
// builder, and a new course from a title and a track, empty until it is filled.

type CoursePage = { items: CourseView[]; nextCursor: string | null };

function NewCourse() {
  const { route } = useLocation();
  const form = useForm(
    async (data) => {
      const course = await api<CourseView>('POST', '/courses', { title: text(data, 'title'), track: text(data, 'track') });
      toast(t('workspace:courses.created'));
      route(`/workspace/courses/${course.id}`);
    },
    { title: t('workspace:courses.hints.title'), track: t('workspace:courses.hints.track') },
  );
  return (
    <form class="ws-form" onSubmit={form.onSubmit} noValidate data-testid="new-course">
      <p class="muted">{t('workspace:courses.createHint')}</p>
      <div class="ws-row">
        <Field form={form} name="title" label={t('workspace:courses.courseTitle')} maxLength={200} required />
        <Field form={form} name="track" label={t('workspace:courses.track')} maxLength={80} required />
      </div>
      <FormError form={form} />
      <div class="ws-actions">
        <SubmitButton form={form}>{t('workspace:courses.create')}</SubmitButton>
      </div>
    </form>
  );
}

export default function MyCourses() {
  useTitle(t('workspace:courses.title'));
  const [more, setMore] = useState<CourseView[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const { data, error } = useLoad(async () => {
    const page = await api<CoursePage>('GET', '/me/courses?limit=50');
    setMore([]);
    setCursor(page.nextCursor);
    return page.items;
  }, []);
  if (!who.value) {
    return (
      <div class="page narrow">
        <p>
          <a href={signInHref('/workspace/courses')}>{t('auth.needed')}</a>
        </p>
      </div>
    );
  }
  const next = async () => {
    const page = await api<CoursePage>('GET', `/me/courses?limit=50&cursor=${encodeURIComponent(cursor!)}`);
    setMore((m) => [...m, ...page.items]);
    setCursor(page.nextCursor);
  };
  const courses = [...(data ?? []), ...more];
  return (
    <div class="page ws-page">
      <h1>{t('workspace:courses.title')}</h1>
      <section aria-labelledby="new-course-heading">
        <h2 id="new-course-heading">{t('workspace:courses.create')}</h2>
        <NewCourse />
      </section>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {!data && error === null && <p role="status">{t('workspace:courses.loading')}</p>}
      {data && courses.length === 0 && <p>{t('workspace:courses.empty')}</p>}
      <ul class="ws-list" data-testid="my-courses">
        {courses.map((c) => (
          <li key={c.id} class="ws-item" data-testid="my-course" data-id={c.id}>
            <div>
              <a class="seminar-title" href={`/workspace/courses/${c.id}`} data-testid="open-builder">
                {c.title}
              </a>{' '}
              <span class={`badge ${c.published ? 'scheduled' : 'draft'}`}>
                {c.published ? t('workspace:courses.published') : t('workspace:courses.draft')}
              </span>
            </div>
            <div class="muted">
              {c.track} · {t('workspace:courses.lessons', { count: lessonCount(c.modules) })} ·{' '}
              <a href={`/workspace/courses/${c.id}/certificates`} data-testid="course-certificates-link">
                {t('workspace:courses.certificates')}
              </a>
            </div>
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" onClick={() => void next().catch((err: unknown) => toast(errorText(err)))}>
          {t('workspace:courses.more')}
        </button>
      )}
    </div>
  );
}
