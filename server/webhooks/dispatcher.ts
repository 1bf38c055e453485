import type { WebhookConfig } from '../config';
import type { Logger } from '../logger';
import { WEBHOOK_TEST_EVENT } from '../protocol';
import type { WebhookEndpoint, WebhookEndpointRepository, WebhookMessage, WebhookMessageRepository } from './model';
import { sendWebhook, type SendResult } from './sender';
import { signedHeaders } from './signing';

export interface WebhookDispatcherDeps {
  endpoints: WebhookEndpointRepository;
  messages: WebhookMessageRepository;
  config: WebhookConfig;
  /** Tells the admins, in the app, that an endpoint was turned off. */
  notifyDisabled(endpoint: WebhookEndpoint): Promise<void>;
  logger: Logger;
  send?: typeof sendWebhook;
}

/**
 * Sends queued webhook messages. A message is claimed by a conditional update before it is
 * sent, so two passes or two nodes never both send it; a success ends it for good, a failure
 * puts it back with the next delay of the retry schedule, and an endpoint that keeps failing
 * is turned off. What a crash interrupts mid-send is taken over once its claim is stale.
 */
export class WebhookDispatcher {
  private ticking?: Promise<void>;
  private again?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly deps: WebhookDispatcherDeps) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), this.deps.config.tickMs);
    this.timer.unref();
    this.wake();
  }

  wake(): void {
    if (this.closed) return;
    this.tick().catch((err: unknown) => this.deps.logger.error({ err }, 'webhook delivery pass failed; will retry'));
  }

  /** One pass over what is due. Passes never overlap; one asked for during a pass runs after it. */
  tick(): Promise<void> {
    if (this.ticking) {
      this.again ??= this.ticking.then(() => {
        this.again = undefined;
        return this.tick();
      });
      return this.again;
    }
    this.ticking = this.deliverDue().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /** Stops the timer and waits for the pass under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.allSettled([this.ticking, this.again]);
  }

  private async deliverDue(): Promise<void> {
    const staleAfterMs = this.deps.config.timeoutMs + 30_000;
    for (;;) {
      if (this.closed) return;
      const now = new Date();
      const message = await this.deps.messages.claimDue(now, new Date(now.getTime() - staleAfterMs));
      if (!message) return;
      await this.deliver(message);
    }
  }

  private async deliver(message: WebhookMessage): Promise<void> {
    const log = this.deps.logger.child({ messageId: message.id, endpointId: message.endpointId, eventType: message.eventType });
    const endpoint = await this.deps.endpoints.get(message.endpointId);
    // A test is sent to a disabled endpoint too: that is how an admin checks it before turning it back on.
    if (!endpoint || (!endpoint.enabled && message.eventType !== WEBHOOK_TEST_EVENT)) {
      await this.deps.messages.finish(message.id, 'cancelled');
      return;
    }
    const at = new Date();
    const headers = signedHeaders(endpoint.secret, message.id, at, message.body);
    const result = await (this.deps.send ?? sendWebhook)(endpoint.url, headers, message.body, {
      timeoutMs: this.deps.config.timeoutMs,
      allowPrivate: this.deps.config.allowPrivateTargets,
    });
    await this.deps.messages.logAttempt({
      messageId: message.id,
      endpointId: endpoint.id,
      eventType: message.eventType,
      attempt: message.attempts,
      at,
      ...result,
    });
    if (result.ok) {
      await this.deps.messages.finish(message.id, 'delivered');
      await this.deps.endpoints.recordSuccess(endpoint.id);
      log.info({ attempt: message.attempts, statusCode: result.statusCode, durationMs: result.durationMs }, 'webhook delivered');
      return;
    }
    await this.failed(message, endpoint, result, at, log);
  }

  private async failed(message: WebhookMessage, endpoint: WebhookEndpoint, result: SendResult, at: Date, log: Logger): Promise<void> {
    const delays = this.deps.config.retryDelaysMs;
    const delay = delays[message.attempts - 1];
    if (delay === undefined) await this.deps.messages.finish(message.id, 'failed');
    // Counted from the failure's end, not the attempt's start: a slow refusal does not shorten the wait.
    else await this.deps.messages.retryAt(message.id, new Date(Date.now() + delay));
    log.warn({ attempt: message.attempts, error: result.error, retryInMs: delay ?? null }, 'webhook delivery failed');
    if (message.eventType === WEBHOOK_TEST_EVENT) return; // a test failing says so in the log; it does not count against the endpoint
    const after = await this.deps.endpoints.recordFailure(endpoint.id, at);
    if (!after?.enabled) return;
    const failingFor = after.failingSince ? at.getTime() - after.failingSince.getTime() : 0;
    const { disableAfterFailures, disableAfterMs } = this.deps.config;
    if (after.consecutiveFailures < disableAfterFailures && failingFor < disableAfterMs) return;
    if (!(await this.deps.endpoints.disableFailing(endpoint.id))) return; // another node did it, and told the admins
    log.warn({ consecutiveFailures: after.consecutiveFailures, failingForMs: failingFor }, 'webhook endpoint disabled: it keeps failing');
    await this.deps.notifyDisabled(after).catch((err: unknown) => log.error({ err }, 'could not tell the admins of a disabled webhook'));
  }
}
