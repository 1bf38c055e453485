import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { start } from '../../server/main';
import { createLogger } from '../../server/logger';
import { Api, cast } from '../support/api';
import { testConfig, testDatabaseUri } from '../support/app';
import { LiveClient } from '../support/live-client';

let redis: ChildProcess;
let nodes: Lectern[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    redis.stdout!.on('data', (d: Buffer) => d.toString().includes('Ready to accept connections') && resolve());
    redis.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  const env = { MONGODB_URI: testDatabaseUri('scale-out'), REDIS_URL: `redis://127.0.0.1:${port}`, MEDIASOUP_WORKERS: '1' };
  // Two nodes on one database and one Redis, as behind a load balancer.
  const shared = await testConfig(env);
  nodes = [await start(shared, createLogger('silent')), await start({ ...shared, dataDir: `${shared.dataDir}-b` }, createLogger('silent'))];
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  redis?.kill('SIGTERM');
});

describe('several nodes through the Redis adapter', () => {
  it('delivers chat and questions to clients connected to another node', async () => {
    const [a, b] = nodes as [Lectern, Lectern];
    const api = Api.of(a);
    const people = await cast(api);
    const seminar = await api.call('POST', '/seminars', {
      token: people.lecturer.token,
      body: { title: 'Два узла', track: 'Scale', startsAt: '2027-03-01T10:00', durationMinutes: 60, capacity: 10 },
    });
    const id = seminar.body.id;
    await api.call('POST', `/seminars/${id}/transitions`, { token: people.lecturer.token, body: { to: 'scheduled' } });
    await api.call('PUT', `/seminars/${id}/registration`, { token: people.learner.token });

    const lecturer = await LiveClient.connect(a.url, people.lecturer.token);
    const viewer = await LiveClient.connect(b.url, people.learner.token);
    await lecturer.ok('room:join', { seminarId: id });
    await viewer.ok('room:join', { seminarId: id });

    await viewer.ok('chat:send', { text: 'Привет с узла B' });
    expect((await lecturer.next('chat:message', (m) => m.text === 'Привет с узла B')).displayName).toBeTruthy();
    await lecturer.ok('chat:send', { text: 'Ответ с узла A' });
    await viewer.next('chat:message', (m) => m.text === 'Ответ с узла A');
    const q = await viewer.ok('question:ask', { text: 'Работает ли это на двух узлах?' });
    await lecturer.next('question:updated', (u) => u.id === q.id);
    lecturer.close();
    viewer.close();
  });
});
