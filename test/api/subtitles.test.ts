import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { playbackView, recordingView, transcriptCues } from '../../server/protocol';
import { readVtt } from '../../server/subtitles/vtt';
import { Api, cast, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { readyRecording, recordingDir } from '../support/recordings';

// Subtitles through the API: SRT and WebVTT uploads stored as WebVTT, what the replay then
// loads (a master playlist with a subtitle group, the WebVTT on the replay's timeline, the
// transcript), Windows-1251 and byte-order marks, broken files refused with their line and
// nothing written, a cut moving the cues, and who may do it.

const run = promisify(execFile);

const SRT = `1
00:00:01,000 --> 00:00:02,500
Добрый день, <i>коллеги</i>!

2
00:00:03,000 --> 00:00:04,000
Сегодня — налоги & отчётность

3
00:00:05,200 --> 00:00:07,000
<font color="#ff0">Начнём</font>
`;

const VTT = `WEBVTT

intro
00:00:00.500 --> 00:00:01.500 align:start
Good afternoon

00:00:02.000 --> 00:00:03.000
<b>Taxes</b> and reports
`;

describe('subtitles', () => {
  let app: Lectern;
  let api: Api;
  let people: Awaited<ReturnType<typeof cast>>;
  let seminarId: string;
  let recordingId: string;
  let dir: string;

  const put = (user: TestUser | null, language: string, body: string | Uint8Array, type = 'application/x-subrip', id = recordingId) =>
    api.call('PUT', `/recordings/${id}/subtitles/${language}`, {
      ...(user ? { token: user.token } : {}),
      rawBody: body,
      headers: { 'content-type': type },
    });
  const playback = async (user: TestUser) => {
    const res = await api.call('GET', `/seminars/${seminarId}/playback`, { token: user.token });
    expect(res.status, res.text).toBe(200);
    return playbackView.parse(res.body);
  };
  const media = async (url: string) => {
    const res = await fetch(`${app.url}${url}`);
    expect(res.status, url).toBe(200);
    return { type: res.headers.get('content-type'), text: await res.text() };
  };
  const subtitleFiles = async () => (await readdir(path.join(dir, 'subtitles')).catch(() => [] as string[])).sort();
  const stored = async () => (await app.repos.recordings.get(recordingId))!.subtitles;

  beforeAll(async () => {
    app = await startTestApp('subtitles');
    api = Api.of(app);
    people = await cast(api);
    const seminar = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Налоги', track: 'finance', startsAt: '2031-05-01T18:00', durationMinutes: 60, capacity: 10, isPublic: true },
    });
    expect(seminar.status).toBe(201);
    seminarId = seminar.body.id;
    expect(
      (await api.call('POST', `/seminars/${seminarId}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } })).status,
    ).toBe(200);
    const recording = await readyRecording(app, seminarId, 8);
    recordingId = recording.id;
    dir = recordingDir(app, recording);
  }, 120_000);
  afterAll(() => app?.stop());

  it('takes an SRT file, stores it as WebVTT, and the replay offers it through a master playlist on the video’s timeline', async () => {
    const res = await put(people.lecturer, 'ru', SRT);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ language: 'ru', cueCount: 3, sourceFormat: 'srt', sourceEncoding: 'utf-8' });

    const files = await subtitleFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^ru-[0-9a-f]{12}\.vtt$/);

    const view = recordingView.parse((await api.call('GET', `/recordings/${recordingId}`, { token: people.lecturer.token })).body);
    expect(view.subtitles).toEqual([expect.objectContaining({ language: 'ru', cueCount: 3 })]);

    const p = await playback(people.learner);
    expect(p.playlistUrl).toMatch(/\/subtitled-whole\.m3u8$/);
    expect(p.subtitles).toEqual([{ language: 'ru', transcriptUrl: expect.stringMatching(/\/subtitles-ru-whole\.json$/) }]);

    const master = await media(p.playlistUrl);
    expect(master.type).toMatch(/mpegurl/);
    expect(master.text).toContain('#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Русский",LANGUAGE="ru"');
    expect(master.text).toMatch(/#EXT-X-STREAM-INF:[^\n]*SUBTITLES="subs"\nindex\.m3u8\n/);
    const base = p.playlistUrl.replace(/[^/]+$/, '');
    const trackPlaylist = await media(`${base}subtitles-ru-whole.m3u8`);
    expect(trackPlaylist.text).toContain('#EXTINF:8.000,\nsubtitles-ru-whole.vtt');
    expect(trackPlaylist.text).toContain('#EXT-X-ENDLIST');
    // The video itself still plays through the master: its playlist is there under the same prefix.
    expect((await media(`${base}index.m3u8`)).text).toContain('#EXTINF');

    const vtt = await media(`${base}subtitles-ru-whole.vtt`);
    expect(vtt.type).toMatch(/^text\/vtt/);
    // Cue time 0 is where the first segment starts (ffmpeg's muxer begins at 1.4 s).
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=start_time',
      '-of',
      'csv=p=0',
      path.join(dir, 'seg_00000.ts'),
    ]);
    expect(vtt.text).toContain(`X-TIMESTAMP-MAP=MPEGTS:${Math.round(Number(stdout) * 90_000)},LOCAL:00:00:00.000`);
    const cues = readVtt(vtt.text);
    expect(cues.map((c) => [c.start, c.end])).toEqual([
      [1, 2.5],
      [3, 4],
      [5.2, 7],
    ]);
    // Markup WebVTT knows is kept, SRT's <font> is not, and & is escaped.
    expect(cues.map((c) => c.text)).toEqual(['Добрый день, <i>коллеги</i>!', 'Сегодня — налоги &amp; отчётность', 'Начнём']);

    const transcript = transcriptCues.parse(JSON.parse((await media(p.subtitles[0]!.transcriptUrl)).text));
    expect(transcript).toEqual([
      { start: 1, end: 2.5, text: 'Добрый день, коллеги!' },
      { start: 3, end: 4, text: 'Сегодня — налоги & отчётность' },
      { start: 5.2, end: 7, text: 'Начнём' },
    ]);
  });

  it('takes WebVTT with a byte-order mark as the second language, and a replacement leaves one file per language', async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(VTT)]);
    const en = await put(people.lecturer, 'en', bom, 'text/vtt');
    expect(en.status, en.text).toBe(200);
    expect(en.body).toMatchObject({ language: 'en', cueCount: 2, sourceFormat: 'vtt', sourceEncoding: 'utf-8' });
    const p = await playback(people.lecturer);
    expect(p.subtitles.map((s) => s.language)).toEqual(['en', 'ru']);
    const transcript = transcriptCues.parse(JSON.parse((await media(p.subtitles[0]!.transcriptUrl)).text));
    expect(transcript).toEqual([
      { start: 0.5, end: 1.5, text: 'Good afternoon' },
      { start: 2, end: 3, text: 'Taxes and reports' },
    ]);

    const replaced = await put(people.lecturer, 'en', VTT.replace('Good afternoon', 'Hello'), 'text/vtt');
    expect(replaced.status, replaced.text).toBe(200);
    const files = await subtitleFiles();
    expect(files).toHaveLength(2);
    expect(files.filter((f) => f.startsWith('en-'))).toHaveLength(1);
    const after = transcriptCues.parse(JSON.parse((await media((await playback(people.lecturer)).subtitles[0]!.transcriptUrl)).text));
    expect(after[0]!.text).toBe('Hello');
  });

  it.each(['utf-16le', 'utf-16be'] as const)(
    'decodes a %s SRT file that starts with its byte-order mark, and says so',
    async (encoding) => {
      const srt = '1\r\n00:00:01,000 --> 00:00:02,000\r\nПривет, мир! Ёлка\r\n';
      const le = Buffer.from(srt, 'utf16le');
      // Node writes UTF-16 little-endian only: big-endian is the same with each pair of bytes swapped.
      const text = Buffer.concat([
        Buffer.from(encoding === 'utf-16le' ? [0xff, 0xfe] : [0xfe, 0xff]),
        encoding === 'utf-16le' ? le : Buffer.from(le).swap16(),
      ]);
      // An admin's upload: the lecturer's own are near this file's rate limit (20 a minute).
      const res = await put(people.admin, 'ru', text);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ sourceEncoding: encoding, cueCount: 1 });
      const p = await playback(people.lecturer);
      const transcript = transcriptCues.parse(JSON.parse((await media(p.subtitles.find((s) => s.language === 'ru')!.transcriptUrl)).text));
      expect(transcript).toEqual([{ start: 1, end: 2, text: 'Привет, мир! Ёлка' }]);
      const file = (await stored()).find((t) => t.language === 'ru')!.file;
      expect(await readFile(path.join(dir, file), 'utf8')).toContain('Привет, мир! Ёлка');
      // Cut mid-character (an odd number of bytes after the mark): refused, and the track stays as it was.
      const cut = await put(people.admin, 'ru', Buffer.concat([text, Buffer.from([0x41])]));
      expect([cut.status, cut.body.error?.code]).toEqual([400, 'subtitles_not_text']);
      expect((await stored()).find((t) => t.language === 'ru')).toMatchObject({ file, sourceEncoding: encoding });
      // Without its mark, UTF-16 is not told from other bytes: refused (its zero bytes are no text).
      const unmarked = await put(people.admin, 'ru', text.subarray(2));
      expect([unmarked.status, unmarked.body.error?.code]).toEqual([400, 'subtitles_not_text']);
    },
  );

  it('decodes a Windows-1251 SRT file (common in Russian ones) and says so', async () => {
    // "Привет, мир! Ёлка" in Windows-1251, written out byte by byte.
    const text = Buffer.concat([
      Buffer.from('1\r\n00:00:01,000 --> 00:00:02,000\r\n'),
      Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x2c, 0x20, 0xec, 0xe8, 0xf0, 0x21, 0x20, 0xa8, 0xeb, 0xea, 0xe0]),
      Buffer.from('\r\n'),
    ]);
    const res = await put(people.lecturer, 'ru', text);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ sourceEncoding: 'windows-1251', cueCount: 1 });
    const p = await playback(people.lecturer);
    const transcript = transcriptCues.parse(JSON.parse((await media(p.subtitles.find((s) => s.language === 'ru')!.transcriptUrl)).text));
    expect(transcript).toEqual([{ start: 1, end: 2, text: 'Привет, мир! Ёлка' }]);
    // Stored as UTF-8 WebVTT.
    const file = (await stored()).find((t) => t.language === 'ru')!.file;
    expect(await readFile(path.join(dir, file), 'utf8')).toContain('Привет, мир! Ёлка');
  });

  describe('a broken file names its line and writes nothing', () => {
    const refusals: Array<[string, string | Uint8Array, string, number, string | null, unknown?]> = [
      [
        'an SRT timestamp that is none',
        '1\n00:00:01,000 --> 00:00:02,000\nРаз\n\n2\n00:00:03,000 --> 00:00:0x,000\nДва\n',
        'subtitles_invalid',
        400,
        null,
        { line: 6, problem: 'timing' },
      ],
      [
        'an SRT cue that ends before it starts',
        '1\n00:00:01,000 --> 00:00:02,000\nРаз\n\n2\n00:00:05,000 --> 00:00:04,000\nДва\n',
        'subtitles_invalid',
        400,
        null,
        { line: 6, problem: 'timing' },
      ],
      [
        'SRT text where a cue number is due',
        '1\n00:00:01,000 --> 00:00:02,000\nРаз\n\nвдруг текст\n',
        'subtitles_invalid',
        400,
        null,
        { line: 5, problem: 'syntax' },
      ],
      [
        'a WebVTT timestamp with one digit',
        'WEBVTT\n\n00:01.000 --> 00:02.000\nOne\n\n00:03.000 --> 00:4.000\nTwo\n',
        'subtitles_invalid',
        400,
        'text/vtt',
        { line: 6, problem: 'timing' },
      ],
      [
        'a WebVTT cue identifier alone',
        'WEBVTT\n\n00:01.000 --> 00:02.000\nOne\n\nlonely\n\n',
        'subtitles_invalid',
        400,
        'text/vtt',
        { line: 7, problem: 'syntax' },
      ],
      [
        'a cue past the end of the recording',
        '1\n00:00:01,000 --> 00:00:02,000\nРаз\n\n2\n00:01:00,000 --> 00:01:02,000\nДва\n',
        'subtitles_invalid',
        400,
        null,
        { line: 6, problem: 'after_end' },
      ],
      [
        'a cue too long',
        `1\n00:00:01,000 --> 00:00:02,000\n${'а'.repeat(1001)}\n`,
        'subtitles_invalid',
        400,
        null,
        { line: 2, problem: 'cue_too_long' },
      ],
      ['no cue at all', 'WEBVTT\n\nNOTE nothing here\n', 'subtitles_empty', 400, 'text/vtt'],
      ['an empty body', '', 'subtitles_empty', 400, null],
      [
        'a binary file',
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
        'subtitles_not_text',
        400,
        'application/octet-stream',
      ],
      [
        'bytes that are neither UTF-8 nor Russian Windows-1251',
        Buffer.from([0x31, 0x0a, 0x80, 0x81, 0x82, 0x0a]),
        'subtitles_not_text',
        400,
        null,
      ],
      ['a file over 1 MiB', `1\n00:00:01,000 --> 00:00:02,000\n${'x'.repeat(1024 * 1024)}\n`, 'payload_too_large', 413, null],
      ['a body sent as JSON', '{"text":"1"}', 'unsupported_media_type', 415, 'application/json'],
    ];
    it.each(refusals)('%s', async (_name, body, code, status, type, details) => {
      const before = { files: await subtitleFiles(), stored: await stored() };
      const res = await put(people.lecturer, 'ru', body, type ?? 'application/x-subrip');
      expect(res.status, res.text).toBe(status);
      expect(res.body.error.code).toBe(code);
      if (details) expect(res.body.error.details).toEqual(details);
      expect(await subtitleFiles()).toEqual(before.files);
      expect(await stored()).toEqual(before.stored);
    });

    it('over 20,000 cues is refused', async () => {
      const many = Array.from(
        { length: 20_001 },
        (_, i) => `${i + 1}\n00:00:00,${String(i % 1000).padStart(3, '0')} --> 00:00:01,000\nx`,
      ).join('\n\n');
      const before = await stored();
      const res = await put(people.lecturer, 'ru', many);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.code).toBe('subtitles_too_many_cues');
      expect(await stored()).toEqual(before);
    });
  });

  it('moves the cues onto the cut: times count from its start, cues cut away are left out', async () => {
    expect((await put(people.lecturer, 'ru', SRT)).status).toBe(200);
    const cut = await api.call('PUT', `/recordings/${recordingId}/trim`, {
      token: people.lecturer.token,
      body: { startSeconds: 2, endSeconds: 6 },
    });
    expect(cut.status, cut.text).toBe(200);
    const p = await playback(people.learner);
    expect(p.playlistUrl).toMatch(/\/subtitled-2000-6000\.m3u8$/);
    const master = await media(p.playlistUrl);
    expect(master.text).toMatch(/\nreplay-2000-6000\.m3u8\n/);
    const transcript = transcriptCues.parse(JSON.parse((await media(p.subtitles.find((s) => s.language === 'ru')!.transcriptUrl)).text));
    expect(transcript).toEqual([
      { start: 0, end: 0.5, text: 'Добрый день, коллеги!' },
      { start: 1, end: 2, text: 'Сегодня — налоги & отчётность' },
      { start: 3.2, end: 4, text: 'Начнём' },
    ]);
    // The WebVTT's time 0 is the cut's first segment.
    const base = p.playlistUrl.replace(/[^/]+$/, '');
    const vtt = await media(`${base}subtitles-ru-2000-6000.vtt`);
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=start_time',
      '-of',
      'csv=p=0',
      path.join(dir, 'seg_00002.ts'),
    ]);
    expect(vtt.text).toContain(`X-TIMESTAMP-MAP=MPEGTS:${Math.round(Number(stdout) * 90_000)},`);
    // The old cut's files are gone with it.
    expect((await fetch(`${app.url}${base}subtitles-ru-whole.vtt`)).status).toBe(404);

    // Uploaded while cut: the file's times are the replay's, stored on the recording's timeline.
    expect((await put(people.lecturer, 'en', '1\n00:00:01,000 --> 00:00:02,000\nTwo seconds in\n')).status).toBe(200);
    const uncut = await api.call('PUT', `/recordings/${recordingId}/trim`, {
      token: people.lecturer.token,
      body: { startSeconds: 0, endSeconds: null },
    });
    expect(uncut.status).toBe(200);
    const whole = await playback(people.learner);
    const en = transcriptCues.parse(JSON.parse((await media(whole.subtitles.find((s) => s.language === 'en')!.transcriptUrl)).text));
    expect(en).toEqual([{ start: 3, end: 4, text: 'Two seconds in' }]);
  });

  it('deletes a track: its file goes, and the replay no longer offers it', async () => {
    const res = await api.call('DELETE', `/recordings/${recordingId}/subtitles/en`, { token: people.lecturer.token });
    expect(res.status).toBe(204);
    expect((await stored()).map((t) => t.language)).toEqual(['ru']);
    expect((await subtitleFiles()).filter((f) => f.startsWith('en-'))).toEqual([]);
    expect((await playback(people.learner)).subtitles.map((s) => s.language)).toEqual(['ru']);
    // Again: nothing to delete, nothing happens.
    expect((await api.call('DELETE', `/recordings/${recordingId}/subtitles/en`, { token: people.lecturer.token })).status).toBe(204);
  });

  it('refuses another lecturer, a learner and an anonymous caller, and changes nothing', async () => {
    const before = { files: await subtitleFiles(), stored: await stored() };
    const other = await put(people.otherLecturer, 'en', SRT);
    expect([other.status, other.body.error.code]).toEqual([403, 'not_own_recording']);
    const learner = await put(people.learner, 'en', SRT);
    expect([learner.status, learner.body.error.code]).toEqual([403, 'missing_grant']);
    const anonymous = await put(null, 'en', SRT);
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'unauthorized']);
    const del = await api.call('DELETE', `/recordings/${recordingId}/subtitles/ru`, { token: people.otherLecturer.token });
    expect([del.status, del.body.error.code]).toEqual([403, 'not_own_recording']);
    expect(await subtitleFiles()).toEqual(before.files);
    expect(await stored()).toEqual(before.stored);
    // An admin may.
    expect((await put(people.admin, 'en', SRT)).status).toBe(200);
  });

  it('serves subtitle files only under a valid signature, and only of the current cut', async () => {
    const p = await playback(people.learner);
    const forged = p.playlistUrl.replace(/\/[^/]+\/subtitled/, `/${'A'.repeat(43)}/subtitled`);
    expect((await fetch(`${app.url}${forged}`)).status).toBe(403);
    const base = p.playlistUrl.replace(/[^/]+$/, '');
    expect((await fetch(`${app.url}${base}subtitles-ru-1000-2000.vtt`)).status).toBe(404);
  });

  it('limits uploads to 20 a minute per user', async () => {
    // The other lecturer has spent a few of theirs above: refused (403), but counted.
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await put(people.otherLecturer, 'ru', '')).status);
    const limited = statuses.indexOf(429);
    expect(limited).toBeGreaterThan(10);
    expect(statuses.slice(0, limited).every((s) => s === 403)).toBe(true);
    expect(statuses.slice(limited).every((s) => s === 429)).toBe(true);
  });
});
