import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LiveAccess } from '../../server/live/service';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import type { LiveClient } from '../support/live-client';
import { Clients, codeOf, createSeminar, registerFor, requestWithin } from './support';

// Polls (issue 15): the domain (one vote each, multiple choice, a closed poll refuses votes),
// every poll event's authorization and bad input (an error ack with a code, nothing written),
// who sees counts when, the rate limit, and the results in the analytics and the CSV.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;

beforeAll(async () => {
  app = await startTestApp('live_polls', { MEDIASOUP_WORKERS: '1', VIEWER_COUNT_THROTTLE_MS: '100' });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await app?.stop();
});

const draft = (over: Record<string, unknown> = {}) => ({
  question: 'Какой налоговый режим вы выбрали?',
  options: ['УСН', 'Патент', 'НПД'],
  multiple: false,
  showResults: 'after_vote',
  ...over,
});

/** What is stored: the seminar's polls with their status, and every vote. */
async function stored(seminarId: string) {
  const db = app.db.connection;
  const polls = await db.collection('live_polls').find({ seminarId }).sort({ _id: 1 }).toArray();
  const votes = await db.collection('live_poll_votes').find({ seminarId }).sort({ _id: 1 }).toArray();
  return {
    polls: polls.map((p) => `${p.status}/${p.openedOffsetMs}/${p.closedOffsetMs}/${JSON.stringify(p.counts)}`),
    votes: votes.map((v) => `${v.pollId}/${v.userId}/${JSON.stringify(v.choices)}`),
  };
}

async function access(seminarId: string, role: 'lecturer' | 'viewer', userId: string | null): Promise<LiveAccess> {
  const seminar = (await app.repos.seminars.get(seminarId))!;
  return { seminar, role, userId, displayName: role, canChat: userId !== null };
}

describe('the poll domain', () => {
  it('takes one vote per viewer, counts multiple choices, and refuses votes once closed', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const polls = app.domain.polls;
    const lecturer = await access(seminarId, 'lecturer', people.lecturer.id);
    const anna = await access(seminarId, 'viewer', people.learner.id);
    const boris = await access(seminarId, 'viewer', people.otherLearner.id);

    const single = await polls.create(lecturer, draft() as never);
    const multi = await polls.create(lecturer, draft({ question: 'Что вам интересно?', multiple: true, showResults: 'at_close' }) as never);
    expect(single.status).toBe('draft');
    await expect(polls.vote(anna, single.id, [0])).rejects.toMatchObject({ code: 'poll_not_open' });
    await polls.open(lecturer, single.id);
    await polls.open(lecturer, multi.id);

    await polls.vote(anna, single.id, [1]);
    await expect(polls.vote(anna, single.id, [2])).rejects.toMatchObject({ status: 409, code: 'poll_already_voted' });
    await expect(polls.vote(boris, single.id, [0, 1])).rejects.toMatchObject({ status: 400, code: 'invalid_choice' });
    await expect(polls.vote(boris, single.id, [3])).rejects.toMatchObject({ code: 'invalid_choice' });
    await polls.vote(boris, single.id, [1]);
    await polls.vote(anna, multi.id, [0, 2]);
    await expect(polls.vote(boris, multi.id, [1, 1])).rejects.toMatchObject({ code: 'invalid_choice' });
    await polls.vote(boris, multi.id, [2, 1]);

    expect(await polls.tally((await polls.get(seminarId, single.id))!)).toEqual({ counts: [0, 2, 0], voters: 2 });
    expect(await polls.tally((await polls.get(seminarId, multi.id))!)).toEqual({ counts: [1, 1, 2], voters: 2 });

    const closed = await polls.close(lecturer, multi.id);
    expect(closed).toMatchObject({ status: 'closed', counts: [1, 1, 2], voters: 2 });
    expect(closed.closedOffsetMs).toBeGreaterThanOrEqual(closed.openedOffsetMs!);
    const carol = await registerUser(api);
    await expect(polls.vote(await access(seminarId, 'viewer', carol.id), multi.id, [0])).rejects.toMatchObject({ code: 'poll_not_open' });
    await expect(polls.close(lecturer, multi.id)).rejects.toMatchObject({ code: 'poll_not_open' });
    await expect(polls.open(lecturer, multi.id)).rejects.toMatchObject({ code: 'poll_not_draft' });

    // Each stored vote once, in order; the closed poll keeps its count.
    expect((await stored(seminarId)).votes).toEqual([
      `${single.id}/${people.learner.id}/[1]`,
      `${single.id}/${people.otherLearner.id}/[1]`,
      `${multi.id}/${people.learner.id}/[0,2]`,
      `${multi.id}/${people.otherLearner.id}/[1,2]`,
    ]);

    // The analytics' results: both opened polls; the replay's only the closed one.
    expect((await polls.results(seminarId)).map((r) => [r.question, r.counts, r.voters])).toEqual([
      ['Какой налоговый режим вы выбрали?', [0, 2, 0], 2],
      ['Что вам интересно?', [1, 1, 2], 2],
    ]);
    expect((await polls.results(seminarId, 'closed')).map((r) => r.id)).toEqual([multi.id]);

    // The seminar ends: its open poll closes with it.
    const ended = { ...lecturer.seminar, status: 'ended' as const };
    expect((await polls.closeAll(ended)).map((p) => [p.id, p.status, p.counts])).toEqual([[single.id, 'closed', [0, 2, 0]]]);
  });

  it('opens polls only while live, and only for the seminar’s lecturers', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const lecturer = await access(seminarId, 'lecturer', people.lecturer.id);
    const poll = await app.domain.polls.create(lecturer, draft() as never);
    await expect(app.domain.polls.open(lecturer, poll.id)).rejects.toMatchObject({ code: 'seminar_not_live' });
    const viewer = await access(seminarId, 'viewer', people.learner.id);
    await expect(app.domain.polls.create(viewer, draft() as never)).rejects.toMatchObject({ status: 403, code: 'moderators_only' });
    expect((await stored(seminarId)).polls).toEqual(['draft/null/null/null']);
  });
});

describe('poll events', () => {
  let seminarId: string;
  let lecturer: LiveClient;
  let viewer: LiveClient;
  let other: LiveClient;

  async function joinAll(opts: { isPublic?: boolean } = {}) {
    seminarId = await createSeminar(api, people.lecturer, opts);
    await registerFor(api, seminarId, people.learner);
    await registerFor(api, seminarId, people.otherLearner);
    ({ client: lecturer } = await clients.join(seminarId, people.lecturer));
    ({ client: viewer } = await clients.join(seminarId, people.learner));
    ({ client: other } = await clients.join(seminarId, people.otherLearner));
  }

  /** Sends the event and expects an error ack with `code`, and nothing stored changed. */
  async function refused(from: LiveClient, event: string, payload: unknown, code: string) {
    const before = await stored(seminarId);
    expect(codeOf(await requestWithin(from, event, payload))).toBe(code);
    expect(await stored(seminarId)).toEqual(before);
  }

  it('lets only the seminar’s lecturers create, open and close, and only joined, signed-in viewers vote', async () => {
    await joinAll();
    const poll = await lecturer.ok('poll:create', draft());
    expect(poll).toMatchObject({ status: 'draft', counts: null, options: ['УСН', 'Патент', 'НПД'] });
    // Viewers never see drafts.
    expect(await viewer.ok('poll:list', {})).toEqual([]);

    for (const [event, payload] of [
      ['poll:create', draft()],
      ['poll:open', { pollId: poll.id }],
      ['poll:close', { pollId: poll.id }],
    ] as const) {
      await refused(viewer, event, payload, 'moderators_only');
    }
    await lecturer.ok('poll:open', { pollId: poll.id });
    await refused(lecturer, 'poll:vote', { pollId: poll.id, choices: [0] }, 'viewers_only');

    // Not in the room: a socket that has not joined, and a lecturer of another seminar.
    const outsider = await clients.connect(people.learner);
    for (const event of ['poll:create', 'poll:open', 'poll:close', 'poll:vote', 'poll:list']) {
      const payload = event === 'poll:create' ? draft() : event === 'poll:list' ? {} : { pollId: poll.id, choices: [0] };
      await refused(outsider, event, payload, 'not_in_room');
    }
    const elsewhere = await createSeminar(api, people.otherLecturer);
    const { client: otherLecturer } = await clients.join(elsewhere, people.otherLecturer);
    await refused(otherLecturer, 'poll:close', { pollId: poll.id }, 'poll_not_found');
    await refused(otherLecturer, 'poll:open', { pollId: poll.id }, 'poll_not_found');

    // Bad input the schema lets through: options the poll does not have, two in a single-choice poll, a made-up poll.
    await refused(viewer, 'poll:vote', { pollId: poll.id, choices: [3] }, 'invalid_choice');
    await refused(viewer, 'poll:vote', { pollId: poll.id, choices: [0, 1] }, 'invalid_choice');
    await refused(viewer, 'poll:vote', { pollId: '0123456789abcdef01234567', choices: [0] }, 'poll_not_found');
    await refused(viewer, 'poll:create', { ...draft(), question: 'x'.repeat(301) }, 'invalid_request');
    await refused(lecturer, 'poll:create', { ...draft(), options: ['одна'] }, 'invalid_request');

    const voted = await viewer.ok('poll:vote', { pollId: poll.id, choices: [1] });
    expect(voted).toMatchObject({ myChoices: [1], counts: [0, 1, 0], voters: 1 });
    await refused(viewer, 'poll:vote', { pollId: poll.id, choices: [2] }, 'poll_already_voted');
    await refused(lecturer, 'poll:open', { pollId: poll.id }, 'poll_not_draft');
    await lecturer.ok('poll:close', { pollId: poll.id });
    await refused(other, 'poll:vote', { pollId: poll.id, choices: [0] }, 'poll_not_open');
  });

  it('refuses a guest’s vote in a public seminar', async () => {
    await joinAll({ isPublic: true });
    const poll = await lecturer.ok('poll:create', draft());
    await lecturer.ok('poll:open', { pollId: poll.id });
    const { client: guest } = await clients.join(seminarId);
    expect((await guest.ok('poll:list', {})).map((p: { id: string }) => p.id)).toEqual([poll.id]);
    await refused(guest, 'poll:vote', { pollId: poll.id, choices: [0] }, 'poll_sign_in_to_vote');
  });

  it('shows counts to the lecturer at once, to voters after voting or at close as chosen, to all at close', async () => {
    await joinAll();
    const afterVote = await lecturer.ok('poll:create', draft());
    const atClose = await lecturer.ok(
      'poll:create',
      draft({ question: 'Нужна ли вторая часть?', options: ['Да', 'Нет'], showResults: 'at_close' }),
    );
    await lecturer.ok('poll:open', { pollId: afterVote.id });
    await lecturer.ok('poll:open', { pollId: atClose.id });
    // Opened: everyone hears of it, without counts.
    const opened = await other.next('poll:updated', (p) => p.id === atClose.id && p.status === 'open');
    expect(opened.counts).toBeNull();

    expect(await viewer.ok('poll:vote', { pollId: atClose.id, choices: [0] })).toMatchObject({ counts: null, myChoices: [0] });
    expect(await viewer.ok('poll:vote', { pollId: afterVote.id, choices: [2] })).toMatchObject({ counts: [0, 0, 1], voters: 1 });
    // The running counts: to the lecturer for both, to the voter only for the after-vote poll.
    await lecturer.next('poll:updated', (p) => p.id === atClose.id && p.voters === 1);
    await lecturer.next('poll:updated', (p) => p.id === afterVote.id && p.voters === 1);
    await other.ok('poll:vote', { pollId: afterVote.id, choices: [2] });
    await viewer.next('poll:updated', (p) => p.id === afterVote.id && p.voters === 2);
    expect(viewer.events.some((e) => e.event === 'poll:updated' && e.payload.id === atClose.id && e.payload.counts !== null)).toBe(false);
    expect(other.events.some((e) => e.event === 'poll:updated' && e.payload.id === atClose.id && e.payload.counts !== null)).toBe(false);
    // A list says the same: the at-close poll's counts are not the viewer's yet.
    const listed = await viewer.ok('poll:list', {});
    expect(listed.map((p: { id: string; counts: unknown; myChoices: unknown }) => [p.id, p.counts, p.myChoices])).toEqual([
      [afterVote.id, [0, 0, 2], [2]],
      [atClose.id, null, [0]],
    ]);

    await lecturer.ok('poll:close', { pollId: atClose.id });
    const closed = await other.next('poll:updated', (p) => p.id === atClose.id && p.status === 'closed');
    expect(closed).toMatchObject({ counts: [1, 0], voters: 1 });
  });

  it('limits poll events per user, across their connections', async () => {
    await joinAll();
    const fresh = await registerUser(api);
    await registerFor(api, seminarId, fresh);
    const { client: tab1 } = await clients.join(seminarId, fresh);
    const { client: tab2 } = await clients.join(seminarId, fresh);
    const codes: string[] = [];
    for (let i = 0; i < 25; i++) codes.push(codeOf(await requestWithin(i % 2 ? tab1 : tab2, 'poll:list', {})));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(20);
    expect(codes.slice(20)).toEqual(Array(5).fill('rate_limited'));
  });
});

describe('poll results', () => {
  it('go into the seminar analytics and its CSV, for its lecturers only', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const polls = app.domain.polls;
    const lecturer = await access(seminarId, 'lecturer', people.lecturer.id);
    const poll = await polls.create(lecturer, draft({ multiple: true }) as never);
    await polls.open(lecturer, poll.id);
    await polls.vote(await access(seminarId, 'viewer', people.learner.id), poll.id, [0, 2]);
    await polls.vote(await access(seminarId, 'viewer', people.otherLearner.id), poll.id, [0]);
    await polls.close(lecturer, poll.id);

    const res = await api.call('GET', `/seminars/${seminarId}/analytics`, { token: people.lecturer.token });
    expect(res.status).toBe(200);
    expect(res.body.polls).toEqual([
      expect.objectContaining({ id: poll.id, options: ['УСН', 'Патент', 'НПД'], counts: [2, 0, 1], voters: 2, multiple: true }),
    ]);

    const bytes = Buffer.from(
      await (
        await fetch(`${app.url}/api/v1/seminars/${seminarId}/polls.csv?locale=en`, {
          headers: { authorization: `Bearer ${people.lecturer.token}` },
        })
      ).arrayBuffer(),
    );
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows: string[][] = parse(bytes, { bom: true, encoding: 'utf8' });
    expect(rows[0]).toEqual([
      'Poll',
      'Question',
      'Multiple choice',
      'Opened (min:s)',
      'Closed (min:s)',
      'Voters',
      'Option',
      'Votes',
      'Share, %',
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2], r[5], r[6], r[7], r[8]])).toEqual([
      ['1', 'Какой налоговый режим вы выбрали?', 'yes', '2', 'УСН', '2', '100.0'],
      ['1', 'Какой налоговый режим вы выбрали?', 'yes', '2', 'Патент', '0', '0.0'],
      ['1', 'Какой налоговый режим вы выбрали?', 'yes', '2', 'НПД', '1', '50.0'],
    ]);
    const checked = await api.call('GET', `/seminars/${seminarId}/polls.csv`, { token: people.lecturer.token });
    expect(checked.status).toBe(200);

    const refusals: Array<[TestUser | undefined, number, string]> = [
      [undefined, 401, 'unauthorized'],
      [people.learner, 403, 'missing_grant'],
      [people.otherLecturer, 403, 'not_own_seminar'],
    ];
    for (const [who, status, code] of refusals) {
      const r = await api.call('GET', `/seminars/${seminarId}/polls.csv`, who ? { token: who.token } : {});
      expect([r.status, r.body.error.code]).toEqual([status, code]);
    }
    const bad = await api.call('GET', `/seminars/${seminarId}/polls.csv?locale=de`, { token: people.lecturer.token });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);
  });
});
