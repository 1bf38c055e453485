import { useState } from 'preact/hooks';
import type { CreatedWebhookView, WebhookEndpointView } from '../../../../server/protocol/webhooks';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { useLoad } from './load';
import { eventName, WebhookForm } from './webhook-form';
import { WebhookLog } from './webhook-log';
import '../../styles/workspace.css';

// The admin's webhooks: endpoints the centre's portal and CRM listen at. A secret is
// shown once, when it is made (creation, rotation), and never fetched again.

export default function Webhooks() {
  useTitle(t('webhooks:title'));
  const { data, error, reload } = useLoad(() => api<WebhookEndpointView[]>('GET', '/webhooks'), []);
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<{ endpointId: string; url: string; secret: string } | null>(null);
  return (
    <div class="page ws-page">
      <div class="ws-head">
        <h1>{t('webhooks:title')}</h1>
        {!adding && (
          <button type="button" class="primary" data-testid="webhook-add" onClick={() => setAdding(true)}>
            {t('webhooks:add')}
          </button>
        )}
      </div>
      <p class="muted">{t('webhooks:intro')}</p>
      {secret && <SecretOnce {...secret} onDone={() => setSecret(null)} />}
      {adding && (
        <section aria-label={t('webhooks:add')}>
          <h2>{t('webhooks:add')}</h2>
          <WebhookForm
            submitLabel={t('webhooks:create')}
            onCancel={() => setAdding(false)}
            onSubmit={async (fields) => {
              const created = await api<CreatedWebhookView>('POST', '/webhooks', fields);
              setAdding(false);
              setSecret({ endpointId: created.id, url: created.url, secret: created.secret });
              reload();
            }}
          />
        </section>
      )}
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {data === null && error === null && <p class="muted">{t('webhooks:loading')}</p>}
      {data && data.length === 0 && !adding && <p>{t('webhooks:empty')}</p>}
      <ul class="ws-list" data-testid="webhooks">
        {(data ?? []).map((e) => (
          <Endpoint key={e.id} endpoint={e} changed={reload} rotated={(s) => setSecret({ endpointId: e.id, url: e.url, secret: s })} />
        ))}
      </ul>
    </div>
  );
}

function SecretOnce({ url, secret, onDone }: { url: string; secret: string; onDone: () => void }) {
  return (
    <section class="ws-item webhook-secret" role="status" aria-labelledby="webhook-secret-title" data-testid="webhook-secret">
      <h2 id="webhook-secret-title">{t('webhooks:secretTitle')}</h2>
      <p class="muted">{url}</p>
      <p>{t('webhooks:secretOnce')}</p>
      <code data-testid="webhook-secret-value">{secret}</code>
      <div>
        <button type="button" class="primary" onClick={onDone} data-testid="webhook-secret-done">
          {t('webhooks:secretDone')}
        </button>
      </div>
    </section>
  );
}

function Endpoint({
  endpoint: e,
  changed,
  rotated,
}: {
  endpoint: WebhookEndpointView;
  changed: () => void;
  rotated: (secret: string) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [showLog, setShowLog] = useState(false);
  const [round, setRound] = useState(0);
  const status = e.enabled ? t('webhooks:on') : e.disabledReason === 'failing' ? t('webhooks:offFailing') : t('webhooks:off');
  return (
    <li class="ws-item" data-testid="webhook" data-id={e.id}>
      <div class="ws-actions">
        <strong class="webhook-url">{e.url}</strong>
        <span class={`badge ${e.enabled ? '' : 'cancelled'}`} data-testid="webhook-status">
          {status}
        </span>
        {e.consecutiveFailures > 0 && <span class="muted">{t('webhooks:failures', { count: e.consecutiveFailures })}</span>}
      </div>
      {e.description && <div>{e.description}</div>}
      <div class="muted">{e.eventTypes.map(eventName).join(', ')}</div>
      {editing ? (
        <WebhookForm
          initial={e}
          submitLabel={t('webhooks:save')}
          onCancel={() => setEditing(false)}
          onSubmit={async (fields) => {
            await api('PATCH', `/webhooks/${e.id}`, fields);
            setEditing(false);
            toast(t('webhooks:saved'));
            changed();
          }}
        />
      ) : (
        <div class="ws-actions">
          <ActionButton
            data-testid="webhook-test"
            run={async () => {
              await api('POST', `/webhooks/${e.id}/test`);
              toast(t('webhooks:testQueued'));
              setShowLog(true);
              // The attempt is made in the background: the log is read again once it has had time.
              setTimeout(() => setRound((r) => r + 1), 1500);
            }}
          >
            {t('webhooks:test')}
          </ActionButton>
          <button type="button" aria-expanded={showLog} data-testid="webhook-log-toggle" onClick={() => setShowLog((v) => !v)}>
            {t('webhooks:log')}
          </button>
          <button type="button" onClick={() => setEditing(true)}>
            {t('webhooks:edit')}
          </button>
          <ActionButton
            run={async () => {
              if (!confirm(t('webhooks:rotateConfirm'))) return;
              const { secret } = await api<{ secret: string }>('POST', `/webhooks/${e.id}/secret`);
              rotated(secret);
            }}
          >
            {t('webhooks:rotate')}
          </ActionButton>
          <ActionButton
            class="danger"
            run={async () => {
              if (!confirm(t('webhooks:removeConfirm', { url: e.url }))) return;
              await api('DELETE', `/webhooks/${e.id}`);
              toast(t('webhooks:removed'));
              changed();
            }}
          >
            {t('webhooks:remove')}
          </ActionButton>
        </div>
      )}
      {showLog && <WebhookLog endpointId={e.id} round={round} />}
    </li>
  );
}
