import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { start, type Lectern } from '../../server/main';
import { createLogger } from '../../server/logger';
import { Api, cast } from '../support/api';
import { testConfig, testDatabaseUri } from '../support/app';
import { waitFor } from '../support/media';
import { makePdf } from '../support/pdf';
import { createSeminar } from '../live/support';

// A crash can leave files in the decks folder that nothing points at: a render's temporary
// folder, an upload's images moved in before its document was written, or a deleted deck's
// images (the document goes first). The next start removes them, and nothing else: a deck's
// images, and an upload that may still be under way on another node.

const apps: Lectern[] = [];
afterAll(async () => {
  for (const a of apps) await a.stop();
});

describe("what a crash left in the decks' folder", () => {
  it('is removed at the next start; decks and a recent render are kept', async () => {
    const env = {
      MONGODB_URI: testDatabaseUri('slides_sweep'),
      DATA_DIR: await mkdtemp(path.join(tmpdir(), 'lectern-sweep-')),
      MEDIASOUP_WORKERS: '1',
      // The same secret, so the first run's tokens sign in to the second.
      JWT_SECRET: randomBytes(32).toString('hex'),
    };
    const first = await start(await testConfig(env), createLogger('silent'));
    apps.push(first);
    const api = Api.of(first);
    const people = await cast(api);
    const seminarId = await createSeminar(api, people.lecturer, { status: 'scheduled' });
    const uploaded = await api.call('POST', `/seminars/${seminarId}/decks?name=deck.pdf`, {
      token: people.lecturer.token,
      rawBody: makePdf(['One', 'Two']),
      headers: { 'content-type': 'application/pdf' },
    });
    expect(uploaded.status, uploaded.text).toBe(201);
    const deckId = uploaded.body.id as string;
    const dir = path.dirname(first.domain.slides.deckDir(deckId));

    // An upload cut off after its images moved in, before its document was written, with the
    // database gone (so nothing can be tidied then): a crash at that point.
    let imagesWhenWritten: boolean | undefined;
    let cutOff = '';
    vi.spyOn(first.repos.slides, 'createDeck').mockImplementationOnce(async (d) => {
      cutOff = d.id;
      imagesWhenWritten = existsSync(path.join(first.domain.slides.deckDir(d.id), 'slide-1.png'));
      throw new Error('the process stopped here');
    });
    vi.spyOn(first.repos.slides, 'deleteDeck').mockRejectedValueOnce(new Error('database away'));
    const failed = await api.call('POST', `/seminars/${seminarId}/decks?name=cut.pdf`, {
      token: people.lecturer.token,
      rawBody: makePdf(['Cut']),
      headers: { 'content-type': 'application/pdf' },
    });
    expect(failed.status).toBe(500);
    // The images were in place before the document was written: no deck is ever without them.
    expect(imagesWhenWritten).toBe(true);
    vi.restoreAllMocks();
    const listed = await api.call('GET', `/seminars/${seminarId}/decks`, { token: people.lecturer.token });
    expect(listed.body.map((d: { id: string }) => d.id)).toEqual([deckId]);
    await first.stop();
    apps.pop();

    // What a crash leaves: an old render's folder, a deleted deck's images, the cut-off upload's
    // images; and, as if under way on another node, a render and an upload's images (moved in,
    // its document not yet written) of a moment ago.
    const staleRender = path.join(dir, '.incoming-0011223344556677');
    const recentRender = path.join(dir, '.incoming-8899aabbccddeeff');
    const deletedDeck = path.join(dir, '0123456789abcdef01234567');
    const recentUpload = path.join(dir, '0123456789abcdef0123aaaa');
    for (const d of [staleRender, recentRender, deletedDeck, recentUpload]) {
      await mkdir(d, { recursive: true });
      await writeFile(path.join(d, 'slide-1.png'), 'png');
    }
    const hourAgo = new Date(Date.now() - 3600_000);
    // The cut-off upload left its images and no document.
    expect(await readdir(dir)).toContain(cutOff);
    for (const d of [staleRender, deletedDeck, path.join(dir, cutOff)]) await utimes(d, hourAgo, hourAgo);

    const second = await start(await testConfig(env), createLogger('silent'));
    apps.push(second);
    const kept = ['.incoming-8899aabbccddeeff', '0123456789abcdef0123aaaa', deckId].sort();
    const left = await waitFor(
      async () => {
        const names = (await readdir(dir)).sort();
        return names.length === kept.length ? names : undefined;
      },
      10_000,
      'the sweep',
    );
    expect(left).toEqual(kept);
    // The deck still shows its pages.
    const decks = await Api.of(second).call('GET', `/seminars/${seminarId}/decks`, { token: people.lecturer.token });
    expect(decks.status).toBe(200);
    const image = await fetch(`${second.url}${decks.body[0].pages[1].imageUrl as string}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');

    // A node that is stopping stops the sweep (stop() waits for it): nothing more is removed.
    await mkdir(deletedDeck);
    await utimes(deletedDeck, hourAgo, hourAgo);
    expect(await second.domain.slides.sweep(AbortSignal.abort())).toEqual([]);
    expect(await second.domain.slides.sweep()).toEqual([path.basename(deletedDeck)]);
  }, 60_000);
});
