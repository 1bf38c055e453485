import type { Peer, Room } from '../../media';
import type { ClientEventName, ClientPayload } from '../protocol';
import type { LiveSocket } from './gateway';
import type { LiveAccess } from './service';

/**
 * What a live feature (polls, reactions, presence checks) gets of one /live connection: its
 * events, which the gateway charges to the socket's budgets, parses with their schemas and
 * answers (errors as codes) as every other event, and the connection's place in its room.
 */
export interface LiveConnection {
  readonly id: string;
  readonly socket: LiveSocket;
  readonly on: <E extends ClientEventName>(event: E, handler: (payload: ClientPayload<E>) => Promise<unknown>) => void;
  /** Who the connection is in its room; throws not_in_room (409) before a join. */
  readonly access: () => LiveAccess;
  /** The same with the room and the peer. */
  readonly inRoom: () => { access: LiveAccess; room: Room; peer: Peer };
}

/** A feature of the live room kept out of the gateway's body: it registers its events on each connection. */
export interface LiveFeature {
  attach(connection: LiveConnection): void;
}
