import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { readPlaylist } from '../../media';
import { start, type Lectern } from '../../server/main';
import { Api, registerUser } from '../support/api';
import { testConfig, testDatabaseUri } from '../support/app';
import { LiveClient } from '../support/live-client';
import { waitFor } from '../support/media';
import { registerFor } from '../live/support';
import { listedSeconds, liveRecordedSeminar, logger } from './support';

// A deploy stops Lectern (SIGTERM) while people are in a live seminar. Their sockets are
// upgraded WebSockets, which the HTTP server no longer counts as its connections: stop()
// once waited on them forever, and what it closes after the server (the recordings, the
// progress buffer, the database) was never closed. A phone that lost its network never
// answers the WebSocket's close either: ws would wait 30 s for it, as long as systemd waits.

/** A WebSocket to Socket.IO's engine that says nothing after the upgrade, and answers no close. */
async function silentWebSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  socket.write(
    'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n' +
      `Host: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const head = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`no upgrade: ${head.split('\r\n')[0]}`);
  return socket;
}

/** `p`, or a rejection saying what did not happen in time. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  const late = new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref();
  });
  return Promise.race([p, late]);
}

let app: Lectern | undefined;
const sources: ChildProcess[] = [];
afterAll(async () => {
  for (const s of sources) s.kill('SIGKILL');
  await app?.stop();
});

describe('stopping Lectern with people still in a live seminar', () => {
  it('closes their sockets, ends the recording and stops, without waiting for them to leave', async () => {
    app = await start(await testConfig({ MONGODB_URI: testDatabaseUri('stop_with_viewers') }), logger);
    const scene = await liveRecordedSeminar(app, 'Остановка с людьми в зале');
    sources.push(scene.source);
    const api = Api.of(app);
    const learner = await registerUser(api);
    await registerFor(api, scene.seminarId, learner);
    const viewer = await LiveClient.connect(app.url, learner.token);
    await viewer.ok('room:join', { seminarId: scene.seminarId });
    await waitFor(async () => ((await listedSeconds(scene.playlist)) >= 2 ? true : undefined), 20_000, '2 s of recording');
    const silent = await silentWebSocket(app.url);
    const closed = [scene.lecturer, viewer].map((c) => new Promise<string>((resolve) => c.socket.once('disconnect', resolve)));
    const silentClosed = new Promise<void>((resolve) => silent.once('close', () => resolve()));

    const from = Date.now();
    await within(10_000, 'stop()', app.stop());

    // Not the 30 s ws waits for a close that never comes.
    expect(Date.now() - from).toBeLessThan(10_000);
    expect(await within(1000, 'the clients told', Promise.all(closed))).toEqual(['transport close', 'transport close']);
    await within(1000, 'the silent peer cut', silentClosed);
    const playlist = await readPlaylist(scene.playlist);
    expect(playlist.ended).toBe(true);
    expect(playlist.segments.length).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
