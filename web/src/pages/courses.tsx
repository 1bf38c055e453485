import { useEffect, useState } from 'preact/hooks';
import { api } from '../kit/api';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { useTitle } from '../kit/shell';
import { lessonCount, type Course } from './learning/links';
import '../styles/learning.css';

// The course catalogue: published courses (and, for their lecturers, their drafts), a page at a time.

export default function Courses() {
  const [courses, setCourses] = useState<Course[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useTitle(t('learning:catalogue.title'));

  const load = async (after: string | null) => {
    try {
      const page = await api<{ items: Course[]; nextCursor: string | null }>(
        'GET',
        `/courses?limit=24${after ? `&cursor=${encodeURIComponent(after)}` : ''}`,
      );
      setCourses((prev) => [...(after ? (prev ?? []) : []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void load(null), []);

  return (
    <div class="page learning-page" data-testid="courses-page">
      <h1>{t('learning:catalogue.title')}</h1>
      <p class="muted">{t('learning:catalogue.intro')}</p>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {courses === null && error === null && <p role="status">{t('learning:catalogue.loading')}</p>}
      {courses !== null && (
        <ul class="course-cards" data-testid="course-list">
          {courses.length === 0 && <li class="empty">{t('learning:catalogue.empty')}</li>}
          {courses.map((c) => (
            <li key={c.id} class="course-card" data-testid="course-card">
              <h2>
                <a href={`/courses/${c.id}`}>{c.title}</a>
              </h2>
              <p class="muted">
                {t('learning:catalogue.track', { track: c.track })} · {t('learning:catalogue.lessons', { count: lessonCount(c) })}
              </p>
              {c.description && <p class="description">{c.description}</p>}
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          {t('learning:catalogue.more')}
        </button>
      )}
    </div>
  );
}
