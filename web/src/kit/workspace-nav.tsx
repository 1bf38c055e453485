import { useEffect, useRef } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { who } from '../session';
import { t } from './i18n';

// The workspace's own sections, under the header on /workspace pages only: the
// header keeps one "Workspace" link, so a phone's header stays one or two lines
// however many sections the workspace grows.

interface Section {
  href: string;
  label: string;
  testId: string;
  /** Whether the section is the current page (a section owns its sub-pages). */
  current: (path: string) => boolean;
  adminOnly?: boolean;
}

const sections = (): Section[] => [
  {
    href: '/workspace',
    label: t('nav.workspace'),
    testId: 'nav-seminars-mine',
    current: (p) => p === '/workspace' || (p.startsWith('/workspace/seminars/') && !p.endsWith('/analytics')),
  },
  {
    href: '/workspace/courses',
    label: t('nav.myCourses'),
    testId: 'nav-courses',
    current: (p) => /^\/workspace\/courses(\/[^/]+)?$/.test(p),
  },
  { href: '/workspace/recordings', label: t('nav.recordings'), testId: 'nav-recordings', current: (p) => p === '/workspace/recordings' },
  { href: '/workspace/uploads', label: t('nav.uploads'), testId: 'nav-uploads', current: (p) => p === '/workspace/uploads' },
  { href: '/workspace/profile', label: t('nav.profilePage'), testId: 'nav-profile', current: (p) => p.startsWith('/workspace/profile') },
  {
    href: '/workspace/articles',
    label: t('nav.articles'),
    testId: 'nav-articles',
    current: (p) => p.startsWith('/workspace/articles'),
  },
  { href: '/workspace/analytics', label: t('nav.analytics'), testId: 'nav-analytics', current: (p) => p.endsWith('/analytics') },
  {
    href: '/workspace/users',
    label: t('nav.users'),
    testId: 'nav-users',
    current: (p) => p.startsWith('/workspace/users'),
    adminOnly: true,
  },
  {
    href: '/workspace/webhooks',
    label: t('nav.webhooks'),
    testId: 'nav-webhooks',
    current: (p) => p === '/workspace/webhooks',
    adminOnly: true,
  },
];

export function isWorkspacePath(path: string): boolean {
  return path === '/workspace' || path.startsWith('/workspace/');
}

export function WorkspaceNav() {
  const { path } = useLocation();
  const roles = who.value?.roles ?? [];
  const nav = useRef<HTMLElement>(null);
  // On a phone the sections scroll sideways: the current one is brought into view.
  useEffect(() => {
    const el = nav.current;
    const current = el?.querySelector<HTMLElement>('[aria-current=page]');
    if (el && current && el.scrollWidth > el.clientWidth) el.scrollLeft = current.offsetLeft - el.offsetLeft - 12;
  }, [path]);
  if (!isWorkspacePath(path) || !(roles.includes('lecturer') || roles.includes('admin'))) return null;
  return (
    <nav ref={nav} aria-label={t('nav.workspaceSections')} class="workspace-nav" data-testid="workspace-nav">
      {sections()
        .filter((s) => !s.adminOnly || roles.includes('admin'))
        .map((s) => (
          <a key={s.href} href={s.href} data-testid={s.testId} aria-current={s.current(path) ? 'page' : undefined}>
            {s.label}
          </a>
        ))}
    </nav>
  );
}
