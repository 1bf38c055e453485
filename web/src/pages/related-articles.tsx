import type { ArticleSummaryView } from '../../../server/protocol/articles';
import { api } from '../kit/api';
import { t } from '../kit/i18n';
import { useLoad } from './workspace/load';

// "Related articles" on a seminar's or a course's page: the published articles that link
// to it, briefly (titles only); nothing at all when there are none, or they cannot be read.

export function RelatedArticles({ seminarId, courseId }: { seminarId?: string; courseId?: string }) {
  const filter = seminarId ? `seminarId=${encodeURIComponent(seminarId)}` : `courseId=${encodeURIComponent(courseId ?? '')}`;
  const { data } = useLoad(() => api<{ items: ArticleSummaryView[] }>('GET', `/articles?${filter}&limit=5`), [filter]);
  if (!data || data.items.length === 0) return null;
  return (
    <section class="related-articles" aria-labelledby="related-articles" data-testid="related-articles">
      <h2 id="related-articles">{t('related.articles')}</h2>
      <ul>
        {data.items.map((a) => (
          <li key={a.id}>
            <a href={`/knowledge/${a.id}`}>{a.title}</a>
          </li>
        ))}
      </ul>
    </section>
  );
}
