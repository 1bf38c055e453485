import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { signOut, who } from '../session';
import { t } from './i18n';
import { LanguageToggle } from './language-toggle';
import { Announcements } from './toast';
import '../styles/embed.css';

// The compact frame of the embed pages (/embed/watch/:id, /embed/replay/:id,
// /embed/sign-in) that the centre's portal shows in an <iframe>: no portal
// navigation (its pages refuse framing), a link that opens the full page on
// Lectern in a new tab, who is signed in, and the language toggle.

const PREFIX = '/embed';

/** Whether a path is one of the embed pages. */
export function isEmbedPath(path: string): boolean {
  return path.startsWith(`${PREFIX}/`);
}

/** A link to a Lectern page that keeps an embedded page inside its frame: /replay/X becomes /embed/replay/X there. */
export function stayEmbedded(current: string, href: string): string {
  return isEmbedPath(current) ? `${PREFIX}${href}` : href;
}

/** The sign-in form that may show inside the frame, coming back to `back` (an embed page). */
export function embedSignInHref(back: string): string {
  return `${PREFIX}/sign-in?next=${encodeURIComponent(back)}`;
}

/** The full page behind an embed page: /embed/watch/X?lang=en is /watch/X?lang=en; the sign-in form's is the page it returns to. */
function fullPage(path: string, url: string, next: string | undefined): string {
  if (path === `${PREFIX}/sign-in`) return next && isEmbedPath(next) ? next.slice(PREFIX.length) : '/';
  return url.slice(PREFIX.length);
}

function Account() {
  const { path, url } = useLocation();
  const me = who.value;
  if (!me) return path === `${PREFIX}/sign-in` ? null : <a href={embedSignInHref(url)}>{t('auth.signIn')}</a>;
  return (
    <div class="account">
      <span class="account-name" data-testid="embed-user">
        {me.displayName ?? ''}
      </span>
      <button type="button" class="link" data-testid="sign-out" onClick={() => void signOut()}>
        {t('auth.signOut')}
      </button>
    </div>
  );
}

export function EmbedShell({ children }: { children: ComponentChildren }) {
  const { path, url, query } = useLocation();
  return (
    <div class="app embed">
      <a class="skip-link" href="#main">
        {t('nav.skip')}
      </a>
      <header class="app-header embed-header">
        <a class="brand" href={fullPage(path, url, query.next)} target="_blank" rel="noopener" data-testid="open-on-lectern">
          {t('embed.open')}
          <span class="visually-hidden"> {t('embed.newTab')}</span>
        </a>
        <span class="spacer" />
        <Account />
        <LanguageToggle />
      </header>
      {/* Keyed by who is signed in: the room reconnects with the new session after signing in or out. */}
      <main id="main" tabIndex={-1} key={who.value?.userId ?? 'signed-out'}>
        {children}
      </main>
      <Announcements />
    </div>
  );
}
