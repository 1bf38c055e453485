import { createHash, randomBytes } from 'node:crypto';
import { isAdmin, type Actor } from '../accounts/grants';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { Logger } from '../logger';
import {
  WEBHOOK_TEST_EVENT,
  type CreateWebhookBody,
  type CreatedWebhookView,
  type PageQuery,
  type UpdateWebhookBody,
  type WebhookAttemptView,
  type WebhookEndpointView,
  type WebhookEventType,
} from '../protocol';
import type { Page } from '../seminars/model';
import type { WebhookAttempt, WebhookEndpoint, WebhookEndpointRepository, WebhookMessageRepository } from './model';
import { newWebhookSecret } from './signing';
import { checkTargetUrl } from './targets';

export interface WebhookServiceDeps {
  endpoints: WebhookEndpointRepository;
  messages: WebhookMessageRepository;
  allowPrivateTargets: boolean;
  /** Starts a delivery pass now (the dispatcher's tick), so a new event does not wait for the timer. */
  wake(): void;
  logger: Logger;
}

/** The webhook-id of one event for one endpoint: the same however often the event is emitted. */
export function messageIdFor(eventKey: string, endpointId: string): string {
  return `msg_${createHash('sha256').update(`${eventKey}|${endpointId}`).digest('base64url').slice(0, 27)}`;
}

/**
 * Endpoints the admins manage, and events fanned out to them: one message per event and
 * subscribed endpoint, written to the database before anything is sent (dispatcher.ts sends).
 */
export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  /**
   * Queues an event for every enabled endpoint subscribed to it. `eventKey` names the event
   * itself (seminar.live:<id>): emitting it again, after a crash or from another node, queues nothing new.
   * A failure is logged, not thrown: what caused the event has happened already.
   */
  async emit(type: WebhookEventType, eventKey: string, data: Record<string, unknown>, at = new Date()): Promise<void> {
    try {
      const endpoints = await this.deps.endpoints.subscribers(type);
      if (endpoints.length === 0) return;
      const body = JSON.stringify({ type, timestamp: at.toISOString(), data });
      for (const endpoint of endpoints) {
        await this.deps.messages.enqueue({
          id: messageIdFor(`${type}:${eventKey}`, endpoint.id),
          endpointId: endpoint.id,
          eventType: type,
          body,
          nextAttemptAt: at,
          createdAt: at,
        });
      }
      this.deps.wake();
    } catch (err) {
      this.deps.logger.error({ err, type, eventKey }, 'could not queue a webhook event');
    }
  }

  async list(actor: Actor): Promise<WebhookEndpointView[]> {
    this.admin(actor);
    return (await this.deps.endpoints.list()).map(endpointView);
  }

  async create(actor: Actor, body: CreateWebhookBody): Promise<CreatedWebhookView> {
    this.admin(actor);
    await checkTargetUrl(body.url, this.deps.allowPrivateTargets);
    const secret = newWebhookSecret();
    const endpoint = await this.deps.endpoints.create({ ...body, eventTypes: [...new Set(body.eventTypes)], secret });
    this.deps.logger.info({ endpointId: endpoint.id }, 'webhook endpoint created');
    return { ...endpointView(endpoint), secret };
  }

  async update(actor: Actor, id: string, body: UpdateWebhookBody): Promise<WebhookEndpointView> {
    this.admin(actor);
    await this.existing(id);
    if (body.url !== undefined) await checkTargetUrl(body.url, this.deps.allowPrivateTargets);
    const changes = { ...body, ...(body.eventTypes ? { eventTypes: [...new Set(body.eventTypes)] } : {}) };
    const updated = await this.deps.endpoints.update(id, changes);
    if (!updated) throw notFound();
    return endpointView(updated);
  }

  async remove(actor: Actor, id: string): Promise<void> {
    this.admin(actor);
    if (!(await this.deps.endpoints.remove(id))) throw notFound();
    await this.deps.messages.removeForEndpoint(id);
  }

  async rotateSecret(actor: Actor, id: string): Promise<{ secret: string }> {
    this.admin(actor);
    const secret = newWebhookSecret();
    if (!(await this.deps.endpoints.setSecret(id, secret))) throw notFound();
    return { secret };
  }

  /** Queues a `webhook.test` message to the endpoint, enabled or not. */
  async sendTest(actor: Actor, id: string): Promise<{ messageId: string }> {
    this.admin(actor);
    const endpoint = await this.existing(id);
    const at = new Date();
    const messageId = messageIdFor(`${WEBHOOK_TEST_EVENT}:${randomBytes(12).toString('hex')}`, endpoint.id);
    await this.deps.messages.enqueue({
      id: messageId,
      endpointId: endpoint.id,
      eventType: WEBHOOK_TEST_EVENT,
      body: JSON.stringify({ type: WEBHOOK_TEST_EVENT, timestamp: at.toISOString(), data: { endpointId: endpoint.id } }),
      nextAttemptAt: at,
      createdAt: at,
    });
    this.deps.wake();
    return { messageId };
  }

  async attempts(actor: Actor, id: string, page: PageQuery): Promise<Page<WebhookAttemptView>> {
    this.admin(actor);
    await this.existing(id);
    const result = await this.deps.messages.attempts(id, page.limit, page.cursor);
    return { items: result.items.map(attemptView), nextCursor: result.nextCursor };
  }

  private admin(actor: Actor): void {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!isAdmin(actor)) throw new ForbiddenError();
  }

  private async existing(id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.deps.endpoints.get(id);
    if (!endpoint) throw notFound();
    return endpoint;
  }
}

const notFound = () => new NotFoundError('webhook_not_found', 'No such webhook endpoint');

export function endpointView(e: WebhookEndpoint): WebhookEndpointView {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    consecutiveFailures: e.consecutiveFailures,
    createdAt: e.createdAt.toISOString(),
  };
}

function attemptView(a: WebhookAttempt): WebhookAttemptView {
  return {
    id: a.id,
    messageId: a.messageId,
    eventType: a.eventType,
    attempt: a.attempt,
    at: a.at.toISOString(),
    statusCode: a.statusCode,
    durationMs: a.durationMs,
    ok: a.ok,
    error: a.error,
  };
}
