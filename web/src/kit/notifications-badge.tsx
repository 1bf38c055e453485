import { signal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { UNREAD_COUNT_CAP, unreadCountView } from '../../../server/protocol/notifications';
import { who } from '../session';
import { apiParsed } from './api';
import { t } from './i18n';

// The header's link to the inbox, with the number of unread notifications. The count is
// asked on every page change, when the tab comes back into view, and once a minute; the
// inbox page sets it directly when it marks something read.

/** Unread notifications of the signed-in user; null until known (or signed out). */
export const unreadCount = signal<number | null>(null);

const EVERY_MS = 60_000;

/** Asks the server again; a failure keeps the last count (the badge is a hint, not a record). */
export async function refreshUnread(): Promise<void> {
  if (!who.value) {
    unreadCount.value = null;
    return;
  }
  try {
    unreadCount.value = (await apiParsed(unreadCountView, 'GET', '/me/notifications/unread-count')).count;
  } catch {
    // Offline, rate-limited or without the grant: no new number.
  }
}

export function NotificationsLink() {
  const { path } = useLocation();
  const userId = who.value?.userId ?? null;
  useEffect(() => {
    void refreshUnread();
  }, [path, userId]);
  useEffect(() => {
    if (!userId) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refreshUnread();
    }, EVERY_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') void refreshUnread();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [userId]);
  if (!userId) return null;
  const count = unreadCount.value ?? 0;
  const shown = count >= UNREAD_COUNT_CAP ? `${UNREAD_COUNT_CAP - 1}+` : String(count);
  return (
    <a
      href="/notifications"
      class="notifications-link"
      data-testid="notifications-link"
      aria-current={path === '/notifications' ? 'page' : undefined}
    >
      {/* On a phone the bell stands for the word, which stays for screen readers. */}
      <svg class="bell" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
        <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
      </svg>
      <span class="nav-label">{t('nav.notifications')}</span>
      {count > 0 && (
        <>
          {' '}
          <span class="unread-badge" data-testid="unread-count" aria-hidden="true">
            {shown}
          </span>
          <span class="visually-hidden">({t('nav.unread', { count })})</span>
        </>
      )}
    </a>
  );
}
