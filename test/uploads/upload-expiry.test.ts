import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { waitFor } from '../support/media';
import { codeOf, filesUnder, tusCreate, tusHead, tusPatch } from '../support/uploads';

// Abandoned uploads (UPLOAD_ABANDONED_AFTER_SECONDS, here 3 s): the periodic sweep gives up an
// upload whose file has received nothing for that long, removing its bytes and tus info and
// leaving its line failed with upload_expired; one still receiving bytes is left alone.

const AGE_SECONDS = 3;

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('upload_expiry', { MEDIASOUP_WORKERS: '1', UPLOAD_ABANDONED_AFTER_SECONDS: String(AGE_SECONDS) });
  api = Api.of(app);
  people = await cast(api);
}, 120_000);
afterAll(() => app?.stop());

const incoming = () => app.config.uploads.incomingDir;

/** A tus upload of `size` bytes with its first `sent` bytes received; its id and location. */
async function partialUpload(name: string, size: number, sent: number) {
  const created = await tusCreate(app, people.lecturer.token, name, size);
  expect(created.status).toBe(201);
  const location = created.headers.get('location')!;
  expect((await tusPatch(app, people.lecturer.token, location, 0, Buffer.alloc(sent, 1))).status).toBe(204);
  return { id: location.split('/').pop()!, location };
}

describe('abandoned uploads', () => {
  it('expires an upload that received nothing for the configured age, with its files, and keeps one still arriving', async () => {
    expect(app.config.uploads.abandonedAfterSeconds).toBe(AGE_SECONDS);
    const abandoned = await partialUpload('брошенное.mp4', 100_000, 40_000);
    const arriving = await partialUpload('идёт.mp4', 100_000, 40_000);
    // A byte "arrives" far in the future as far as the sweep can tell: this one stays fresh whatever the load.
    const fresh = new Date(Date.now() + 3600_000);
    await utimes(path.join(incoming(), arriving.id), fresh, fresh);
    expect(await filesUnder(incoming())).toEqual(expect.arrayContaining([abandoned.id, `${abandoned.id}.json`]));

    const expired = await waitFor(
      async () => {
        const job = await app.repos.uploads.get(abandoned.id);
        return job?.state === 'failed' ? job : undefined;
      },
      60_000,
      'the abandoned upload to expire',
    );
    expect(expired).toMatchObject({ state: 'failed', errorCode: 'upload_expired' });
    // The sweep fails the job first (bytes arriving meanwhile find no upload), then removes its files.
    const files = await waitFor(
      async () => {
        const now = await filesUnder(incoming());
        return now.includes(abandoned.id) || now.includes(`${abandoned.id}.json`) ? undefined : now;
      },
      5_000,
      "the abandoned upload's files to go",
    );
    // The list says why; continuing it is refused.
    const listed = await api.call<Array<{ id: string; state: string; errorCode: string | null }>>('GET', '/uploads', {
      token: people.lecturer.token,
    });
    expect(listed.body.find((u) => u.id === abandoned.id)).toMatchObject({ state: 'failed', errorCode: 'upload_expired' });
    const resumed = await tusPatch(app, people.lecturer.token, abandoned.location, 40_000, Buffer.alloc(10));
    expect(resumed.status).toBe(409);
    expect(await codeOf(resumed)).toBe('upload_expired');

    // Several sweeps have passed by now; the one still receiving bytes is untouched.
    expect(await app.repos.uploads.get(arriving.id)).toMatchObject({ state: 'uploading' });
    expect(Number((await tusHead(app, people.lecturer.token, arriving.location)).headers.get('upload-offset'))).toBe(40_000);
    expect(files).toEqual(expect.arrayContaining([arriving.id, `${arriving.id}.json`]));

    // Once its last byte is older than the age, it goes too.
    const stale = new Date(Date.now() - 2 * AGE_SECONDS * 1000);
    await utimes(path.join(incoming(), arriving.id), stale, stale);
    await waitFor(
      async () => ((await app.repos.uploads.get(arriving.id))?.errorCode === 'upload_expired' ? true : undefined),
      60_000,
      'the second upload to expire',
    );
    // As for the first: the job fails before its files go.
    await waitFor(
      async () => ((await filesUnder(incoming())).includes(arriving.id) ? undefined : true),
      5_000,
      "the second upload's files to go",
    );
  }, 180_000);
});
