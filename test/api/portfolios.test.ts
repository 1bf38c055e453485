import { readdir } from 'node:fs/promises';
import path from 'node:path';
import exifReader from 'exif-reader';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { PORTFOLIO_IMAGE_MAX_BYTES } from '../../server/protocol/portfolios';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { claimedSizePng, phoneJpeg, png } from '../support/images';

// Profiles and portfolios over REST (issue 16): images come back converted, at the sizes the
// pages use, without EXIF, turned upright; what is not an image, or is too big, is refused
// and leaves no file and no document; and only the owner (or staff) edits a profile.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

/** Every file under DATA_DIR/profiles. */
async function imageFiles(): Promise<string[]> {
  const root = path.join(app.config.dataDir, 'profiles');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

const profileDocs = () => app.db.connection.db!.collection('profiles').find().toArray();

async function fetchImage(url: string): Promise<{ bytes: Buffer; res: Response }> {
  const res = await fetch(`${app.url}${url}`);
  return { bytes: Buffer.from(await res.arrayBuffer()), res };
}

beforeAll(async () => {
  app = await startTestApp('portfolios');
  api = Api.of(app);
  people = await cast(api);
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

describe('images', () => {
  it('a phone JPEG with EXIF GPS comes back as WebP, upright, at 480 and 1600 px wide, with no metadata', async () => {
    const input = await phoneJpeg(2400, 1800);
    expect(exifReader((await sharp(input).metadata()).exif!).GPSInfo?.GPSLatitude).toEqual([59, 56, 0]);

    const res = await api.call('POST', `/profiles/${people.lecturer.id}/items?caption=${encodeURIComponent('Коллекция «Нева»')}`, {
      token: people.lecturer.token,
      bytes: input,
      // The name and type a browser would send do not matter: the bytes do.
      headers: { 'content-type': 'image/png' },
    });
    expect(res.status, res.text).toBe(201);
    const [item] = res.body.items;
    expect(item.caption).toBe('Коллекция «Нева»');
    expect(item.images.map((i: { width: number }) => i.width)).toEqual([480, 1600]);
    for (const image of item.images) {
      const { bytes, res: got } = await fetchImage(image.url);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('image/webp');
      expect(got.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/);
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe('webp');
      // Orientation 6 applied: the 2400×1800 file stands 1800 wide, 2400 high.
      expect([meta.width, meta.height]).toEqual([image.width, Math.round((image.width * 2400) / 1800)]);
      expect([meta.width, meta.height]).toEqual([image.width, image.height]);
      expect(meta.exif).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
    }
  });

  it('a photo is cropped square at 160 and 400 px; replacing it deletes the old files', async () => {
    const first = await api.call('PUT', `/profiles/${people.lecturer.id}/photo`, {
      token: people.lecturer.token,
      bytes: await png(900, 600),
    });
    expect(first.status, first.text).toBe(200);
    expect(first.body.photo.map((p: { width: number; height: number }) => [p.width, p.height])).toEqual([
      [160, 160],
      [400, 400],
    ]);
    for (const p of first.body.photo) {
      const meta = await sharp((await fetchImage(p.url)).bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', p.width, p.height]);
    }
    const second = await api.call('PUT', `/profiles/${people.lecturer.id}/photo`, {
      token: people.lecturer.token,
      bytes: await phoneJpeg(500, 700),
    });
    expect(second.status).toBe(200);
    for (const p of first.body.photo) expect((await fetchImage(p.url)).res.status).toBe(404);
    const files = await imageFiles();
    for (const p of second.body.photo) expect(files.some((f) => p.url.endsWith(path.basename(f)))).toBe(true);
  });

  const blank = () => sharp({ create: { width: 20, height: 20, channels: 3, background: '#000' } });
  it.each([
    ['a text file named .jpg', () => Promise.resolve(Buffer.from('just some words, not a picture\n'.repeat(20))), 'image_unreadable'],
    ['an empty body', () => Promise.resolve(Buffer.alloc(0)), 'image_unreadable'],
    ['a GIF', () => blank().gif().toBuffer(), 'image_type_unsupported'],
    // HEIF with AV1 inside; an iPhone's HEIC (HEVC inside) is image_heic_unsupported, but nothing here can encode HEVC.
    ['an AVIF', () => blank().avif().toBuffer(), 'image_type_unsupported'],
    [
      'a JPEG cut off half way',
      async () => {
        const whole = await phoneJpeg(800, 600);
        return whole.subarray(0, whole.length / 2);
      },
      'image_unreadable',
    ],
  ])('%s is 415 with a code, and leaves no file and no document', async (_name, make, code) => {
    const before = { files: await imageFiles(), docs: await profileDocs() };
    const res = await api.call('POST', `/profiles/${people.otherLecturer.id}/items`, {
      token: people.otherLecturer.token,
      bytes: await make(),
      headers: { 'content-type': 'image/jpeg' },
    });
    expect(res.status, res.text).toBe(415);
    expect(res.body.error.code).toBe(code);
    expect(await imageFiles()).toEqual(before.files);
    expect(await profileDocs()).toEqual(before.docs);
  });

  it('a file over the byte limit is 413 payload_too_large before it is read; one over the pixel limit is 413 image_too_large', async () => {
    const before = { files: await imageFiles(), docs: await profileDocs() };
    const big = await api.call('POST', `/profiles/${people.otherLecturer.id}/items`, {
      token: people.otherLecturer.token,
      bytes: Buffer.alloc(PORTFOLIO_IMAGE_MAX_BYTES + 1, 0xff),
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    // A decompression bomb: a small PNG whose header says 10000×10000 (100 megapixels).
    const bomb = await claimedSizePng(10_000, 10_000);
    expect(bomb.length).toBeLessThan(PORTFOLIO_IMAGE_MAX_BYTES);
    const pixels = await api.call('PUT', `/profiles/${people.otherLecturer.id}/photo`, { token: people.otherLecturer.token, bytes: bomb });
    expect(pixels.status).toBe(413);
    expect(pixels.body.error.code).toBe('image_too_large');
    expect(await imageFiles()).toEqual(before.files);
    expect(await profileDocs()).toEqual(before.docs);
  });

  it('deleting an item deletes its files; reordering takes every id once', async () => {
    const add = (caption: string) =>
      phoneJpeg(1200, 900).then((bytes) =>
        api.call('POST', `/profiles/${people.lecturer.id}/items?caption=${caption}`, { token: people.lecturer.token, bytes }),
      );
    await add('two');
    const three = await add('three');
    const ids: string[] = three.body.items.map((i: { id: string }) => i.id);
    const reversed = await api.call('PUT', `/profiles/${people.lecturer.id}/items/order`, {
      token: people.lecturer.token,
      body: { itemIds: [...ids].reverse() },
    });
    expect(reversed.status).toBe(200);
    expect(reversed.body.items.map((i: { caption: string }) => i.caption)).toEqual(['three', 'two', 'Коллекция «Нева»']);
    const partial = await api.call('PUT', `/profiles/${people.lecturer.id}/items/order`, {
      token: people.lecturer.token,
      body: { itemIds: ids.slice(1) },
    });
    expect([partial.status, partial.body.error.code]).toEqual([400, 'items_mismatch']);

    const gone = three.body.items[2];
    const removed = await api.call('DELETE', `/profiles/${people.lecturer.id}/items/${gone.id}`, { token: people.lecturer.token });
    expect(removed.status).toBe(204);
    for (const image of gone.images) expect((await fetchImage(image.url)).res.status).toBe(404);
    const names = (await imageFiles()).map((f) => path.basename(f));
    for (const image of gone.images) expect(names).not.toContain(path.basename(image.url));
    const doc = (await profileDocs()).find((d) => String(d._id) === people.lecturer.id)!;
    expect(doc.items.map((i: { caption: string }) => i.caption)).toEqual(['two', 'Коллекция «Нева»']);
  });
});

describe('the profile', () => {
  it('has a slug, a Markdown bio rendered safely, links; lists public seminars only to the public', async () => {
    const saved = await api.call('PATCH', `/profiles/${people.lecturer.id}`, {
      token: people.lecturer.token,
      body: {
        slug: 'Anna-Petrova',
        headline: 'Дизайнер одежды',
        bio: '**Смелые** силуэты <script>alert(1)</script>',
        bioFormat: 'markdown',
        links: [{ label: 'Сайт', url: 'https://example.com/anna' }],
      },
    });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.slug).toBe('anna-petrova');
    const seminar = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: {
        title: 'Мода и бизнес',
        description: 'Открытый',
        track: 'fashion',
        language: 'ru',
        startsAt: '2031-03-10T18:30',
        timeZone: 'Europe/Moscow',
        durationMinutes: 60,
        capacity: 20,
        isPublic: true,
      },
    });
    const closed = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: {
        title: 'Закрытый разбор',
        description: 'Для своих',
        track: 'fashion',
        language: 'ru',
        startsAt: '2031-03-11T18:30',
        timeZone: 'Europe/Moscow',
        durationMinutes: 60,
        capacity: 20,
        isPublic: false,
      },
    });
    for (const s of [seminar, closed]) {
      expect(
        (await api.call('POST', `/seminars/${s.body.id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } })).status,
      ).toBe(200);
    }

    const open = await api.call('GET', '/profiles/anna-petrova');
    expect(open.status).toBe(200);
    expect(open.body.bioHtml).toContain('<strong>Смелые</strong>');
    expect(open.body.bioHtml).not.toContain('<script>');
    expect(open.body.links).toEqual([{ label: 'Сайт', url: 'https://example.com/anna' }]);
    expect(open.body.editable).toBe(false);
    expect(open.body.seminars.map((s: { title: string }) => s.title)).toEqual(['Мода и бизнес']);
    const own = await api.call('GET', `/profiles/${people.lecturer.id}`, { token: people.lecturer.token });
    expect(own.body.editable).toBe(true);
    expect(own.body.seminars.map((s: { title: string }) => s.title).sort()).toEqual(['Закрытый разбор', 'Мода и бизнес']);

    const taken = await api.call('PATCH', `/profiles/${people.otherLecturer.id}`, {
      token: people.otherLecturer.token,
      body: { slug: 'anna-petrova' },
    });
    expect([taken.status, taken.body.error.code]).toEqual([409, 'profile_slug_taken']);
  });

  it('a hidden profile is not found by others, and still seen by its owner and staff', async () => {
    expect(
      (await api.call('PATCH', `/profiles/${people.otherLecturer.id}`, { token: people.otherLecturer.token, body: { hidden: true } }))
        .status,
    ).toBe(200);
    expect((await api.call('GET', `/profiles/${people.otherLecturer.id}`)).status).toBe(404);
    expect((await api.call('GET', `/profiles/${people.otherLecturer.id}`, { token: people.lecturer.token })).status).toBe(404);
    expect((await api.call('GET', `/profiles/${people.otherLecturer.id}`, { token: people.otherLecturer.token })).status).toBe(200);
    expect((await api.call('GET', `/profiles/${people.otherLecturer.id}`, { token: people.admin.token })).status).toBe(200);
  });

  it('the repository lists public profiles with captions and updatedAt, for search', async () => {
    const listed = await app.repos.profiles.listPublic(100);
    const anna = listed.find((p) => p.userId === people.lecturer.id)!;
    expect(anna.slug).toBe('anna-petrova');
    expect(anna.captions).toEqual(['two', 'Коллекция «Нева»']);
    expect(anna.updatedAt).toBeInstanceOf(Date);
    expect(listed.some((p) => p.userId === people.otherLecturer.id)).toBe(false);
  });
});

describe('who may edit', () => {
  it('another lecturer cannot change, upload to or delete from your profile', async () => {
    const before = { files: await imageFiles(), docs: await profileDocs() };
    const as = { token: people.otherLecturer.token };
    const itemId = before.docs.find((d) => String(d._id) === people.lecturer.id)!.items[0].id as string;
    const tries = [
      await api.call('PATCH', `/profiles/${people.lecturer.id}`, { ...as, body: { headline: 'чужой' } }),
      await api.call('PUT', `/profiles/${people.lecturer.id}/photo`, { ...as, bytes: await png(300, 300) }),
      await api.call('POST', `/profiles/${people.lecturer.id}/items`, { ...as, bytes: await png(300, 300) }),
      await api.call('DELETE', `/profiles/${people.lecturer.id}/items/${itemId}`, as),
      await api.call('DELETE', `/profiles/${people.lecturer.id}/photo`, as),
    ];
    for (const res of tries) expect([res.status, res.body.error.code]).toEqual([403, 'profile_not_yours']);
    expect(await imageFiles()).toEqual(before.files);
    expect(await profileDocs()).toEqual(before.docs);
  });

  it('a learner has no profile until staff mark them a designer; only staff mark designers', async () => {
    const mine = { token: people.learner.token };
    const refused = await api.call('PATCH', `/profiles/${people.learner.id}`, { ...mine, body: { headline: 'Я дизайнер' } });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'profile_not_eligible']);
    const upload = await api.call('POST', `/profiles/${people.learner.id}/items`, { ...mine, bytes: await png(300, 300) });
    expect([upload.status, upload.body.error.code]).toEqual([403, 'profile_not_eligible']);
    const self = await api.call('PATCH', `/profiles/${people.learner.id}`, { ...mine, body: { designer: true } });
    expect([self.status, self.body.error.code]).toEqual([403, 'designer_staff_only']);
    expect((await api.call('GET', `/profiles/${people.learner.id}`)).status).toBe(404);
    expect(await profileDocs().then((d) => d.some((p) => String(p._id) === people.learner.id))).toBe(false);

    const marked = await api.call('PATCH', `/profiles/${people.learner.id}`, { token: people.admin.token, body: { designer: true } });
    expect(marked.status, marked.text).toBe(200);
    const own = await api.call('PATCH', `/profiles/${people.learner.id}`, { ...mine, body: { headline: 'Дизайнер трикотажа' } });
    expect(own.status).toBe(200);
    const shown = await api.call('GET', `/profiles/${people.learner.id}`);
    expect([shown.status, shown.body.designer, shown.body.lecturer, shown.body.headline]).toEqual([200, true, false, 'Дизайнер трикотажа']);
  });

  it('a learner’s id that is no profile is 404 to the public', async () => {
    expect((await api.call('GET', `/profiles/${people.otherLearner.id}`)).body.error.code).toBe('profile_not_found');
    expect((await api.call('GET', '/profiles/no-such-person')).status).toBe(404);
  });
});
