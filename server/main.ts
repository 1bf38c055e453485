import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proxyaddr from 'proxy-addr';
import { Server as SocketServer } from 'socket.io';
import { canTieToParent, ffmpegVersion, RoomRegistry, WorkerPool } from '../media';
import { LIVE_MAX_MESSAGE_BYTES, LiveGateway, type LiveNamespace } from './live/gateway';
import { AudienceGateway } from './live/audience-gateway';
import { PresenceChecks } from './live/presence-checks';
import { ReactionTally } from './live/reactions';
import { attachRedisAdapter } from './live/redis-adapter';
import { PollGateway } from './live/polls-gateway';
import { SlideGateway } from './live/slides-gateway';
import { Router } from 'express';
import { slideImageRouter } from './http/slide-images';
import { TurnCredentials } from './live/turn';
import { RecordingController } from './recordings/controller';
import { mediaRouter } from './http/media';
import { subtitleMediaRouter } from './http/subtitle-media';
import { tusUploadRouter } from './http/tus';
import { profileImagesRouter } from './http/profile-images';
import type { Config } from './config';
import { createDomain, type Domain } from './domain';
import { actorFromAuthorization } from './http/auth';
import { createHttpApp } from './http/app';
import { createLogger, type Logger } from './logger';
import { checkReadiness } from './readiness';
import { RateLimits } from './rate-limits';
import { Metrics } from './metrics';
import { Database } from './store/database';
import { defaultFerretDbBin, EmbeddedFerretDb } from './store/embedded-ferretdb';
import { createRepositories, type Repositories } from './store';
import { persistedNodeId } from './nodes/node-id';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Lectern {
  config: Config;
  logger: Logger;
  /** Where the HTTP server listens, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  db: Database;
  repos: Repositories;
  domain: Domain;
  pool: WorkerPool;
  rooms: RoomRegistry;
  live: LiveGateway;
  recorder: RecordingController;
  limits: RateLimits;
  embeddedDb?: EmbeddedFerretDb;
  stop(): Promise<void>;
}

const running = new Set<Lectern>();

/** Composition root: builds every part in order, and tears down what was built if a later part fails. */
export async function start(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Lectern> {
  const teardown: Array<() => Promise<void> | void> = [];
  // Every step runs even when one before it fails: a dead database must not keep buffered
  // progress from its journal, nor anything else from stopping. The first failure is rethrown.
  const undo = async () => {
    const failures: unknown[] = [];
    for (const step of teardown.reverse()) {
      try {
        await step();
      } catch (err) {
        failures.push(err);
        logger.error({ err }, 'a part failed to stop; stopping the rest');
      }
    }
    if (failures.length) throw failures[0];
  };
  try {
    await mkdir(config.recordingsDir, { recursive: true });

    let embeddedDb: EmbeddedFerretDb | undefined;
    let uri = config.mongodbUri;
    if (!uri) {
      embeddedDb = await EmbeddedFerretDb.start({
        bin: config.ferretdbBin ?? defaultFerretDbBin(),
        sqliteDir: path.join(config.dataDir, 'db'),
        logger,
      });
      teardown.push(() => embeddedDb!.stop());
      uri = `${embeddedDb.uri}lectern`;
    }
    const db = await Database.connect(uri, logger);
    teardown.push(() => db.close());
    const repos = await createRepositories(db);
    const limits = await RateLimits.create({
      ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
      logger: logger.child({ component: 'rate-limits' }),
    });
    teardown.push(() => limits.close());
    const nodeId = config.nodeId ?? (await persistedNodeId(config.dataDir));
    const domain = createDomain(config, repos, logger.child({ nodeId }), limits, nodeId);
    // What an earlier stop could not write goes back into the buffer before anything else.
    await domain.progress.replayJournal();
    // Once: a reconnect after a database outage is no crash, and must not end live seminars.
    await db.whenFirstConnected(() => domain.reconcile());
    domain.start();
    // Runs before db.close() (teardown is reversed), so buffered progress reaches the database.
    teardown.push(() => domain.close());

    const pool = await WorkerPool.create({
      size: config.mediasoup.workers,
      listenIp: config.mediasoup.listenIp,
      ...(config.mediasoup.announcedAddress ? { announcedAddress: config.mediasoup.announcedAddress } : {}),
      rtcPort: config.mediasoup.rtcPort,
      rtcMinPort: config.mediasoup.rtcMinPort,
      rtcMaxPort: config.mediasoup.rtcMaxPort,
      udpBufferBytes: config.mediasoup.udpBufferBytes,
      allocator: config.mediasoup.allocator,
      logger: logger.child({ component: 'media' }),
    });
    teardown.push(() => pool.close());

    const ffmpeg = await ffmpegVersion(config.ffmpegBin).then(
      (version) => ({ version }),
      (err: Error) => ({ error: `ffmpeg unavailable (${config.ffmpegBin}): ${err.message}` }),
    );
    if ('error' in ffmpeg) logger.error(ffmpeg.error);
    if (!canTieToParent()) logger.warn('setpriv (util-linux) is missing: a recorder ffmpeg would outlive a killed Lectern');

    const metrics = new Metrics({
      workers: () => {
        const s = pool.stats();
        return { alive: s.alive, replaced: s.replaced, routers: s.workers.reduce((n, w) => n + w.routers, 0) };
      },
      media: () => rooms.totals(),
      viewers: () => gateway.viewerCounts(),
      sockets: () => io.of('/live').sockets.size,
      recorderRestarts: () => recorder.restarts,
      heartbeatBuffer: () => domain.progress.bufferedCount,
    });
    limits.onRefused((name) => metrics.refused(name));
    domain.progress.onFlush((report) => metrics.flushed(report.ms));

    const app = createHttpApp({
      logger,
      webDir: path.join(root, 'web', 'dist'),
      routes: domain.routes,
      actorOf: actorFromAuthorization(domain.tokens),
      checkResponses: config.env !== 'production',
      limits,
      trustProxy: config.trustProxy,
      // Subtitle files first: any other name under /media is the recording's own.
      media: Router().use(
        slideImageRouter(domain.slides),
        subtitleMediaRouter({
          subtitles: domain.subtitles,
          verify: (id, exp, sig) => domain.recordings.verifyMediaPath(id, exp, sig),
          recording: (id) => repos.recordings.get(id),
        }),
        mediaRouter(domain.recordings),
        profileImagesRouter(domain.profileImages),
      ),
      uploads: tusUploadRouter({
        uploads: domain.uploads,
        store: domain.incomingUploads.store,
        maxBytes: config.uploads.maxBytes,
        actorOf: actorFromAuthorization(domain.tokens),
        limits,
        logger: logger.child({ component: 'tus' }),
      }),
      publicBaseUrl: config.publicBaseUrl,
      embedOrigins: config.embedOrigins,
      metrics: { timer: metrics.httpTimer, ...(config.metricsToken ? { endpoint: metrics.endpoint(config.metricsToken) } : {}) },
      readiness: () => checkReadiness({ db, embeddedDatabase: embeddedDb !== undefined, pool, ffmpeg, recorders: () => recorder.status() }),
    });
    const server = createServer(app);
    const connections = openConnections(server);
    const rooms = new RoomRegistry({
      pool,
      logger: logger.child({ component: 'rooms' }),
      maxConsumersPerRouter: config.live.maxConsumersPerRouter,
      transportConnectTimeoutMs: config.mediasoup.connectTimeoutMs,
      keyFrameRequestDelayMs: config.live.keyFrameRequestDelayMs,
    });
    teardown.push(() => rooms.closeAll());
    const recorder = new RecordingController({
      recordings: domain.recordings,
      ffmpegBin: config.ffmpegBin,
      logger: logger.child({ component: 'recorder' }),
      segmentSeconds: config.recordingSegmentSeconds,
      maxRestarts: config.recordingMaxRestarts,
      stableSeconds: config.recordingStableSeconds,
    });
    teardown.push(() => recorder.stopAll());
    const io = new SocketServer(server, {
      serveClient: false,
      transports: ['websocket', 'polling'],
      maxHttpBufferSize: LIVE_MAX_MESSAGE_BYTES,
    });
    if (config.redisUrl) teardown.push(await attachRedisAdapter(io, config.redisUrl, logger.child({ component: 'redis' })));
    // The server is untyped; the gateway's events are typed on its namespace alone.
    const nsp = io.of('/live') as unknown as LiveNamespace;
    const polls = new PollGateway({
      nsp,
      polls: domain.polls,
      limits,
      logger: logger.child({ component: 'polls' }),
      countsThrottleMs: config.live.viewerCountThrottleMs,
    });
    teardown.push(() => polls.close());
    const audience: AudienceGateway = new AudienceGateway({
      nsp,
      tally: new ReactionTally({ limits }),
      checks: new PresenceChecks({ repo: repos.audience, limits, windowMs: config.live.presenceCheckWindowMs }),
      repo: repos.audience,
      logger: logger.child({ component: 'audience' }),
      reactionWindowMs: config.live.reactionWindowMs,
      viewerCount: (seminarId: string): number => gateway.viewerCount(seminarId),
    });
    const gateway = new LiveGateway({
      nsp,
      tokens: domain.tokens,
      live: domain.live,
      seminars: domain.seminars,
      rooms,
      logger: logger.child({ component: 'live' }),
      viewerCountThrottleMs: config.live.viewerCountThrottleMs,
      chatterWindowMs: config.live.chatterWindowMs,
      maxWebRtcViewers: config.live.maxWebRtcViewers,
      attendanceCheckpointMs: 30_000,
      recordings: recorder,
      ...(config.turn ? { turn: new TurnCredentials(config.turn) } : {}),
      limits,
      eventsPer10s: config.live.eventsPer10s,
      costlyEventsPer10s: config.live.costlyEventsPer10s,
      maxSocketsPerIp: config.live.maxSocketsPerIp,
      maxSocketsPerUser: config.live.maxSocketsPerUser,
      // Express's compiled TRUST_PROXY, so a socket's address is the one the REST API sees.
      clientAddress: (req) => proxyaddr(req, app.get('trust proxy fn') as (addr: string, i: number) => boolean),
      clustered: config.redisUrl !== undefined,
      features: [polls, audience, new SlideGateway({ nsp, slides: domain.slides, limits })],
    });
    // Recording and the room follow the seminar, whichever door (socket or REST) moved it.
    domain.onSeminarMoved(async (seminar) => {
      // First, while viewers are still in the room to see the results of what closes.
      if (seminar.status === 'ended') await polls.seminarEnded(seminar);
      // An encore plays a recording: nothing to record, no media room.
      if (seminar.status === 'live' && !seminar.encoreOf) await recorder.live(seminar);
      if (seminar.status === 'ended') await recorder.ended(seminar.id, seminar.endedAt ?? undefined);
      await gateway.seminarMoved(seminar);
      audience.seminarMoved(seminar);
    });
    domain.onUserDisabled((userId) => gateway.dropUser(userId));
    domain.encorePolls.onChange((seminarId, poll) => polls.publish(seminarId, poll));
    await listen(server, config.port, config.host);
    teardown.push(() => closeServer(server, io, connections));
    teardown.push(async () => {
      await gateway.close();
      await audience.close();
    });
    const port = (server.address() as AddressInfo).port;

    const lectern: Lectern = {
      config,
      logger,
      url: `http://127.0.0.1:${port}`,
      port,
      db,
      repos,
      domain,
      pool,
      rooms,
      live: gateway,
      recorder,
      limits,
      ...(embeddedDb ? { embeddedDb } : {}),
      stop: once(async () => {
        running.delete(lectern);
        logger.info('stopping');
        await undo();
        logger.info('stopped');
      }),
    };
    running.add(lectern);
    logger.info(
      // The WebRTC ports (UDP and TCP, one per worker) are the ones to open to clients.
      { port, embeddedDatabase: embeddedDb !== undefined, workers: config.mediasoup.workers, rtcPorts: pool.ports() },
      'lectern started',
    );
    return lectern;
  } catch (err) {
    await undo().catch(() => undefined);
    throw err;
  }
}

/** Stops every Lectern started in this process. */
export async function stop(): Promise<void> {
  await Promise.all([...running].map((app) => app.stop()));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A peer that does not answer a WebSocket's close frame is cut after this, not after ws's 30 s. */
const CLOSE_GRACE_MS = 2000;

/** Every TCP connection the server holds, upgraded ones included (the HTTP server forgets those). */
function openConnections(server: Server): Set<Socket> {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return open;
}

/**
 * Socket.IO's close() ends the sockets of every namespace and the engine under them, then
 * closes the HTTP server. An upgraded WebSocket is no longer one of the HTTP server's
 * connections, so closeAllConnections() misses it: server.close() alone waited forever while
 * one viewer was still connected, and nothing after it (recordings, progress) was stopped.
 * What HTTP is left (keep-alive, a download in flight) is cut rather than waited on, and so is
 * a WebSocket whose peer does not answer the close (a phone that lost its network): ws would
 * wait 30 s for it, as long as systemd waits for the whole stop.
 */
async function closeServer(server: Server, io: SocketServer, connections: Set<Socket>): Promise<void> {
  const closed = io.close();
  server.closeAllConnections();
  const grace = setTimeout(() => {
    for (const socket of connections) socket.destroy();
  }, CLOSE_GRACE_MS);
  await closed;
  clearTimeout(grace);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
