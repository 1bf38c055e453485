import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser } from '../support/api';
import { startTestApp } from '../support/app';
import { makeFlatOdp, makePdf } from '../support/pdf';
import { DeckRenderer } from '../../server/slides/render';
import { Clients, codeOf, createSeminar, registerFor, requestWithin } from '../live/support';

// Slides (issue 15): a deck uploaded as a PDF is rendered with poppler (every page an image, its
// title read back), broken or wrong files are refused with a code and leave nothing behind, only
// the seminar's lecturers upload and flip, viewers get each flip and, joining late, the current
// slide, and the replay's timeline holds the changes and their titles as chapters.

const run = promisify(execFile);
let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;

beforeAll(async () => {
  app = await startTestApp('slides', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await app?.stop();
});

const TITLES = ['Market size', 'Unit economics', 'Next steps'];

function upload(seminarId: string, bytes: Uint8Array, token = people.lecturer.token, name = 'deck.pdf') {
  return api.call('POST', `/seminars/${seminarId}/decks?name=${encodeURIComponent(name)}`, {
    token,
    rawBody: bytes,
    headers: { 'content-type': 'application/pdf' },
  });
}

/** What is stored for slides: decks in the database, and the files under the slides folder. */
async function stored(seminarId: string) {
  const db = app.db.connection;
  const decks = await db.collection('slide_decks').find({ seminarId }).toArray();
  const changes = await db.collection('slide_changes').find({ seminarId }).toArray();
  const dir = path.dirname(app.domain.slides.deckDir('x'));
  const files = await readdir(dir).catch(() => [] as string[]);
  return { decks: decks.length, changes: changes.length, files: files.sort() };
}

/** An image's width and height, read back by poppler's own PNG reader's sibling: ffprobe. */
async function imageSize(bytes: Buffer): Promise<{ width: number; height: number }> {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function fetchImage(url: string): Promise<Buffer> {
  const res = await fetch(`${app.url}${url}`);
  expect(res.status, url).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/png');
  return Buffer.from(await res.arrayBuffer());
}

describe('uploading a deck', () => {
  it('renders every page of a PDF at 1280 px with a thumbnail, and reads each page’s title', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const res = await upload(seminarId, makePdf(TITLES), people.lecturer.token, 'Стратегия.pdf');
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ seminarId, name: 'Стратегия.pdf', pageCount: 3 });
    expect(res.body.pages.map((p: { title: string }) => p.title)).toEqual(TITLES);
    const images: Buffer[] = [];
    for (const page of res.body.pages) {
      const image = await fetchImage(page.imageUrl);
      expect(await imageSize(image)).toEqual({ width: 1280, height: 720 });
      const thumb = await fetchImage(page.thumbUrl);
      expect((await imageSize(thumb)).width).toBe(240);
      images.push(image);
    }
    // Three different pictures, and ffprobe decodes one as a PNG frame of the right size.
    expect(new Set(images.map((b) => b.toString('base64'))).size).toBe(3);
    const dir = app.domain.slides.deckDir(res.body.id);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'csv=p=0',
      path.join(dir, 'slide-2.png'),
    ]);
    expect(stdout.trim()).toBe('png,1280,720');
    // The folder holds the images alone: no PDF, no temporary folder left.
    expect((await readdir(dir)).sort()).toEqual(['slide-1.png', 'slide-2.png', 'slide-3.png', 'thumb-1.png', 'thumb-2.png', 'thumb-3.png']);
    expect((await stored(seminarId)).files.filter((f) => f.startsWith('.'))).toEqual([]);

    const listed = await api.call('GET', `/seminars/${seminarId}/decks`, { token: people.lecturer.token });
    expect(listed.status).toBe(200);
    expect(listed.body.map((d: { id: string }) => d.id)).toEqual([res.body.id]);
  });

  it.each([
    ['a broken PDF', () => Buffer.concat([makePdf(TITLES).subarray(0, 200)]), 400, 'deck_unreadable'],
    ['a text file named .pdf', () => Buffer.from('Это не презентация, а просто текст.\n'), 415, 'deck_unsupported_type'],
    ['an empty body', () => Buffer.alloc(0), 400, 'deck_empty'],
    ['a PDF of 201 pages', () => makePdf(Array.from({ length: 201 }, (_, i) => `Page ${i + 1}`)), 413, 'deck_too_many_pages'],
    ['a zip that is no presentation', () => Buffer.from('PK\u0003\u0004rest-of-a-zip', 'latin1'), 400, 'deck_unreadable'],
  ])('refuses %s with its code and leaves nothing behind', async (_name, bytes, status, code) => {
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const before = await stored(seminarId);
    const res = await upload(seminarId, bytes());
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code });
    expect(await stored(seminarId)).toEqual(before);
  });

  it('converts a PPTX with LibreOffice and renders its slides with their titles', async () => {
    // A real PPTX, made by LibreOffice from a flat ODP.
    const work = await mkdtemp(path.join(tmpdir(), 'lectern-pptx-'));
    try {
      await writeFile(path.join(work, 'deck.fodp'), makeFlatOdp(['Первый слайд', 'Second slide']));
      await run(
        'soffice',
        [
          `-env:UserInstallation=file://${work}/profile`,
          '--headless',
          '--convert-to',
          'pptx',
          '--outdir',
          work,
          path.join(work, 'deck.fodp'),
        ],
        {
          timeout: 120_000,
        },
      );
      const pptx = await readFile(path.join(work, 'deck.pptx'));
      const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
      const res = await api.call('POST', `/seminars/${seminarId}/decks?name=deck.pptx`, {
        token: people.lecturer.token,
        rawBody: pptx,
        headers: { 'content-type': 'application/vnd.openxmlformats-officedocument.presentationml.presentation' },
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body.pages.map((p: { title: string }) => p.title)).toEqual(['Первый слайд', 'Second slide']);
      expect((await imageSize(await fetchImage(res.body.pages[1].imageUrl))).width).toBe(1280);
      expect((await readdir(app.domain.slides.deckDir(res.body.id))).sort()).toEqual([
        'slide-1.png',
        'slide-2.png',
        'thumb-1.png',
        'thumb-2.png',
      ]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 180_000);

  it('refuses a PPTX with 415 where LibreOffice is not installed, leaving no folder', async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'lectern-deck-')), 'deck');
    const renderer = new DeckRenderer({ timeoutMs: 10_000 });
    await expect(renderer.render(Buffer.from('PK\u0003\u0004', 'latin1'), 'pptx', dir)).rejects.toMatchObject({
      status: 415,
      code: 'deck_pptx_unavailable',
    });
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await rm(path.dirname(dir), { recursive: true, force: true });
  });

  it('refuses a file over the size limit with 413 before reading it, and stores nothing', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const before = await stored(seminarId);
    const res = await upload(seminarId, Buffer.alloc(50 * 1024 * 1024 + 1, 0x20));
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 413, code: 'payload_too_large' });
    expect(await stored(seminarId)).toEqual(before);
  });

  it('lets only the seminar’s lecturers and admins upload', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const pdf = makePdf(['One']);
    const before = await stored(seminarId);
    expect((await upload(seminarId, pdf, people.learner.token)).body.error.code).toBe('missing_grant');
    expect((await upload(seminarId, pdf, people.otherLecturer.token)).body.error.code).toBe('not_own_seminar');
    const anonymous = await api.call('POST', `/seminars/${seminarId}/decks`, {
      rawBody: pdf,
      headers: { 'content-type': 'application/pdf' },
    });
    expect(anonymous.status).toBe(401);
    expect(await stored(seminarId)).toEqual(before);
    expect((await upload(seminarId, pdf, people.admin.token)).status).toBe(201);
  });

  it('refuses a forged or expired image link', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const deck = (await upload(seminarId, makePdf(['One']))).body;
    const url: string = deck.pages[0].imageUrl;
    const forged = url.replace(/\/([^/]+)\/slide-1\.png$/, '/AAAA$1/slide-1.png');
    expect((await fetch(`${app.url}${forged}`)).status).toBe(403);
    const expired = url.replace(/\/(\d+)\/([^/]+)\/slide-1\.png$/, '/1000/$2/slide-1.png');
    expect((await fetch(`${app.url}${expired}`)).status).toBe(403);
    expect((await fetch(`${app.url}${url.replace('slide-1', 'slide-1/../../x')}`)).status).toBeGreaterThanOrEqual(400);
  });
});

describe('flipping slides live', () => {
  it('shows the lecturer’s slide to every viewer, to late joiners, and on the replay’s timeline', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    await registerFor(api, seminarId, people.learner);
    await registerFor(api, seminarId, people.otherLearner);
    const deck = (await upload(seminarId, makePdf(TITLES))).body;
    await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'live' } });

    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    const { client: viewer } = await clients.join(seminarId, people.learner);
    expect(await viewer.ok('slide:current', {})).toBeNull();

    // Bad input the schema lets through, and viewers, change nothing.
    const before = await stored(seminarId);
    expect(codeOf(await requestWithin(viewer, 'slide:show', { deckId: deck.id, page: 1 }))).toBe('moderators_only');
    expect(codeOf(await requestWithin(lecturer, 'slide:show', { deckId: deck.id, page: 4 }))).toBe('slide_not_found');
    expect(codeOf(await requestWithin(lecturer, 'slide:show', { deckId: '0123456789abcdef01234567', page: 1 }))).toBe('deck_not_found');
    const outsider = await clients.connect(people.learner);
    expect(codeOf(await requestWithin(outsider, 'slide:show', { deckId: deck.id, page: 1 }))).toBe('not_in_room');
    expect(codeOf(await requestWithin(outsider, 'slide:current', {}))).toBe('not_in_room');
    const elsewhere = await createSeminar(api, people.otherLecturer);
    const { client: otherLecturer } = await clients.join(elsewhere, people.otherLecturer);
    expect(codeOf(await requestWithin(otherLecturer, 'slide:show', { deckId: deck.id, page: 1 }))).toBe('deck_not_found');
    expect(await stored(seminarId)).toEqual(before);

    const shown = viewer.next('slide:shown', (s) => s.page === 2);
    const answer = await lecturer.ok('slide:show', { deckId: deck.id, page: 2 });
    expect(answer).toMatchObject({ deckId: deck.id, page: 2, pageCount: 3, title: 'Unit economics' });
    const seen = await shown;
    expect(seen).toMatchObject({ page: 2, title: 'Unit economics' });
    expect((await imageSize(await fetchImage(seen.imageUrl))).width).toBe(1280);

    await new Promise((r) => setTimeout(r, 50));
    await lecturer.ok('slide:show', { deckId: deck.id, page: 3 });
    // A viewer who joins now gets the slide on asking.
    const { client: late } = await clients.join(seminarId, people.otherLearner);
    expect(await late.ok('slide:current', {})).toMatchObject({ page: 3, title: 'Next steps' });

    const changes = await app.db.connection.collection('slide_changes').find({ seminarId }).sort({ at: 1 }).toArray();
    expect(changes.map((c) => c.page)).toEqual([2, 3]);
    expect(changes[1]!.offsetMs).toBeGreaterThan(changes[0]!.offsetMs);

    const moments = await app.domain.slides.moments(seminarId);
    expect(moments.map((m) => [m.page, m.title])).toEqual([
      [2, 'Unit economics'],
      [3, 'Next steps'],
    ]);
  });

  it('limits how fast one lecturer flips', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const deck = (await upload(seminarId, makePdf(['A', 'B']))).body;
    await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'live' } });
    // The admin moderates as a lecturer, with a budget no other test spent.
    const { client: lecturer } = await clients.join(seminarId, people.admin);
    const codes: string[] = [];
    for (let i = 0; i < 35; i++) codes.push(codeOf(await requestWithin(lecturer, 'slide:show', { deckId: deck.id, page: (i % 2) + 1 })));
    expect(codes.filter((c) => c === 'ok').length).toBe(30);
    expect(codes.at(-1)).toBe('rate_limited');
    const stored = await app.db.connection.collection('slide_changes').countDocuments({ seminarId });
    expect(stored).toBe(30);
  });

  it('a learner not registered for a private seminar gets no slide', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const stranger = await registerUser(api);
    const client = await clients.connect(stranger);
    expect(codeOf(await requestWithin(client, 'room:join', { seminarId }))).not.toBe('ok');
    expect(codeOf(await requestWithin(client, 'slide:current', {}))).toBe('not_in_room');
  });
});

describe('deleting a deck', () => {
  const remove = (deckId: string, token: string | null = people.lecturer.token) =>
    api.call('DELETE', `/decks/${deckId}`, token === null ? {} : { token });

  it('deletes a deck not on screen with its changes and rendered pages; refuses the one on screen while live', async () => {
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const first = (await upload(seminarId, makePdf(['One', 'Two']))).body;
    const second = (await upload(seminarId, makePdf(['Three']))).body;
    await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'live' } });
    const { client: lecturer } = await clients.join(seminarId, people.lecturer);
    await lecturer.ok('slide:show', { deckId: first.id, page: 1 });
    await lecturer.ok('slide:show', { deckId: second.id, page: 1 });
    await lecturer.ok('slide:show', { deckId: first.id, page: 2 });

    // The deck on screen, someone else's, nobody's, or no id at all: refused, and nothing changes.
    const before = await stored(seminarId);
    expect(before).toMatchObject({ decks: 2, changes: 3 });
    const onScreen = await remove(first.id);
    expect([onScreen.status, onScreen.body.error.code]).toEqual([409, 'deck_showing']);
    expect((await remove(second.id, people.otherLecturer.token)).body.error.code).toBe('not_own_seminar');
    expect((await remove(second.id, people.learner.token)).body.error.code).toBe('missing_grant');
    expect((await remove(second.id, null)).status).toBe(401);
    expect((await remove('0123456789abcdef01234567')).body.error.code).toBe('deck_not_found');
    const notAnId = await remove('nope');
    expect([notAnId.status, notAnId.body.error.code]).toEqual([400, 'invalid_request']);
    expect(await stored(seminarId)).toEqual(before);

    // The deck not on screen goes: its document, the change that showed it, its folder and its images.
    const image = await fetch(`${app.url}${second.pages[0].imageUrl}`);
    expect(image.status).toBe(200);
    expect((await remove(second.id)).status).toBe(204);
    expect(await stored(seminarId)).toEqual({ decks: 1, changes: 2, files: before.files.filter((f) => f !== second.id) });
    expect(before.files).toContain(second.id);
    await expect(readdir(app.domain.slides.deckDir(second.id))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fetch(`${app.url}${second.pages[0].imageUrl}`)).status).toBe(404);
    const listed = await api.call('GET', `/seminars/${seminarId}/decks`, { token: people.lecturer.token });
    expect(listed.body.map((d: { id: string }) => d.id)).toEqual([first.id]);
    expect(codeOf(await requestWithin(lecturer, 'slide:show', { deckId: second.id, page: 1 }))).toBe('deck_not_found');
    expect((await app.domain.slides.moments(seminarId)).map((m) => [m.deckId, m.page])).toEqual([
      [first.id, 1],
      [first.id, 2],
    ]);
    expect((await remove(second.id)).body.error.code).toBe('deck_not_found');

    // Once the seminar is over, the deck that was last on screen may go too.
    await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'ended' } });
    expect((await remove(first.id)).status).toBe(204);
    expect(await stored(seminarId)).toEqual({ decks: 0, changes: 0, files: before.files.filter((f) => f !== first.id && f !== second.id) });
  });

  it('limits how many decks one lecturer deletes in an hour', async () => {
    // The admin's budget, which no other test spends on this route.
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await remove('0123456789abcdef01234567', people.admin.token)).status);
    expect(statuses.slice(0, 60).every((s) => s === 404)).toBe(true);
    expect(statuses[60]).toBe(429);
  });
});
