import { afterAll, describe, expect, it } from 'vitest';
import { start, type Lectern } from '../../server/main';
import { Api, cast } from '../support/api';
import { testConfig, testDatabaseUri } from '../support/app';
import { logger } from './support';

// Nodes on one database: a node's boot repairs what it held itself in an earlier run, and
// what nodes whose lease expired held; never what a living node holds.
const uri = testDatabaseUri('node_ownership');
const started: Lectern[] = [];
const node = async (env: NodeJS.ProcessEnv = {}) => {
  const app = await start(await testConfig({ MONGODB_URI: uri, MEDIASOUP_WORKERS: '1', ...env }), logger);
  started.push(app);
  return app;
};
afterAll(async () => {
  for (const app of started) await app.stop();
});

describe('boot repair on a database shared by nodes', () => {
  it('leaves a living node’s live seminar alone, and repairs it once that node has stopped', async () => {
    const a = await node({ NODE_ID: 'node-a' });
    const api = Api.of(a);
    const { lecturer } = await cast(api);
    const created = await api.call('POST', '/seminars', {
      token: lecturer.token,
      body: { title: 'Два узла', track: 'Faults', startsAt: '2030-04-01T10:00', durationMinutes: 60, capacity: 10 },
    });
    const id = created.body.id as string;
    for (const to of ['scheduled', 'live']) {
      expect((await api.call('POST', `/seminars/${id}/transitions`, { token: lecturer.token, body: { to } })).status).toBe(200);
    }
    const recording = (await a.repos.recordings.current(id))!;
    expect(recording.nodeId).toBe('node-a');

    // Node b boots while a is alive (its lease is current): a's seminar is a's.
    const b = await node({ NODE_ID: 'node-b' });
    expect((await b.repos.seminars.get(id))!.status).toBe('live');
    expect((await b.repos.recordings.get(recording.id))!.status).toBe('recording');

    // a stops (its lease goes with it); the next node to boot repairs what a held.
    await a.stop();
    const c = await node({ NODE_ID: 'node-c' });
    expect((await c.repos.seminars.get(id))!.status).toBe('ended');
    expect((await c.repos.recordings.get(recording.id))!.status).not.toBe('recording');
  }, 60_000);
});
