import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { chatMessage } from '../../server/protocol';
import { Clients, codeOf, createSeminar, peerOf, registerFor, requestWithin, roomOf, waitFor } from './support';

// Who may enter a seminar's room and what they may do there: viewer counts,
// registration, guests, chat limits, votes, moderation, the stage and Q&A.

const THROTTLE_MS = 500;

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;

beforeAll(async () => {
  // A window wider than the default (50 ms), so that eight chat messages stored at once on a busy
  // machine still share pushes.
  app = await startTestApp('live_rules', {
    MEDIASOUP_WORKERS: '1',
    VIEWER_COUNT_THROTTLE_MS: String(THROTTLE_MS),
    LIVE_CHATTER_WINDOW_MS: '200',
  });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await app?.stop();
});

/** A learner of its own, registered for the seminar: chat limits and bans of one test never reach another. */
async function registeredViewer(seminarId: string): Promise<TestUser> {
  const user = await registerUser(api, { displayName: 'Зритель' });
  await registerFor(api, seminarId, user);
  return user;
}

const countIn = (collection: string, seminarId: string) => app.db.connection.collection(collection).countDocuments({ seminarId });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('viewer count', () => {
  it('is pushed as room:viewers, at most once per throttle period, and always ends on the latest count', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const { client: lecturer, joined } = await clients.join(seminarId, people.lecturer);
    expect(joined.viewers).toBe(0);
    const pushes: Array<{ at: number; count: number }> = [];
    lecturer.socket.on('room:viewers', ({ count }: { count: number }) => pushes.push({ at: Date.now(), count }));

    // Five viewers (guests: the seminar is public) join at once.
    const guests = await Promise.all(Array.from({ length: 5 }, () => clients.connect()));
    await Promise.all(guests.map((g) => g.ok('room:join', { seminarId })));
    await waitFor(() => (pushes.at(-1)?.count === 5 ? true : undefined), THROTTLE_MS * 4, 'a count of 5');
    await sleep(THROTTLE_MS + 200);
    // The lecturer is not a viewer; five joins inside one period give at most two pushes.
    expect(pushes.length).toBeLessThanOrEqual(2);
    expect(pushes.at(-1)!.count).toBe(5);
    expect(app.live.viewerCount(seminarId)).toBe(5);

    // Three leave: the count comes down, still throttled.
    const before = pushes.length;
    for (const g of guests.slice(0, 3)) g.close();
    await waitFor(() => (pushes.at(-1)?.count === 2 ? true : undefined), THROTTLE_MS * 4, 'a count of 2');
    await sleep(THROTTLE_MS + 200);
    expect(pushes.length - before).toBeLessThanOrEqual(2);
    expect(pushes.at(-1)!.count).toBe(2);
    for (let i = 1; i < pushes.length; i++) expect(pushes[i]!.at - pushes[i - 1]!.at).toBeGreaterThanOrEqual(THROTTLE_MS - 100);

    // Viewers see it too, and a newcomer's join result carries the count.
    const { client: late, joined: lateJoin } = await clients.join(seminarId, people.learner);
    expect(lateJoin.viewers).toBe(3);
    expect(await late.next('room:viewers', (p) => p.count === 3, THROTTLE_MS * 4)).toEqual({ count: 3 });
  });
});

describe('entering the room', () => {
  it('of a non-public seminar is refused to a signed-in viewer who is not registered (not_registered)', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: false, capacity: 1 });
    await registerFor(api, seminarId, people.learner);
    await registerFor(api, seminarId, people.otherLearner, 'waitlisted');
    const stranger = await registerUser(api);

    const strangerClient = await clients.connect(stranger);
    expect(codeOf(await requestWithin(strangerClient, 'room:join', { seminarId }))).toBe('not_registered');
    const waitlisted = await clients.connect(people.otherLearner);
    expect(codeOf(await requestWithin(waitlisted, 'room:join', { seminarId }))).toBe('not_registered');
    const guest = await clients.connect();
    expect(codeOf(await requestWithin(guest, 'room:join', { seminarId }))).toBe('unauthorized');
    const room = await app.rooms.peek(seminarId);
    for (const c of [strangerClient, waitlisted, guest]) expect(room?.hasPeer(c.socket.id!) ?? false).toBe(false);

    // The registered learner gets in.
    const registered = await clients.connect(people.learner);
    expect(codeOf(await requestWithin(registered, 'room:join', { seminarId }))).toBe('ok');
  });

  it('twice at once on one connection leaves one peer, one viewer and, after the disconnect, no open attendance', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const viewer = await registeredViewer(seminarId);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const client = await clients.connect(viewer);
    const answers = await Promise.all([
      requestWithin(client, 'room:join', { seminarId }),
      requestWithin(client, 'room:join', { seminarId }),
    ]);
    expect(answers.map(codeOf).filter((c) => c === 'ok').length).toBeGreaterThanOrEqual(1);
    for (const code of answers.map(codeOf)) expect(['ok', 'already_joined']).toContain(code);
    const room = await roomOf(app, seminarId);
    expect(room.peerIds().sort()).toEqual([lecturer.socket.id, client.socket.id].sort());
    expect(app.live.viewerCount(seminarId)).toBe(1);

    client.close();
    await waitFor(
      () => (room.hasPeer(client.socket.id ?? '') || app.live.viewerCount(seminarId) > 0 ? undefined : true),
      5000,
      'the viewer to leave',
    );
    await sleep(300);
    const spans = (await app.repos.live.attendance(seminarId)).filter((a) => a.userId === viewer.id);
    expect(spans.length).toBeGreaterThanOrEqual(1);
    expect(spans.filter((a) => a.leftAt === null)).toEqual([]);
  });

  it('of a draft seminar is refused to viewers as if it did not exist', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true, status: 'draft' });
    expect(codeOf(await requestWithin(await clients.connect(people.learner), 'room:join', { seminarId }))).toBe('seminar_not_found');
    expect(codeOf(await requestWithin(await clients.connect(), 'room:join', { seminarId }))).toBe('seminar_not_found');
  });

  it('of a public seminar is open to a guest, who may watch but not chat, ask, vote or raise a hand', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const viewer = await registeredViewer(seminarId);
    const { client: member } = await clients.join(seminarId, viewer);
    const question = await member.ok('question:ask', { text: 'Is there a recording?' });

    const guest = await clients.connect();
    const joined = await guest.ok('room:join', { seminarId });
    expect(joined).toMatchObject({ role: 'viewer', canChat: false, onStage: false });
    expect(joined.questions.map((q: { id: string }) => q.id)).toEqual([question.id]);
    const chatBefore = await countIn('live_chat', seminarId);
    const answers = {
      chat: codeOf(await requestWithin(guest, 'chat:send', { text: 'hello from a guest' })),
      ask: codeOf(await requestWithin(guest, 'question:ask', { text: 'A guest question?' })),
      vote: codeOf(await requestWithin(guest, 'question:upvote', { questionId: question.id })),
      hand: codeOf(await requestWithin(guest, 'hand:raise', { raised: true })),
      send: codeOf(await requestWithin(guest, 'transport:create', { direction: 'send' })),
      recv: codeOf(await requestWithin(guest, 'transport:create', { direction: 'recv' })),
    };
    expect(answers).toEqual({
      chat: 'cannot_chat',
      ask: 'cannot_ask',
      vote: 'cannot_vote',
      hand: 'cannot_raise_hand',
      send: 'not_allowed_to_produce',
      recv: 'ok',
    });
    expect(await countIn('live_chat', seminarId)).toBe(chatBefore);
    expect(await countIn('live_questions', seminarId)).toBe(1);
    const [q] = await app.repos.live.questions(seminarId);
    expect(q!.voterIds).toEqual([]);
  });
});

describe('chat', () => {
  it("refuses the sixth message within 10 seconds with rate_limited, from any of the user's sockets, and stores only five", async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const chatty = await registeredViewer(seminarId);
    const { client } = await clients.join(seminarId, chatty);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    for (let i = 1; i <= 5; i++) expect(codeOf(await requestWithin(client, 'chat:send', { text: `message ${i}` }))).toBe('ok');
    const sixth = await requestWithin(client, 'chat:send', { text: 'message 6' });
    expect(sixth).toMatchObject({ ok: false, error: { code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } } });
    // The allowance is the user's, not the socket's: a second tab, or a question, gets none of it.
    const { client: secondTab } = await clients.join(seminarId, chatty);
    expect(codeOf(await requestWithin(secondTab, 'chat:send', { text: 'from another tab' }))).toBe('rate_limited');
    expect(codeOf(await requestWithin(secondTab, 'question:ask', { text: 'a question instead' }))).toBe('rate_limited');
    expect(await countIn('live_chat', seminarId)).toBe(5);
    await waitFor(() => (lecturer.events.filter((e) => e.event === 'chat:message').length >= 5 ? true : undefined), 5000, 'five messages');
    await sleep(200);
    expect(lecturer.events.filter((e) => e.event === 'chat:message').map((e) => e.payload.text)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `message ${i}`),
    );
    // Another viewer is not held back by it.
    const other = await registeredViewer(seminarId);
    const { client: otherClient } = await clients.join(seminarId, other);
    expect(codeOf(await requestWithin(otherClient, 'chat:send', { text: 'my first' }))).toBe('ok');
  });
});

describe("a room's chatter", () => {
  it('comes as room:batch pushes: every message once, each a valid chat message, fewer pushes than messages (LIVE_CHATTER_WINDOW_MS)', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const senders = await Promise.all([registeredViewer(seminarId), registeredViewer(seminarId)]);
    const joined = await Promise.all(senders.map((u) => clients.join(seminarId, u)));
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const before = lecturer.batches;
    // Eight at once, four from each: all eight would need 200 ms (this app's window) between their stores to go alone.
    const acks = await Promise.all(
      joined.flatMap(({ client }, u) => [1, 2, 3, 4].map((i) => client.ok('chat:send', { text: `u${u} #${i}` }))),
    );
    await waitFor(() => (lecturer.events.filter((e) => e.event === 'chat:message').length >= 8 ? true : undefined), 5000, 'eight messages');
    await sleep(300);
    const received = lecturer.events.filter((e) => e.event === 'chat:message').map((e) => chatMessage.parse(e.payload));
    expect(received).toHaveLength(8);
    expect(new Set(received.map((m) => m.id))).toEqual(new Set(acks.map((m: { id: string }) => m.id)));
    expect(await countIn('live_chat', seminarId)).toBe(8);
    expect(lecturer.batches - before).toBeGreaterThanOrEqual(1);
    expect(lecturer.batches - before).toBeLessThan(8);
  });
});

describe('questions', () => {
  it('count one vote per viewer: a second upvote is already_voted', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const asker = await registeredViewer(seminarId);
    const voter = await registeredViewer(seminarId);
    const { client: askerClient } = await clients.join(seminarId, asker);
    const { client: voterClient } = await clients.join(seminarId, voter);
    const question = await askerClient.ok('question:ask', { text: 'How do we find investors?' });
    expect(question.votes).toBe(0);

    const first = await voterClient.ok('question:upvote', { questionId: question.id });
    expect(first.votes).toBe(1);
    expect(codeOf(await requestWithin(voterClient, 'question:upvote', { questionId: question.id }))).toBe('already_voted');
    const [stored] = await app.repos.live.questions(seminarId);
    expect(stored!.voterIds).toEqual([voter.id]);
    const { joined } = await clients.join(seminarId, voter);
    expect(joined.questions).toEqual([expect.objectContaining({ id: question.id, votes: 1, votedByMe: true })]);
  });

  it("that the lecturer marks 'answering' record answeringOffsetMs, which later changes keep", async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const asker = await registeredViewer(seminarId);
    const { client: lecturer, joined } = await clients.join(seminarId, people.lecturer);
    const { client: askerClient } = await clients.join(seminarId, asker);
    const liveStartedAt = Date.parse(joined.seminar.liveStartedAt);
    expect(Number.isNaN(liveStartedAt)).toBe(false);
    const question = await askerClient.ok('question:ask', { text: 'What about taxes?' });
    expect(question.answeringOffsetMs).toBeNull();
    expect(codeOf(await requestWithin(askerClient, 'question:status', { questionId: question.id, status: 'answering' }))).toBe(
      'moderators_only',
    );

    await sleep(300);
    const answering = await lecturer.ok('question:status', { questionId: question.id, status: 'answering' });
    const upper = Date.now() - liveStartedAt;
    expect(answering.status).toBe('answering');
    expect(answering.answeringOffsetMs).toEqual(expect.any(Number));
    expect(answering.answeringOffsetMs).toBeGreaterThanOrEqual(question.offsetMs + 250);
    expect(answering.answeringOffsetMs).toBeLessThanOrEqual(upper);
    const pushed = await askerClient.next('question:updated', (q) => q.id === question.id && q.status === 'answering');
    expect(pushed.answeringOffsetMs).toBe(answering.answeringOffsetMs);

    await sleep(50);
    const answered = await lecturer.ok('question:status', { questionId: question.id, status: 'answered' });
    const again = await lecturer.ok('question:status', { questionId: question.id, status: 'answering' });
    expect(answered).toMatchObject({ status: 'answered', answeringOffsetMs: answering.answeringOffsetMs });
    expect(again).toMatchObject({ status: 'answering', answeringOffsetMs: answering.answeringOffsetMs });
    const [stored] = await app.repos.live.questions(seminarId);
    expect(stored!.answeringOffsetMs).toBe(answering.answeringOffsetMs);
  });
});

describe('moderation', () => {
  it('a banned viewer gets room:removed {reason: banned}, loses its media, and cannot join again (banned)', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const troll = await registeredViewer(seminarId);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: viewer } = await clients.join(seminarId, troll);
    await viewer.ok('transport:create', { direction: 'recv' });
    const room = await roomOf(app, seminarId);
    const peer = peerOf(room, viewer);
    const socketId = viewer.socket.id!;

    expect(codeOf(await requestWithin(viewer, 'moderation:ban', { userId: people.lecturer.id }))).toBe('moderators_only');
    expect(codeOf(await requestWithin(lecturer, 'moderation:ban', { userId: people.lecturer.id }))).toBe('cannot_ban_lecturer');

    await lecturer.ok('moderation:ban', { userId: troll.id });
    expect(await viewer.next('room:removed', undefined, 5000)).toEqual({ reason: 'banned' });
    await waitFor(() => (viewer.socket.connected ? undefined : true), 5000, 'the banned socket to be disconnected');
    expect(room.hasPeer(socketId)).toBe(false);
    expect(peer.isClosed).toBe(true);
    expect(peer.counts().transports).toBe(0);
    expect(await app.repos.live.isBanned(seminarId, troll.id)).toBe(true);

    const again = await clients.connect(troll);
    expect(codeOf(await requestWithin(again, 'room:join', { seminarId }))).toBe('banned');
    expect(room.hasPeer(again.socket.id!)).toBe(false);
    // Only this seminar: another one still lets them in.
    const elsewhere = await createSeminar(api, people.lecturer, { isPublic: true });
    expect(codeOf(await requestWithin(again, 'room:join', { seminarId: elsewhere }))).toBe('ok');
  });
});

describe('the stage', () => {
  const rtpParameters = { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: 1234 }] };

  it('tells an invited viewer their hand went down before it tells them they are invited, within one chatter window', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const guest = await registeredViewer(seminarId);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: viewer } = await clients.join(seminarId, guest);
    // The raised hand opens the room's window (200 ms here); the invitation comes inside it.
    await viewer.ok('hand:raise', { raised: true });
    await lecturer.ok('stage:invite', { userId: guest.id });
    await viewer.next('stage:self', (p) => p.invited);
    await viewer.next('hand:updated', (p) => p.userId === guest.id && !p.raised);
    const order = viewer.events
      .filter((e) => e.event === 'stage:self' || (e.event === 'hand:updated' && e.payload.userId === guest.id))
      .map((e) => (e.event === 'stage:self' ? `self:${e.payload.invited}` : `hand:${e.payload.raised}`));
    expect(order).toEqual(['hand:true', 'hand:false', 'self:true']);
  });

  it('lets a viewer the lecturer invites send media once they accept, and stops it after stage:remove', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const guestSpeaker = await registeredViewer(seminarId);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: viewer } = await clients.join(seminarId, guestSpeaker);

    // Not on stage: no send transport.
    expect(codeOf(await requestWithin(viewer, 'transport:create', { direction: 'send' }))).toBe('not_allowed_to_produce');
    expect(codeOf(await requestWithin(viewer, 'stage:invite', { userId: guestSpeaker.id }))).toBe('moderators_only');

    await lecturer.ok('stage:invite', { userId: guestSpeaker.id });
    expect(await viewer.next('stage:self', (p) => p.invited)).toEqual({ invited: true, onStage: false, muted: false });
    // Invited is not yet on stage.
    expect(codeOf(await requestWithin(viewer, 'transport:create', { direction: 'send' }))).toBe('not_allowed_to_produce');
    await viewer.ok('stage:accept', {});
    expect(await viewer.next('stage:updated', (p) => p.userId === guestSpeaker.id)).toEqual({
      userId: guestSpeaker.id,
      displayName: 'Зритель',
      onStage: true,
    });
    expect(await viewer.next('stage:self', (p) => p.onStage)).toEqual({ invited: false, onStage: true, muted: false });
    const send = await viewer.ok('transport:create', { direction: 'send' });
    const produced = await viewer.ok('produce', { transportId: send.id, kind: 'video', rtpParameters, source: 'camera' });
    expect(await lecturer.next('room:producer-added', (p) => p.producerId === produced.producerId)).toMatchObject({
      userId: guestSpeaker.id,
      source: 'camera',
    });
    // On stage is camera and microphone, not the screen.
    expect(
      codeOf(
        await requestWithin(viewer, 'produce', {
          transportId: send.id,
          kind: 'video',
          rtpParameters: { ...rtpParameters, encodings: [{ ssrc: 5678 }] },
          source: 'screen',
        }),
      ),
    ).toBe('not_allowed_to_produce');
    // A rejoin shows the viewer on stage, and everyone the stage.
    const { joined: rejoined } = await clients.join(seminarId, guestSpeaker);
    expect(rejoined.onStage).toBe(true);
    expect(rejoined.self).toEqual({ invited: false, onStage: true, muted: false });
    expect(rejoined.stage).toEqual([{ userId: guestSpeaker.id, displayName: 'Зритель' }]);

    await lecturer.ok('stage:remove', { userId: guestSpeaker.id });
    expect(await viewer.next('stage:updated', (p) => p.userId === guestSpeaker.id && !p.onStage)).toEqual({
      userId: guestSpeaker.id,
      displayName: 'Зритель',
      onStage: false,
    });
    expect(await lecturer.next('room:producer-closed', (p) => p.producerId === produced.producerId)).toEqual({
      producerId: produced.producerId,
    });
    const room = await roomOf(app, seminarId);
    expect(peerOf(room, viewer).counts().producers).toBe(0);
    expect(room.listProducers()).toEqual([]);
    expect(codeOf(await requestWithin(viewer, 'transport:create', { direction: 'send' }))).toBe('not_allowed_to_produce');
    expect(codeOf(await requestWithin(viewer, 'produce', { transportId: send.id, kind: 'video', rtpParameters, source: 'camera' }))).toBe(
      'not_allowed_to_produce',
    );
  });

  it('a declined invitation goes, and nobody can accept or leave what they were never given', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const invitee = await registeredViewer(seminarId);
    const bystander = await registeredViewer(seminarId);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: viewer } = await clients.join(seminarId, invitee);
    const { client: other } = await clients.join(seminarId, bystander);

    expect(codeOf(await requestWithin(other, 'stage:accept', {}))).toBe('not_invited');
    expect(codeOf(await requestWithin(other, 'stage:decline', {}))).toBe('not_invited');
    expect(codeOf(await requestWithin(other, 'stage:leave', {}))).toBe('not_on_stage');
    expect(codeOf(await requestWithin(lecturer, 'stage:invite', { userId: '0123456789abcdef01234567' }))).toBe('not_present');
    expect(codeOf(await requestWithin(lecturer, 'stage:invite', { userId: people.lecturer.id }))).toBe('already_lecturer');

    await lecturer.ok('stage:invite', { userId: invitee.id });
    await viewer.next('stage:self', (p) => p.invited);
    // Only the invitee can answer it.
    expect(codeOf(await requestWithin(other, 'stage:accept', {}))).toBe('not_invited');
    await viewer.ok('stage:decline', {});
    expect(await viewer.next('stage:self', (p) => !p.invited)).toEqual({ invited: false, onStage: false, muted: false });
    expect(codeOf(await requestWithin(viewer, 'stage:accept', {}))).toBe('not_invited');
    expect(codeOf(await requestWithin(viewer, 'transport:create', { direction: 'send' }))).toBe('not_allowed_to_produce');
    expect((await lecturer.ok('room:participants', {})).people.find((p: { userId: string }) => p.userId === invitee.id)).toMatchObject({
      stage: 'none',
    });
  });

  it('a mute holds: the guest cannot resume the microphone until the lecturer lifts it, also after a rejoin', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const guest = await registeredViewer(seminarId);
    const listener = await registeredViewer(seminarId);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: viewer } = await clients.join(seminarId, guest);
    const { client: audience } = await clients.join(seminarId, listener);
    const opus = { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 4321 }] };

    // Only someone on stage can be muted; lecturers are never muted.
    expect(codeOf(await requestWithin(lecturer, 'moderation:mute', { userId: guest.id }))).toBe('not_on_stage');
    await lecturer.ok('stage:invite', { userId: guest.id });
    await viewer.ok('stage:accept', {});
    const send = await viewer.ok('transport:create', { direction: 'send' });
    const { producerId } = await viewer.ok('produce', { transportId: send.id, kind: 'audio', rtpParameters: opus, source: 'mic' });
    const room = await roomOf(app, seminarId);
    const paused = () => peerOf(room, viewer).producer(producerId).paused;

    expect(codeOf(await requestWithin(viewer, 'moderation:mute', { userId: guest.id }))).toBe('moderators_only');
    expect(codeOf(await requestWithin(audience, 'moderation:unmute', { userId: guest.id }))).toBe('moderators_only');
    await lecturer.ok('moderation:mute', { userId: guest.id });
    expect(paused()).toBe(true);
    expect(await viewer.next('stage:self', (p) => p.muted)).toEqual({ invited: false, onStage: true, muted: true });
    expect(await audience.next('room:producer-paused', (p) => p.producerId === producerId)).toEqual({ producerId, paused: true });
    expect(codeOf(await requestWithin(viewer, 'producer:resume', { producerId }))).toBe('muted_by_moderator');
    // Nor can the guest lift the mute themselves.
    expect(codeOf(await requestWithin(viewer, 'moderation:unmute', { userId: guest.id }))).toBe('moderators_only');
    expect(paused()).toBe(true);
    expect(paused()).toBe(true);

    // A rejoin does not shake it off: the new microphone starts paused, and stays so.
    viewer.close();
    const { client: again, joined } = await clients.join(seminarId, guest);
    expect(joined.self).toEqual({ invited: false, onStage: true, muted: true });
    const send2 = await again.ok('transport:create', { direction: 'send' });
    const second = await again.ok('produce', { transportId: send2.id, kind: 'audio', rtpParameters: opus, source: 'mic' });
    expect(peerOf(room, again).producer(second.producerId).paused).toBe(true);
    expect(codeOf(await requestWithin(again, 'producer:resume', { producerId: second.producerId }))).toBe('muted_by_moderator');

    // Lifted: the guest switches it back on themselves.
    await lecturer.ok('moderation:unmute', { userId: guest.id });
    expect(await again.next('stage:self', (p) => !p.muted)).toEqual({ invited: false, onStage: true, muted: false });
    expect(peerOf(room, again).producer(second.producerId).paused).toBe(true);
    await again.ok('producer:resume', { producerId: second.producerId });
    expect(peerOf(room, again).producer(second.producerId).paused).toBe(false);

    // Leaving the stage by themselves closes what they send.
    await again.ok('stage:leave', {});
    expect(await audience.next('stage:updated', (p) => p.userId === guest.id && !p.onStage)).toMatchObject({ onStage: false });
    expect(peerOf(room, again).counts().producers).toBe(0);
    expect(codeOf(await requestWithin(again, 'transport:create', { direction: 'send' }))).toBe('not_allowed_to_produce');
  });
});

describe('the participant list', () => {
  it('is for lecturers only: raised hands first, names once per user, anonymous viewers counted, pushed on change', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { isPublic: true });
    const anna = await registerUser(api, { displayName: 'Анна' });
    const boris = await registerUser(api, { displayName: 'Борис' });
    const vera = await registerUser(api, { displayName: 'Вера' });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: annaClient } = await clients.join(seminarId, anna);
    await clients.join(seminarId, anna); // a second tab
    const { client: borisClient } = await clients.join(seminarId, boris);
    const { client: veraClient } = await clients.join(seminarId, vera);
    await clients.join(seminarId); // two guests without accounts
    await clients.join(seminarId);

    // Viewers get neither the list nor its pushes; nor may they lower hands.
    for (const c of [annaClient, borisClient]) expect(codeOf(await requestWithin(c, 'room:participants', {}))).toBe('moderators_only');
    expect(codeOf(await requestWithin(annaClient, 'hand:lower', { userId: boris.id }))).toBe('moderators_only');

    await veraClient.ok('hand:raise', { raised: true });
    await sleep(20);
    await borisClient.ok('hand:raise', { raised: true });
    const list = await lecturer.ok('room:participants', {});
    expect(list.people.map((p: { displayName: string; hand: boolean }) => [p.displayName, p.hand])).toEqual([
      ['Вера', true],
      ['Борис', true],
      [expect.any(String), false], // the lecturer
      ['Анна', false],
    ]);
    expect(list.people[2]).toMatchObject({ userId: people.lecturer.id, role: 'lecturer' });
    expect(list).toMatchObject({ anonymous: 2, more: 0 });

    // Pushed to the lecturer, throttled, ending on the latest state.
    // A push between the two raises (throttled, under load) may carry Вера's hand alone: wait for both.
    const pushed = await lecturer.next(
      'room:participants',
      (p) => p.people.filter((x: { hand: boolean }) => x.hand).length === 2,
      THROTTLE_MS * 4,
    );
    expect(pushed.people.filter((p: { hand: boolean }) => p.hand).map((p: { displayName: string }) => p.displayName)).toEqual([
      'Вера',
      'Борис',
    ]);
    await lecturer.ok('hand:lower', { userId: vera.id });
    expect(await veraClient.next('hand:updated', (p) => p.userId === vera.id && !p.raised)).toMatchObject({ raised: false });
    const after = await lecturer.next(
      'room:participants',
      (p) => p.people[0]?.displayName === 'Борис' && !p.people.find((x: { userId: string; hand: boolean }) => x.userId === vera.id)?.hand,
      THROTTLE_MS * 4,
    );
    expect(after.people.filter((p: { hand: boolean }) => p.hand).map((p: { displayName: string }) => p.displayName)).toEqual(['Борис']);
    await sleep(THROTTLE_MS + 200);
    for (const c of [annaClient, borisClient, veraClient]) expect(c.events.some((e) => e.event === 'room:participants')).toBe(false);
  });

  it('and the moderation events are rate-limited per lecturer', async () => {
    // A lecturer of its own: the limit counts every moderation event of the user.
    const seminarId = await createSeminar(api, people.otherLecturer);
    const { client: lecturer } = await clients.join(seminarId, people.otherLecturer);
    const codes: string[] = [];
    for (let i = 0; i < 31; i++) codes.push(codeOf(await requestWithin(lecturer, 'room:participants', {})));
    expect(codes.slice(0, 30).every((c) => c === 'ok')).toBe(true);
    expect(codes[30]).toBe('rate_limited');
  });

  it("and a viewer's hand and stage answers share a limit per user, past which nothing changes", async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const user = await registeredViewer(seminarId);
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: viewer } = await clients.join(seminarId, user);
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) codes.push(codeOf(await requestWithin(viewer, 'hand:raise', { raised: i % 2 === 0 })));
    expect(codes).toEqual(Array(10).fill('ok'));
    // The last one lowered the hand; the next ones are refused before their own checks.
    const refused = await requestWithin(viewer, 'hand:raise', { raised: true });
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited', details: { retryAfterSeconds: expect.any(Number) } } });
    expect(codeOf(await requestWithin(viewer, 'stage:decline', {}))).toBe('rate_limited');
    expect(codeOf(await requestWithin(viewer, 'stage:leave', {}))).toBe('rate_limited');
    const list = await lecturer.ok('room:participants', {});
    expect(list.people.find((p: { userId: string }) => p.userId === user.id)).toMatchObject({ hand: false, stage: 'none' });
  });
});
