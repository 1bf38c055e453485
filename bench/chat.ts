// Benchmark: chat and room events at the scale of a big seminar. CHAT_CLIENTS Socket.IO clients
// (signed-in viewers, in a child process: bench/lib/chat-clients.ts) join one seminar; random
// viewers chat at CHAT_PER_SECOND, with question upvotes and hand raises mixed in, every event
// broadcast to the whole room. Every client counts every message it receives. Healthy means every
// client, not the pool: all messages received and p99 delivery ≤ 200 ms.
//
// Three runs in one process, the same audience and load: one node pushing each event alone
// (LIVE_CHATTER_WINDOW_MS=0: one event per push, as many frames as before server/live/chatter.ts), the same node
// batching a room's chatter at its default window, then two nodes on one database and one
// Redis through the Socket.IO Redis adapter (clients split between them), as behind a load
// balancer. The first is the same-run baseline of the second, the second of the third.
//
// Layout (they share the machine's cores, so each one's CPU is printed):
// - this process: Lectern (one node, or both), in-process as the tests start it, NODE_ENV=production;
// - the embedded FerretDB 1.24.2 on SQLite, its own process; redis-server (two-node run) its own;
// - the clients' child process.
// Viewers are seeded as user documents straight into the database (a password hash per account
// would take minutes to make and measures nothing here); each gets an access token from the server.
import { fork, type ChildProcess } from 'node:child_process';
import { Types } from 'mongoose';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../server/logger';
import { start, type Lectern } from '../server/main';
import { startRedis } from '../test/support/redis';
import type { ConnectSummary, FromChatClients, RunSummary, ToChatClients } from './lib/chat-clients';
import { intEnv } from './lib/env';
import { benchConfig, scheduledSeminar, seedLecturer } from './lib/lectern';
import { machine, machineBusyPercent, processCpuSeconds } from './lib/machine';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

const settings = {
  clients: intEnv('CHAT_CLIENTS', 2000),
  chatPerSecond: intEnv('CHAT_PER_SECOND', 20),
  votesPerSecond: intEnv('CHAT_VOTES_PER_SECOND', 5),
  handsPerSecond: intEnv('CHAT_HANDS_PER_SECOND', 2),
  seconds: intEnv('CHAT_SECONDS', 30),
  connectPerSecond: intEnv('CHAT_CONNECT_PER_SECOND', 200),
  /** The batched runs' window; unset: Lectern's default (LIVE_CHATTER_WINDOW_MS). */
  windowMs: process.env.CHAT_WINDOW_MS,
  target: { maxP99Ms: 200 },
};

const batched = (): NodeJS.ProcessEnv => (settings.windowMs ? { LIVE_CHATTER_WINDOW_MS: settings.windowMs } : {});

function log(msg: string): void {
  process.stderr.write(`[bench chat] ${msg}\n`);
}

class Clients {
  private nextId = 1;
  private readonly waiting = new Map<number, (msg: FromChatClients) => void>();
  readonly child: ChildProcess;

  constructor() {
    this.child = fork(path.join(here, 'lib/chat-clients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    this.child.on('message', (msg: FromChatClients) => {
      this.waiting.get(msg.id)?.(msg);
      this.waiting.delete(msg.id);
    });
  }

  private ask(msg: DistributiveOmit<ToChatClients, 'id'>): Promise<FromChatClients> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
      this.child.send({ ...msg, id });
    });
  }

  async connect(urls: string[], tokens: string[], seminarId: string): Promise<ConnectSummary> {
    return (await this.ask({ type: 'connect', urls, tokens, seminarId, perSecond: settings.connectPerSecond })).connect!;
  }

  async run(questionId: string): Promise<RunSummary> {
    const { seconds, chatPerSecond, votesPerSecond, handsPerSecond } = settings;
    return (await this.ask({ type: 'run', seconds, chatPerSecond, votesPerSecond, handsPerSecond, questionId })).run!;
  }

  async close(): Promise<void> {
    await this.ask({ type: 'close' });
    this.child.kill();
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** A public, scheduled seminar with a question to vote on, and `count` viewers' tokens. */
async function seed(app: Lectern, count: number): Promise<{ seminarId: string; tokens: string[]; lecturer: string }> {
  const lecturer = (await seedLecturer(app)).token;
  const seminarId = await scheduledSeminar(app, lecturer, {
    title: 'Налоги для ИП: большой эфир',
    track: 'finance',
    startsAt: '2030-03-01T18:30',
    durationMinutes: 90,
    capacity: 100_000,
    isPublic: true,
  });

  const now = new Date();
  const ids = Array.from({ length: count }, () => new Types.ObjectId());
  const users = app.db.connection.collection('users');
  for (let i = 0; i < ids.length; i += 500) {
    await users.insertMany(
      ids.slice(i, i + 500).map((_id, j) => ({
        _id,
        email: `viewer${i + j}@bench.lectern`,
        displayName: `Зритель ${i + j + 1}`,
        locale: 'ru',
        roles: ['learner'],
        passwordHash: '!',
        createdAt: now,
      })),
    );
  }
  const tokens = ids.map((id) => app.domain.tokens.issueAccess(id.toHexString(), ['learner']));
  return { seminarId, tokens, lecturer };
}

interface RunResult {
  nodes: number;
  chatterWindowMs: number;
  connect: ConnectSummary;
  run: RunSummary;
  serverCpuCores: number;
  databaseCpuCores: number | null;
  redisCpuCores: number | null;
  serverLoopDelayP99Ms: number;
  loadAverage: number;
}

async function measure(apps: Lectern[], redisPid: number | undefined): Promise<RunResult> {
  const { seminarId, tokens, lecturer } = await seed(apps[0]!, settings.clients);
  // The lecturer asks the question the audience votes for, from their own socket.
  const { LiveClient } = await import('../test/support/live-client');
  const host = await LiveClient.connect(apps[0]!.url, lecturer);
  await host.ok('room:join', { seminarId });
  const question = await host.ok<{ id: string }>('question:ask', { text: 'Какой налоговый режим выбрать в первый год?' });

  const clients = new Clients();
  try {
    log(`${apps.length} node(s): connecting ${tokens.length} clients`);
    const connect = await clients.connect(
      apps.map((a) => a.url),
      tokens,
      seminarId,
    );
    log(`connected ${connect.connected}, failed ${connect.failed}${connect.firstError ? ` (${connect.firstError})` : ''}`);
    const dbPid = apps[0]!.embeddedDb?.pid;
    const eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    const cpu0 = process.cpuUsage();
    const db0 = dbPid !== undefined ? processCpuSeconds(dbPid) : undefined;
    const redis0 = redisPid !== undefined ? processCpuSeconds(redisPid) : undefined;
    const t0 = performance.now();
    const run = await clients.run(question.id);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const db1 = dbPid !== undefined ? processCpuSeconds(dbPid) : undefined;
    const redis1 = redisPid !== undefined ? processCpuSeconds(redisPid) : undefined;
    eld.disable();
    log(`${apps.length} node(s): worst client p99 ${run.perClientP99Ms.worst} ms, missing ${run.missingDeliveries}`);
    return {
      nodes: apps.length,
      chatterWindowMs: apps[0]!.config.live.chatterWindowMs,
      connect,
      run,
      serverCpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100) / 100,
      databaseCpuCores: db0 !== undefined && db1 !== undefined ? Math.round(((db1 - db0) / wall) * 100) / 100 : null,
      redisCpuCores: redis0 !== undefined && redis1 !== undefined ? Math.round(((redis1 - redis0) / wall) * 100) / 100 : null,
      serverLoopDelayP99Ms: Math.round(eld.percentile(99) / 1e5) / 10,
      loadAverage: Math.round(loadavg()[0]! * 100) / 100,
    };
  } finally {
    host.close();
    await clients.close();
  }
}

/** One node; `env` sets LIVE_CHATTER_WINDOW_MS for the baseline. */
async function oneNode(root: string, name: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const app = await start(benchConfig(path.join(root, name), env), createLogger('silent'));
  try {
    return await measure([app], undefined);
  } finally {
    await app.stop();
  }
}

async function twoNodes(root: string): Promise<RunResult> {
  const redis = await startRedis();
  const a = await start(benchConfig(path.join(root, 'two-a'), { ...batched(), REDIS_URL: redis.url }), createLogger('silent'));
  let b: Lectern | undefined;
  try {
    // The second node on the first one's database, as two nodes behind a load balancer are.
    b = await start(
      benchConfig(path.join(root, 'two-b'), {
        ...batched(),
        REDIS_URL: redis.url,
        MONGODB_URI: `${a.embeddedDb!.uri}lectern`,
        JWT_SECRET: a.config.jwtSecret,
      }),
      createLogger('silent'),
    );
    return await measure([a, b], redis.pid);
  } finally {
    await b?.stop();
    await a.stop();
    redis.stop();
  }
}

function row(r: RunResult): string {
  const { run, connect } = r;
  const ok = run.missingDeliveries === 0 && run.perClientP99Ms.worst <= settings.target.maxP99Ms && connect.failed === 0;
  return (
    `| ${r.nodes === 1 ? 'one node' : 'two nodes, Redis adapter'}, ${r.chatterWindowMs === 0 ? 'each event alone' : `batched per ${r.chatterWindowMs} ms`} | ${connect.connected} (${connect.failed} failed) | ${connect.joinMs.p95} | ` +
    `${run.sent} (${run.sendFailures} refused) | ${run.missingDeliveries} of ${run.expectedDeliveries} | ${run.perClientP99Ms.worst} | ${run.perClientP99Ms.p95} | ` +
    `${run.pooledMs.p50} / ${run.pooledMs.p99} | ${run.healthyClients} of ${run.clients} | ${ok ? 'met' : 'missed'} | ` +
    `${r.serverCpuCores.toFixed(2)} / ${r.databaseCpuCores?.toFixed(2) ?? '–'} / ${r.redisCpuCores?.toFixed(2) ?? '–'} / ${run.clientCpuCores.toFixed(2)} | ` +
    `${r.serverLoopDelayP99Ms} / ${run.clientLoopDelayP99Ms} | ${run.ackMs.p50} / ${run.ackMs.p99} | ${run.pushesPerClientPerSecond} (${run.eventsPerPush}) | ${r.loadAverage.toFixed(2)} |`
  );
}

export async function run(): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'lectern-bench-chat-'));
  const before = { busyPercent: await machineBusyPercent(), loadAverage: Math.round(loadavg()[0]! * 100) / 100 };
  try {
    const results = [
      await oneNode(root, 'alone', { LIVE_CHATTER_WINDOW_MS: '0' }),
      await oneNode(root, 'one', batched()),
      await twoNodes(root),
    ];
    const m = machine();
    const table = [
      `| run | clients joined | join p95 ms | chat messages sent | deliveries missing | worst client p99 ms | 95th-percentile client p99 ms | pooled p50 / p99 ms | healthy clients | target | CPU cores: Lectern / FerretDB / Redis / clients | event-loop delay p99 ms: Lectern / clients | chat:send to ack p50 / p99 ms | pushes per client per s (events per push) | load avg |`,
      `|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---:|---:|`,
      ...results.map(row),
      '',
      `- Load: ${settings.clients} signed-in viewers in one seminar, ${settings.chatPerSecond} chat messages/s from random viewers, ${settings.votesPerSecond} question upvotes/s, ` +
        `${settings.handsPerSecond} hand raises or lowerings/s, for ${settings.seconds} s; every event is broadcast to the whole room; clients joined at ${settings.connectPerSecond}/s`,
      `- Healthy client: every acknowledged chat message received, and its own p99 delivery ≤ ${settings.target.maxP99Ms} ms (target: every client healthy)`,
      `- Machine: ${m.nproc} cores (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; other work just before: cores ${before.busyPercent ?? '?'} % busy, load average ${before.loadAverage}`,
      `- Database: FerretDB 1.24.2 embedded on SQLite (Lectern's default), NODE_ENV=production; Redis from Debian for the two-node run`,
      `- Date: ${new Date().toISOString()}`,
    ].join('\n');
    process.stdout.write(`\n${table}\n`);
    await mkdir(resultsDir, { recursive: true });
    await writeFile(path.join(resultsDir, 'chat.json'), JSON.stringify({ settings, machine: m, before, results, table }, null, 2));
    await writeFile(path.join(resultsDir, 'chat.md'), `${table}\n`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
