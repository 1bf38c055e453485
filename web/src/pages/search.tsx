import { useLocation } from 'preact-iso';
import { SEARCH_QUERY_MAX, type SearchResultView, type SearchView } from '../../../server/protocol/search';
import { api } from '../kit/api';
import { errorText } from '../kit/errors';
import { dateTime } from '../kit/format';
import { t } from '../kit/i18n';
import { useTitle } from '../kit/shell';
import { useLoad } from './workspace/load';
import '../styles/knowledge.css';

// Search results: everything the reader may see that matches every word of the query, in
// any of its forms (the server stems Russian and English words), best first.

const LIMIT = 30;

export default function SearchPage() {
  const { query, route } = useLocation();
  const q = (query.q ?? '').trim().slice(0, SEARCH_QUERY_MAX);
  useTitle(q ? t('knowledge:search.titleFor', { q }) : t('knowledge:search.title'));
  const { data, error } = useLoad(
    () => (q ? api<SearchView>('GET', `/search?q=${encodeURIComponent(q)}&limit=${LIMIT}`) : Promise.resolve(null)),
    [q],
  );
  const current = data && data.query === q ? data : null;
  return (
    <div class="page kb-page" data-testid="search-page">
      <h1>{t('knowledge:search.title')}</h1>
      <form
        role="search"
        aria-label={t('knowledge:search.title')}
        class="kb-search"
        onSubmit={(e) => {
          e.preventDefault();
          const value = new FormData(e.currentTarget).get('q');
          const words = typeof value === 'string' ? value.trim() : '';
          if (words) route(`/search?q=${encodeURIComponent(words)}`);
        }}
      >
        <label for="search-q">{t('knowledge:search.label')}</label>
        <div class="kb-search-row">
          <input id="search-q" type="search" name="q" key={q} defaultValue={q} maxLength={SEARCH_QUERY_MAX} data-testid="search-input" />
          <button type="submit" class="primary">
            {t('knowledge:search.submit')}
          </button>
        </div>
      </form>
      {!q && <p class="muted">{t('knowledge:search.hint')}</p>}
      {q && error !== null && <p role="alert">{errorText(error)}</p>}
      {q && !current && error === null && <p role="status">{t('knowledge:search.loading')}</p>}
      {current && (
        <>
          <p role="status" data-testid="search-summary">
            {current.total === 0
              ? t('knowledge:search.none', { q })
              : t('knowledge:search.found', { count: current.total }) +
                (current.total > current.results.length ? ` (${t('knowledge:search.shown', { count: current.results.length })})` : '')}
          </p>
          <ul class="kb-results" data-testid="search-results">
            {current.results.map((r) => (
              <Result key={`${r.kind}:${r.id}`} result={r} />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

function Result({ result: r }: { result: SearchResultView }) {
  return (
    <li class="kb-result" data-testid="search-result" data-kind={r.kind} data-id={r.id}>
      <span class="badge">{t(`knowledge:search.kinds.${r.kind}`)}</span>
      <h2>
        <a href={r.url}>{r.title}</a>
      </h2>
      {(r.context || r.at) && (
        <p class="muted">
          {r.context && t('knowledge:search.inCourse', { title: r.context })}
          {r.kind === 'seminar' && r.at && dateTime(r.at, r.timeZone ?? undefined)}
        </p>
      )}
      {r.snippet && <p>{r.snippet}</p>}
    </li>
  );
}
