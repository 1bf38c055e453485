import type { ClientEventName, ClientPayload } from '../protocol';
import type { LiveAccess } from './service';

/**
 * What a live feature (reactions, presence checks) gets of one /live connection: its events,
 * parsed and rate-limited by the gateway as every other event, and who it is in its room.
 */
export interface LiveConnection {
  readonly id: string;
  on<E extends ClientEventName>(event: E, handler: (payload: ClientPayload<E>) => Promise<unknown>): void;
  /** The connection's place in its room; throws not_in_room (409) before a join. */
  access(): LiveAccess;
}

/** A feature of the live room kept out of the gateway's body: it registers its events on each connection. */
export interface LiveFeature {
  attach(connection: LiveConnection): void;
}
