import { webhookEventTypes, type WebhookEndpointView, type WebhookEventType } from '../../../../server/protocol/webhooks';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { t } from '../../kit/i18n';

// The endpoint's fields, for adding one and for changing one: the URL, a description,
// the events it hears, and whether it is on.

export interface WebhookFields {
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
  enabled: boolean;
}

export const eventName = (type: string) => t(`webhooks:eventNames.${type.replace('.', '_')}`, { defaultValue: type });

export function WebhookForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: WebhookEndpointView;
  submitLabel: string;
  onSubmit: (fields: WebhookFields) => Promise<void>;
  onCancel?: () => void;
}) {
  const form = useForm(
    async (data) => {
      const picked = data.getAll('eventTypes').filter((v): v is WebhookEventType => webhookEventTypes.includes(v as WebhookEventType));
      await onSubmit({
        url: text(data, 'url').trim(),
        description: text(data, 'description'),
        eventTypes: picked,
        enabled: data.get('enabled') === 'on',
      });
    },
    { url: t('webhooks:urlHint') },
  );
  const eventsError = form.errors.eventTypes;
  return (
    <form class="ws-form" onSubmit={form.onSubmit} data-testid="webhook-form" noValidate>
      <Field
        form={form}
        name="url"
        label={t('webhooks:url')}
        type="url"
        required
        maxLength={2000}
        defaultValue={initial?.url ?? ''}
        placeholder="https://crm.example.org/hooks/lectern"
      />
      <Field form={form} name="description" label={t('webhooks:description')} maxLength={500} defaultValue={initial?.description ?? ''} />
      <fieldset aria-describedby={eventsError ? `${form.id}-events-error` : undefined}>
        <legend>{t('webhooks:events')}</legend>
        {webhookEventTypes.map((type) => (
          <label key={type} class="check">
            <input
              type="checkbox"
              name="eventTypes"
              value={type}
              defaultChecked={initial ? initial.eventTypes.includes(type) : type !== 'certificate.issued'}
            />
            <span>
              {eventName(type)} <code class="muted">{type}</code>
            </span>
          </label>
        ))}
        {eventsError && (
          <p class="field-error" id={`${form.id}-events-error`}>
            {eventsError}
          </p>
        )}
      </fieldset>
      <label class="check">
        <input type="checkbox" name="enabled" defaultChecked={initial?.enabled ?? true} />
        <span>{t('webhooks:enabled')}</span>
      </label>
      <FormError form={form} />
      <div class="ws-actions">
        <SubmitButton form={form}>{submitLabel}</SubmitButton>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {t('webhooks:cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
