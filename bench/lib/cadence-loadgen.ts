// The load generator of the cadence benchmark: a child process, driven over IPC, so that it has
// its own event loop and does not queue behind the server it measures.
//
// Each learner's player sends a heartbeat every PERIOD_MS, at a phase of its own drawn at random,
// as real players do; the last heartbeat of each page session (every SESSION_HEARTBEATS) is the
// page-leave beacon, sent as navigator.sendBeacon sends it: the access token in the JSON body, no
// Authorization header. Requests go out when due whatever happened to earlier ones (open loop),
// over a keep-alive pool, and latency counts from the due time, so queueing for a socket counts.
import { Agent, request as httpRequest } from 'node:http';
import { cpuUsage } from 'node:process';
import { initialState, markAccepted, nextHeartbeat, SESSION_HEARTBEATS, type Learner, type LearnerState } from './heartbeats';

export const PERIOD_MS = 10_000;
const HEARTBEAT_PATH = '/api/v1/progress/heartbeats';

export type ToCadenceLoadgen =
  | { type: 'start'; id: number; url: string; connections: number }
  /**
   * Learners join (with their tokens), those already there may get fresh tokens, and only the
   * first `active` keep sending (the others have closed their page).
   */
  | { type: 'learners'; id: number; add: Learner[]; tokens?: Array<{ index: number; token: string }>; active: number }
  /** Begins a measured window: only heartbeats due from now on count in the next `window-end`. */
  | { type: 'window-start'; id: number }
  | { type: 'window-end'; id: number }
  /** Stops the cadence, then sends every learner's page-leave beacon; answers with every learner's state. */
  | { type: 'finish'; id: number };

export interface WindowSummary {
  requests: number;
  heartbeats: number;
  beacons: number;
  seconds: number;
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** The same counted from when the request actually went out: without the generator's own lateness. */
  latencyFromSendMs: { p50: number; p99: number };
  statusCodes: Record<string, number>;
  errors: number;
  /** Requests due in the window still unanswered 10 s after it ended. */
  unanswered: number;
  /** Sent again because a kept-alive socket was closed by the server as the request went out (as browsers do). */
  retried: number;
  /** How late the generator itself sent requests (timer lag), p99: above a few ms it is the bottleneck. */
  sendLagP99Ms: number;
  loadgenCpuSeconds: number;
}

export type FromCadenceLoadgen =
  | { type: 'ready' }
  | { type: 'ok'; id: number }
  | { type: 'window'; id: number; summary: WindowSummary }
  | { type: 'finished'; id: number; learners: LearnerState[]; beaconStatus: Record<string, number> }
  | { type: 'error'; id: number; message: string };

interface Slot {
  index: number;
  due: number;
}

let base = '';
let agent: Agent | undefined;
const learners: Learner[] = [];
const states: LearnerState[] = [];
/** Every learner's next heartbeat, in due order; the order holds, since every period is the same. */
let schedule: Slot[] = [];
let cursor = 0;
let running = false;
let timer: NodeJS.Timeout | undefined;

interface Sample {
  due: number;
  latency: number;
  status: number;
  beacon: boolean;
  lag: number;
}
let windowStart: number | undefined;
let samples: Sample[] = [];
let outstanding = 0;
let errors = 0;
let retried = 0;
let cpuAtWindow = cpuUsage();

function send(msg: FromCadenceLoadgen): void {
  process.send!(msg);
}

function post(index: number, due: number, beacon: boolean, done?: (status: number) => void): void {
  const learner = learners[index]!;
  const state = states[index]!;
  const { hb, session } = nextHeartbeat(state);
  const body = JSON.stringify(beacon ? { ...hb, accessToken: learner.token } : hb);
  const counted = windowStart !== undefined && due >= windowStart;
  if (counted) outstanding++;
  send1(learner, state, hb, session, body, beacon, due, counted, true, done);
}

function send1(
  learner: Learner,
  state: LearnerState,
  hb: ReturnType<typeof nextHeartbeat>['hb'],
  session: number,
  body: string,
  beacon: boolean,
  due: number,
  counted: boolean,
  mayRetry: boolean,
  done?: (status: number) => void,
): void {
  const url = new URL(base);
  const sentAt = performance.now();
  const req = httpRequest(
    {
      agent,
      host: url.hostname,
      port: url.port,
      path: HEARTBEAT_PATH,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...(beacon ? {} : { authorization: `Bearer ${learner.token}` }),
      },
    },
    (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status === 202) markAccepted(state, session, hb.position);
        if (counted) {
          outstanding--;
          samples.push({ due, latency: performance.now() - due, status, beacon, lag: sentAt - due });
        }
        done?.(status);
      });
    },
  );
  req.on('error', (err: NodeJS.ErrnoException) => {
    if (mayRetry && req.reusedSocket && err.code === 'ECONNRESET') {
      if (counted) retried++;
      send1(learner, state, hb, session, body, beacon, due, counted, false, done);
      return;
    }
    if (counted) {
      outstanding--;
      errors++;
    }
    done?.(0);
  });
  req.end(body);
}

function tick(): void {
  if (!running) return;
  const now = performance.now();
  for (let n = schedule.length; n > 0 && schedule[cursor]!.due <= now; n--) {
    const slot = schedule[cursor]!;
    // The last heartbeat of a page session is the page-leave beacon.
    const beacon = states[slot.index]!.sent % SESSION_HEARTBEATS === SESSION_HEARTBEATS - 1;
    post(slot.index, slot.due, beacon);
    slot.due += PERIOD_MS;
    cursor = (cursor + 1) % schedule.length;
  }
  timer = setTimeout(tick, 2);
}

/** Rebuilds the schedule of the first `active` learners; newcomers start at a random phase. */
function reschedule(newcomers: number[], active: number): void {
  const now = performance.now();
  const next = schedule.filter((s) => s.index < active).map((s) => ({ ...s }));
  for (const index of newcomers.filter((i) => i < active)) next.push({ index, due: now + Math.random() * PERIOD_MS });
  next.sort((a, b) => a.due - b.due);
  schedule = next;
  cursor = 0;
}

function summarise(start: number, end: number): WindowSummary {
  const inWindow = samples.filter((s) => s.due >= start && s.due < end);
  const lat = inWindow.map((s) => s.latency).sort((a, b) => a - b);
  const lag = inWindow.map((s) => s.lag).sort((a, b) => a - b);
  const fromSend = inWindow.map((s) => s.latency - s.lag).sort((a, b) => a - b);
  const pct = (arr: number[], q: number) => (arr.length ? round(arr[Math.min(arr.length - 1, Math.floor(q * arr.length))]!) : 0);
  const statusCodes: Record<string, number> = {};
  for (const s of inWindow) statusCodes[s.status] = (statusCodes[s.status] ?? 0) + 1;
  const seconds = (end - start) / 1000;
  const cpu = cpuUsage(cpuAtWindow);
  return {
    requests: inWindow.length,
    heartbeats: inWindow.filter((s) => !s.beacon).length,
    beacons: inWindow.filter((s) => s.beacon).length,
    seconds: round(seconds),
    reqPerSec: round(inWindow.length / seconds),
    latencyMs: { p50: pct(lat, 0.5), p90: pct(lat, 0.9), p99: pct(lat, 0.99), max: lat.length ? round(lat[lat.length - 1]!) : 0 },
    latencyFromSendMs: { p50: pct(fromSend, 0.5), p99: pct(fromSend, 0.99) },
    statusCodes,
    errors,
    unanswered: outstanding,
    retried,
    sendLagP99Ms: pct(lag, 0.99),
    loadgenCpuSeconds: round((cpu.user + cpu.system) / 1e6),
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function finish(): Promise<Record<string, number>> {
  running = false;
  clearTimeout(timer);
  windowStart = undefined;
  // Every learner leaves the page: one last beacon each, as fast as the pool takes them.
  const beaconStatus: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = next++; i < learners.length; i = next++) {
        const status = await new Promise<number>((resolve) => post(i, performance.now(), true, resolve));
        beaconStatus[status] = (beaconStatus[status] ?? 0) + 1;
      }
    }),
  );
  return beaconStatus;
}

process.on('message', (msg: ToCadenceLoadgen) => {
  void (async () => {
    const id = 'id' in msg ? msg.id : 0;
    try {
      if (msg.type === 'start') {
        base = msg.url;
        agent = new Agent({ keepAlive: true, maxSockets: msg.connections });
        running = true;
        tick();
        send({ type: 'ok', id });
      } else if (msg.type === 'learners') {
        for (const t of msg.tokens ?? []) learners[t.index]!.token = t.token;
        const newcomers: number[] = [];
        for (const l of msg.add) {
          newcomers.push(learners.length);
          states.push(initialState(l, learners.length, Date.now()));
          learners.push(l);
        }
        reschedule(newcomers, msg.active);
        send({ type: 'ok', id });
      } else if (msg.type === 'window-start') {
        windowStart = performance.now();
        samples = [];
        errors = 0;
        retried = 0;
        outstanding = 0;
        cpuAtWindow = cpuUsage();
        send({ type: 'ok', id });
      } else if (msg.type === 'window-end') {
        const start = windowStart ?? performance.now();
        const end = performance.now();
        windowStart = undefined;
        // Answers still due for requests of the window (their latency counts in full).
        for (const giveUp = performance.now() + 10_000; outstanding > 0 && performance.now() < giveUp;) await sleep(5);
        send({ type: 'window', id, summary: summarise(start, end) });
      } else if (msg.type === 'finish') {
        const beaconStatus = await finish();
        send({ type: 'finished', id, learners: states, beaconStatus });
      }
    } catch (err) {
      send({ type: 'error', id, message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
