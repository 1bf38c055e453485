import { z } from 'zod';
import {
  createdWebhookView,
  createWebhookBody,
  idParams,
  page,
  pageQuery,
  updateWebhookBody,
  webhookAttemptView,
  webhookEndpointView,
  webhookSecretView,
  webhookTestView,
} from '../../protocol';
import type { WebhookService } from '../../webhooks/service';
import { route, type RouteSpec } from '../route';

/** Reading the endpoints and their delivery log: the admin page's refreshes, with room to spare. */
const WEBHOOK_READS = { name: 'webhook-reads', points: 120, durationSeconds: 60 };
/** Changes, rotations and test sends: an admin's clicks, not a script's loop (each test is an outgoing request). */
const WEBHOOK_CHANGES = { name: 'webhook-changes', points: 30, durationSeconds: 60 };

const TARGET_ERRORS = ['webhook_target_refused', 'webhook_target_unresolvable'] as const;

/** Webhook endpoints, for admins only (issue 16). */
export function webhookRoutes(webhooks: WebhookService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/webhooks',
      tag: 'webhooks',
      access: 'all:admin',
      summary: 'Webhook endpoints (admins only); secrets are never shown again after creation or rotation',
      response: z.array(webhookEndpointView),
      rateLimit: WEBHOOK_READS,
      handler: ({ actor }) => webhooks.list(actor),
    }),
    route({
      method: 'post',
      path: '/webhooks',
      tag: 'webhooks',
      access: 'all:admin',
      status: 201,
      summary: 'Add an endpoint: its signing secret (whsec_…) is in this answer only',
      body: createWebhookBody,
      response: createdWebhookView,
      errors: { 400: TARGET_ERRORS },
      rateLimit: WEBHOOK_CHANGES,
      handler: ({ actor, body }) => webhooks.create(actor, body),
    }),
    route({
      method: 'patch',
      path: '/webhooks/:id',
      tag: 'webhooks',
      access: 'all:admin',
      summary: 'Change an endpoint; turning it on again clears its failure count',
      params: idParams,
      body: updateWebhookBody,
      response: webhookEndpointView,
      errors: { 400: TARGET_ERRORS, 404: ['webhook_not_found'] },
      rateLimit: WEBHOOK_CHANGES,
      handler: ({ actor, params, body }) => webhooks.update(actor, params.id, body),
    }),
    route({
      method: 'delete',
      path: '/webhooks/:id',
      tag: 'webhooks',
      access: 'all:admin',
      status: 204,
      summary: 'Remove an endpoint with its queued messages and delivery log',
      params: idParams,
      errors: { 404: ['webhook_not_found'] },
      rateLimit: WEBHOOK_CHANGES,
      handler: ({ actor, params }) => webhooks.remove(actor, params.id),
    }),
    route({
      method: 'post',
      path: '/webhooks/:id/secret',
      tag: 'webhooks',
      access: 'all:admin',
      summary: 'Replace the signing secret at once (the old one stops signing); the new one is in this answer only',
      params: idParams,
      response: webhookSecretView,
      errors: { 404: ['webhook_not_found'] },
      rateLimit: WEBHOOK_CHANGES,
      handler: ({ actor, params }) => webhooks.rotateSecret(actor, params.id),
    }),
    route({
      method: 'post',
      path: '/webhooks/:id/test',
      tag: 'webhooks',
      access: 'all:admin',
      status: 202,
      summary: 'Queue a webhook.test message to the endpoint (also when it is disabled); its attempts show in the delivery log',
      params: idParams,
      response: webhookTestView,
      errors: { 404: ['webhook_not_found'] },
      rateLimit: WEBHOOK_CHANGES,
      handler: ({ actor, params }) => webhooks.sendTest(actor, params.id),
    }),
    route({
      method: 'get',
      path: '/webhooks/:id/deliveries',
      tag: 'webhooks',
      access: 'all:admin',
      summary: 'The delivery log: every attempt, newest first, with its status code, duration and error',
      params: idParams,
      query: pageQuery,
      response: page(webhookAttemptView),
      errors: { 404: ['webhook_not_found'] },
      rateLimit: WEBHOOK_READS,
      handler: ({ actor, params, query }) => webhooks.attempts(actor, params.id, query),
    }),
  ];
}
