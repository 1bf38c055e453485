// Webhooks as the domain sees them: no Express, no mongoose, no HTTP client.
import type { WebhookEventType } from '../protocol';
import type { Page } from '../seminars/model';

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  disabledReason: 'failing' | null;
  /** whsec_ + base64 of the key. */
  secret: string;
  consecutiveFailures: number;
  /** The first failure since the last success; null while it succeeds. */
  failingSince: Date | null;
  createdAt: Date;
}

export type NewWebhookEndpoint = Pick<WebhookEndpoint, 'url' | 'description' | 'eventTypes' | 'enabled' | 'secret'>;
export type WebhookEndpointChanges = Partial<Pick<WebhookEndpoint, 'url' | 'description' | 'eventTypes' | 'enabled'>>;

/**
 * One message to one endpoint, written before it is sent. Its id (the webhook-id header)
 * is derived from the event and the endpoint, so writing it twice yields one message, and
 * the receiver can drop a retry it has already seen.
 */
export interface WebhookMessage {
  id: string;
  endpointId: string;
  eventType: string;
  /** The JSON body, exactly as it is signed and sent. */
  body: string;
  status: 'pending' | 'sending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
}

export interface WebhookAttempt {
  id: string;
  messageId: string;
  endpointId: string;
  eventType: string;
  attempt: number;
  at: Date;
  statusCode: number | null;
  durationMs: number;
  ok: boolean;
  error: string | null;
}

export interface WebhookEndpointRepository {
  create(e: NewWebhookEndpoint): Promise<WebhookEndpoint>;
  get(id: string): Promise<WebhookEndpoint | null>;
  list(): Promise<WebhookEndpoint[]>;
  /** Enabled endpoints subscribed to this event type. */
  subscribers(eventType: WebhookEventType): Promise<WebhookEndpoint[]>;
  update(id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint | null>;
  setSecret(id: string, secret: string): Promise<WebhookEndpoint | null>;
  remove(id: string): Promise<boolean>;
  recordSuccess(id: string): Promise<void>;
  /** Counts a failure; returns the endpoint as it is after it. */
  recordFailure(id: string, at: Date): Promise<WebhookEndpoint | null>;
  /** Turns an enabled endpoint off for failing; true only for the one caller that did it. */
  disableFailing(id: string): Promise<boolean>;
}

export interface WebhookMessageRepository {
  /** Inserts unless a message with this id exists. */
  enqueue(m: Omit<WebhookMessage, 'status' | 'attempts'>): Promise<void>;
  /** Claims the next due message, or one whose sender vanished mid-delivery (claimed before `staleBefore`), by a conditional update. */
  claimDue(now: Date, staleBefore: Date): Promise<WebhookMessage | null>;
  /** Ends a claimed message (delivered, given up, endpoint gone). */
  finish(id: string, status: 'delivered' | 'failed' | 'cancelled'): Promise<void>;
  /** Puts a claimed message back to be tried again at `at`. */
  retryAt(id: string, at: Date): Promise<void>;
  removeForEndpoint(endpointId: string): Promise<void>;
  logAttempt(a: Omit<WebhookAttempt, 'id'>): Promise<void>;
  attempts(endpointId: string, limit: number, cursor?: string): Promise<Page<WebhookAttempt>>;
}
