import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { signOut, who } from '../session';
import { EmbedShell, embedSignInHref, isEmbedPath } from './embed';
import { t } from './i18n';
import { LanguageToggle } from './language-toggle';
import { NotificationsLink } from './notifications-badge';
import { SearchBox } from './search-box';
import { Announcements } from './toast';
import { isWorkspacePath, WorkspaceNav } from './workspace-nav';

// The frame around every route: a skip link, the header (app name, navigation,
// the inbox link with its unread count, who is signed in, the language toggle), the
// main landmark the routes render into, and the announcement regions.

/** Sets the document's title while a page is shown: "<page> — Лектерн". */
export function useTitle(title: string | undefined): void {
  const app = t('app.name');
  useEffect(() => {
    document.title = title ? `${title} — ${app}` : app;
  }, [title, app]);
}

/** A path with its query, to come back to after signing in. */
export function signInHref(back: string): string {
  // The full sign-in page refuses framing: an embed page signs in with a form that may show in the frame.
  if (isEmbedPath(back)) return embedSignInHref(back);
  return `/sign-in?next=${encodeURIComponent(back)}`;
}

function Account() {
  const { path, url, route } = useLocation();
  const me = who.value;
  if (!me) {
    // The sign-in page needs no link to itself.
    return path === '/sign-in' ? null : <a href={signInHref(url)}>{t('auth.signIn')}</a>;
  }
  const name = me.displayName;
  return (
    <div class="account">
      <a href="/profile" class="account-name" title={name ? t('auth.signedInAs', { name }) : undefined} data-testid="profile-link">
        {name ?? t('nav.profile')}
      </a>
      <button
        type="button"
        class="link"
        data-testid="sign-out"
        onClick={() => {
          void signOut().then(() => {
            if (path !== '/') route('/');
          });
        }}
      >
        {t('auth.signOut')}
      </button>
    </div>
  );
}

export function Shell({ children }: { children: ComponentChildren }) {
  const { path } = useLocation();
  if (isEmbedPath(path)) return <EmbedShell>{children}</EmbedShell>;
  return (
    <div class="app">
      <a class="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header class="app-header">
        <a class="brand" href="/">
          {t('app.name')}
        </a>
        <nav aria-label={t('nav.main')} class="app-nav">
          <a href="/seminars" aria-current={path === '/seminars' ? 'page' : undefined}>
            {t('nav.seminars')}
          </a>
          <a href="/courses" aria-current={path === '/courses' ? 'page' : undefined}>
            {t('nav.courses')}
          </a>
          <a href="/knowledge" aria-current={path.startsWith('/knowledge') ? 'page' : undefined}>
            {t('nav.knowledge')}
          </a>
          {who.value && (
            <a href="/learning" aria-current={path === '/learning' ? 'page' : undefined}>
              {t('nav.learning')}
            </a>
          )}
          {/* From the token's roles: a role granted shows here after the next token refresh. */}
          {(who.value?.roles.includes('lecturer') || who.value?.roles.includes('admin')) && (
            <a href="/workspace" data-testid="nav-workspace" aria-current={isWorkspacePath(path) ? 'page' : undefined}>
              {t('nav.workspaceHome')}
            </a>
          )}
        </nav>
        <SearchBox />
        <span class="spacer" />
        <NotificationsLink />
        <Account />
        <LanguageToggle />
      </header>
      <WorkspaceNav />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <Announcements />
    </div>
  );
}
