import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { ArticleSummaryView } from '../../../server/protocol/articles';
import { api } from '../kit/api';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { useTitle } from '../kit/shell';
import '../styles/knowledge.css';

// The knowledge base: published articles, newest first, narrowed by track and tag
// (?track=…&tag=…, so a filtered list can be linked to).

type ArticlePage = { items: ArticleSummaryView[]; nextCursor: string | null };

export default function Knowledge() {
  const { query, route } = useLocation();
  const track = (query.track ?? '').trim().slice(0, 80);
  const tag = (query.tag ?? '').trim().toLowerCase().slice(0, 40);
  const [articles, setArticles] = useState<ArticleSummaryView[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useTitle(t('knowledge:list.title'));

  const load = async (after: string | null) => {
    const params = new URLSearchParams({ limit: '20' });
    if (track.length >= 2) params.set('track', track);
    if (tag.length >= 2) params.set('tag', tag);
    if (after) params.set('cursor', after);
    try {
      const page = await api<ArticlePage>('GET', `/articles?${params.toString()}`);
      setArticles((prev) => [...(after ? (prev ?? []) : []), ...page.items]);
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    setArticles(null);
    void load(null);
  }, [track, tag]);

  const filtered = [track, tag].filter(Boolean).join(', ');
  return (
    <div class="page kb-page" data-testid="knowledge-page">
      <h1>{t('knowledge:list.title')}</h1>
      <p class="muted">{t('knowledge:list.intro')}</p>
      <form
        class="kb-filters"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          const params = new URLSearchParams();
          for (const name of ['track', 'tag']) {
            const v = data.get(name);
            if (typeof v === 'string' && v.trim()) params.set(name, v.trim());
          }
          route(params.size ? `/knowledge?${params.toString()}` : '/knowledge');
        }}
      >
        <div class="field">
          <label for="kb-track">{t('knowledge:list.track')}</label>
          <input id="kb-track" name="track" key={track} defaultValue={track} maxLength={80} />
        </div>
        <div class="field">
          <label for="kb-tag">{t('knowledge:list.tag')}</label>
          <input id="kb-tag" name="tag" key={tag} defaultValue={tag} maxLength={40} />
        </div>
        <div class="kb-filter-actions">
          <button type="submit">{t('knowledge:list.filter')}</button>
          {filtered && <a href="/knowledge">{t('knowledge:list.reset')}</a>}
        </div>
      </form>
      {filtered && <p role="status">{t('knowledge:list.filtered', { what: filtered })}</p>}
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {articles === null && error === null && <p role="status">{t('knowledge:list.loading')}</p>}
      {articles !== null && (
        <ul class="kb-results" data-testid="article-list">
          {articles.length === 0 && <li class="empty">{filtered ? t('knowledge:list.emptyFiltered') : t('knowledge:list.empty')}</li>}
          {articles.map((a) => (
            <li key={a.id} class="kb-result" data-testid="article-card">
              <h2>
                <a href={`/knowledge/${a.id}`}>{a.title}</a>
              </h2>
              {a.summary && <p>{a.summary}</p>}
              <ArticleTags track={a.track} tags={a.tags} />
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          {t('knowledge:list.more')}
        </button>
      )}
    </div>
  );
}

/** The article's track and tags, each a link to the list narrowed by it. */
export function ArticleTags({ track, tags }: { track: string; tags: string[] }) {
  return (
    <p class="kb-tags">
      <a href={`/knowledge?track=${encodeURIComponent(track)}`} class="kb-track">
        {t('knowledge:article.track', { track })}
      </a>
      {tags.map((tag) => (
        <a key={tag} href={`/knowledge?tag=${encodeURIComponent(tag)}`} class="kb-tag">
          #{tag}
        </a>
      ))}
    </p>
  );
}
