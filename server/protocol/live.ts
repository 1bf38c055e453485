import { z } from 'zod';
import { objectId } from './common';
import { pollEvents, type PollView } from './polls';
import { slideClientEvents, type CurrentSlide } from './slides';
import { presenceCheckClientEvents, type PresenceCheckResult, type PresenceCheckView, type PresenceSchedule } from './presence-checks';
import { reactionClientEvents, type ReactionBurst } from './reactions';

// Socket.IO namespace /live. Every client event carries one payload and an ack;
// the server parses the payload with the schema below and acks with
// { ok: true, data } or { ok: false, error: { code, message, details? } }: the same
// codes and details as REST error bodies (server/error-mapping.ts maps both).

const id = z.string().min(1).max(100);
/** mediasoup's own parameter objects: checked for shape here, validated in depth by mediasoup. */
const mediasoupObject = z.record(z.string(), z.unknown());
const dtlsParameters = z.looseObject({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(z.looseObject({ algorithm: z.string().min(1).max(20), value: z.string().min(1).max(200) }))
    .min(1)
    .max(10),
});
const rtpParameters = z.looseObject({
  codecs: z
    .array(
      z.looseObject({
        mimeType: z.string().min(3).max(50),
        payloadType: z.number().int().min(0).max(127),
        clockRate: z.number().int().positive(),
      }),
    )
    .min(1)
    .max(20),
  encodings: z.array(mediasoupObject).max(10).optional(),
  headerExtensions: z.array(mediasoupObject).max(30).optional(),
});
const rtpCapabilities = z.looseObject({
  codecs: z
    .array(z.looseObject({ mimeType: z.string().min(3).max(50), kind: z.enum(['audio', 'video']), clockRate: z.number().int().positive() }))
    .min(1)
    .max(50),
  headerExtensions: z.array(mediasoupObject).max(50).optional(),
});

export const mediaSource = z.enum(['camera', 'mic', 'screen']);
export type MediaSource = z.infer<typeof mediaSource>;

export const clientEvents = {
  'room:join': z.object({ seminarId: objectId }),
  'transport:create': z.object({ direction: z.enum(['send', 'recv']) }),
  'transport:connect': z.object({ transportId: id, dtlsParameters }),
  /** The client's path to the media server broke (a network change): new ICE credentials for the same transport. */
  'transport:restart-ice': z.object({ transportId: id }),
  produce: z.object({
    transportId: id,
    kind: z.enum(['audio', 'video']),
    rtpParameters,
    source: mediaSource,
  }),
  'producer:pause': z.object({ producerId: id }),
  'producer:resume': z.object({ producerId: id }),
  'producer:close': z.object({ producerId: id }),
  consume: z.object({ producerId: id, rtpCapabilities }),
  'consumer:resume': z.object({ consumerId: id }),
  /** The size the video is shown at: the server caps the simulcast layer to it. */
  'consumer:preferences': z.object({
    consumerId: id,
    width: z.number().int().min(0).max(10_000),
    height: z.number().int().min(0).max(10_000),
  }),
  'seminar:go-live': z.object({}),
  'seminar:end': z.object({}),
  'chat:send': z.object({ text: z.string().trim().min(1).max(500) }),
  'chat:delete': z.object({ messageId: id }),
  'question:ask': z.object({ text: z.string().trim().min(3).max(500) }),
  'question:upvote': z.object({ questionId: id }),
  'question:status': z.object({ questionId: id, status: z.enum(['answering', 'answered']) }),
  'marker:add': z.object({ label: z.string().trim().min(1).max(120) }),
  'hand:raise': z.object({ raised: z.boolean() }),
  /** The lecturer lowers someone's raised hand. */
  'hand:lower': z.object({ userId: objectId }),
  /** The lecturer's participant list, as it is now (then pushed as room:participants). */
  'room:participants': z.object({}),
  /** The lecturer invites a viewer on stage; the viewer accepts or declines. */
  'stage:invite': z.object({ userId: objectId }),
  'stage:accept': z.object({}),
  'stage:decline': z.object({}),
  /** A guest leaves the stage by themselves; stage:remove is the lecturer taking them off. */
  'stage:leave': z.object({}),
  'stage:remove': z.object({ userId: objectId }),
  /** Mutes a guest's microphone until moderation:unmute: the guest cannot resume it meanwhile. */
  'moderation:mute': z.object({ userId: objectId }),
  'moderation:unmute': z.object({ userId: objectId }),
  'moderation:remove': z.object({ userId: objectId }),
  'moderation:ban': z.object({ userId: objectId }),
  /** A fresh access token for this connection: without one, it is closed when its token expires. */
  'auth:refresh': z.object({ token: z.string().min(1).max(4096) }),
  ...pollEvents,
  ...reactionClientEvents,
  ...presenceCheckClientEvents,
  ...slideClientEvents,
} as const;
export type ClientEventName = keyof typeof clientEvents;
export type ClientPayload<E extends ClientEventName> = z.infer<(typeof clientEvents)[E]>;

export const ackError = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });
export type Ack<T> = { ok: true; data: T } | { ok: false; error: z.infer<typeof ackError> };

export const liveRole = z.enum(['lecturer', 'viewer']);

export const producerInfo = z.object({
  producerId: z.string(),
  peerId: z.string(),
  userId: z.string().nullable(),
  kind: z.enum(['audio', 'video']),
  source: mediaSource,
  paused: z.boolean(),
});
export type ProducerInfo = z.infer<typeof producerInfo>;

export const chatMessage = z.object({
  id: z.string(),
  userId: z.string(),
  displayName: z.string(),
  text: z.string(),
  /** Milliseconds since the live session started: replays line up with the recording. */
  offsetMs: z.number(),
  at: z.iso.datetime(),
});
export type ChatMessage = z.infer<typeof chatMessage>;

export const question = z.object({
  id: z.string(),
  userId: z.string(),
  displayName: z.string(),
  text: z.string(),
  votes: z.number().int(),
  votedByMe: z.boolean(),
  status: z.enum(['open', 'answering', 'answered']),
  offsetMs: z.number(),
  /** Where its chapter starts: the first "answering now", or "answered" when the lecturer skipped that. */
  answeringOffsetMs: z.number().nullable(),
  revision: z.number().int().min(0).meta({
    description:
      'Grows by one with each change of the question (a vote, a status). With several nodes, two updates can arrive in either order: keep the one with the higher revision.',
  }),
});
export type Question = z.infer<typeof question>;

/** At most this many guests on stage at once. */
export const MAX_ON_STAGE = 6;
/** At most this many people in one participant list: raised hands and the stage first. */
export const MAX_PARTICIPANTS_LISTED = 200;

export const stageMember = z.object({ userId: z.string(), displayName: z.string() });
export type StageMember = z.infer<typeof stageMember>;

/** Where one signed-in user stands with the stage: what their own page shows. */
export const stageSelf = z.object({ invited: z.boolean(), onStage: z.boolean(), muted: z.boolean() });
export type StageSelf = z.infer<typeof stageSelf>;

export const participant = z.object({
  userId: z.string(),
  displayName: z.string(),
  role: liveRole,
  hand: z.boolean(),
  stage: z.enum(['none', 'invited', 'on']),
  muted: z.boolean(),
});
export type Participant = z.infer<typeof participant>;

/** Who is in the room, for its lecturers: named people (hands first), anonymous viewers counted. */
export const participants = z.object({
  people: z.array(participant).max(MAX_PARTICIPANTS_LISTED),
  /** Signed-in people past the list's limit. */
  more: z.number().int(),
  /** Viewers without an account (public seminars), counted by connection. */
  anonymous: z.number().int(),
});
export type Participants = z.infer<typeof participants>;

export const joinResult = z.object({
  peerId: z.string(),
  role: liveRole,
  seminar: z.object({
    id: z.string(),
    title: z.string(),
    status: z.string(),
    liveStartedAt: z.iso.datetime().nullable(),
    /** An encore: the seminar whose recording it plays over HLS (GET /seminars/:id/playback); no media room. */
    encoreOf: z.string().nullable(),
  }),
  /** The media router's capabilities; empty for an encore, which has no router. */
  routerRtpCapabilities: mediasoupObject,
  producers: z.array(producerInfo),
  chat: z.array(chatMessage),
  questions: z.array(question),
  viewers: z.number().int(),
  onStage: z.boolean(),
  /** This user's invitation and mute (onStage above, kept for older clients). */
  self: stageSelf,
  /** Guests on stage now: their producers are shown beside the lecturer's. */
  stage: z.array(stageMember).max(MAX_ON_STAGE),
  canChat: z.boolean(),
});
export type JoinResult = z.infer<typeof joinResult>;

/** A STUN or TURN server for the client's RTCPeerConnection; TURN ones carry time-limited credentials. */
export const iceServer = z.object({
  urls: z.array(z.string().max(300)).min(1).max(8),
  username: z.string().max(200).optional(),
  credential: z.string().max(200).optional(),
});

export const transportInfo = z.object({
  id: z.string(),
  iceParameters: mediasoupObject,
  iceCandidates: z.array(mediasoupObject),
  dtlsParameters: mediasoupObject,
  /** Where the client may relay its media through (TURN), when the server has one. */
  iceServers: z.array(iceServer).max(4),
  /** 'relay': the client must use TURN only (the operator forces it). */
  iceTransportPolicy: z.enum(['all', 'relay']).optional(),
});

/** transport:restart-ice's answer: the transport's new ICE credentials, and fresh TURN credentials. */
export const iceRestart = z.object({
  iceParameters: mediasoupObject,
  iceServers: z.array(iceServer).max(4),
});

export const consumerInfo = z.object({
  consumerId: z.string(),
  producerId: z.string(),
  kind: z.enum(['audio', 'video']),
  rtpParameters: mediasoupObject,
  source: mediaSource,
});

/** The events a room's chatter carries (server/live/chatter.ts), each with the payload it has alone. */
export type RoomChatter =
  | { type: 'chat:message'; data: ChatMessage }
  | { type: 'chat:deleted'; data: { messageId: string } }
  | { type: 'question:updated'; data: Omit<Question, 'votedByMe'> }
  | { type: 'hand:updated'; data: { userId: string; displayName: string; raised: boolean } };

/** What the server pushes to clients. */
export interface ServerEvents {
  'room:producer-added': (p: ProducerInfo) => void;
  'room:producer-closed': (p: { producerId: string }) => void;
  'room:producer-paused': (p: { producerId: string; paused: boolean }) => void;
  'room:consumer-closed': (p: { consumerId: string }) => void;
  'room:viewers': (p: { count: number }) => void;
  'room:status': (p: { status: string }) => void;
  /** The media server under this room failed: join again (the client does this by itself). */
  'room:rebuild': (p: { reason: string }) => void;
  'room:removed': (p: { reason: 'removed' | 'banned' }) => void;
  /** The connection's access token expired and no fresh one came (auth:refresh): it is closed now. */
  'auth:expired': () => void;
  /**
   * Chat, deletions, questions (asked, voted, answered) and hands, in the order they happened:
   * at most one push per room per LIVE_CHATTER_WINDOW_MS. The pages' connection hands each
   * entry to the listeners of its type below, which the server never pushes alone.
   */
  'room:batch': (p: { events: RoomChatter[] }) => void;
  'chat:message': (m: ChatMessage) => void;
  'chat:deleted': (p: { messageId: string }) => void;
  'question:updated': (q: Omit<Question, 'votedByMe'>) => void;
  'hand:updated': (p: { userId: string; displayName: string; raised: boolean }) => void;
  'stage:updated': (p: { userId: string; displayName: string; onStage: boolean }) => void;
  /** To one user's own connections: their invitation, stage and mute. */
  'stage:self': (p: StageSelf) => void;
  /** To the seminar's lecturers only, at most once per VIEWER_COUNT_THROTTLE_MS. */
  'room:participants': (p: Participants) => void;
  /** A poll changed (created, opened, closed, new counts): counts only to those who may see them. */
  'poll:updated': (p: PollView) => void;
  /** A room's reactions of the last window, counted (server/audience/reactions.ts). */
  'reaction:burst': (p: ReactionBurst) => void;
  /** "Are you here?": to everyone in the room; viewers confirm with presence:confirm. */
  'presence:check': (p: PresenceCheckView) => void;
  /** To the lecturers: how a check ended, and the schedule when it changes. */
  'presence:result': (p: PresenceCheckResult) => void;
  'presence:schedule': (p: PresenceSchedule) => void;
  /** The lecturer showed a slide: to everyone in the room. */
  'slide:shown': (p: NonNullable<CurrentSlide>) => void;
}
