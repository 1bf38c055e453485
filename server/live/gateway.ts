import type { Namespace, Socket } from 'socket.io';
import { z, ZodError } from 'zod';
import type { Actor } from '../accounts/grants';
import { anonymous } from '../accounts/grants';
import type { TokenIssuer } from '../accounts/tokens';
import { AppError, ConflictError, ForbiddenError, toErrorBody } from '../errors';
import { toAppError } from '../http/error-handler';
import type { Logger } from '../logger';
import { MediaError, type Peer, type Room, type RoomRegistry, type Source } from '../../media';
import { clientEvents, type Ack, type ClientEventName, type ClientPayload, type JoinResult, type ServerEvents } from '../protocol';
import type { SeminarService } from '../seminars/service';
import type { RecordingController } from '../recordings/controller';
import { Presence } from './presence';
import { questionView, type LiveAccess, type LiveService } from './service';

interface SocketState {
  actor: Actor;
  joining?: boolean;
  access?: LiveAccess;
  room?: Room;
  peer?: Peer;
  attendance?: { checkpoint(): Promise<void>; end(): Promise<void> };
}

type LiveSocket = Socket<Record<string, never>, ServerEvents, Record<string, never>, SocketState>;
export type LiveNamespace = Namespace<Record<string, never>, ServerEvents, Record<string, never>, SocketState>;

export interface LiveGatewayDeps {
  nsp: LiveNamespace;
  tokens: TokenIssuer;
  live: LiveService;
  seminars: SeminarService;
  rooms: RoomRegistry;
  logger: Logger;
  viewerCountThrottleMs: number;
  maxWebRtcViewers: number;
  attendanceCheckpointMs: number;
  recordings: RecordingController;
}

class ClientParameterError extends Error {}

/** mediasoup throws TypeError on parameter objects it cannot use: that is the client's bad input. */
async function clientParameters<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TypeError) throw new ClientParameterError(err.message);
    throw err;
  }
}

/** Layers the viewer sees up to, from the size their player shows the video at. */
function spatialLayerFor(height: number): number {
  return height >= 540 ? 2 : height >= 270 ? 1 : 0;
}

/**
 * The /live namespace. Each event's payload is parsed with its schema from
 * server/protocol before anything runs, and answered with a typed ack; an
 * unknown or malformed event gets an error and changes nothing.
 */
export class LiveGateway {
  private readonly presence = new Map<string, Presence>();
  /** Rooms whose events this gateway already relays. */
  private readonly watched = new WeakSet<Room>();
  private readonly sockets = new Map<string, Set<LiveSocket>>();
  private readonly checkpoint: NodeJS.Timeout;

  constructor(private readonly deps: LiveGatewayDeps) {
    deps.nsp.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      try {
        socket.data = { actor: typeof token === 'string' && token ? deps.tokens.verifyAccess(token) : anonymous };
        next();
      } catch (err) {
        const e = toAppError(err);
        next(Object.assign(new Error(e.message), { data: toErrorBody(e).error }));
      }
    });
    deps.nsp.on('connection', (socket) => this.onConnection(socket));
    this.checkpoint = setInterval(() => {
      for (const set of this.sockets.values()) for (const s of set) void s.data.attendance?.checkpoint().catch(() => undefined);
    }, deps.attendanceCheckpointMs);
    this.checkpoint.unref();
  }

  /** Viewers in a seminar's room right now (on this node). */
  viewerCount(seminarId: string): number {
    return this.presence.get(seminarId)?.count ?? 0;
  }

  async close(): Promise<void> {
    clearInterval(this.checkpoint);
    const all = [...this.sockets.values()].flatMap((s) => [...s]);
    await Promise.all(all.map((s) => this.leave(s)));
    for (const p of this.presence.values()) p.dispose();
  }

  private onConnection(socket: LiveSocket): void {
    const log = this.deps.logger.child({ socketId: socket.id });
    const on = <E extends ClientEventName>(event: E, handler: (payload: ClientPayload<E>) => Promise<unknown>) => {
      // Socket.IO's typed listener maps cannot express one handler for every event name.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      socket.on(event as string, async (first: unknown, second?: unknown) => {
        // An event sent with an ack but no payload arrives with the ack first.
        const [payload, ack] = typeof first === 'function' && second === undefined ? [undefined, first] : [first, second];
        const reply = typeof ack === 'function' ? (ack as (a: Ack<unknown>) => void) : () => undefined;
        try {
          const parsed = (clientEvents[event] as z.ZodType).parse(payload ?? {}) as ClientPayload<E>;
          reply({ ok: true, data: (await handler(parsed)) ?? null });
        } catch (err) {
          const e =
            err instanceof MediaError
              ? new AppError(409, err.code, err.message)
              : err instanceof ClientParameterError
                ? new AppError(400, 'invalid_payload', err.message)
                : err instanceof ZodError
                  ? new AppError(400, 'invalid_payload', err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
                  : toAppError(err);
          if (e.status >= 500) log.error({ err, event }, 'live event failed');
          reply({ ok: false, error: { code: e.code, message: e.message } });
        }
      });
    };
    socket.onAny((event: string, ...args: unknown[]) => {
      if (Object.hasOwn(clientEvents, event)) return;
      const ack = args[args.length - 1];
      if (typeof ack === 'function')
        (ack as (reply: Ack<never>) => void)({ ok: false, error: { code: 'unknown_event', message: `No event named ${event}` } });
    });

    on('room:join', (p) => this.join(socket, p.seminarId));
    on('transport:create', async (p) => {
      const { access, peer } = this.inRoom(socket);
      if (p.direction === 'send') this.assertMayProduce(access, 'camera');
      const t = await peer.createTransport(p.direction);
      return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
    });
    on('transport:connect', async (p) => {
      const { peer } = this.inRoom(socket);
      await clientParameters(() => peer.connectTransport(p.transportId, p.dtlsParameters as never));
    });
    on('produce', async (p) => {
      const { access, peer, room } = this.inRoom(socket);
      this.assertMayProduce(access, p.source);
      const producer = await clientParameters(() => peer.produce(p.transportId, p.kind, p.rtpParameters as never, p.source));
      producer.observer.once('close', () => this.toRoom(access.seminar.id).emit('room:producer-closed', { producerId: producer.id }));
      producer.observer.on('pause', () =>
        this.toRoom(access.seminar.id).emit('room:producer-paused', { producerId: producer.id, paused: true }),
      );
      producer.observer.on('resume', () =>
        this.toRoom(access.seminar.id).emit('room:producer-paused', { producerId: producer.id, paused: false }),
      );
      await room.publish(peer, producer, p.source);
      // The lecturer's media and that of guests on stage (assertMayProduce let nobody else here) are recorded.
      const role = access.role === 'lecturer' ? 'lecturer' : 'guest';
      this.deps.recordings.producerAdded(room, access.seminar, { producer, source: p.source, role });
      producer.observer.once('close', () => this.deps.recordings.producerClosed(access.seminar.id, producer.id));
      return { producerId: producer.id };
    });
    on('producer:pause', async (p) => void (await this.inRoom(socket).peer.producer(p.producerId).pause()));
    on('producer:resume', async (p) => void (await this.inRoom(socket).peer.producer(p.producerId).resume()));
    on('producer:close', async (p) => void this.inRoom(socket).peer.producer(p.producerId).close());
    on('consume', async (p) => {
      const { peer, room } = this.inRoom(socket);
      const source = room.producerSource(p.producerId);
      if (!source) throw new MediaError('producer_not_found', 'No such stream in this room');
      const recv = [...peer.transports.values()].find((t) => t.appData.direction === 'recv');
      if (!recv) throw new MediaError('transport_not_found', 'Create a receive transport first');
      const consumer = await clientParameters(() => peer.consume(recv.id, p.producerId, source, p.rtpCapabilities as never));
      consumer.observer.once('close', () => socket.emit('room:consumer-closed', { consumerId: consumer.id }));
      return { consumerId: consumer.id, producerId: p.producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters, source };
    });
    on('consumer:resume', async (p) => {
      const consumer = this.inRoom(socket).peer.consumer(p.consumerId);
      await consumer.resume();
      if (consumer.kind === 'video') await consumer.requestKeyFrame();
    });
    on('consumer:preferences', async (p) => {
      const consumer = this.inRoom(socket).peer.consumer(p.consumerId);
      if (consumer.type === 'simulcast') await consumer.setPreferredLayers({ spatialLayer: spatialLayerFor(p.height), temporalLayer: 2 });
    });
    on('seminar:go-live', async () => {
      const { access } = this.inRoom(socket);
      await this.deps.seminars.transition(socket.data.actor, access.seminar.id, 'live');
      await this.refreshSeminar(socket.data.actor, access.seminar.id);
      await this.deps.recordings.live(socket.data.access!.seminar);
      return { status: 'live' };
    });
    on('seminar:end', async () => {
      const { access, room } = this.inRoom(socket);
      // Ending runs the recording to a lesson (SeminarEvents.ended) before the answer.
      await this.deps.seminars.transition(socket.data.actor, access.seminar.id, 'ended');
      await this.refreshSeminar(socket.data.actor, access.seminar.id);
      room.close();
      return { status: 'ended' };
    });
    on('chat:send', async (p) => {
      const { access } = this.inRoom(socket);
      const message = await this.deps.live.sendChat(access, p.text);
      this.toRoom(access.seminar.id).emit('chat:message', message);
      return message;
    });
    on('chat:delete', async (p) => {
      const { access } = this.inRoom(socket);
      await this.deps.live.deleteChat(access, p.messageId);
      this.toRoom(access.seminar.id).emit('chat:deleted', { messageId: p.messageId });
    });
    on('question:ask', async (p) => {
      const { access } = this.inRoom(socket);
      const q = await this.deps.live.ask(access, p.text);
      this.toRoom(access.seminar.id).emit('question:updated', questionView(q));
      return questionView(q);
    });
    on('question:upvote', async (p) => {
      const { access } = this.inRoom(socket);
      const q = await this.deps.live.upvote(access, p.questionId);
      this.toRoom(access.seminar.id).emit('question:updated', questionView(q));
      return questionView(q);
    });
    on('question:status', async (p) => {
      const { access } = this.inRoom(socket);
      const q = await this.deps.live.setQuestionStatus(access, p.questionId, p.status);
      this.toRoom(access.seminar.id).emit('question:updated', questionView(q));
      return questionView(q);
    });
    on('marker:add', async (p) => this.deps.live.addMarker(this.inRoom(socket).access, p.label));
    on('hand:raise', async (p) => {
      const { access } = this.inRoom(socket);
      if (!access.userId || access.role !== 'viewer') throw new ForbiddenError('cannot_raise_hand', 'Only signed-in viewers raise hands');
      const presence = this.presenceOf(access.seminar.id);
      if (p.raised) presence.hands.set(access.userId, access.displayName);
      else presence.hands.delete(access.userId);
      this.toRoom(access.seminar.id).emit('hand:updated', { userId: access.userId, displayName: access.displayName, raised: p.raised });
    });
    on('stage:invite', async (p) => this.setStage(socket, p.userId, true));
    on('stage:remove', async (p) => this.setStage(socket, p.userId, false));
    on('moderation:mute', async (p) => {
      const { access } = this.inRoom(socket);
      this.deps.live.moderatorOnly(access);
      for (const s of this.socketsOf(access.seminar.id, p.userId)) {
        for (const { producer, source } of s.data.peer?.producers.values() ?? []) if (source === 'mic') await producer.pause();
      }
    });
    on('moderation:remove', async (p) => this.eject(socket, p.userId, 'removed'));
    on('moderation:ban', async (p) => {
      await this.deps.live.ban(this.inRoom(socket).access, p.userId);
      await this.eject(socket, p.userId, 'banned');
    });

    socket.on('disconnect', () => {
      void this.leave(socket).catch((err: unknown) => log.error({ err }, 'leaving the room failed'));
    });
  }

  private async join(socket: LiveSocket, seminarId: string): Promise<JoinResult> {
    if (socket.data.joining) throw new ConflictError('already_joined', 'A join is already in progress');
    socket.data.joining = true;
    try {
      return await this.joinOnce(socket, seminarId);
    } finally {
      socket.data.joining = false;
    }
  }

  private async joinOnce(socket: LiveSocket, seminarId: string): Promise<JoinResult> {
    if (socket.data.access) {
      if (socket.data.access.seminar.id !== seminarId || !socket.data.room?.isClosed)
        throw new ConflictError('already_joined', 'This connection is already in a room');
      await this.leave(socket); // rejoin after the room was rebuilt
    }
    const access = await this.deps.live.access(socket.data.actor, seminarId);
    if (access.role === 'viewer' && this.presenceOf(seminarId).count >= this.deps.maxWebRtcViewers) {
      // The watch page then plays the seminar's live HLS (GET /seminars/:id/playback), a few seconds behind.
      throw new ConflictError('seats_full', 'All live seats are taken; watch the live stream instead');
    }
    const room = await this.deps.rooms.get(seminarId);
    this.watchRoom(room);
    const peer = await room.join(socket.id, access.userId);
    if (socket.disconnected) {
      // It left while we were joining: leave nothing behind.
      room.leave(socket.id);
      throw new ConflictError('disconnected', 'The connection closed');
    }
    socket.data.access = access;
    socket.data.room = room;
    socket.data.peer = peer;
    await socket.join(`seminar:${seminarId}`);
    if (!this.sockets.has(seminarId)) this.sockets.set(seminarId, new Set());
    this.sockets.get(seminarId)!.add(socket);
    const presence = this.presenceOf(seminarId);
    if (access.role === 'viewer') presence.enter(socket.id);
    socket.data.attendance = await this.deps.live.attend(access);
    if (socket.disconnected) {
      await this.leave(socket);
      throw new ConflictError('disconnected', 'The connection closed');
    }
    return {
      peerId: peer.id,
      role: access.role,
      seminar: {
        id: seminarId,
        title: access.seminar.title,
        status: access.seminar.status,
        liveStartedAt: access.seminar.liveStartedAt?.toISOString() ?? null,
      },
      routerRtpCapabilities: room.rtpCapabilities,
      producers: room.listProducers().map((p) => ({
        producerId: p.producer.id,
        peerId: p.peerId,
        userId: p.userId,
        kind: p.producer.kind,
        source: p.source,
        paused: p.producer.paused,
      })),
      chat: await this.deps.live.recentChat(seminarId),
      questions: await this.deps.live.questions(seminarId, access.userId),
      viewers: presence.count,
      onStage: access.userId !== null && presence.stage.has(access.userId),
      canChat: access.canChat,
    };
  }

  private async leave(socket: LiveSocket): Promise<void> {
    const { access, room } = socket.data;
    if (!access) return;
    socket.data.access = undefined;
    room?.leave(socket.id);
    await socket.leave(`seminar:${access.seminar.id}`);
    this.sockets.get(access.seminar.id)?.delete(socket);
    const presence = this.presence.get(access.seminar.id);
    presence?.leave(socket.id);
    if (access.userId && presence?.hands.delete(access.userId)) {
      this.toRoom(access.seminar.id).emit('hand:updated', { userId: access.userId, displayName: access.displayName, raised: false });
    }
    await socket.data.attendance?.end();
  }

  private watchRoom(room: Room): void {
    if (this.watched.has(room)) return;
    this.watched.add(room);
    room.on('producer', ({ producer, peerId, userId, source }) => {
      this.toRoom(room.seminarId).emit('room:producer-added', {
        producerId: producer.id,
        peerId,
        userId,
        kind: producer.kind,
        source,
        paused: producer.paused,
      });
    });
    room.once('close', (reason) => {
      if (reason !== 'workerdied') return;
      this.deps.recordings.roomLost(room.seminarId);
      this.deps.logger.warn({ seminarId: room.seminarId }, 'room lost its media worker; clients rejoin');
      for (const s of this.sockets.get(room.seminarId) ?? []) void s.data.attendance?.checkpoint();
      this.toRoom(room.seminarId).emit('room:rebuild', { reason: 'media server restarted' });
    });
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

  /** Keeps every socket's view of the seminar current after a status change, and starts or ends attendance. */
  private async refreshSeminar(actor: Actor, seminarId: string): Promise<void> {
    const seminar = await this.deps.seminars.visible(actor, seminarId);
    for (const s of this.sockets.get(seminarId) ?? []) {
      if (!s.data.access) continue;
      s.data.access = { ...s.data.access, seminar };
      if (seminar.status === 'live') s.data.attendance = await this.deps.live.attend(s.data.access);
      if (seminar.status === 'ended') await s.data.attendance?.end();
    }
    this.toRoom(seminarId).emit('room:status', { status: seminar.status });
  }

  private async setStage(socket: LiveSocket, userId: string, onStage: boolean): Promise<void> {
    const { access } = this.inRoom(socket);
    this.deps.live.moderatorOnly(access);
    const presence = this.presenceOf(access.seminar.id);
    if (onStage) {
      presence.stage.add(userId);
      presence.hands.delete(userId);
    } else {
      presence.stage.delete(userId);
      for (const s of this.socketsOf(access.seminar.id, userId))
        for (const { producer } of [...(s.data.peer?.producers.values() ?? [])]) producer.close();
    }
    this.toRoom(access.seminar.id).emit('stage:updated', { userId, onStage });
  }

  private async eject(socket: LiveSocket, userId: string, reason: 'removed' | 'banned'): Promise<void> {
    const { access } = this.inRoom(socket);
    this.deps.live.moderatorOnly(access);
    if (access.seminar.lecturerIds.includes(userId))
      throw new ForbiddenError('cannot_remove_lecturer', 'A lecturer of this seminar cannot be removed');
    for (const s of this.socketsOf(access.seminar.id, userId)) {
      s.emit('room:removed', { reason });
      await this.leave(s);
      s.disconnect(true);
    }
  }

  private socketsOf(seminarId: string, userId: string): LiveSocket[] {
    return [...(this.sockets.get(seminarId) ?? [])].filter((s) => s.data.access?.userId === userId);
  }

  private presenceOf(seminarId: string): Presence {
    let p = this.presence.get(seminarId);
    if (!p) {
      p = new Presence((count) => this.toRoom(seminarId).emit('room:viewers', { count }), this.deps.viewerCountThrottleMs);
      this.presence.set(seminarId, p);
    }
    return p;
  }

  private toRoom(seminarId: string) {
    return this.deps.nsp.to(`seminar:${seminarId}`);
  }
}
