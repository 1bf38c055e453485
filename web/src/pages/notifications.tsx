import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { NotificationView } from '../../../server/protocol/notifications';
import { api } from '../kit/api';
import { ActionButton } from '../kit/button';
import { errorText } from '../kit/errors';
import { dateTime } from '../kit/format';
import { t } from '../kit/i18n';
import { refreshUnread, unreadCount } from '../kit/notifications-badge';
import { signInHref, useTitle } from '../kit/shell';
import { toast } from '../kit/toast';
import { who } from '../session';
import '../styles/portal.css';

// The inbox: reminders, "live now", cancellations and waitlist promotions, newest first,
// as the outbox delivered them (their title and text are written in the language of the
// reader's profile). Opening one's seminar, or "mark read", marks it read; the header's
// count follows.

interface NotificationPage {
  items: NotificationView[];
  nextCursor: string | null;
}

const PAGE_SIZE = 20;

function Item({ n, read }: { n: NotificationView; read: (id: string) => Promise<void> }) {
  const unread = n.readAt === null;
  return (
    <li class={`notification${unread ? ' unread' : ''}`} data-testid="notification" data-kind={n.kind} data-unread={unread}>
      <div class="notification-meta">
        <span class={`badge ${n.kind === 'live_now' ? 'live' : ''}`}>{t(`portal:notifications.kind.${n.kind}`)}</span>
        {unread && <span class="badge new">{t('portal:notifications.unread')}</span>}
        <time class="muted" dateTime={n.createdAt}>
          {dateTime(n.createdAt)}
        </time>
      </div>
      <h2 class="notification-title">{n.title}</h2>
      <p class="notification-body">{n.body}</p>
      <div class="links">
        <a
          href={n.seminarId ? `/seminars/${n.seminarId}` : '/workspace/webhooks'}
          onClick={() => void (unread ? read(n.id).catch(() => undefined) : undefined)}
        >
          {t('portal:notifications.open')}
        </a>
        {unread && (
          <ActionButton class="link" data-testid="mark-read" run={() => read(n.id)}>
            {t('portal:notifications.markRead')}
          </ActionButton>
        )}
      </div>
    </li>
  );
}

export default function Notifications() {
  const [items, setItems] = useState<NotificationView[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const { url } = useLocation();
  const userId = who.value?.userId ?? null;
  useTitle(t('portal:notifications.title'));
  useEffect(() => {
    if (!userId) return;
    let current = true;
    setItems(null);
    api<NotificationPage>('GET', `/me/notifications?limit=${PAGE_SIZE}`).then(
      (page) => {
        if (!current) return;
        setItems(page.items);
        setNext(page.nextCursor);
      },
      (err: unknown) => {
        if (!current) return;
        setItems([]);
        toast(errorText(err));
      },
    );
    return () => {
      current = false;
    };
  }, [userId]);

  if (!userId) {
    return (
      <div class="page narrow">
        <h1>{t('portal:notifications.title')}</h1>
        <p>
          <a href={signInHref(url)}>{t('auth.needed')}</a>
        </p>
      </div>
    );
  }

  const markLocally = (read: (n: NotificationView) => boolean) => {
    const at = new Date().toISOString();
    setItems((shown) => shown?.map((n) => (n.readAt === null && read(n) ? { ...n, readAt: at } : n)) ?? null);
  };
  const read = async (id: string) => {
    await api('POST', `/me/notifications/${encodeURIComponent(id)}/read`);
    markLocally((n) => n.id === id);
    await refreshUnread();
  };
  const readAll = async () => {
    await api('POST', '/me/notifications/read-all');
    markLocally(() => true);
    unreadCount.value = 0;
  };
  const more = async () => {
    if (!next) return;
    const page = await api<NotificationPage>('GET', `/me/notifications?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(next)}`);
    setItems((shown) => [...(shown ?? []), ...page.items]);
    setNext(page.nextCursor);
  };
  const anyUnread = (items ?? []).some((n) => n.readAt === null);

  return (
    <div class="page narrow inbox" data-testid="inbox">
      <div class="inbox-head">
        <h1>{t('portal:notifications.title')}</h1>
        {anyUnread && (
          <ActionButton class="link" data-testid="mark-all-read" run={readAll}>
            {t('portal:notifications.markAllRead')}
          </ActionButton>
        )}
      </div>
      {items === null ? (
        <p role="status">{t('portal:notifications.loading')}</p>
      ) : items.length === 0 ? (
        <p class="empty muted">{t('portal:notifications.empty')}</p>
      ) : (
        <ul class="notifications">
          {items.map((n) => (
            <Item key={n.id} n={n} read={read} />
          ))}
        </ul>
      )}
      {next && <ActionButton run={more}>{t('portal:notifications.more')}</ActionButton>}
    </div>
  );
}
