// The audience of the chat benchmark: a child process holding every Socket.IO client, driven
// over IPC, so that the clients have an event loop of their own and do not queue behind the
// server they measure. Every client counts every chat message it receives; a message's text
// carries its send time on this process's clock, so delivery latency needs no clock sync.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpuUsage } from 'node:process';
import { io, type Socket } from 'socket.io-client';

export type ToChatClients =
  /** Connects the clients (client i to urls[i % urls.length]) at `perSecond`, each joining the seminar. */
  | { type: 'connect'; id: number; urls: string[]; tokens: string[]; seminarId: string; perSecond: number }
  /** Chat at `chatPerSecond` from random clients, with upvotes and hand raises mixed in, for `seconds`. */
  | { type: 'run'; id: number; seconds: number; chatPerSecond: number; votesPerSecond: number; handsPerSecond: number; questionId: string }
  | { type: 'close'; id: number };

export interface ConnectSummary {
  connected: number;
  failed: number;
  firstError?: string;
  /** From the socket's open to the join's answer, per client. */
  joinMs: { p50: number; p95: number; max: number };
}

export interface RunSummary {
  clients: number;
  /** Chat messages the server acknowledged: every client should receive each of them. */
  sent: number;
  sendFailures: number;
  firstSendError?: string;
  otherEventsSent: number;
  otherEventFailures: number;
  /** Deliveries expected (acknowledged messages × clients) and missing after a grace period. */
  expectedDeliveries: number;
  missingDeliveries: number;
  clientsMissingAny: number;
  /** Per-client p99 delivery latency: the worst client, the 95th percentile of clients, the median client. */
  perClientP99Ms: { worst: number; p95: number; p50: number };
  /** Clients whose every message arrived with p99 ≤ the target. */
  healthyClients: number;
  pooledMs: { p50: number; p99: number; max: number };
  /** Fan-out events of other kinds (hands, questions) received, in all. */
  otherEventsReceived: number;
  /** This process's own load: if it is saturated, the latencies measure the clients, not the server. */
  clientCpuCores: number;
  clientLoopDelayP99Ms: number;
  /** From a chat:send to its ack (the message stored, queued for the room): the server's own part of a delivery. */
  ackMs: { p50: number; p99: number; max: number };
  /** room:batch pushes (WebSocket frames) per client per second of the run, and events per push. */
  pushesPerClientPerSecond: number;
  eventsPerPush: number;
}

export type FromChatClients = { id: number; connect?: ConnectSummary; run?: RunSummary; error?: string };

const TARGET_P99_MS = 200;

interface Client {
  socket: Socket;
  /** Latency of each chat message received, by message sequence number. */
  latencies: Map<number, number>;
  others: number;
  /** room:batch pushes received: frames, however many events each carried. */
  batches: number;
  raised: boolean;
}

const clients: Client[] = [];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
/** The median, p99 and worst of sorted latencies. */
const spread = (sorted: number[]) => ({
  p50: round1(percentile(sorted, 50)),
  p99: round1(percentile(sorted, 99)),
  max: round1(sorted.at(-1) ?? 0),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function connectOne(url: string, token: string, seminarId: string): Promise<{ client: Client; joinMs: number }> {
  return new Promise((resolve, reject) => {
    const opened = performance.now();
    const socket = io(`${url}/live`, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
    const client: Client = { socket, latencies: new Map(), others: 0, batches: 0, raised: false };
    // The room's chatter comes batched (server/live/chatter.ts); each entry counts as its event.
    socket.on('room:batch', (batch: { events: Array<{ type: string; data: { text?: string } }> }) => {
      const now = performance.now();
      client.batches++;
      for (const e of batch.events) {
        if (e.type !== 'chat:message') {
          client.others++;
          continue;
        }
        const match = /^b:(\d+):([\d.]+)/.exec(e.data.text ?? '');
        if (match) client.latencies.set(Number(match[1]), now - Number(match[2]));
      }
    });
    socket.once('connect_error', (err) => reject(err));
    socket.once('connect', () => {
      socket
        .timeout(30_000)
        .emitWithAck('room:join', { seminarId })
        .then((ack: { ok: boolean; error?: { code: string } }) => {
          if (!ack.ok) return reject(new Error(`room:join: ${ack.error?.code}`));
          resolve({ client, joinMs: performance.now() - opened });
        }, reject);
    });
  });
}

async function connect(msg: Extract<ToChatClients, { type: 'connect' }>): Promise<ConnectSummary> {
  const joins: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const pending: Array<Promise<void>> = [];
  const gap = 1000 / msg.perSecond;
  for (let i = 0; i < msg.tokens.length; i++) {
    pending.push(
      connectOne(msg.urls[i % msg.urls.length]!, msg.tokens[i]!, msg.seminarId).then(
        ({ client, joinMs }) => {
          clients.push(client);
          joins.push(joinMs);
        },
        (err: Error) => {
          failed++;
          firstError ??= err.message;
        },
      ),
    );
    await sleep(gap);
  }
  await Promise.all(pending);
  joins.sort((a, b) => a - b);
  return {
    connected: joins.length,
    failed,
    ...(firstError ? { firstError } : {}),
    joinMs: { p50: round1(percentile(joins, 50)), p95: round1(percentile(joins, 95)), max: round1(joins.at(-1) ?? 0) },
  };
}

async function run(msg: Extract<ToChatClients, { type: 'run' }>): Promise<RunSummary> {
  for (const c of clients) {
    c.latencies.clear();
    c.others = 0;
  }
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = cpuUsage();
  const t0 = performance.now();
  for (const c of clients) c.batches = 0;
  const acked = new Set<number>();
  const ackMs: number[] = [];
  let sendFailures = 0;
  let firstSendError: string | undefined;
  let otherEventsSent = 0;
  let otherEventFailures = 0;
  const inFlight: Array<Promise<unknown>> = [];
  const pick = () => clients[Math.floor(Math.random() * clients.length)]!;
  const emit = (c: Client, event: string, payload: unknown) =>
    c.socket.timeout(30_000).emitWithAck(event, payload) as Promise<{ ok: boolean; error?: { code: string } }>;

  // Each kind of event on its own schedule, open loop: sent when due whatever happened to the last.
  const schedule = (perSecond: number, send: (n: number) => void) => {
    if (perSecond <= 0) return undefined;
    let n = 0;
    return setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * perSecond);
      while (n < due) send(n++);
    }, 5);
  };
  const timers = [
    schedule(msg.chatPerSecond, (seq) => {
      const at = performance.now();
      inFlight.push(
        emit(pick(), 'chat:send', { text: `b:${seq}:${at.toFixed(3)} Вопрос по налогам и отчётности` }).then(
          (ack) => {
            ackMs.push(performance.now() - at);
            if (ack.ok) acked.add(seq);
            else {
              sendFailures++;
              firstSendError ??= ack.error?.code;
            }
          },
          (err: Error) => {
            sendFailures++;
            firstSendError ??= err.message;
          },
        ),
      );
    }),
    // Each client votes once, in turn: a second vote from the same person is refused, rightly.
    schedule(msg.votesPerSecond, (n) => {
      otherEventsSent++;
      inFlight.push(
        emit(clients[n % clients.length]!, 'question:upvote', { questionId: msg.questionId }).then((a) => a.ok || otherEventFailures++),
      );
    }),
    schedule(msg.handsPerSecond, () => {
      const c = pick();
      c.raised = !c.raised;
      otherEventsSent++;
      inFlight.push(emit(c, 'hand:raise', { raised: c.raised }).then((a) => a.ok || otherEventFailures++));
    }),
  ];
  await sleep(msg.seconds * 1000);
  for (const t of timers) if (t) clearInterval(t);
  const cpu = cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  await Promise.allSettled(inFlight);
  // Grace for the last messages to reach everyone.
  await sleep(3000);
  loop.disable();

  const perClientP99: number[] = [];
  const pooled: number[] = [];
  let missing = 0;
  let clientsMissingAny = 0;
  let healthy = 0;
  let others = 0;
  let batches = 0;
  for (const c of clients) {
    batches += c.batches;
    const mine: number[] = [];
    let missed = 0;
    for (const seq of acked) {
      const ms = c.latencies.get(seq);
      if (ms === undefined) missed++;
      else mine.push(ms);
    }
    mine.sort((a, b) => a - b);
    const p99 = percentile(mine, 99);
    perClientP99.push(p99);
    for (const ms of mine) pooled.push(ms);
    missing += missed;
    if (missed > 0) clientsMissingAny++;
    if (missed === 0 && p99 <= TARGET_P99_MS) healthy++;
    others += c.others;
  }
  perClientP99.sort((a, b) => a - b);
  pooled.sort((a, b) => a - b);
  return {
    clients: clients.length,
    sent: acked.size,
    sendFailures,
    ...(firstSendError ? { firstSendError } : {}),
    otherEventsSent,
    otherEventFailures,
    expectedDeliveries: acked.size * clients.length,
    missingDeliveries: missing,
    clientsMissingAny,
    perClientP99Ms: {
      worst: round1(perClientP99.at(-1) ?? 0),
      p95: round1(percentile(perClientP99, 95)),
      p50: round1(percentile(perClientP99, 50)),
    },
    healthyClients: healthy,
    pooledMs: spread(pooled),
    otherEventsReceived: others,
    clientCpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100) / 100,
    clientLoopDelayP99Ms: round1(loop.percentile(99) / 1e6),
    ackMs: spread(ackMs.sort((a, b) => a - b)),
    pushesPerClientPerSecond: round1(batches / Math.max(1, clients.length) / wall),
    eventsPerPush: batches > 0 ? Math.round(((pooled.length + others) / batches) * 100) / 100 : 0,
  };
}

process.on('message', (msg: ToChatClients) => {
  const reply = (m: FromChatClients) => process.send!(m);
  const work =
    msg.type === 'connect'
      ? connect(msg).then((connect) => reply({ id: msg.id, connect }))
      : msg.type === 'run'
        ? run(msg).then((run) => reply({ id: msg.id, run }))
        : Promise.resolve().then(() => {
            for (const c of clients) c.socket.disconnect();
            clients.length = 0;
            reply({ id: msg.id });
          });
  work.catch((err: Error) => reply({ id: msg.id, error: err.stack ?? err.message }));
});
