import { useState } from 'preact/hooks';
import type { WebhookAttemptView } from '../../../../server/protocol/webhooks';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { dateTime } from '../../kit/format';
import { t } from '../../kit/i18n';
import { useLoad } from './load';
import { eventName } from './webhook-form';

// One endpoint's delivery log: each attempt, newest first, with its answer and how long it took.

type Page = { items: WebhookAttemptView[]; nextCursor: string | null };

export function WebhookLog({ endpointId, round }: { endpointId: string; round: number }) {
  const path = (cursor?: string) => `/webhooks/${endpointId}/deliveries?limit=20${cursor ? `&cursor=${cursor}` : ''}`;
  const { data, error, reload } = useLoad(() => api<Page>('GET', path()), [endpointId, round]);
  const [more, setMore] = useState<Page[]>([]);
  const pages = data ? [data, ...more] : [];
  const attempts = pages.flatMap((p) => p.items);
  const next = pages[pages.length - 1]?.nextCursor ?? null;
  return (
    <section class="webhook-log" aria-label={t('webhooks:log')} data-testid="webhook-log">
      <div class="ws-head">
        <h3>{t('webhooks:log')}</h3>
        <button
          type="button"
          onClick={() => {
            setMore([]);
            reload();
          }}
        >
          {t('webhooks:refresh')}
        </button>
      </div>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {data === null && error === null && <p class="muted">{t('webhooks:loading')}</p>}
      {data && attempts.length === 0 && <p class="muted">{t('webhooks:logEmpty')}</p>}
      <ul class="ws-list">
        {attempts.map((a) => (
          <li key={a.id} class="ws-item" data-testid="webhook-attempt" data-ok={a.ok} data-event={a.eventType}>
            <div class="ws-actions">
              <span class={`badge ${a.ok ? '' : 'cancelled'}`}>{a.ok ? t('webhooks:ok') : t('webhooks:failed')}</span>
              <strong>{eventName(a.eventType)}</strong>
              <span class="muted">{t('webhooks:attempt', { n: a.attempt })}</span>
            </div>
            <div class="muted">
              <time dateTime={a.at}>{dateTime(a.at)}</time> · {a.statusCode === null ? t('webhooks:noAnswer') : `HTTP ${a.statusCode}`} ·{' '}
              {t('webhooks:duration', { ms: a.durationMs })}
            </div>
            {a.error && <div class="muted">{a.error}</div>}
            <code class="muted webhook-id">{a.messageId}</code>
          </li>
        ))}
      </ul>
      {next && (
        <ActionButton
          run={async () => {
            const page = await api<Page>('GET', path(next));
            setMore((m) => [...m, page]);
          }}
        >
          {t('webhooks:more')}
        </ActionButton>
      )}
    </section>
  );
}
