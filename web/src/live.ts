import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import {
  clientEvents,
  consumerInfo,
  iceRestart,
  joinResult,
  transportInfo,
  type Ack,
  type ClientEventName,
  type ClientPayload,
  type JoinResult,
  type ServerEvents,
} from '../../server/protocol/live';
import { accessToken } from './session';

/** The acks we read, checked with the shared protocol's schemas. */
const responses = {
  'room:join': joinResult,
  'transport:create': transportInfo,
  'transport:restart-ice': iceRestart,
  consume: consumerInfo,
  produce: z.object({ producerId: z.string() }),
} as const;
export type Response<E extends ClientEventName> = E extends keyof typeof responses ? z.infer<(typeof responses)[E]> : unknown;

/** How long a page waits for the server's answer to an event. */
const ANSWER_MS = 15_000;
/**
 * Ending a seminar answers only once its recording is a lesson (ffmpeg's last segments, the
 * poster, the lesson): seconds, and on a busy server more than the usual wait.
 */
const SLOW_ANSWER_MS: Partial<Record<string, number>> = { 'seminar:end': 60_000 };

export class LiveError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type ClientEmits = { [E in ClientEventName]: (payload: unknown, ack: (a: Ack<unknown>) => void) => void };
export type LiveSocket = Socket<ServerEvents, ClientEmits>;

/**
 * Where the page stands with the room:
 * connecting → joined ⇄ reconnecting, and finally ended, removed or failed.
 */
export type ConnectionState =
  | { name: 'connecting' }
  | { name: 'joined'; join: JoinResult }
  | { name: 'reconnecting' }
  | { name: 'ended' }
  | { name: 'removed' }
  | { name: 'failed'; error: LiveError };

/** Join errors that retrying will not fix. */
const FINAL = new Set([
  'unauthorized',
  'forbidden',
  'not_registered',
  'banned',
  'seminar_not_found',
  'invalid_payload',
  'token_expired',
  'token_revoked',
  'invalid_token',
  'seats_full',
]);

/**
 * One page's connection to a seminar's room. It joins on every (re)connect and
 * on room:rebuild, and hands each join to the page, which sets up its media again.
 */
export class RoomConnection {
  readonly socket: LiveSocket;
  private generation = 0;
  private finished = false;
  /** The room said the seminar ended (room:status): it is ended in the database, its recording a lesson. */
  private roomEnded = false;
  private retry?: ReturnType<typeof setTimeout>;
  /** The token this connection was last given: the server closes it when that one expires. */
  private sentToken: string | null = null;
  private readonly tokenCheck: ReturnType<typeof setInterval>;
  /** Answers still awaited, each bounded by its wait: an ended room's socket stays until they came. */
  private readonly awaited = new Set<Promise<unknown>>();

  constructor(
    readonly seminarId: string,
    private readonly handlers: {
      /** A fresh join: everything media-related from before is gone. */
      joined(join: JoinResult, generation: number): Promise<void>;
      state(state: ConnectionState): void;
    },
  ) {
    this.socket = io('/live', {
      auth: (cb) =>
        void accessToken().then((token) => {
          this.sentToken = token;
          cb(token ? { token } : {});
        }),
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
    });
    this.socket.on('connect', () => void this.join());
    this.socket.on('disconnect', (reason) => {
      if (this.finished) return;
      console.warn(`[live] disconnected: ${reason}`);
      this.generation++;
      this.handlers.state({ name: 'reconnecting' });
      // The server hung up on us without room:removed (a restart, say): dial again.
      if (reason === 'io server disconnect') this.socket.connect();
    });
    this.socket.on('connect_error', (err) => {
      const data = (err as Error & { data?: { code?: string; message?: string } }).data;
      if (data?.code && FINAL.has(data.code)) this.fail(new LiveError(data.code, data.message ?? err.message));
      else if (!this.finished) this.handlers.state({ name: 'reconnecting' });
    });
    this.socket.on('room:rebuild', ({ reason }) => {
      // A finished connection keeps its socket only for the last messages and answers.
      if (this.finished) return;
      console.warn(`[live] room rebuild: ${reason}`);
      this.generation++;
      this.handlers.state({ name: 'reconnecting' });
      void this.join();
    });
    // A room's chatter comes batched (server/live/chatter.ts): each entry goes to the listeners
    // of its type, so the pages listen to chat:message and the others as if each came alone.
    // As the emitter's own emit calls them: on a copy of the list, so one that goes (once, off)
    // skips no other, and with the socket as `this`, which once() needs; one that throws
    // loses no other entry of the batch.
    this.socket.on('room:batch', ({ events }) => {
      for (const e of events)
        for (const listener of [...this.socket.listeners(e.type)]) {
          try {
            (listener as (this: LiveSocket, data: unknown) => void).call(this.socket, e.data);
          } catch (err) {
            console.error(`[live] a ${e.type} listener failed`, err);
          }
        }
    });
    this.socket.on('room:removed', () => this.finish({ name: 'removed' }));
    this.socket.on('room:status', ({ status }) => {
      if (status !== 'ended' && status !== 'cancelled') return;
      if (status === 'ended') this.roomEnded = true;
      this.finish({ name: 'ended' });
    });
    // accessToken() renews the token in its last minute; the connection gets each new one
    // before the old one expires (else the server closes it, and we dial again).
    this.tokenCheck = setInterval(() => void this.handOverToken(), 20_000);
  }

  private async handOverToken(): Promise<void> {
    if (this.finished || !this.socket.connected || this.sentToken === null) return;
    const token = await accessToken();
    if (!token || token === this.sentToken) return;
    try {
      await this.request('auth:refresh', { token });
      this.sentToken = token;
    } catch (err) {
      console.warn(`[live] token refresh refused: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The current join's number: work started under an older one is stale. */
  get current(): number {
    return this.generation;
  }

  async request<E extends ClientEventName>(event: E, payload: ClientPayload<E>): Promise<Response<E>> {
    const body = clientEvents[event].parse(payload);
    const ack = await this.raw(event, body);
    if (!ack.ok) throw new LiveError(ack.error.code, ack.error.message);
    const schema = (responses as Record<string, z.ZodType>)[event];
    return (schema ? schema.parse(ack.data) : ack.data) as Response<E>;
  }

  /**
   * Ends the seminar for everyone. The server tells the room it ended (room:status) once the
   * seminar is ended in the database and its recording is a lesson, then closes the room and
   * answers: an answer lost after that message, to a dropped connection or a slow server, lost
   * nothing the lecturer asked for.
   */
  async endSeminar(): Promise<void> {
    try {
      await this.request('seminar:end', {});
    } catch (err) {
      const lost = err instanceof LiveError && (err.code === 'disconnected' || err.code === 'timeout');
      if (!(lost && this.roomEnded)) throw err;
      console.warn(`[live] seminar:end's answer was lost (${err.code}) after the room said it ended`);
    }
  }

  /** Any event, unchecked, with the server's ack as it came: for diagnostics and tests. */
  async raw(event: string, payload: unknown): Promise<Ack<unknown>> {
    const answer = this.socket.timeout(SLOW_ANSWER_MS[event] ?? ANSWER_MS).emitWithAck(event as ClientEventName, payload);
    this.awaited.add(answer);
    try {
      return (await answer) as Ack<unknown>;
    } catch {
      // socket.io gives up on an answer at once when its connection drops (a restart, the
      // network), and the server may or may not have got the event: not "no answer in time".
      if (!this.socket.connected)
        return { ok: false, error: { code: 'disconnected', message: `The connection dropped before ${event} was answered` } };
      return { ok: false, error: { code: 'timeout', message: `No answer to ${event}` } };
    } finally {
      this.awaited.delete(answer);
    }
  }

  /** Drops the connection and dials again: a clean slate when media broke under a live socket. */
  restart(reason: string): void {
    if (this.finished) return;
    console.warn(`[live] reconnecting: ${reason}`);
    this.socket.disconnect();
    this.generation++;
    this.handlers.state({ name: 'reconnecting' });
    this.socket.connect();
  }

  close(): void {
    this.finished = true;
    clearTimeout(this.retry);
    clearInterval(this.tokenCheck);
    this.socket.disconnect();
  }

  private async join(): Promise<void> {
    if (this.finished) return;
    clearTimeout(this.retry);
    const generation = ++this.generation;
    if (generation > 1) this.handlers.state({ name: 'reconnecting' });
    try {
      const join = await this.request('room:join', { seminarId: this.seminarId });
      if (generation !== this.generation || this.finished) return;
      await this.handlers.joined(join, generation);
      if (generation !== this.generation || this.finished) return;
      if (join.seminar.status === 'ended' || join.seminar.status === 'cancelled') this.finish({ name: 'ended' });
      else this.handlers.state({ name: 'joined', join });
    } catch (err) {
      if (generation !== this.generation || this.finished) return;
      const e = err instanceof LiveError ? err : new LiveError('client_error', err instanceof Error ? err.message : String(err));
      console.warn(`[live] join failed: ${e.code}: ${e.message}`);
      if (e.code === 'seminar_over') this.finish({ name: 'ended' });
      else if (FINAL.has(e.code)) this.fail(e);
      else {
        // A room being rebuilt, no worker yet, a timeout: try again shortly, on a clean connection.
        this.handlers.state({ name: 'reconnecting' });
        this.retry = setTimeout(() => this.restart('join failed'), 2000);
      }
    }
  }

  private fail(error: LiveError): void {
    this.finish({ name: 'failed', error });
  }

  private finish(state: ConnectionState): void {
    if (this.finished) return;
    this.finished = true;
    this.generation++;
    clearTimeout(this.retry);
    clearInterval(this.tokenCheck);
    this.handlers.state(state);
    // Ended seminars keep the socket a moment so the last chat lines arrive. Any connection then
    // keeps it until the answers it awaits have come: the server tells the room a seminar ended
    // before it answers the lecturer's seminar:end (it closes the room in between), and socket.io
    // drops an answer still awaited on disconnect.
    setTimeout(() => void this.letGo(), state.name === 'ended' ? 1000 : 0);
  }

  private async letGo(): Promise<void> {
    // Each answer is bounded by its wait; one asked meanwhile is waited for too.
    while (this.awaited.size > 0) await Promise.allSettled([...this.awaited]);
    this.socket.disconnect();
  }
}
