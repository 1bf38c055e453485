import type { CourseView } from '../../../../server/protocol/courses';
import { api } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';
import { signInHref, useTitle } from '../../kit/shell';
import { who } from '../../session';
import { useLoad } from './load';
import '../../styles/workspace.css';

// The courses whose analytics the reader may see: their own (a lecturer's), or all (an admin's).
// A seminar's analytics are reached from its row in My seminars.

async function myCourses(): Promise<CourseView[]> {
  const me = who.value;
  const out: CourseView[] = [];
  let cursor: string | null = null;
  // A lecturer's courses are tens; the pages are read to the end, bounded anyway.
  for (let pages = 0; pages < 20; pages++) {
    const page: { items: CourseView[]; nextCursor: string | null } = await api(
      'GET',
      `/courses?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    out.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return me?.roles.includes('admin') ? out : out.filter((c) => me?.userId && c.ownerIds.includes(me.userId));
}

export default function AnalyticsIndex() {
  useTitle(t('analytics:index.title'));
  const { data, error } = useLoad(myCourses, []);
  if (!who.value) {
    return (
      <div class="page narrow">
        <p>
          <a href={signInHref('/workspace/analytics')}>{t('auth.needed')}</a>
        </p>
      </div>
    );
  }
  return (
    <div class="page ws-page">
      <h1>{t('analytics:index.title')}</h1>
      <p>
        <a href="/workspace">{t('analytics:back')}</a>
      </p>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {!data && error === null && <p role="status">{t('analytics:loading')}</p>}
      {data?.length === 0 && <p>{t('analytics:index.empty')}</p>}
      {data && data.length > 0 && (
        <ul class="ws-list">
          {data.map((c) => (
            <li key={c.id} class="ws-item" data-testid="analytics-course">
              <a href={`/workspace/courses/${c.id}/analytics`}>{c.title}</a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
