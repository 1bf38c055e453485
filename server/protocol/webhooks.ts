import { z } from 'zod';
import { objectId } from './common';

/** What Lectern tells the centre's portal and CRM. */
export const webhookEventTypes = [
  'seminar.scheduled',
  'seminar.live',
  'seminar.ended',
  'recording.ready',
  'registration.created',
  'course.completed',
  'certificate.issued',
] as const;
export const webhookEventType = z.enum(webhookEventTypes);
export type WebhookEventType = z.infer<typeof webhookEventType>;
/** Sent by "send test event" only, whatever the endpoint subscribes to. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

export const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2000)
  .meta({ description: 'http or https; a host on a loopback, private or link-local address is refused (400 webhook_target_refused)' });

export const createWebhookBody = z.strictObject({
  url: webhookUrl,
  description: z.string().trim().max(500).default(''),
  eventTypes: z.array(webhookEventType).min(1).max(webhookEventTypes.length),
  enabled: z.boolean().default(true),
});
export type CreateWebhookBody = z.infer<typeof createWebhookBody>;

export const updateWebhookBody = z
  .strictObject({
    url: webhookUrl,
    description: z.string().trim().max(500),
    eventTypes: z.array(webhookEventType).min(1).max(webhookEventTypes.length),
    enabled: z.boolean(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'must change something');
export type UpdateWebhookBody = z.infer<typeof updateWebhookBody>;

export const webhookEndpointView = z.object({
  id: objectId,
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(webhookEventType),
  enabled: z.boolean(),
  /** Why Lectern turned it off (it kept failing); null when it is on or an admin turned it off. */
  disabledReason: z.enum(['failing']).nullable(),
  consecutiveFailures: z.number().int().min(0),
  createdAt: z.iso.datetime(),
});
export type WebhookEndpointView = z.infer<typeof webhookEndpointView>;

export const webhookSecretView = z.object({
  secret: z.string().meta({ description: 'whsec_ + base64: shown once, at creation and rotation; Lectern cannot show it again' }),
});
export const createdWebhookView = webhookEndpointView.extend(webhookSecretView.shape);
export type CreatedWebhookView = z.infer<typeof createdWebhookView>;

export const webhookTestView = z.object({ messageId: z.string() });

/** One try at delivering one message: the delivery log. */
export const webhookAttemptView = z.object({
  id: z.string(),
  messageId: z.string().meta({ description: 'The webhook-id header: the same on every retry of one message' }),
  eventType: z.string(),
  attempt: z.number().int().min(1),
  at: z.iso.datetime(),
  statusCode: z.number().int().nullable(),
  durationMs: z.number().int().min(0),
  ok: z.boolean(),
  error: z.string().nullable(),
});
export type WebhookAttemptView = z.infer<typeof webhookAttemptView>;
