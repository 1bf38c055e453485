import { useLocation } from 'preact-iso';
import { t } from './i18n';

// The header's search box: one field that opens /search?q=… (the results page has a box of
// its own, filled in). A plain GET form, so it works before the app's code has loaded too.

export function SearchBox() {
  const { path, query, route } = useLocation();
  const current = path === '/search' ? (query.q ?? '') : '';
  return (
    <form
      role="search"
      class="search-box"
      action="/search"
      method="get"
      aria-label={t('search.label')}
      onSubmit={(e) => {
        e.preventDefault();
        const q = new FormData(e.currentTarget).get('q');
        const words = typeof q === 'string' ? q.trim() : '';
        // On a phone the field is hidden: the button opens the results page and its own box.
        route(words ? `/search?q=${encodeURIComponent(words)}` : '/search');
      }}
    >
      <input
        type="search"
        name="q"
        key={current}
        defaultValue={current}
        maxLength={200}
        placeholder={t('search.placeholder')}
        aria-label={t('search.label')}
        data-testid="header-search"
      />
      <button type="submit" data-testid="header-search-submit">
        {/* On a phone only the magnifier shows; the word stays the button's name. */}
        <svg class="search-icon" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false">
          <circle cx="8.5" cy="8.5" r="5.5" fill="none" stroke="currentColor" stroke-width="2" />
          <path d="M12.5 12.5 L17 17" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
        </svg>
        <span class="search-label">{t('search.submit')}</span>
      </button>
    </form>
  );
}
