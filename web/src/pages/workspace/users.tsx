import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { AdminUserView } from '../../../../server/protocol/workspace';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { text } from '../../kit/form';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { useLoad } from './load';
import '../../styles/workspace.css';

// The admin's user list: search by name or e-mail, filter by role, newest first,
// a page at a time. The search is in the address (?q=&role=), so it survives a reload.

type Page = { items: AdminUserView[]; nextCursor: string | null };
const ROLES = ['admin', 'lecturer', 'learner'] as const;

function listPath(q: string, role: string, cursor?: string): string {
  const params = new URLSearchParams({ limit: '25' });
  if (q) params.set('q', q);
  if (role) params.set('role', role);
  if (cursor) params.set('cursor', cursor);
  return `/users?${params.toString()}`;
}

export default function Users() {
  const { query, route } = useLocation();
  const q = (query.q ?? '').slice(0, 100);
  const role = ROLES.find((r) => r === query.role) ?? '';
  useTitle(t('workspace:users.title'));
  const { data, error } = useLoad(() => api<Page>('GET', listPath(q, role)), [q, role]);
  const [more, setMore] = useState<{ key: string; pages: Page[] }>({ key: '', pages: [] });
  const key = `${q}|${role}`;
  const pages = data ? [data, ...(more.key === key ? more.pages : [])] : [];
  const users = pages.flatMap((p) => p.items);
  const next = pages[pages.length - 1]?.nextCursor ?? null;
  return (
    <div class="page ws-page">
      <h1>{t('workspace:users.title')}</h1>
      <form
        role="search"
        class="ws-actions"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          const params = new URLSearchParams();
          const nq = text(data, 'q').trim();
          const nr = text(data, 'role');
          if (nq) params.set('q', nq);
          if (nr) params.set('role', nr);
          route(`/workspace/users${params.size ? `?${params.toString()}` : ''}`);
        }}
      >
        <div class="field">
          <label for="users-q">{t('workspace:users.search')}</label>
          <input id="users-q" name="q" type="search" maxLength={100} defaultValue={q} data-testid="user-search" />
        </div>
        <div class="field">
          <label for="users-role">{t('workspace:users.role')}</label>
          <select id="users-role" name="role">
            <option value="" selected={role === ''}>
              {t('workspace:users.anyRole')}
            </option>
            {ROLES.map((r) => (
              <option key={r} value={r} selected={role === r}>
                {t(`workspace:users.roles.${r}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="primary">
          {t('workspace:users.find')}
        </button>
      </form>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {data && users.length === 0 && <p>{t('workspace:users.empty')}</p>}
      <ul class="ws-list" data-testid="users">
        {users.map((u) => (
          <li key={u.id} class="ws-item" data-testid="user" data-id={u.id}>
            <div>
              <a href={`/workspace/users/${u.id}`}>{u.displayName}</a>
              {u.disabled && <span class="badge cancelled"> {t('workspace:users.disabled')}</span>}
            </div>
            <div class="muted">
              {u.email} · {u.roles.map((r) => t(`workspace:users.roles.${r}`)).join(', ')}
            </div>
          </li>
        ))}
      </ul>
      {next && (
        <ActionButton
          run={async () => {
            const page = await api<Page>('GET', listPath(q, role, next));
            setMore((m) => ({ key, pages: [...(m.key === key ? m.pages : []), page] }));
          }}
        >
          {t('workspace:users.more')}
        </ActionButton>
      )}
    </div>
  );
}
