import type { ClientEventName, ClientPayload } from '../protocol';
import type { Peer, Room } from '../../media';
import type { LiveSocket } from './gateway';
import type { LiveAccess } from './service';

/**
 * What the /live gateway hands a feature module for each connection: the socket, `on` (which
 * charges the socket's event budgets, parses the payload with its schema and answers the ack,
 * errors as codes), and the socket's place in its room (or the not_in_room refusal).
 */
export interface LiveSocketContext {
  socket: LiveSocket;
  on: <E extends ClientEventName>(event: E, handler: (payload: ClientPayload<E>) => Promise<unknown>) => void;
  inRoom: () => { access: LiveAccess; room: Room; peer: Peer };
}

/** A feature of the live room with events of its own, kept out of the gateway's body. */
export interface LiveExtension {
  attach(context: LiveSocketContext): void;
}
