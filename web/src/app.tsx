import type { JSX } from 'preact';
import { ErrorBoundary, lazy, LocationProvider, Route, Router } from 'preact-iso';
// exec is the router's own path matcher, exported apart from the package's index.
import { exec } from 'preact-iso/router';
import { errorText } from './kit/errors';
import { loadNamespace, t } from './kit/i18n';
import { Shell, useTitle } from './kit/shell';
import { toast } from './kit/toast';
import type { Namespace } from './locales/resources';

// The single-page app: one router, each page a chunk of its own that loads with its
// area's texts. To add a page: a component under pages/ as the default export, and a
// line in `routes` with its path and namespace.

/** A page: the default export of a module under pages/, given the route's parameters as props. */
type Page = (props: { id: string; lessonId: string }) => JSX.Element;

/** A page's code and its area's texts, fetched together. */
function page(load: () => Promise<{ default: Page }>, ns: Namespace) {
  return lazy(() => Promise.all([load(), loadNamespace(ns)]).then(([m]) => m.default));
}

export const routes: Array<{ path: string; component: ReturnType<typeof page> }> = [
  { path: '/', component: page(() => import('./pages/home'), 'portal') },
  { path: '/seminars', component: page(() => import('./pages/seminars'), 'portal') },
  { path: '/seminars/:id', component: page(() => import('./pages/seminar'), 'portal') },
  { path: '/notifications', component: page(() => import('./pages/notifications'), 'portal') },
  { path: '/watch/:id', component: page(() => import('./pages/watch'), 'room') },
  { path: '/studio/:id', component: page(() => import('./pages/studio'), 'room') },
  { path: '/replay/:id', component: page(() => import('./pages/replay'), 'room') },
  { path: '/courses', component: page(() => import('./pages/courses'), 'learning') },
  { path: '/courses/:id', component: page(() => import('./pages/course'), 'learning') },
  { path: '/courses/:id/lessons/:lessonId', component: page(() => import('./pages/lesson'), 'learning') },
  { path: '/learning', component: page(() => import('./pages/learning'), 'learning') },
  { path: '/verify/:id', component: page(() => import('./pages/verify'), 'learning') },
  { path: '/knowledge', component: page(() => import('./pages/knowledge'), 'knowledge') },
  { path: '/knowledge/:id', component: page(() => import('./pages/article'), 'knowledge') },
  { path: '/search', component: page(() => import('./pages/search'), 'knowledge') },
  { path: '/workspace', component: page(() => import('./pages/workspace/seminars'), 'workspace') },
  { path: '/workspace/seminars/new', component: page(() => import('./pages/workspace/seminar-form'), 'workspace') },
  { path: '/workspace/seminars/:id', component: page(() => import('./pages/workspace/seminar-form'), 'workspace') },
  { path: '/workspace/seminars/:id/registrations', component: page(() => import('./pages/workspace/registrations'), 'workspace') },
  { path: '/workspace/recordings', component: page(() => import('./pages/workspace/recordings'), 'recordings') },
  { path: '/workspace/seminars/:id/analytics', component: page(() => import('./pages/workspace/seminar-analytics'), 'analytics') },
  { path: '/workspace/courses/:id/analytics', component: page(() => import('./pages/workspace/course-analytics'), 'analytics') },
  { path: '/workspace/analytics', component: page(() => import('./pages/workspace/analytics'), 'analytics') },
  { path: '/workspace/courses', component: page(() => import('./pages/workspace/courses'), 'workspace') },
  { path: '/workspace/courses/:id/certificates', component: page(() => import('./pages/workspace/course-certificates'), 'learning') },
  { path: '/workspace/courses/:id', component: page(() => import('./pages/workspace/course-builder'), 'workspace') },
  { path: '/workspace/uploads', component: page(() => import('./pages/workspace/uploads'), 'workspace') },
  { path: '/workspace/users', component: page(() => import('./pages/workspace/users'), 'workspace') },
  { path: '/workspace/users/:id', component: page(() => import('./pages/workspace/user'), 'workspace') },
  { path: '/workspace/webhooks', component: page(() => import('./pages/workspace/webhooks'), 'webhooks') },
  { path: '/workspace/profile', component: page(() => import('./pages/workspace/profile-editor'), 'people') },
  { path: '/workspace/profile/:id', component: page(() => import('./pages/workspace/profile-editor'), 'people') },
  { path: '/people/:id', component: page(() => import('./pages/person'), 'people') },
  { path: '/workspace/articles', component: page(() => import('./pages/workspace/articles'), 'knowledge') },
  { path: '/workspace/articles/new', component: page(() => import('./pages/workspace/article-form'), 'knowledge') },
  { path: '/workspace/articles/:id', component: page(() => import('./pages/workspace/article-form'), 'knowledge') },
  { path: '/sign-in', component: page(() => import('./pages/account/sign-in'), 'account') },
  { path: '/sign-in/oidc', component: page(() => import('./pages/account/oidc-callback'), 'account') },
  { path: '/sign-up', component: page(() => import('./pages/account/sign-up'), 'account') },
  { path: '/confirm-email', component: page(() => import('./pages/account/confirm-email'), 'account') },
  { path: '/forgot-password', component: page(() => import('./pages/account/forgot-password'), 'account') },
  { path: '/reset-password', component: page(() => import('./pages/account/reset-password'), 'account') },
  { path: '/profile', component: page(() => import('./pages/account/profile'), 'account') },
  { path: '/privacy', component: page(() => import('./pages/account/privacy'), 'account') },
  // The embed variants the centre's portal frames (kit/embed.tsx; server/http/security-headers.ts lets them be framed).
  { path: '/embed/watch/:id', component: page(() => import('./pages/watch'), 'room') },
  { path: '/embed/replay/:id', component: page(() => import('./pages/replay'), 'room') },
  { path: '/embed/sign-in', component: page(() => import('./pages/embed-sign-in'), 'account') },
];

/** Starts fetching the page for a path before the app first renders. */
export function preloadRoute(path: string): void {
  void routes.find((r) => exec(path, r.path))?.component.preload();
}

/**
 * The addresses of the former multi-page front end (/watch.html?seminar=X and the
 * like), as their new routes; null for any other address.
 */
export function legacyRedirect(loc: { pathname: string; search: string }): string | null {
  const legacy = /^\/(index|watch|studio|replay)\.html$/.exec(loc.pathname);
  if (!legacy) return null;
  const query = new URLSearchParams(loc.search);
  const seminar = query.get('seminar');
  query.delete('seminar');
  const rest = query.size > 0 ? `?${query.toString()}` : '';
  if (legacy[1] === 'index' || !seminar) return `/${rest}`;
  return `/${legacy[1]}/${encodeURIComponent(seminar)}${rest}`;
}

function NotFound() {
  useTitle(t('notFound.title'));
  return (
    <div class="page narrow">
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.text')}</p>
      <p>
        <a href="/">{t('notFound.home')}</a>
      </p>
    </div>
  );
}

/** After a client-side navigation, focus moves to the new page's content, as a page load would. */
function focusMain(): void {
  document.getElementById('main')?.focus({ preventScroll: true });
}

export function App() {
  return (
    <LocationProvider>
      <Shell>
        <ErrorBoundary onError={(err) => toast(errorText(err))}>
          <Router onRouteChange={focusMain}>
            {[
              ...routes.map((r) => <Route key={r.path} path={r.path} component={r.component} />),
              <Route key="404" default component={NotFound} />,
            ]}
          </Router>
        </ErrorBoundary>
      </Shell>
    </LocationProvider>
  );
}
