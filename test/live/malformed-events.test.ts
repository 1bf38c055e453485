import jwt from 'jsonwebtoken';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { clientEvents, type ClientEventName } from '../../server/protocol';
import { Api, cast, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import type { LiveClient } from '../support/live-client';
import {
  Clients,
  codeOf,
  createSeminar,
  handshakeError,
  peerOf,
  registerFor,
  requestWithin,
  roomOf,
  routersOf,
  transportIdsOn,
  waitFor,
} from './support';

// Every client event of the /live namespace, with payloads that its schema
// must refuse: the gateway answers invalid_request, with the same details as a
// REST error body, and nothing changes.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
const events = Object.keys(clientEvents) as ClientEventName[];

beforeAll(async () => {
  // Hundreds of events per socket: past the per-socket rate limits (test/live/event-limits.test.ts covers those).
  app = await startTestApp('live_malformed', {
    MEDIASOUP_WORKERS: '1',
    LIVE_EVENTS_PER_10S: '100000',
    LIVE_COSTLY_EVENTS_PER_10S: '100000',
  });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(async () => {
  await app?.stop();
});

/** Ids of real things in the room, so that the only thing wrong with a payload is what the case changes. */
interface Seeded {
  viewerId: string;
  sendTransportId: string;
  recvTransportId: string;
  messageId: string;
  questionId: string;
}

const NOT_OBJECTS: unknown[] = ['a string', 42, true, [{}]];
const tooLongId = 'f'.repeat(101);
const oversizeText = 'x'.repeat(501);

/** Malformed payloads for each event: wrong types, missing fields, out-of-range values, oversize text. */
function malformedPayloads(s: Seeded): Record<ClientEventName, unknown[]> {
  const id = (key: string) => [{}, { [key]: '' }, { [key]: tooLongId }, { [key]: 42 }, { [key]: { $ne: null } }, { [key]: ['x'] }];
  const userIds = [
    {},
    { userId: 12 },
    { userId: 'not-an-object-id' },
    { userId: s.viewerId.toUpperCase().replace(/[0-9]/g, 'A') },
    { userId: `${s.viewerId}0` },
    { userId: s.viewerId.slice(1) },
    { userId: [s.viewerId] },
    { userId: { $gt: '' } },
  ];
  return {
    'room:join': [
      {},
      { seminarId: 12345 },
      { seminarId: null },
      { seminarId: 'not-an-object-id' },
      { seminarId: '0123456789abcdef0123456' },
      // Under the 64 KB message limit (a bigger message closes the connection: event-limits.test.ts).
      { seminarId: 'a'.repeat(60_000) },
    ],
    'transport:create': [{}, { direction: 'sideways' }, { direction: 'SEND' }, { direction: 1 }, { direction: ['send'] }],
    'transport:connect': [
      {},
      { transportId: s.sendTransportId },
      { dtlsParameters: { role: 'client', fingerprints: [] } },
      { transportId: s.sendTransportId, dtlsParameters: 'sha-256 AB:CD' },
      { transportId: s.sendTransportId, dtlsParameters: [] },
      { transportId: '', dtlsParameters: {} },
      { transportId: tooLongId, dtlsParameters: {} },
      { transportId: 7, dtlsParameters: {} },
    ],
    'transport:restart-ice': id('transportId'),
    produce: [
      {},
      { kind: 'video', rtpParameters: {}, source: 'camera' },
      { transportId: s.sendTransportId, rtpParameters: {}, source: 'camera' },
      { transportId: s.sendTransportId, kind: 'video', source: 'camera' },
      { transportId: s.sendTransportId, kind: 'video', rtpParameters: {} },
      { transportId: s.sendTransportId, kind: 'data', rtpParameters: {}, source: 'camera' },
      { transportId: s.sendTransportId, kind: 'video', rtpParameters: {}, source: 'microphone' },
      { transportId: s.sendTransportId, kind: 'video', rtpParameters: [], source: 'camera' },
      { transportId: s.sendTransportId, kind: 'video', rtpParameters: 'vp8', source: 'camera' },
      { transportId: tooLongId, kind: 'video', rtpParameters: {}, source: 'camera' },
    ],
    'producer:pause': id('producerId'),
    'producer:resume': id('producerId'),
    'producer:close': id('producerId'),
    consume: [
      {},
      { producerId: 'p' },
      { rtpCapabilities: {} },
      { producerId: 'p', rtpCapabilities: 'all' },
      { producerId: 'p', rtpCapabilities: [] },
      { producerId: '', rtpCapabilities: {} },
      { producerId: tooLongId, rtpCapabilities: {} },
    ],
    'consumer:resume': id('consumerId'),
    'consumer:preferences': [
      {},
      { consumerId: 'c', width: 640 },
      { consumerId: 'c', height: 360 },
      { consumerId: 'c', width: -1, height: 360 },
      { consumerId: 'c', width: 640, height: 10_001 },
      { consumerId: 'c', width: 640.5, height: 360 },
      { consumerId: 'c', width: '640', height: '360' },
      { consumerId: 'c', width: null, height: null },
      { consumerId: '', width: 640, height: 360 },
      { consumerId: tooLongId, width: 640, height: 360 },
    ],
    // Their schema is an empty object: only something that is not an object is malformed.
    'seminar:go-live': ['live', ['live']],
    'seminar:end': ['now', [{}]],
    'chat:send': [
      {},
      { text: '' },
      { text: ' \n\t ' },
      { text: oversizeText },
      { text: 'x'.repeat(60_000) },
      { text: 42 },
      { text: ['hi'] },
      { text: null },
    ],
    'chat:delete': [...id('messageId'), { messageId: `${s.messageId}${'0'.repeat(80)}` }],
    'question:ask': [{}, { text: 'ab' }, { text: '   a   ' }, { text: oversizeText }, { text: 123456 }, { text: null }],
    'question:upvote': [...id('questionId'), { questionId: true }],
    'question:status': [
      {},
      { questionId: s.questionId },
      { status: 'answering' },
      { questionId: s.questionId, status: 'open' },
      { questionId: s.questionId, status: 'ANSWERING' },
      { questionId: s.questionId, status: 1 },
      { questionId: tooLongId, status: 'answered' },
    ],
    'marker:add': [{}, { label: '' }, { label: '    ' }, { label: 'x'.repeat(121) }, { label: 5 }, { label: { text: 'intro' } }],
    'hand:raise': [{}, { raised: 'true' }, { raised: 1 }, { raised: null }, { raised: [true] }],
    'hand:lower': userIds,
    // Their schema is an empty object too.
    'room:participants': ['all', [{}]],
    'stage:accept': ['yes', [true]],
    'stage:decline': [false, 'no'],
    'stage:leave': [1, ['now']],
    'stage:invite': userIds,
    'stage:remove': userIds,
    'moderation:mute': userIds,
    'moderation:unmute': userIds,
    'moderation:remove': userIds,
    'moderation:ban': userIds,
    'auth:refresh': [{}, { token: '' }, { token: 42 }, { token: 'x'.repeat(4097) }, { token: ['a.b.c'] }, { token: null }],
    'poll:create': [
      {},
      { question: 'Q?', options: ['a', 'b'], multiple: false },
      { question: 'Q?', options: ['a', 'b'], showResults: 'after_vote' },
      { question: '', options: ['a', 'b'], multiple: false, showResults: 'after_vote' },
      { question: 'x'.repeat(301), options: ['a', 'b'], multiple: false, showResults: 'after_vote' },
      { question: 'Q?', options: ['only one'], multiple: false, showResults: 'after_vote' },
      { question: 'Q?', options: Array.from({ length: 11 }, (_, i) => `o${i}`), multiple: false, showResults: 'after_vote' },
      { question: 'Q?', options: ['a', 'x'.repeat(121)], multiple: false, showResults: 'after_vote' },
      { question: 'Q?', options: ['a', '   '], multiple: false, showResults: 'after_vote' },
      { question: 'Q?', options: ['a', 'b'], multiple: 'yes', showResults: 'after_vote' },
      { question: 'Q?', options: ['a', 'b'], multiple: false, showResults: 'never' },
      { question: 'Q?', options: 'a,b', multiple: false, showResults: 'after_vote' },
    ],
    'poll:open': id('pollId'),
    'poll:close': id('pollId'),
    'poll:vote': [
      ...id('pollId'),
      { pollId: '0123456789abcdef01234567' },
      { pollId: '0123456789abcdef01234567', choices: [] },
      { pollId: '0123456789abcdef01234567', choices: [-1] },
      { pollId: '0123456789abcdef01234567', choices: [10] },
      { pollId: '0123456789abcdef01234567', choices: [0.5] },
      { pollId: '0123456789abcdef01234567', choices: ['0'] },
      { pollId: '0123456789abcdef01234567', choices: Array.from({ length: 11 }, () => 0) },
    ],
    'poll:list': ['all', [{}]],
    'reaction:send': [{}, { kind: 'poop' }, { kind: '👍' }, { kind: 'LIKE' }, { kind: ['like'] }, { kind: null }],
    'presence:ask': ['now', [{}]],
    'presence:schedule': [
      {},
      { everyMinutes: 0 },
      { everyMinutes: 241 },
      { everyMinutes: 2.5 },
      { everyMinutes: '20' },
      { everyMinutes: [20] },
    ],
    'presence:confirm': id('checkId'),
    'presence:state': [1, ['now']],
    'slide:show': [
      ...id('deckId'),
      { deckId: '0123456789abcdef01234567' },
      { deckId: '0123456789abcdef01234567', page: 0 },
      { deckId: '0123456789abcdef01234567', page: 1.5 },
      { deckId: '0123456789abcdef01234567', page: '2' },
      { deckId: '0123456789abcdef01234567', page: 201 },
    ],
    'slide:current': ['now', [{}]],
  };
}

/** Events that need no room: joining one, and refreshing the connection's token (test/live/token-expiry.test.ts). */
type RoomlessEvent = 'room:join' | 'auth:refresh';

/** A well-formed payload of each event that needs a room, for the "before joining" cases. */
const validPayloads: Record<Exclude<ClientEventName, RoomlessEvent>, unknown> = {
  'transport:create': { direction: 'recv' },
  'transport:connect': { transportId: 't1', dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] } },
  'transport:restart-ice': { transportId: 't1' },
  produce: {
    transportId: 't1',
    kind: 'video',
    rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }] },
    source: 'camera',
  },
  'producer:pause': { producerId: 'p1' },
  'producer:resume': { producerId: 'p1' },
  'producer:close': { producerId: 'p1' },
  consume: { producerId: 'p1', rtpCapabilities: { codecs: [{ mimeType: 'video/VP8', kind: 'video', clockRate: 90000 }] } },
  'consumer:resume': { consumerId: 'c1' },
  'consumer:preferences': { consumerId: 'c1', width: 640, height: 360 },
  'seminar:go-live': {},
  'seminar:end': {},
  'chat:send': { text: 'hello' },
  'chat:delete': { messageId: '0123456789abcdef01234567' },
  'question:ask': { text: 'A question?' },
  'question:upvote': { questionId: '0123456789abcdef01234567' },
  'question:status': { questionId: '0123456789abcdef01234567', status: 'answering' },
  'marker:add': { label: 'Intro' },
  'hand:raise': { raised: true },
  'hand:lower': { userId: '0123456789abcdef01234567' },
  'room:participants': {},
  'stage:invite': { userId: '0123456789abcdef01234567' },
  'stage:accept': {},
  'stage:decline': {},
  'stage:leave': {},
  'stage:remove': { userId: '0123456789abcdef01234567' },
  'moderation:mute': { userId: '0123456789abcdef01234567' },
  'moderation:unmute': { userId: '0123456789abcdef01234567' },
  'moderation:remove': { userId: '0123456789abcdef01234567' },
  'moderation:ban': { userId: '0123456789abcdef01234567' },
  'poll:create': { question: 'Q?', options: ['a', 'b'], multiple: false, showResults: 'after_vote' },
  'poll:open': { pollId: '0123456789abcdef01234567' },
  'poll:close': { pollId: '0123456789abcdef01234567' },
  'poll:vote': { pollId: '0123456789abcdef01234567', choices: [0] },
  'poll:list': {},
  'reaction:send': { kind: 'like' },
  'presence:ask': {},
  'presence:schedule': { everyMinutes: 20 },
  'presence:confirm': { checkId: '0123456789abcdef01234567' },
  'slide:show': { deckId: '0123456789abcdef01234567', page: 1 },
  'slide:current': {},
  'presence:state': {},
};

/** Everything a client event could change: the live collections, the seminar, and the room's media objects. */
async function snapshot(seminarId: string, sockets: LiveClient[]) {
  const db = app.db.connection;
  const count = (collection: string, filter: Record<string, unknown> = {}) =>
    db.collection(collection).countDocuments({ seminarId, ...filter });
  const room = await roomOf(app, seminarId);
  const peers = room.peerIds().map((id) => room.peer(id)!);
  const questions = await db.collection('live_questions').find({ seminarId }).sort({ _id: 1 }).toArray();
  return {
    chat: await count('live_chat'),
    chatDeleted: await count('live_chat', { deletedAt: { $ne: null } }),
    questions: await count('live_questions'),
    questionStates: questions.map((q) => `${q.status}/${(q.voterIds as string[]).length}/${q.answeringOffsetMs}`),
    markers: await count('live_markers'),
    bans: await count('live_bans'),
    polls: await count('live_polls'),
    votes: await count('live_poll_votes'),
    reactions: await count('live_reactions'),
    presenceChecks: await count('live_presence_checks'),
    presenceAnswers: await count('live_presence_answers'),
    seminarStatus: (await app.repos.seminars.get(seminarId))?.status,
    roomClosed: room.isClosed,
    peers: room.peerIds().sort(),
    transports: peers.reduce((n, p) => n + p.counts().transports, 0),
    producers: peers.reduce((n, p) => n + p.counts().producers, 0),
    consumers: peers.reduce((n, p) => n + p.counts().consumers, 0),
    routers: room.routers().length,
    transportsOnRouters: (await transportIdsOn(routersOf(room))).length,
    viewers: app.live.viewerCount(seminarId),
    connected: sockets.map((s) => s.socket.connected),
  };
}

describe('a malformed payload', () => {
  let clients: Clients;
  let seminarId: string;
  let lecturer: LiveClient;
  let viewer: LiveClient;
  let seeded: Seeded;

  beforeAll(async () => {
    clients = new Clients(app);
    seminarId = await createSeminar(api, people.lecturer);
    await registerFor(api, seminarId, people.learner);
    ({ client: lecturer } = await clients.join(seminarId, people.lecturer));
    ({ client: viewer } = await clients.join(seminarId, people.learner));
    // Something of everything, so a payload that slipped through would have something to change.
    const send = await lecturer.ok('transport:create', { direction: 'send' });
    const recv = await viewer.ok('transport:create', { direction: 'recv' });
    const message = await viewer.ok('chat:send', { text: 'First!' });
    const question = await viewer.ok('question:ask', { text: 'Will the slides be shared?' });
    await lecturer.ok('stage:invite', { userId: people.learner.id });
    // Their broadcasts first (the room's chatter goes out at its window's end), so no case sees them.
    await viewer.next('question:updated', (q) => q.id === question.id);
    await viewer.next('hand:updated', (h) => h.userId === people.learner.id);
    seeded = {
      viewerId: people.learner.id,
      sendTransportId: send.id,
      recvTransportId: recv.id,
      messageId: message.id,
      questionId: question.id,
    };
  });
  afterAll(() => clients.closeAll());

  it('case table names exactly the events of clientEvents', () => {
    expect(Object.keys(malformedPayloads(seeded)).sort()).toEqual([...events].sort());
  });

  it.each(events)("%s: answered invalid_request with REST's details, and nothing changes", async (event) => {
    const cases = malformedPayloads(seeded)[event];
    expect(cases, `no malformed payloads written for the event "${event}"`).toBeDefined();
    expect(cases.length).toBeGreaterThan(0);
    const payloads = [...cases, ...NOT_OBJECTS];
    for (const payload of payloads) {
      // The case must really be malformed for the schema (a valid one would prove nothing).
      expect(clientEvents[event].safeParse(payload ?? {}).success, `case ${JSON.stringify(payload)?.slice(0, 80)} is valid`).toBe(false);
    }

    const before = await snapshot(seminarId, [lecturer, viewer]);
    const eventsSeen = viewer.events.length;
    for (const from of [lecturer, viewer]) {
      for (const payload of payloads) {
        const ack = await requestWithin(from, event, payload);
        expect({ payload: JSON.stringify(payload)?.slice(0, 80), code: codeOf(ack) }).toEqual({
          payload: JSON.stringify(payload)?.slice(0, 80),
          code: 'invalid_request',
        });
        if (ack !== 'no ack' && !ack.ok) {
          expect(ack.error.message).toMatch(/\S/);
          // The zod issues, as REST lists them: [{ path, message }].
          const issues = clientEvents[event].safeParse(payload ?? {}).error!.issues;
          expect(ack.error.details).toEqual(issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
        }
      }
    }
    expect(await snapshot(seminarId, [lecturer, viewer])).toEqual(before);
    // No broadcast came of it either (viewer counts aside, which time alone may push).
    expect(viewer.events.slice(eventsSeen).filter((e) => e.event !== 'room:viewers')).toEqual([]);
  });

  it('room:join with a malformed payload leaves a fresh connection outside every room', async () => {
    const fresh = await clients.connect(people.otherLearner);
    const room = await roomOf(app, seminarId);
    for (const payload of [...malformedPayloads(seeded)['room:join'], ...NOT_OBJECTS]) {
      expect(codeOf(await requestWithin(fresh, 'room:join', payload))).toBe('invalid_request');
    }
    expect(room.hasPeer(fresh.socket.id!)).toBe(false);
    expect(codeOf(await requestWithin(fresh, 'chat:send', { text: 'am I in?' }))).toBe('not_in_room');
  });

  it('mediasoup parameters of the right outer shape but missing their fields are invalid_request, not an internal error', async () => {
    const before = await snapshot(seminarId, [lecturer, viewer]);
    const connect = await requestWithin(lecturer, 'transport:connect', {
      transportId: seeded.sendTransportId,
      dtlsParameters: { fingerprints: 'none' },
    });
    const produce = await requestWithin(lecturer, 'produce', {
      transportId: seeded.sendTransportId,
      kind: 'video',
      rtpParameters: {},
      source: 'camera',
    });
    expect({ connect: codeOf(connect), produce: codeOf(produce) }).toEqual({ connect: 'invalid_request', produce: 'invalid_request' });
    expect(await snapshot(seminarId, [lecturer, viewer])).toEqual(before);
    expect(peerOf(await roomOf(app, seminarId), lecturer).counts().producers).toBe(0);
  });
});

describe('outside the protocol', () => {
  let clients: Clients;
  beforeAll(() => {
    clients = new Clients(app);
  });
  afterEach(() => clients.closeAll());

  it.each(events.filter((e): e is Exclude<ClientEventName, RoomlessEvent> => e !== 'room:join' && e !== 'auth:refresh'))(
    '%s before room:join is answered not_in_room',
    async (event) => {
      const payload = validPayloads[event];
      expect(payload, `no valid payload written for the event "${event}"`).toBeDefined();
      expect(clientEvents[event].safeParse(payload).success).toBe(true);
      const client = await clients.connect(people.lecturer);
      expect(codeOf(await requestWithin(client, event, payload))).toBe('not_in_room');
      expect(client.socket.connected).toBe(true);
    },
  );

  it('an unknown event is answered unknown_event', async () => {
    const client = await clients.connect(people.learner);
    const names = ['room:leave', 'chat:edit', 'ROOM:JOIN', 'admin:shutdown', 'chat:send '];
    const answers = await Promise.all(names.map(async (n) => `${n} → ${codeOf(await requestWithin(client, n, { text: 'hi' }))}`));
    expect(answers).toEqual(names.map((n) => `${n} → unknown_event`));
  });

  it('an event named after an Object.prototype member is answered unknown_event too', async () => {
    const client = await clients.connect(people.learner);
    // `event in clientEvents` is true for these: the lookup must be of own keys only.
    const names = ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__'];
    const answers = await Promise.all(names.map(async (n) => `${n} → ${codeOf(await requestWithin(client, n, {}, 2000))}`));
    expect(answers).toEqual(names.map((n) => `${n} → unknown_event`));
  });

  it('a known event sent with an ack callback but no payload is answered invalid_request, not left unanswered', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: viewer } = await clients.join(seminarId, people.otherLearner);
    const chatBefore = await app.db.connection.collection('live_chat').countDocuments({ seminarId });
    let ack: unknown = 'no ack';
    try {
      ack = await viewer.socket.timeout(2000).emitWithAck('chat:send');
    } catch {
      // no answer within 2 s
    }
    expect(codeOf(ack as never)).toBe('invalid_request');
    expect(await app.db.connection.collection('live_chat').countDocuments({ seminarId })).toBe(chatBefore);
  });

  it('events sent without an ack callback do not crash the server', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: viewer } = await clients.join(seminarId, people.otherLearner);
    const outsider = await clients.connect(people.learner);

    viewer.socket.emit('chat:send', { text: 42 });
    viewer.socket.emit('chat:send');
    viewer.socket.emit('no:such-event');
    viewer.socket.emit('no:such-event', { a: 1 });
    viewer.socket.emit('toString');
    viewer.socket.emit('produce', { transportId: 'nope', kind: 'video', rtpParameters: {}, source: 'camera' });
    viewer.socket.emit('chat:send', { text: 'not a function for an ack' }, 'ack?');
    outsider.socket.emit('chat:send', { text: 'not in the room' });
    lecturer.socket.emit('transport:create', { direction: 'send' });
    viewer.socket.emit('chat:send', { text: 'sent without an ack' });

    // The valid one without an ack still did its work…
    const message = await lecturer.next('chat:message', (m) => m.text === 'sent without an ack', 5000);
    expect(message.userId).toBe(people.otherLearner.id);
    const room = await roomOf(app, seminarId);
    await waitFor(
      () => (peerOf(room, lecturer).counts().transports === 1 ? true : undefined),
      5000,
      'the send transport created without an ack',
    );
    // …and every connection is still served.
    for (const c of [lecturer, viewer, outsider]) expect(c.socket.connected).toBe(true);
    expect(codeOf(await requestWithin(viewer, 'hand:raise', { raised: true }))).toBe('ok');
    expect(codeOf(await requestWithin(outsider, 'room:join', { seminarId }))).toBe('ok');
    const late = await clients.connect(people.learner);
    expect(late.socket.connected).toBe(true);
  });
});

describe('the handshake', () => {
  const accessToken = (user: TestUser, opts: { secret?: string; expiresAt?: number; algorithm?: jwt.Algorithm } = {}) =>
    jwt.sign(
      { roles: ['learner'], scope: 'profile seminars:register', exp: opts.expiresAt ?? Math.floor(Date.now() / 1000) + 600 },
      opts.secret ?? app.config.jwtSecret,
      { algorithm: opts.algorithm ?? 'HS256', subject: user.id, issuer: 'lectern', audience: 'lectern-api' },
    );

  it('with an expired access token is refused with connect_error token_expired', async () => {
    const err = await handshakeError(app.url, { token: accessToken(people.learner, { expiresAt: Math.floor(Date.now() / 1000) - 60 }) });
    expect(err?.data).toMatchObject({ code: 'token_expired' });
  });

  it.each([
    ['garbage', () => 'not-a-jwt'],
    ['signed with another secret', () => accessToken(people.learner, { secret: 'another secret that is long enough to sign tokens' })],
    ['signed with HS512', () => accessToken(people.learner, { algorithm: 'HS512' })],
    ['unsigned (alg none)', () => `${accessToken(people.learner).split('.').slice(0, 2).join('.')}.`],
    ['a refresh token', () => people.learner.refreshToken],
  ])('with a bad token (%s) is refused with connect_error invalid_token', async (_label, token) => {
    const err = await handshakeError(app.url, { token: token() });
    expect(err).toBeDefined();
    expect(err!.data).toMatchObject({ code: 'invalid_token' });
    expect(err!.message).toMatch(/not valid/);
  });

  it('with a valid access token, or none at all (a guest), goes through', async () => {
    expect(await handshakeError(app.url, { token: people.learner.token })).toBeUndefined();
    expect(await handshakeError(app.url, {})).toBeUndefined();
  });
});
