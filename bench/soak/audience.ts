// Child process: the soak's audience, so that its clients are not in the Lectern process whose
// memory the soak measures. Each signed-in viewer comes and goes on its own ~cycle with a random
// phase (so the churn is continuous): it joins through Lectern's Socket.IO signalling as the watch
// page does, its WebRTC peer is a pion viewer (bench/viewers) that counts every packet and
// reassembles frames, it sends a progress heartbeat every heartbeat period while it watches, and
// then it leaves (socket closed, peer closed) and comes back a few seconds later. Chat messages
// come from random viewers in the room at a steady rate. Each session's frames are checked when
// it leaves.
import { io, type Socket } from 'socket.io-client';
import { offerSdp, type ConsumerInfo, type TransportInfo } from '../fanout/sdp';
import { chromiumLikeCapabilities, HEIGHT_FOR_LAYER } from '../fanout-verified/capabilities';
import { GoViewers } from '../lib/go-viewers';
import { initialState, markAccepted, nextHeartbeat, type LearnerState } from '../lib/heartbeats';

export interface AudienceSettings {
  url: string;
  seminarId: string;
  userIds: string[];
  tokens: string[];
  viewersBin: string;
  routerRtpCapabilities: { codecs?: any[]; headerExtensions?: any[] };
  /** A viewer watches for about this long (±25 %), then leaves. */
  staySeconds: number;
  /** …and comes back after about this long (±50 %). */
  awaySeconds: number;
  chatPerSecond: number;
  heartbeatSeconds: number;
  /** The source's frame rate: a session's expected frames. */
  fps: number;
  joinTimeoutMs: number;
  maxWaitMs: number;
}

export type ToAudience =
  | { type: 'init'; id: number; settings: AudienceSettings }
  | { type: 'start'; id: number }
  | { type: 'tokens'; id: number; tokens: string[] }
  | { type: 'stats'; id: number }
  | { type: 'stop'; id: number };

/** One viewer's stay, checked when it left. */
export interface SessionRecord {
  viewer: number;
  layer: number;
  /** From the socket's connect starting to the first decodable frame. */
  firstFrameMs: number;
  /** From the first frame to leaving. */
  watchedSeconds: number;
  framesDecodable: number;
  /** Decodable frames over the source's frames in the watched time. */
  frameRatio: number;
  videoLossPct: number;
}

export interface AudienceStats {
  viewers: number;
  joinedNow: number;
  joins: number;
  joinFailures: number;
  joinErrors: string[];
  lastJoinError?: string;
  leaves: number;
  chat: { sent: number; refused: number; received: number; firstError?: string };
  heartbeats: { sent: number; accepted: number; failed: number; firstError?: string };
  sessions: SessionRecord[];
}

export type FromAudience = { type: 'ready' } | { type: 'reply'; id: number; stats?: AudienceStats; goPid?: number; error?: string };

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

interface Session {
  name: string;
  socket: Socket;
  startedAt: number;
  firstFrameAt?: number;
  heartbeat?: NodeJS.Timeout;
}

let s!: AudienceSettings;
let go!: GoViewers;
let fingerprint = '';
let caps!: ReturnType<typeof chromiumLikeCapabilities>;
let stopping = false;
const wakers = new Set<() => void>();
const joined = new Map<number, Session>();
const learners: LearnerState[] = [];
const loops: Array<Promise<void>> = [];
const stats: AudienceStats = {
  viewers: 0,
  joinedNow: 0,
  joins: 0,
  joinFailures: 0,
  joinErrors: [],
  leaves: 0,
  chat: { sent: 0, refused: 0, received: 0 },
  heartbeats: { sent: 0, accepted: 0, failed: 0 },
  sessions: [],
};

/** Sleeps `ms`, or less when the audience is told to stop. */
function nap(ms: number): Promise<void> {
  if (stopping) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wakers.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wakers.add(done);
  });
}

/** 60 % of viewers ask for the top layer, 30 % the middle, 10 % the low one (as bench/fanout-verified). */
const layerOf = (i: number) => (i % 10 < 6 ? 2 : i % 10 < 9 ? 1 : 0);

async function join(index: number, sessionNo: number): Promise<Session> {
  const name = `u${index}s${sessionNo}`;
  const startedAt = Date.now();
  const socket = io(`${s.url}/live`, {
    transports: ['websocket'],
    auth: { token: s.tokens[index] },
    reconnection: false,
    forceNew: true,
    timeout: s.joinTimeoutMs,
  });
  const session: Session = { name, socket, startedAt };
  // Chat comes in the room's batches (server/live/chatter.ts), a page's connection unpacks them.
  socket.on('room:batch', (b: { events: Array<{ type: string }> }) => {
    for (const e of b.events) if (e.type === 'chat:message') stats.chat.received++;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    const req = async <T>(event: string, payload: unknown): Promise<T> => {
      const ack = (await socket.timeout(s.joinTimeoutMs).emitWithAck(event, payload)) as Ack<T>;
      if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
      return ack.data;
    };
    const room = await req<{ producers: Array<{ producerId: string; kind: string }> }>('room:join', { seminarId: s.seminarId });
    const transport = await req<TransportInfo>('transport:create', { direction: 'recv' });
    const consumers: ConsumerInfo[] = [];
    for (const p of [...room.producers].sort((a, b) => a.kind.localeCompare(b.kind)))
      consumers.push(await req<ConsumerInfo>('consume', { producerId: p.producerId, rtpCapabilities: caps.caps }));
    const video = consumers.find((c) => c.kind === 'video');
    if (!video || !consumers.some((c) => c.kind === 'audio'))
      throw new Error(`the room has ${consumers.length} producers, not a camera and a microphone`);
    await req('transport:connect', {
      transportId: transport.id,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: fingerprint }] },
    });
    const added = await go.add(name, offerSdp(transport, consumers, { probator: true }), s.joinTimeoutMs);
    if (added.setup !== 'active') throw new Error(`the Go viewer answered a=setup:${added.setup}, not active`);
    for (const c of consumers) await req('consumer:resume', { consumerId: c.consumerId });
    const height = HEIGHT_FOR_LAYER[layerOf(index)]!;
    await req('consumer:preferences', { consumerId: video.consumerId, width: Math.round((height * 16) / 9), height });
    session.firstFrameAt = await added.firstFrame;
    return session;
  } catch (err) {
    socket.disconnect();
    go.close(name);
    throw err;
  }
}

async function sendHeartbeat(index: number): Promise<void> {
  const state = learners[index]!;
  const { hb, session } = nextHeartbeat(state);
  stats.heartbeats.sent++;
  try {
    const res = await fetch(`${s.url}/api/v1/progress/heartbeats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.tokens[index]}` },
      body: JSON.stringify({ ...hb, sentAt: Date.now() }),
    });
    if (res.status === 202) {
      stats.heartbeats.accepted++;
      markAccepted(state, session, hb.position);
    } else {
      stats.heartbeats.failed++;
      stats.heartbeats.firstError ??= `${res.status} ${(await res.text()).slice(0, 200)}`;
    }
  } catch (err) {
    stats.heartbeats.failed++;
    stats.heartbeats.firstError ??= (err as Error).message;
  }
}

async function leave(index: number, session: Session): Promise<void> {
  clearInterval(session.heartbeat);
  joined.delete(index);
  const leftAt = Date.now();
  const none: Record<string, Record<string, number>> = {};
  const c = (await go.counters().catch(() => none))[session.name];
  session.socket.disconnect();
  go.close(session.name);
  stats.leaves++;
  const watchedSeconds = (leftAt - (session.firstFrameAt ?? leftAt)) / 1000;
  const framesDecodable = c?.framesDecodable ?? 0;
  stats.sessions.push({
    viewer: index,
    layer: layerOf(index),
    firstFrameMs: (session.firstFrameAt ?? leftAt) - session.startedAt,
    watchedSeconds: Math.round(watchedSeconds * 10) / 10,
    framesDecodable,
    // The frame being assembled as the viewer left may be missing: one frame of slack.
    frameRatio: watchedSeconds > 1 ? Math.min(1, (framesDecodable + 1) / (s.fps * watchedSeconds)) : 1,
    videoLossPct: c?.videoExpected ? Math.round((10_000 * (c.videoLost ?? 0)) / c.videoExpected) / 100 : 0,
  });
}

async function viewerLoop(index: number): Promise<void> {
  // A random phase over the first stay, so arrivals and departures are spread from the start.
  await nap(Math.random() * (s.staySeconds + s.awaySeconds) * 1000);
  let sessionNo = 0;
  while (!stopping) {
    let session: Session;
    try {
      session = await join(index, sessionNo++);
    } catch (err) {
      stats.joinFailures++;
      stats.lastJoinError = `viewer ${index}: ${(err as Error).message}`;
      if (stats.joinErrors.length < 5) stats.joinErrors.push(stats.lastJoinError);
      await nap(s.awaySeconds * 1000);
      continue;
    }
    stats.joins++;
    joined.set(index, session);
    const first = Math.random() * s.heartbeatSeconds * 1000;
    const beat = setTimeout(() => {
      void sendHeartbeat(index);
      session.heartbeat = setInterval(() => void sendHeartbeat(index), s.heartbeatSeconds * 1000);
    }, first);
    await nap(s.staySeconds * (0.75 + Math.random() * 0.5) * 1000);
    clearTimeout(beat);
    await leave(index, session);
    if (!stopping) await nap(s.awaySeconds * (0.5 + Math.random()) * 1000);
  }
}

function startChat(): NodeJS.Timeout | undefined {
  if (s.chatPerSecond <= 0) return undefined;
  const t0 = performance.now();
  let n = 0;
  return setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * s.chatPerSecond);
    while (n < due) {
      n++;
      const present = [...joined.values()];
      const from = present[Math.floor(Math.random() * present.length)];
      if (!from) continue;
      stats.chat.sent++;
      (
        from.socket.timeout(10_000).emitWithAck('chat:send', { text: `Вопрос ${n}: а как с этим быть на упрощёнке?` }) as Promise<
          Ack<unknown>
        >
      ).then(
        (ack) => {
          if (!ack.ok) {
            stats.chat.refused++;
            stats.chat.firstError ??= ack.error.code;
          }
        },
        (err: Error) => {
          stats.chat.refused++;
          stats.chat.firstError ??= err.message;
        },
      );
    }
  }, 50);
}

function snapshot(withSessions: boolean): AudienceStats {
  return { ...stats, joinedNow: joined.size, sessions: withSessions ? stats.sessions : [] };
}

let chatTimer: NodeJS.Timeout | undefined;
process.on('message', (msg: ToAudience) => {
  const reply = (m: Omit<Extract<FromAudience, { type: 'reply' }>, 'type' | 'id'>) => process.send!({ type: 'reply', id: msg.id, ...m });
  const fail = (err: unknown) => reply({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  switch (msg.type) {
    case 'init':
      s = msg.settings;
      stats.viewers = s.tokens.length;
      caps = chromiumLikeCapabilities(s.routerRtpCapabilities);
      s.userIds.forEach((userId, i) => learners.push(initialState({ userId, token: '', contentId: s.seminarId }, i, Date.now())));
      go = new GoViewers(s.viewersBin, {
        h264Pt: caps.h264Pt,
        h264Fmtp: caps.h264Fmtp,
        rtxPt: caps.rtxPt,
        opusPt: caps.opusPt,
        maxWaitMs: s.maxWaitMs,
      });
      go.ready.then((fp) => {
        fingerprint = fp;
        reply({ ...(go.pid !== undefined ? { goPid: go.pid } : {}) });
      }, fail);
      break;
    case 'start':
      for (let i = 0; i < s.tokens.length; i++) loops.push(viewerLoop(i));
      chatTimer = startChat();
      reply({});
      break;
    case 'tokens':
      // A browser refreshes its access token before it expires; so does this audience.
      s.tokens = msg.tokens;
      reply({});
      break;
    case 'stats':
      reply({ stats: snapshot(false) });
      break;
    case 'stop':
      stopping = true;
      clearInterval(chatTimer);
      for (const wake of [...wakers]) wake();
      Promise.allSettled(loops)
        .then(() => {
          go.stop();
          reply({ stats: snapshot(true) });
        })
        .catch(fail);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' } satisfies FromAudience);
