import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import type { Actor } from '../accounts/grants';
import { anonymous } from '../accounts/grants';
import type { TokenIssuer } from '../accounts/tokens';
import { AppError, BadRequestError, ConflictError, ForbiddenError, toErrorBody, UnavailableError } from '../errors';
import { toAppError } from '../error-mapping';
import type { Logger } from '../logger';
import { MediaError, type Peer, type Room, type RoomRegistry, type Source } from '../../media';
import { clientEvents, type Ack, type ClientEventName, type ClientPayload, type JoinResult, type ServerEvents } from '../protocol';
import { MAX_ON_STAGE, type Question } from '../protocol/live';
import type { Seminar } from '../seminars/model';
import type { QuestionRecord } from './model';
import type { SeminarService } from '../seminars/service';
import type { RecordingController } from '../recordings/controller';
import { Presence } from './presence';
import { ChatterBatcher } from './chatter';
import type { LiveFeature } from './features';
import type { RateLimits } from '../rate-limits';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { questionView, type LiveAccess, type LiveService } from './service';
import type { IceConfiguration, TurnCredentials } from './turn';

interface SocketState {
  actor: Actor;
  joining?: boolean;
  access?: LiveAccess;
  room?: Room;
  peer?: Peer;
  attendance?: { checkpoint(): Promise<void>; end(): Promise<void> };
  /** Closes the connection when its access token expires, unless auth:refresh brought a fresh one. */
  expiry?: NodeJS.Timeout;
  expiresAt?: Date;
}

/** What one node asks the others through the adapter (Redis): a removal reaches the user's sockets on every node. */
const ejection = z.object({ seminarId: z.string().max(64), userId: z.string().max(64), reason: z.enum(['removed', 'banned']) });
type Ejection = z.infer<typeof ejection>;
interface NodeEvents {
  'moderation:eject': (e: Ejection, ack: (ejected: number) => void) => void;
  'user:revoked': (userId: string) => void;
}

export type LiveSocket = Socket<Record<string, never>, ServerEvents, NodeEvents, SocketState>;
export type LiveNamespace = Namespace<Record<string, never>, ServerEvents, NodeEvents, SocketState>;

export interface LiveGatewayDeps {
  nsp: LiveNamespace;
  tokens: TokenIssuer;
  live: LiveService;
  seminars: SeminarService;
  rooms: RoomRegistry;
  logger: Logger;
  viewerCountThrottleMs: number;
  /** Chat, questions and hands go to a room at most once per this window (ChatterBatcher). */
  chatterWindowMs: number;
  maxWebRtcViewers: number;
  attendanceCheckpointMs: number;
  recordings: RecordingController;
  /** Set: every transport comes with time-limited TURN credentials. */
  turn?: TurnCredentials;
  limits: RateLimits;
  /**
   * Events per socket per 10 s. Joining a room takes about 2 + 3 × streams signalling events at
   * once, so the general budget (60 by default) covers a join with a dozen streams; what is
   * broadcast or written to the database for everyone (chat, questions, votes, hands, markers)
   * has its own, smaller one (10).
   */
  eventsPer10s: number;
  costlyEventsPer10s: number;
  /** Open sockets at once: anonymous ones per client address, signed-in ones per user. */
  maxSocketsPerIp: number;
  maxSocketsPerUser: number;
  /** The client's address of a handshake, believing X-Forwarded-For as Express does (TRUST_PROXY). */
  clientAddress: (req: IncomingMessage) => string;
  /** Other nodes share the namespace through the Redis adapter: removals are sent to them too. */
  clustered: boolean;
  /** Features with events of their own (server/live/features.ts): polls, reactions, presence checks. */
  features?: LiveFeature[];
}

/** ICE restarts per transport: a client backs off to one every few seconds while its path is down. */
const ICE_RESTARTS = { points: 20, duration: 60 };
/** How long close() waits for joins in flight to refuse: a stop must not wait out a database outage. */
const JOINS_WAIT_MS = 3000;

const COSTLY_EVENTS: ReadonlySet<string> = new Set([
  'chat:send',
  'chat:delete',
  'question:ask',
  'question:upvote',
  'question:status',
  'hand:raise',
  'marker:add',
  'stage:invite',
  'stage:remove',
  'poll:create',
  'poll:open',
  'poll:close',
  'poll:vote',
]);

/**
 * The largest Socket.IO message read (its maxHttpBufferSize). The biggest event is `consume`,
 * which carries the device's RTP capabilities (at most 50 codecs and 50 header extensions by
 * its schema: about ten kilobytes from Chromium); Socket.IO's 1 MB default would let every
 * socket make the server parse a megabyte per message.
 */
export const LIVE_MAX_MESSAGE_BYTES = 64 * 1024;

const RATE_LIMITED = { code: 'rate_limited', message: 'Too many events on this connection; slow down' };

/** auth:refresh per socket: a page refreshes once per token lifetime; a retry or two on top. */
const REFRESHES = { points: 6, durationSeconds: 60 };

/** Parameters that mediasoup could not use: the client's bad input, answered as a schema failure is. */
class ClientParameterError extends BadRequestError {
  constructor(message: string) {
    super('invalid_request', message);
  }
}

/** The Socket.IO room of a seminar's lecturers: the participant list goes only there. */
export const staffRoom = (seminarId: string) => `seminar:${seminarId}:staff`;
export const userRoom = (userId: string) => `user:${userId}`;
/** Everyone in a seminar's room, lecturers included. */
export const seminarRoom = (seminarId: string) => `seminar:${seminarId}`;

/**
 * Events that change the room for others or ask for a list, limited per user (per
 * connection for guests): a moderator clicking through a list is far below these.
 */
const limits: Array<{ events: ClientEventName[]; points: number; seconds: number }> = [
  {
    events: [
      'hand:lower',
      'room:participants',
      'stage:invite',
      'stage:remove',
      'moderation:mute',
      'moderation:unmute',
      'moderation:remove',
      'moderation:ban',
      'marker:add',
    ],
    points: 30,
    seconds: 10,
  },
  { events: ['hand:raise', 'stage:accept', 'stage:decline', 'stage:leave'], points: 10, seconds: 10 },
];

/** An encore plays a recording: nobody is live to call on a hand, and there is no stage to invite to. */
function refuseStageInEncore(access: { seminar: { encoreOf?: string | null } }): void {
  if (access.seminar.encoreOf) throw new ConflictError('encore_no_stage', 'An encore plays a recording: it has no stage and no hands');
}

/** mediasoup throws TypeError on parameter objects it cannot use: that is the client's bad input. */
async function clientParameters<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TypeError) throw new ClientParameterError(err.message);
    throw err;
  }
}

/**
 * The /live namespace. Each event's payload is parsed with its schema from
 * server/protocol before anything runs, and answered with a typed ack; an
 * unknown or malformed event gets an error and changes nothing.
 */
export class LiveGateway {
  /** Per seminar, while its room is open: who is in it, hands and stage. */
  private readonly presence = new Map<string, Presence>();
  /** Rooms whose events this gateway already relays. */
  private readonly watched = new WeakSet<Room>();
  /** Per seminar, the sockets in its room; a seminar's entry goes with its last socket or its room. */
  private readonly sockets = new Map<string, Set<LiveSocket>>();
  private readonly checkpoint: NodeJS.Timeout;
  /** Set by close(): a join from then on would build a room and presence nothing tears down any more. */
  private closing = false;
  /** Joins under way: close() lets them end (refused at their next step) before it tears down what they made. */
  private readonly joins = new Set<Promise<JoinResult>>();
  /** Per transport, not per user as `limits` are: a viewer's send and receive transports recover apart. */
  private readonly iceRestarts = new RateLimiterMemory(ICE_RESTARTS);
  private readonly limiters = new Map<string, RateLimiterMemory>();
  /** Open sockets by `ip:<address>` (anonymous) or `user:<id>`: counted in the handshake, before any await. */
  private readonly open = new Map<string, number>();
  private readonly anyEvent: RateLimiterAbstract;
  private readonly costlyEvent: RateLimiterAbstract;
  private readonly refresh: RateLimiterAbstract;
  private readonly chatter: ChatterBatcher;

  constructor(private readonly deps: LiveGatewayDeps) {
    // A push runs on a timer too, where a throw would be uncaught and stop the process: logged instead.
    this.chatter = new ChatterBatcher((seminarId, events) => {
      try {
        this.toRoom(seminarId).emit('room:batch', { events });
      } catch (err) {
        deps.logger.error({ err, seminarId, events: events.length }, 'pushing the room its chatter failed');
      }
    }, deps.chatterWindowMs);
    for (const { events, points, seconds } of limits) {
      const limiter = new RateLimiterMemory({ points, duration: seconds });
      for (const event of events) this.limiters.set(event, limiter);
    }
    // A socket lives on one node: its budget stays in this process, even with Redis.
    this.anyEvent = deps.limits.local({ name: 'live-event', points: deps.eventsPer10s, durationSeconds: 10 });
    this.costlyEvent = deps.limits.local({ name: 'live-event-costly', points: deps.costlyEventsPer10s, durationSeconds: 10 });
    this.refresh = deps.limits.local({ name: 'live-auth-refresh', ...REFRESHES });
    deps.nsp.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      try {
        const signedIn = typeof token === 'string' && token !== '';
        socket.data = signedIn ? { actor: deps.tokens.verifyAccess(token), expiresAt: deps.tokens.expiryOf(token) } : { actor: anonymous };
        this.admit(socket);
        next();
      } catch (err) {
        const e = toAppError(err);
        next(Object.assign(new Error(e.message), { data: toErrorBody(e).error }));
      }
    });
    deps.nsp.on('connection', (socket) => this.onConnection(socket));
    // Another node's lecturer removed or banned someone: their sockets here go too.
    deps.nsp.on('moderation:eject', (payload, ack) => {
      const parsed = ejection.safeParse(payload);
      if (!parsed.success) return ack(0);
      this.ejectHere(parsed.data).then(ack, (err: unknown) => {
        deps.logger.error({ err, ...parsed.data }, 'ejecting for another node failed');
        ack(0);
      });
    });
    // An account disabled or deleted on another node: its access tokens are void here too.
    deps.nsp.on('user:revoked', (userId) => {
      if (typeof userId === 'string' && /^[0-9a-f]{24}$/.test(userId)) deps.tokens.revokeUser(userId);
    });
    this.checkpoint = setInterval(() => {
      for (const set of this.sockets.values()) for (const s of set) void s.data.attendance?.checkpoint().catch(() => undefined);
    }, deps.attendanceCheckpointMs);
    this.checkpoint.unref();
  }

  /** Viewers in a seminar's room right now (on this node). */
  viewerCount(seminarId: string): number {
    return this.presence.get(seminarId)?.count ?? 0;
  }

  /** Viewers per seminar with an open room on this node: for metrics. */
  viewerCounts(): Map<string, number> {
    return new Map([...this.presence].map(([id, p]) => [id, p.count]));
  }

  /** How many entries the gateway's registries hold: for tests and diagnostics. */
  counts(): { presence: number; seminars: number; sockets: number } {
    let sockets = 0;
    for (const set of this.sockets.values()) sockets += set.size;
    return { presence: this.presence.size, seminars: this.sockets.size, sockets };
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.checkpoint);
    // Each refuses at its next step; a step held by a database that is away is not waited out.
    await Promise.race([Promise.allSettled([...this.joins]), new Promise((resolve) => setTimeout(resolve, JOINS_WAIT_MS).unref())]);
    const all = [...this.sockets.values()].flatMap((s) => [...s]);
    await Promise.allSettled(all.map((s) => this.leave(s)));
    // After the leaves, whose lowered hands are chatter too; what comes later goes at once.
    this.chatter.close();
    for (const p of this.presence.values()) p.dispose();
    this.presence.clear();
    this.sockets.clear();
  }

  private onConnection(socket: LiveSocket): void {
    const log = this.deps.logger.child({ socketId: socket.id });
    // A room of the user's own sockets, on every node: an account disabled on one node is
    // dropped everywhere without listing every socket of the cluster.
    const actor = socket.data.actor;
    if (actor.kind === 'user') void socket.join(userRoom(actor.userId));
    const on = <E extends ClientEventName>(event: E, handler: (payload: ClientPayload<E>) => Promise<unknown>) => {
      // Socket.IO's typed listener maps cannot express one handler for every event name.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      socket.on(event as string, async (first: unknown, second?: unknown) => {
        // An event sent with an ack but no payload arrives with the ack first.
        const [payload, ack] = typeof first === 'function' && second === undefined ? [undefined, first] : [first, second];
        const reply = typeof ack === 'function' ? (ack as (a: Ack<unknown>) => void) : () => undefined;
        try {
          await this.spend(socket, event);
          const parsed = (clientEvents[event] as z.ZodType).parse(payload ?? {}) as ClientPayload<E>;
          await this.rateLimit(socket, event);
          reply({ ok: true, data: (await handler(parsed)) ?? null });
        } catch (err) {
          const e = toAppError(err);
          if (e.status >= 500) log.error({ err, event }, 'live event failed');
          reply({ ok: false, error: toErrorBody(e).error });
        }
      });
    };
    socket.onAny((event: string, ...args: unknown[]) => {
      if (Object.hasOwn(clientEvents, event)) return;
      const ack = args[args.length - 1];
      const reply = typeof ack === 'function' ? (ack as (reply: Ack<never>) => void) : () => undefined;
      // Unknown events cost from the same budget: a flood of made-up names is still a flood.
      this.spend(socket, event).then(
        () => reply({ ok: false, error: { code: 'unknown_event', message: `No event named ${event.slice(0, 64)}` } }),
        (err: unknown) => reply({ ok: false, error: toErrorBody(toAppError(err)).error }),
      );
    });

    this.armExpiry(socket);
    on('auth:refresh', async (p) => this.refreshToken(socket, p.token));
    on('room:join', (p) => this.join(socket, p.seminarId));
    on('transport:create', async (p) => {
      const { access, peer } = this.inRoom(socket);
      if (p.direction === 'send') this.assertMayProduce(access, 'camera');
      return { ...(await peer.createTransport(p.direction)), ...this.iceConfiguration(socket, access) };
    });
    on('transport:restart-ice', async (p) => {
      const { access, peer } = this.inRoom(socket);
      // Only the transport's owner: another peer's id is not found here, and costs nothing from the limit.
      if (!peer.hasTransport(p.transportId)) throw new MediaError('transport_not_found', 'No such transport of yours');
      await this.iceRestarts.consume(p.transportId).catch((err: unknown) => {
        if (!(err instanceof RateLimiterRes)) throw err;
        const retryAfterSeconds = Math.ceil(err.msBeforeNext / 1000);
        throw new AppError(429, 'rate_limited', `At most ${ICE_RESTARTS.points} ICE restarts a minute per transport`, {
          retryAfterSeconds,
        });
      });
      const iceParameters = await peer.restartIce(p.transportId);
      // Fresh TURN credentials too: a restart may need a new relay allocation, and coturn checks expiry on each.
      return { iceParameters, iceServers: this.iceConfiguration(socket, access).iceServers };
    });
    on('transport:connect', async (p) => {
      const { peer } = this.inRoom(socket);
      await clientParameters(() => peer.connectTransport(p.transportId, p.dtlsParameters as never));
    });
    on('produce', async (p) => {
      const { access, peer, room } = this.inRoom(socket);
      this.assertMayProduce(access, p.source);
      // The room announces it (room:producer-added) once every router can serve it.
      const { producerId } = await clientParameters(() => room.produce(peer, p.transportId, p.kind, p.rtpParameters as never, p.source));
      // A muted guest coming back (a rejoin) stays muted.
      if (p.source === 'mic' && access.userId && this.presenceOf(access.seminar.id).muted.has(access.userId))
        await peer.pauseProducer(producerId);
      // The lecturer's media and that of guests on stage (assertMayProduce let nobody else here) are recorded.
      const role = access.role === 'lecturer' ? 'lecturer' : 'guest';
      this.deps.recordings.producerAdded(room, access.seminar, { producer: peer.producer(producerId), source: p.source, role });
      return { producerId };
    });
    on('producer:pause', async (p) => this.inRoom(socket).peer.pauseProducer(p.producerId));
    on('producer:resume', async (p) => {
      const { access, peer, room } = this.inRoom(socket);
      // A mute holds until the lecturer lifts it: the guest's own page cannot undo it.
      if (access.userId && room.producerSource(p.producerId) === 'mic' && this.presenceOf(access.seminar.id).muted.has(access.userId))
        throw new ForbiddenError('muted_by_moderator', 'The lecturer muted your microphone');
      await peer.resumeProducer(p.producerId);
    });
    on('producer:close', async (p) => this.inRoom(socket).peer.closeProducer(p.producerId));
    on('consume', async (p) => {
      const { peer, room } = this.inRoom(socket);
      const source = room.producerSource(p.producerId);
      if (!source) throw new MediaError('producer_not_found', 'No such stream in this room');
      return clientParameters(() => peer.consume(p.producerId, source, p.rtpCapabilities as never));
    });
    on('consumer:resume', async (p) => this.inRoom(socket).peer.resumeConsumer(p.consumerId));
    on('consumer:preferences', async (p) => this.inRoom(socket).peer.fitConsumer(p.consumerId, p.height));
    // The recording, the sockets' view and the room follow from the transition itself (seminarMoved).
    on('seminar:go-live', async () => {
      const access = this.member(socket);
      await this.deps.seminars.transition(socket.data.actor, access.seminar.id, 'live');
      return { status: 'live' };
    });
    on('seminar:end', async () => {
      const access = this.member(socket);
      // Ending runs the recording to a lesson (SeminarEvents.ended) before the answer.
      await this.deps.seminars.transition(socket.data.actor, access.seminar.id, 'ended');
      return { status: 'ended' };
    });
    on('chat:send', async (p) => {
      const access = this.member(socket);
      const message = await this.deps.live.sendChat(access, p.text);
      this.chatter.add(access.seminar.id, { type: 'chat:message', data: message });
      return message;
    });
    on('chat:delete', async (p) => {
      const access = this.member(socket);
      await this.deps.live.deleteChat(access, p.messageId);
      this.chatter.add(access.seminar.id, { type: 'chat:deleted', data: { messageId: p.messageId } });
    });
    on('question:ask', async (p) => {
      const access = this.member(socket);
      return this.questionChanged(access, await this.deps.live.ask(access, p.text));
    });
    on('question:upvote', async (p) => {
      const access = this.member(socket);
      return this.questionChanged(access, await this.deps.live.upvote(access, p.questionId));
    });
    on('question:status', async (p) => {
      const access = this.member(socket);
      return this.questionChanged(access, await this.deps.live.setQuestionStatus(access, p.questionId, p.status));
    });
    on('marker:add', async (p) => this.deps.live.addMarker(this.member(socket), p.label));
    on('hand:raise', async (p) => {
      const access = this.member(socket);
      if (!access.userId || access.role !== 'viewer') throw new ForbiddenError('cannot_raise_hand', 'Only signed-in viewers raise hands');
      refuseStageInEncore(access);
      this.setHand(access.seminar.id, access.userId, access.displayName, p.raised);
    });
    on('hand:lower', async (p) => {
      const access = this.member(socket);
      this.deps.live.moderatorOnly(access);
      const name = this.presenceOf(access.seminar.id).hands.get(p.userId);
      if (name !== undefined) this.setHand(access.seminar.id, p.userId, name, false);
    });
    on('room:participants', async () => {
      const access = this.member(socket);
      this.deps.live.moderatorOnly(access);
      return this.presenceOf(access.seminar.id).participants();
    });
    on('stage:invite', async (p) => this.invite(socket, p.userId));
    on('stage:accept', async () => this.answerInvitation(socket, true));
    on('stage:decline', async () => this.answerInvitation(socket, false));
    on('stage:leave', async () => {
      const access = this.member(socket);
      const presence = this.presenceOf(access.seminar.id);
      if (!access.userId || !(presence.stage.has(access.userId) || presence.invited.has(access.userId)))
        throw new ConflictError('not_on_stage', 'You are not on stage');
      this.offStage(access.seminar.id, access.userId);
    });
    on('stage:remove', async (p) => {
      const access = this.member(socket);
      this.deps.live.moderatorOnly(access);
      this.offStage(access.seminar.id, p.userId);
    });
    on('moderation:mute', async (p) => this.setMuted(socket, p.userId, true));
    on('moderation:unmute', async (p) => this.setMuted(socket, p.userId, false));
    on('moderation:remove', async (p) => this.eject(socket, p.userId, 'removed'));
    on('moderation:ban', async (p) => {
      await this.deps.live.ban(this.member(socket), p.userId);
      await this.eject(socket, p.userId, 'banned');
    });
    for (const feature of this.deps.features ?? [])
      feature.attach({ id: socket.id, socket, on, access: () => this.member(socket), inRoom: () => this.inRoom(socket) });

    socket.on('disconnect', () => {
      clearTimeout(socket.data.expiry);
      void this.leave(socket).catch((err: unknown) => log.error({ err }, 'leaving the room failed'));
    });
  }

  /**
   * Counts the socket against its owner's cap, or throws 429 too_many_connections: anonymous
   * sockets per address (a flood from one address cannot take a public seminar's seats or the
   * media ports), signed-in ones per user, so a shared address never locks out the lecturer.
   */
  private admit(socket: LiveSocket): void {
    const actor = socket.data.actor;
    const [key, cap] =
      actor.kind === 'user'
        ? [`user:${actor.userId}`, this.deps.maxSocketsPerUser]
        : [`ip:${this.deps.clientAddress(socket.request)}`, this.deps.maxSocketsPerIp];
    const count = this.open.get(key) ?? 0;
    if (count >= cap) {
      this.deps.limits.refused(actor.kind === 'user' ? 'live-sockets-user' : 'live-sockets-ip');
      throw new AppError(429, 'too_many_connections', 'Too many open connections from here; close some and try again', {
        retryAfterSeconds: 10,
      });
    }
    this.open.set(key, count + 1);
    socket.once('disconnect', () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    });
  }

  /** Takes one event from the socket's budgets, or throws 429 rate_limited. */
  private async spend(socket: LiveSocket, event: string): Promise<void> {
    await this.deps.limits.consume(this.anyEvent, socket.id, RATE_LIMITED);
    if (COSTLY_EVENTS.has(event)) await this.deps.limits.consume(this.costlyEvent, socket.id, RATE_LIMITED);
  }

  private async join(socket: LiveSocket, seminarId: string): Promise<JoinResult> {
    if (socket.data.joining) throw new ConflictError('already_joined', 'A join is already in progress');
    socket.data.joining = true;
    const joining = this.joinOnce(socket, seminarId);
    this.joins.add(joining);
    try {
      return await joining;
    } finally {
      this.joins.delete(joining);
      socket.data.joining = false;
    }
  }

  private async joinOnce(socket: LiveSocket, seminarId: string): Promise<JoinResult> {
    if (this.closing) throw stopping();
    if (socket.data.access) {
      if (socket.data.access.seminar.id !== seminarId || !socket.data.room?.isClosed)
        throw new ConflictError('already_joined', 'This connection is already in a room');
      await this.leave(socket); // rejoin after the room was rebuilt
    }
    // Roles and bans as they are now: a token's roles are as old as the token.
    socket.data.actor = await this.deps.live.currentActor(socket.data.actor);
    const access = await this.deps.live.access(socket.data.actor, seminarId);
    if (this.closing) throw stopping();
    // An encore plays its recording over HLS: no router, no transports, no seat limit.
    if (access.seminar.encoreOf) return this.joinWithoutMedia(socket, access);
    if (access.role === 'viewer' && this.viewerCount(seminarId) >= this.deps.maxWebRtcViewers) {
      // The watch page then plays the seminar's live HLS (GET /seminars/:id/playback), a few seconds behind.
      throw new ConflictError('seats_full', 'All live seats are taken; watch the live stream instead');
    }
    const room = await this.deps.rooms.get(seminarId);
    this.watchRoom(room);
    const peer = await room.join(socket.id, access.userId);
    if (socket.disconnected || room.isClosed || this.closing) {
      // It left, the room went, or the server began to stop while we were joining: leave nothing behind.
      room.leave(socket.id);
      if (this.closing) throw stopping();
      throw socket.disconnected
        ? new ConflictError('disconnected', 'The connection closed')
        : new ConflictError('room_rebuilding', 'The room is being rebuilt; join again');
    }
    // Joined first, so its own presence push reaches it (synchronous with the in-memory adapter);
    // registered before the next await, so a room that closes from here on takes this socket along.
    const joined = socket.join(access.role === 'lecturer' ? [`seminar:${seminarId}`, staffRoom(seminarId)] : `seminar:${seminarId}`);
    socket.data.access = access;
    socket.data.room = room;
    socket.data.peer = peer;
    peer.on('consumerclose', (consumerId) => socket.emit('room:consumer-closed', { consumerId }));
    let sockets = this.sockets.get(seminarId);
    if (!sockets) this.sockets.set(seminarId, (sockets = new Set()));
    sockets.add(socket);
    const presence = this.presenceOf(seminarId);
    presence.enter(socket.id, { userId: access.userId, displayName: access.displayName, role: access.role });
    const routerRtpCapabilities = room.rtpCapabilities;
    const producers = room.listProducers().map(({ producerId, peerId, userId, kind, source, paused }) => ({
      producerId,
      peerId,
      userId,
      kind,
      source,
      paused,
    }));
    await joined;
    const attendance = await this.deps.live.attend(access);
    if (socket.data.peer !== peer || socket.disconnected || this.closing) {
      // Left meanwhile (disconnect, removal, the room closed, or close() came after it listed the sockets): the span ends as it began.
      await attendance.end();
      await this.leave(socket);
      throw this.closing ? stopping() : new ConflictError('disconnected', 'The connection closed');
    }
    socket.data.attendance = attendance;
    return this.joinResult(access, peer.id, routerRtpCapabilities, producers);
  }

  /** An encore's room: the Socket.IO rooms, presence and attendance of a live one, without media. */
  private async joinWithoutMedia(socket: LiveSocket, access: LiveAccess): Promise<JoinResult> {
    const seminarId = access.seminar.id;
    const joined = socket.join(access.role === 'lecturer' ? [seminarRoom(seminarId), staffRoom(seminarId)] : seminarRoom(seminarId));
    socket.data.access = access;
    let sockets = this.sockets.get(seminarId);
    if (!sockets) this.sockets.set(seminarId, (sockets = new Set()));
    sockets.add(socket);
    this.presenceOf(seminarId).enter(socket.id, { userId: access.userId, displayName: access.displayName, role: access.role });
    await joined;
    const attendance = await this.deps.live.attend(access);
    if (socket.data.access !== access || socket.disconnected || this.closing) {
      await attendance.end();
      await this.leave(socket);
      throw this.closing ? stopping() : new ConflictError('disconnected', 'The connection closed');
    }
    socket.data.attendance = attendance;
    return this.joinResult(access, socket.id, {}, []);
  }

  private async joinResult(
    access: LiveAccess,
    peerId: string,
    routerRtpCapabilities: JoinResult['routerRtpCapabilities'],
    producers: JoinResult['producers'],
  ): Promise<JoinResult> {
    const seminarId = access.seminar.id;
    const presence = this.presenceOf(seminarId);
    return {
      peerId,
      role: access.role,
      seminar: {
        id: seminarId,
        title: access.seminar.title,
        status: access.seminar.status,
        liveStartedAt: access.seminar.liveStartedAt?.toISOString() ?? null,
        encoreOf: access.seminar.encoreOf,
      },
      routerRtpCapabilities,
      producers,
      chat: await this.deps.live.recentChat(seminarId),
      questions: await this.deps.live.questions(seminarId, access.userId),
      viewers: presence.count,
      onStage: access.userId !== null && presence.stage.has(access.userId),
      self: access.userId ? presence.self(access.userId) : { invited: false, onStage: false, muted: false },
      stage: [...presence.stage].map(([userId, displayName]) => ({ userId, displayName })),
      canChat: access.canChat,
    };
  }

  /** Closes the connection at its token's expiry (a signed-in one; a guest's has no token). */
  private armExpiry(socket: LiveSocket): void {
    clearTimeout(socket.data.expiry);
    const { expiresAt } = socket.data;
    if (!expiresAt) return;
    socket.data.expiry = setTimeout(
      () => {
        socket.emit('auth:expired');
        void this.leave(socket)
          .catch((err: unknown) => this.deps.logger.error({ err }, 'leaving the room failed'))
          .finally(() => socket.disconnect(true));
      },
      Math.max(0, expiresAt.getTime() - Date.now()),
    );
    socket.data.expiry.unref();
  }

  /** A fresh token of the same user keeps the connection open until that token's expiry. */
  private async refreshToken(socket: LiveSocket, token: string): Promise<{ expiresAt: string }> {
    // Counted before the token is checked: guessing costs from the same budget.
    await this.deps.limits.consume(this.refresh, socket.id, {
      code: 'rate_limited',
      message: `At most ${REFRESHES.points} token refreshes a minute`,
    });
    const actor = this.deps.tokens.verifyAccess(token);
    const current = socket.data.actor;
    if (current.kind !== 'user' || current.userId !== actor.userId) {
      throw new ForbiddenError('different_user', 'A connection keeps the user it was opened with; connect again to switch');
    }
    // Roles stay those read at the last join; the fresh token only extends the connection.
    socket.data.expiresAt = this.deps.tokens.expiryOf(token);
    this.armExpiry(socket);
    return { expiresAt: socket.data.expiresAt.toISOString() };
  }

  /** Takes the socket out of its room: its media, the registries, then (after the awaits) its attendance. */
  private async leave(socket: LiveSocket): Promise<void> {
    const { access, room, attendance } = socket.data;
    if (!access) return;
    socket.data.access = socket.data.room = socket.data.peer = socket.data.attendance = undefined;
    room?.leave(socket.id);
    const seminarId = access.seminar.id;
    const sockets = this.sockets.get(seminarId);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.sockets.delete(seminarId);
    const presence = this.presence.get(seminarId);
    presence?.leave(socket.id);
    // A hand goes down with the user's last connection; the stage and a mute stay for a rejoin.
    if (access.userId && presence?.hands.has(access.userId) && !presence.isPresent(access.userId)) {
      this.setHand(seminarId, access.userId, access.displayName, false);
    }
    await socket.leave(`seminar:${seminarId}`);
    await socket.leave(staffRoom(seminarId));
    await attendance?.end();
  }

  /** The seminar's room closed for good (ended, or shutdown): its sockets leave, and its live state goes. */
  private roomClosed(seminarId: string): void {
    for (const s of [...(this.sockets.get(seminarId) ?? [])]) {
      void this.leave(s).catch((err: unknown) => this.deps.logger.error({ err, seminarId }, 'leaving a closed room failed'));
    }
    this.sockets.delete(seminarId);
    this.presence.get(seminarId)?.dispose();
    this.presence.delete(seminarId);
  }

  private watchRoom(room: Room): void {
    if (this.watched.has(room)) return;
    this.watched.add(room);
    const seminarId = room.seminarId;
    room.on('producer', (info) => this.toRoom(seminarId).emit('room:producer-added', info));
    room.on('producerpause', (info) => this.toRoom(seminarId).emit('room:producer-paused', info));
    room.on('producerclose', ({ producerId }) => {
      this.toRoom(seminarId).emit('room:producer-closed', { producerId });
      this.deps.recordings.producerClosed(seminarId, producerId);
    });
    room.once('close', (reason) => {
      if (reason === 'closed') return this.roomClosed(seminarId);
      this.deps.recordings.roomLost(room.seminarId);
      this.deps.logger.warn({ seminarId: room.seminarId }, 'room lost its media worker; clients rejoin');
      for (const s of this.sockets.get(room.seminarId) ?? []) void s.data.attendance?.checkpoint().catch(() => undefined);
      this.toRoom(room.seminarId).emit('room:rebuild', { reason: 'media server restarted' });
    });
  }

  /** TURN servers and credentials for this client, in the name of its user (or its socket, for a guest). */
  private iceConfiguration(socket: LiveSocket, access: LiveAccess): IceConfiguration {
    return this.deps.turn?.issue(access.userId ?? socket.id) ?? { iceServers: [] };
  }

  /** Who the socket is in its room, media or not: an encore's room has none (it plays a recording over HLS). */
  private member(socket: LiveSocket): LiveAccess {
    const { access, room } = socket.data;
    if (!access) throw new ConflictError('not_in_room', 'Join a room first');
    if (room?.isClosed) throw new ConflictError('room_rebuilding', 'The room is being rebuilt; join again');
    return access;
  }

  private inRoom(socket: LiveSocket): { access: LiveAccess; room: Room; peer: Peer } {
    const { access, room, peer } = socket.data;
    if (!access || !room || !peer) throw new ConflictError('not_in_room', 'Join a room first');
    if (room.isClosed) throw new ConflictError('room_rebuilding', 'The room is being rebuilt; join again');
    return { access, room, peer };
  }

  /** The lecturer (while live), or a viewer on stage with camera and microphone; nobody else. */
  private assertMayProduce(access: LiveAccess, source: Source): void {
    const onStage = access.userId !== null && this.presenceOf(access.seminar.id).stage.has(access.userId);
    if (access.role !== 'lecturer' && !(onStage && source !== 'screen')) {
      throw new ForbiddenError('not_allowed_to_produce', 'Only the lecturer, or a viewer invited on stage, may send media');
    }
    if (access.seminar.status !== 'live') throw new ConflictError('seminar_not_live', 'The seminar is not live');
  }

  /**
   * The seminar moved (live, ended, cancelled), through a socket or the REST API:
   * every socket's view of it becomes current, attendance starts or ends, and an
   * ended or cancelled seminar's room closes.
   */
  async seminarMoved(seminar: Seminar): Promise<void> {
    for (const s of [...(this.sockets.get(seminar.id) ?? [])]) {
      if (!s.data.access) continue;
      s.data.access = { ...s.data.access, seminar };
      if (seminar.status === 'live') s.data.attendance = await this.deps.live.attend(s.data.access);
      else await s.data.attendance?.end();
    }
    this.chatter.flush(seminar.id);
    this.toRoom(seminar.id).emit('room:status', { status: seminar.status });
    if (seminar.status !== 'ended' && seminar.status !== 'cancelled') return;
    // An encore has no media room whose closing would take its sockets out: they leave here.
    if (seminar.encoreOf) this.roomClosed(seminar.id);
    else (await this.deps.rooms.peek(seminar.id))?.close();
  }

  /**
   * A disabled account's sockets, on every node (through the adapter), are disconnected;
   * joining again is refused, since a join reads the account afresh (LiveService.currentActor).
   */
  /** A disabled or deleted account: its sockets go, on every node, and the other nodes void its tokens. */
  dropUser(userId: string): Promise<void> {
    if (this.deps.clustered) this.deps.nsp.serverSideEmit('user:revoked', userId);
    this.deps.nsp.in(userRoom(userId)).disconnectSockets(true);
    return Promise.resolve();
  }

  private setHand(seminarId: string, userId: string, displayName: string, raised: boolean): void {
    const presence = this.presenceOf(seminarId);
    if (raised) presence.hands.set(userId, displayName);
    else presence.hands.delete(userId);
    presence.listChanged();
    this.chatter.add(seminarId, { type: 'hand:updated', data: { userId, displayName, raised } });
  }

  /** A question's new state: to the room (batched), and as the answer to whoever changed it. */
  private questionChanged(access: LiveAccess, q: QuestionRecord): Omit<Question, 'votedByMe'> {
    const view = questionView(q);
    this.chatter.add(access.seminar.id, { type: 'question:updated', data: view });
    return view;
  }

  /** An invitation to a viewer in the room; they go on stage only once they accept. */
  private async invite(socket: LiveSocket, userId: string): Promise<void> {
    const access = this.member(socket);
    this.deps.live.moderatorOnly(access);
    refuseStageInEncore(access);
    const seminarId = access.seminar.id;
    const presence = this.presenceOf(seminarId);
    const target = this.socketsOf(seminarId, userId)[0]?.data.access;
    if (!target) throw new ConflictError('not_present', 'That person is not in the room');
    if (target.role === 'lecturer') throw new ConflictError('already_lecturer', 'A lecturer of this seminar is always on stage');
    if (presence.stage.has(userId) || presence.invited.has(userId)) return;
    if (presence.stage.size + presence.invited.size >= MAX_ON_STAGE)
      throw new ConflictError('stage_full', `At most ${MAX_ON_STAGE} guests on stage`);
    presence.invited.set(userId, target.displayName);
    presence.hands.delete(userId);
    this.chatter.add(seminarId, { type: 'hand:updated', data: { userId, displayName: target.displayName, raised: false } });
    // Pushed now, with what waits in the room's window: the page hears its hand go down before it is invited.
    this.chatter.flush(seminarId);
    this.selfChanged(seminarId, userId);
  }

  private async answerInvitation(socket: LiveSocket, accept: boolean): Promise<void> {
    const access = this.member(socket);
    const seminarId = access.seminar.id;
    const presence = this.presenceOf(seminarId);
    const displayName = access.userId ? presence.invited.get(access.userId) : undefined;
    if (!access.userId || displayName === undefined) throw new ConflictError('not_invited', 'There is no invitation to answer');
    presence.invited.delete(access.userId);
    if (accept) {
      presence.stage.set(access.userId, displayName);
      this.toRoom(seminarId).emit('stage:updated', { userId: access.userId, displayName, onStage: true });
    }
    this.selfChanged(seminarId, access.userId);
  }

  /** Off the stage (or the invitation withdrawn): what they send stops, and a mute ends with it. */
  private offStage(seminarId: string, userId: string): void {
    const presence = this.presenceOf(seminarId);
    const displayName = presence.stage.get(userId) ?? presence.invited.get(userId) ?? '';
    const wasOn = presence.stage.delete(userId);
    presence.invited.delete(userId);
    presence.muted.delete(userId);
    for (const s of this.socketsOf(seminarId, userId)) s.data.peer?.closeProducers();
    if (wasOn) this.toRoom(seminarId).emit('stage:updated', { userId, displayName, onStage: false });
    this.selfChanged(seminarId, userId);
  }

  private async setMuted(socket: LiveSocket, userId: string, muted: boolean): Promise<void> {
    const access = this.member(socket);
    this.deps.live.moderatorOnly(access);
    const seminarId = access.seminar.id;
    const presence = this.presenceOf(seminarId);
    if (!presence.stage.has(userId)) throw new ConflictError('not_on_stage', 'Only a guest on stage can be muted');
    if (muted) {
      presence.muted.add(userId);
      for (const s of this.socketsOf(seminarId, userId)) await s.data.peer?.pauseProducers('mic');
    } else {
      // Lifting the mute lets the guest speak again; switching the microphone back on stays theirs.
      presence.muted.delete(userId);
    }
    this.selfChanged(seminarId, userId);
  }

  /** Tells the user's own pages where they stand, and the lecturers' lists. */
  private selfChanged(seminarId: string, userId: string): void {
    const presence = this.presenceOf(seminarId);
    const self = presence.self(userId);
    for (const s of this.socketsOf(seminarId, userId)) s.emit('stage:self', self);
    presence.listChanged();
  }

  private async rateLimit(socket: LiveSocket, event: string): Promise<void> {
    const limiter = this.limiters.get(event);
    if (!limiter) return;
    try {
      await limiter.consume(socket.data.access?.userId ?? socket.id);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // The same details as REST's 429 (accounts/throttle.ts), so one client code reads both.
      const retryAfterSeconds = Math.ceil(err.msBeforeNext / 1000);
      throw new AppError(429, 'rate_limited', `Slow down: try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
  }

  private async eject(socket: LiveSocket, userId: string, reason: 'removed' | 'banned'): Promise<void> {
    const access = this.member(socket);
    this.deps.live.moderatorOnly(access);
    if (access.seminar.lecturerIds.includes(userId))
      throw new ForbiddenError('cannot_remove_lecturer', 'A lecturer of this seminar cannot be removed');
    const request: Ejection = { seminarId: access.seminar.id, userId, reason };
    await this.ejectHere(request);
    if (!this.deps.clustered) return;
    // The user may be connected to other nodes as well (another tab behind the load balancer).
    // Answered once every node has ejected them; the adapter gives up after its request timeout.
    await this.deps.nsp.serverSideEmitWithAck('moderation:eject', request).catch((err: unknown) => {
      this.deps.logger.warn({ err, ...request }, 'not every node confirmed the removal');
    });
  }

  /** Takes the user's sockets on this node out of the seminar's room: their media, then the connection. */
  private async ejectHere({ seminarId, userId, reason }: Ejection): Promise<number> {
    const sockets = this.socketsOf(seminarId, userId);
    for (const s of sockets) {
      s.emit('room:removed', { reason });
      await this.leave(s);
      s.disconnect(true);
    }
    return sockets.length;
  }

  private socketsOf(seminarId: string, userId: string): LiveSocket[] {
    return [...(this.sockets.get(seminarId) ?? [])].filter((s) => s.data.access?.userId === userId);
  }

  private presenceOf(seminarId: string): Presence {
    let p = this.presence.get(seminarId);
    if (!p) {
      p = new Presence(
        (count) => this.toRoom(seminarId).emit('room:viewers', { count }),
        (list) => this.deps.nsp.to(staffRoom(seminarId)).emit('room:participants', list),
        this.deps.viewerCountThrottleMs,
      );
      this.presence.set(seminarId, p);
    }
    return p;
  }

  private toRoom(seminarId: string) {
    return this.deps.nsp.to(`seminar:${seminarId}`);
  }
}

/** A join refused because this server is stopping: the pages' connection retries it (a restart, or another node). */
function stopping(): UnavailableError {
  return new UnavailableError('server_stopping', 'This server is stopping; join again in a moment');
}
