import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { Api, cast, registerUser } from '../support/api';
import { startTestApp } from '../support/app';
import { Clients, createSeminar, registerFor, waitFor } from './support';

// Attendance is time in the seminar, not time per socket: one user's overlapping
// sockets (two tabs) count once, from the first join to the last leave.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;
let clients: Clients;

beforeAll(async () => {
  app = await startTestApp('attendance_merge', { MEDIASOUP_WORKERS: '1' });
  api = Api.of(app);
  people = await cast(api);
  clients = new Clients(app);
});
afterAll(async () => {
  clients.closeAll();
  await app?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('attendance of one user with several sockets', () => {
  it('merges overlapping sockets into one span, counted once', async () => {
    const seminarId = await createSeminar(api, people.lecturer);
    const learner = await registerUser(api);
    await registerFor(api, seminarId, learner);
    await clients.join(seminarId, people.lecturer);

    const from = Date.now();
    const { client: tab1 } = await clients.join(seminarId, learner);
    await sleep(300);
    const { client: tab2 } = await clients.join(seminarId, learner);
    await sleep(2700);
    tab1.close();
    await sleep(500);
    tab2.close();
    const wall = (Date.now() - from) / 1000;

    const spans = await waitFor(
      async () => {
        const mine = (await app.repos.live.attendance(seminarId)).filter((a) => a.userId === learner.id);
        return mine.length > 0 && mine.every((a) => a.leftAt !== null) ? mine : undefined;
      },
      5_000,
      'the span to close',
    );
    expect(spans).toHaveLength(1);
    await app.domain.progress.flush();
    const progress = await api.call('GET', `/progress/${seminarId}`, { token: learner.token });
    expect(progress.status).toBe(200);
    // Counted per socket it would be about 3 + 3.2 s; as time in the seminar it is the 3.5 s between.
    expect(progress.body.liveSeconds).toBeGreaterThanOrEqual(Math.floor(wall) - 1);
    expect(progress.body.liveSeconds).toBeLessThanOrEqual(Math.ceil(wall));
  }, 30_000);
});
