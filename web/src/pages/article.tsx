import DOMPurify from 'dompurify';
import type { ArticleView } from '../../../server/protocol/articles';
import { api } from '../kit/api';
import { dateTime } from '../kit/format';
import { t } from '../kit/i18n';
import { LoadFailed, Loading } from '../kit/load-states';
import { useTitle } from '../kit/shell';
import { who } from '../session';
import { ArticleTags } from './knowledge';
import { useLoad } from './workspace/load';
import '../styles/knowledge.css';

// One knowledge-base article: its Markdown as the server rendered it (raw HTML off),
// sanitized again here, with the seminars and courses it links to.

export default function ArticlePage({ id }: { id: string }) {
  const { data: article, error } = useLoad(() => api<ArticleView>('GET', `/articles/${encodeURIComponent(id)}`), [id]);
  useTitle(article?.title);
  if (error) return <LoadFailed error={error} back={{ href: '/knowledge', label: t('knowledge:article.back') }} />;
  if (!article || article.id !== id) return <Loading text={t('knowledge:article.loading')} />;
  const staff = who.value?.roles.some((r) => r === 'lecturer' || r === 'admin');
  return (
    <article class="page narrow kb-article" data-testid="article-page" data-id={article.id}>
      <p class="muted">
        <a href="/knowledge">{t('knowledge:article.back')}</a>
      </p>
      <h1>{article.title}</h1>
      {article.status === 'draft' ? (
        <p class="badge">{t('knowledge:article.draft')}</p>
      ) : (
        article.publishedAt && <p class="muted">{t('knowledge:article.published', { date: dateTime(article.publishedAt) })}</p>
      )}
      <ArticleTags track={article.track} tags={article.tags} />
      {article.summary && <p class="kb-summary">{article.summary}</p>}
      {/* The server rendered it with raw HTML off; DOMPurify is the second lock. */}
      <div class="lesson-body" data-testid="article-body" dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(article.html) }} />
      {article.seminars.length > 0 && (
        <section aria-labelledby="kb-seminars">
          <h2 id="kb-seminars">{t('knowledge:article.seminars')}</h2>
          <ul data-testid="article-seminars">
            {article.seminars.map((s) => (
              <li key={s.id}>
                <a href={`/seminars/${s.id}`}>{s.title}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
      {article.courses.length > 0 && (
        <section aria-labelledby="kb-courses">
          <h2 id="kb-courses">{t('knowledge:article.courses')}</h2>
          <ul data-testid="article-courses">
            {article.courses.map((c) => (
              <li key={c.id}>
                <a href={`/courses/${c.id}`}>{c.title}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
      {staff && (
        <p>
          <a href={`/workspace/articles/${article.id}`} data-testid="article-edit">
            {t('knowledge:article.edit')}
          </a>
        </p>
      )}
    </article>
  );
}
