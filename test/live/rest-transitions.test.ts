import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPlaylist } from '../../media';
import type { Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { startTestApp } from '../support/app';
import { avProducers } from '../support/av-producers';
import { Clients, createSeminar, waitFor } from './support';

// The REST transitions are a door into the same seminar as the room's socket:
// recording, the sockets' view of the seminar and the room follow the seminar's
// own events, whichever door moved it.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;
const sources: ChildProcess[] = [];

beforeAll(async () => {
  app = await startTestApp('rest_transitions', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterAll(async () => {
  for (const s of sources) s.kill('SIGKILL');
  clients.closeAll();
  await app?.stop();
});

const move = (id: string, to: string) => api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to } });

describe('a seminar moved through the REST API', () => {
  it('is recorded when it goes live, its sockets see it live, and its room closes when it ends', async () => {
    const id = await createSeminar(api, people.lecturer, { status: 'scheduled', isPublic: true });
    const { client: lecturer } = await clients.join(id, people.lecturer);
    const { client: viewer } = await clients.join(id);

    expect((await move(id, 'live')).status).toBe(200);
    await lecturer.next('room:status', (p) => p.status === 'live');
    await viewer.next('room:status', (p) => p.status === 'live');
    // The lecturer's socket sees the seminar live: it may now send media.
    const send = await lecturer.request('transport:create', { direction: 'send' });
    expect(send).toMatchObject({ ok: true });
    expect(app.recorder.isRecording(id)).toBe(true);

    const room = (await app.rooms.peek(id))!;
    const { video, audio, ffmpeg } = await avProducers(room.origin);
    sources.push(ffmpeg);
    const seminar = (await app.repos.seminars.get(id))!;
    app.recorder.producerAdded(room, seminar, { producer: video, source: 'camera', role: 'lecturer' });
    app.recorder.producerAdded(room, seminar, { producer: audio, source: 'mic', role: 'lecturer' });
    const recording = (await app.repos.recordings.current(id))!;
    const playlist = path.join(app.config.recordingsDir, recording.dir, 'index.m3u8');
    await waitFor(async () => ((await readPlaylist(playlist)).segments.length >= 2 ? true : undefined), 20_000, 'two segments');

    expect((await move(id, 'ended')).status).toBe(200);
    // Ended through REST: the recording is a finished lesson by the answer, and the room is gone.
    const done = (await app.repos.recordings.get(recording.id))!;
    expect(done.status).toBe('ready');
    expect((await readPlaylist(playlist)).ended).toBe(true);
    await lecturer.next('room:status', (p) => p.status === 'ended');
    await waitFor(async () => ((await app.rooms.peek(id)) === undefined ? true : undefined), 5_000, 'the room to close');
    await waitFor(() => (app.live.counts().seminars === 0 ? true : undefined), 5_000, 'the sockets to leave the room');
    expect(app.recorder.isRecording(id)).toBe(false);
  }, 60_000);

  it('closes the room of a seminar cancelled through the REST API', async () => {
    const id = await createSeminar(api, people.lecturer, { status: 'scheduled', isPublic: true });
    const { client: viewer } = await clients.join(id);
    expect(await app.rooms.peek(id)).toBeDefined();
    expect((await move(id, 'cancelled')).status).toBe(200);
    await viewer.next('room:status', (p) => p.status === 'cancelled');
    await waitFor(async () => ((await app.rooms.peek(id)) === undefined ? true : undefined), 5_000, 'the room to close');
  });
});
