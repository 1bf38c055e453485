import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PlainTransport, Producer, Router } from 'mediasoup/types';
import { Room, RoomRegistry, type Peer, type RoomOptions, type WorkerPool } from '../../media';
import { createTestPool, silentLogger } from '../support/media';

// A room and its peers own their mediasoup objects: callers act through
// methods, two requests at once get one object, a pipe counts only once it
// succeeded, and close() takes everything along, as mediasoup's dumps show.

let pool: WorkerPool;
const rooms: Room[] = [];

beforeAll(async () => {
  pool = await createTestPool(2);
});
afterEach(() => {
  for (const r of rooms.splice(0)) r.close();
  vi.restoreAllMocks();
});
afterAll(() => pool.close());

function options(overrides: Partial<RoomOptions> = {}): RoomOptions {
  return { pool, logger: silentLogger, maxConsumersPerRouter: 1, transportConnectTimeoutMs: 30_000, ...overrides };
}

async function openRoom(overrides: Partial<RoomOptions> = {}): Promise<Room> {
  const room = await Room.create(`seminar-${Math.random().toString(36).slice(2)}`, options(overrides));
  rooms.push(room);
  return room;
}

let ssrc = 41_000_000;

/** A VP8 producer on a PlainTransport of the origin, as a lecturer's camera would be. */
async function ingest(room: Room): Promise<{ transport: PlainTransport; producer: Producer }> {
  const transport = await room.origin.createPlainTransport({ listenInfo: pool.listenInfo('udp'), rtcpMux: false, comedia: true });
  const producer = await transport.produce({
    kind: 'video',
    rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: ++ssrc }] },
  });
  return { transport, producer };
}

/** A room grown onto a second router: viewer A fills the origin, viewer B gets the overflow router. */
async function grownRoom() {
  const room = await openRoom();
  const lecturer = await room.join('lecturer', 'u-lecturer');
  const camera = await ingest(room);
  await room.publish(lecturer, camera.producer, 'camera');
  const a = await room.join('a', null);
  await a.createTransport('recv');
  await a.consume(camera.producer.id, 'camera', room.rtpCapabilities);
  const b = await room.join('b', null);
  expect(room.routers()).toHaveLength(2);
  expect(b.recvRouter.id).not.toBe(room.origin.id);
  return { room, lecturer, camera, a, b };
}

/** Producer ids mediasoup reports on a router (each producer has an entry, with or without consumers). */
async function producerIdsOn(router: Router): Promise<string[]> {
  return (await router.dump()).mapProducerIdConsumerIds.map((e) => e.key);
}

const producersOn = (peer: Peer) => producerIdsOn(peer.recvRouter);

describe('Room', () => {
  it('joins a peer once, however many joins of it run at once', async () => {
    const room = await openRoom({ maxConsumersPerRouter: 100 });
    const peers = await Promise.all([1, 2, 3, 4, 5].map(() => room.join('p', null)));
    expect(new Set(peers).size).toBe(1);
    expect(room.counts().peers).toBe(1);
    expect(room.peerIds()).toEqual(['p']);
  });

  it('gives a peer one transport per direction, even when asked twice at once', async () => {
    const room = await openRoom();
    const peer = await room.join('p', 'u');
    const recv = await Promise.allSettled([peer.createTransport('recv'), peer.createTransport('recv')]);
    const send = await Promise.allSettled([peer.createTransport('send'), peer.createTransport('send')]);
    for (const answers of [recv, send]) {
      expect(answers.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = answers.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(refused.reason).toMatchObject({ code: 'too_many_transports' });
    }
    expect(peer.counts().transports).toBe(2);
    expect((await room.origin.dump()).transportIds).toHaveLength(2);
  });

  it('keeps one producer per source, even when two start at once', async () => {
    const room = await openRoom();
    const peer = await room.join('p', 'u');
    const send = await peer.createTransport('send');
    const rtpParameters = (n: number) => ({
      codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
      encodings: [{ ssrc: ++ssrc + n }],
    });
    const answers = await Promise.allSettled([
      room.produce(peer, send.id, 'video', rtpParameters(1), 'camera'),
      room.produce(peer, send.id, 'video', rtpParameters(2), 'camera'),
    ]);
    expect(answers.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(answers.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason).toMatchObject({ code: 'already_producing' });
    expect(peer.counts().producers).toBe(1);
    expect(room.listProducers()).toHaveLength(1);
    expect(await producerIdsOn(room.origin)).toHaveLength(1);
  });

  it('grows onto each worker once; with every worker in use, a viewer shares the least-loaded router', async () => {
    const { room, camera, b } = await grownRoom();
    await b.createTransport('recv');
    await b.consume(camera.producer.id, 'camera', room.rtpCapabilities);
    // Both routers are full and both workers hold one: a third router would add no CPU,
    // and the camera's piped copy could not keep its id on a worker that already has it.
    const c = await room.join('c', null);
    expect(room.routers()).toHaveLength(2);
    expect(new Set(room.routers().map((r) => r.workerPid)).size).toBe(2);
    await c.createTransport('recv');
    const consumed = await c.consume(camera.producer.id, 'camera', room.rtpCapabilities);
    expect(c.hasConsumer(consumed.consumerId)).toBe(true);
    expect(
      room
        .routers()
        .map((r) => r.consumers)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('counts a pipe only once it succeeded: a failed one is tried again by the next join', async () => {
    const room = await openRoom();
    const lecturer = await room.join('lecturer', 'u');
    const camera = await ingest(room);
    await room.publish(lecturer, camera.producer, 'camera');
    const a = await room.join('a', null);
    await a.createTransport('recv');
    await a.consume(camera.producer.id, 'camera', room.rtpCapabilities);
    const routersBefore = (await pool.workers[1]!.dump()).routerIds.length;

    // The pipe into the new router fails: the join fails, and the half-built router is gone.
    vi.spyOn(room.origin, 'pipeToRouter').mockRejectedValueOnce(new Error('pipe failed'));
    await expect(room.join('b', null)).rejects.toThrow('pipe failed');
    expect(room.routers()).toHaveLength(1);
    expect(room.counts()).toMatchObject({ peers: 2, routers: 1, pipes: 0 });
    expect((await pool.workers[1]!.dump()).routerIds).toHaveLength(routersBefore);

    // The next join pipes again, and the stream is there to consume.
    const b = await room.join('b', null);
    expect(room.counts()).toMatchObject({ routers: 2, pipes: 1 });
    expect(await producersOn(b)).toContain(camera.producer.id);
    await b.createTransport('recv');
    const consumed = await b.consume(camera.producer.id, 'camera', room.rtpCapabilities);
    expect(b.hasConsumer(consumed.consumerId)).toBe(true);
  });

  it('closes a producer whose publish failed, never announces it, and publishes the next one', async () => {
    const { room, lecturer, b } = await grownRoom();
    const announced: string[] = [];
    room.on('producer', (p) => announced.push(p.producerId));
    const pipesBefore = room.counts().pipes;

    vi.spyOn(room.origin, 'pipeToRouter').mockRejectedValueOnce(new Error('pipe failed'));
    const failed = await ingest(room);
    await expect(room.publish(lecturer, failed.producer, 'screen')).rejects.toThrow('pipe failed');
    expect(failed.producer.closed).toBe(true);
    expect(room.listProducers().map((p) => p.producerId)).not.toContain(failed.producer.id);
    expect(room.producerSource(failed.producer.id)).toBeUndefined();
    expect(room.counts().pipes).toBe(pipesBefore);
    expect(announced).toEqual([]);
    expect(await producersOn(b)).not.toContain(failed.producer.id);

    const next = await ingest(room);
    await room.publish(lecturer, next.producer, 'screen');
    expect(announced).toEqual([next.producer.id]);
    expect(await producersOn(b)).toContain(next.producer.id);
    expect(room.counts().pipes).toBe(pipesBefore + 1);
  });

  it('forgets a closed producer everywhere: its entry, its pipes, and mediasoup its piped copies', async () => {
    const { room, camera, b } = await grownRoom();
    const closed: string[] = [];
    room.on('producerclose', (p) => closed.push(p.producerId));
    expect(room.counts()).toMatchObject({ producers: 1, pipes: 1 });
    camera.transport.close();
    expect(closed).toEqual([camera.producer.id]);
    expect(room.counts()).toMatchObject({ producers: 0, pipes: 0 });
    expect(room.listProducers()).toEqual([]);
    await expect.poll(() => producersOn(b)).toEqual([]);
  });

  it('closes everything it owns once, however often close() is called', async () => {
    const { room, a, b, camera } = await grownRoom();
    const routerIds = room.routers().map((r) => r.routerId);
    const reasons: string[] = [];
    room.on('close', (reason) => reasons.push(reason));
    room.close();
    room.close();
    expect(reasons).toEqual(['closed']);
    expect(room.counts()).toEqual({ peers: 0, producers: 0, routers: 0, pipes: 0 });
    expect(a.isClosed && b.isClosed).toBe(true);
    expect(a.counts()).toEqual({ transports: 0, producers: 0, consumers: 0 });
    expect(camera.producer.closed).toBe(true);
    for (const worker of pool.workers) {
      const ids = (await worker.dump()).routerIds;
      for (const id of routerIds) expect(ids).not.toContain(id);
      expect((await pool.webRtcServer(worker).dump()).webRtcTransportIds).toEqual([]);
    }
    await expect(room.join('late', null)).rejects.toMatchObject({ code: 'room_closed' });
  });
});

describe('RoomRegistry', () => {
  it('creates one room for viewers arriving together, and forgets it when it closes', async () => {
    const registry = new RoomRegistry(options());
    const got = await Promise.all([1, 2, 3, 4, 5].map(() => registry.get('s1')));
    expect(new Set(got).size).toBe(1);
    expect(registry.size).toBe(1);
    got[0]!.close();
    expect(registry.size).toBe(0);
    expect(await registry.peek('s1')).toBeUndefined();
    const again = await registry.get('s1');
    expect(again).not.toBe(got[0]);
    await registry.closeAll();
    await registry.closeAll();
    expect(again.isClosed).toBe(true);
    expect(registry.size).toBe(0);
    await expect(registry.get('s2')).rejects.toMatchObject({ code: 'shutting_down' });
  });

  it('forgets a room whose creation failed, so the next get tries again', async () => {
    const empty = await createTestPool(1);
    empty.close();
    const registry = new RoomRegistry(options({ pool: empty }));
    await expect(registry.get('s')).rejects.toMatchObject({ code: 'no_worker' });
    expect(registry.size).toBe(0);
  });
});
