import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { workerAllocators, type WorkerAllocator } from '../media';

const port = z.coerce.number().int().min(0).max(65535);
const ip = z.string().refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address');
/** turn:host[:port][?transport=udp|tcp], turns:…, stun:host[:port] (RFC 7064/7065); IPv6 hosts in brackets. */
const TURN_URL =
  /^(?:turns?:(?:[\w.-]+|\[[\da-fA-F:.]+\])(?::\d{1,5})?(?:\?transport=(?:udp|tcp))?|stun:(?:[\w.-]+|\[[\da-fA-F:.]+\])(?::\d{1,5})?)$/;
/**
 * Express's `trust proxy`: true or false, a hop count, or a comma-separated list of addresses,
 * subnets and the names loopback, linklocal and uniquelocal; checked as Express will compile it.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): boolean | number | string[] => {
    if (v === '') return ['loopback'];
    if (v === 'true' || v === 'false') return v === 'true';
    if (/^\d+$/.test(v)) return Number(v);
    const list = v.split(',').map((e) => e.trim());
    try {
      if (list.some((e) => e === '')) throw new Error('an empty entry');
      proxyaddr.compile(list);
      return list;
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `must be true, false, a hop count, or a comma-separated list of addresses, subnets, loopback, linklocal or uniquelocal (${(err as Error).message})`,
      });
      return z.NEVER;
    }
  });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/**
 * The personal-data processing policy (152-FZ) shown on /privacy and accepted at sign-up.
 * The centre replaces it with its own: PRIVACY_POLICY_FILE_RU/EN (plain text, paragraphs
 * separated by blank lines) and a new PRIVACY_POLICY_VERSION whenever the text changes.
 */
export const DEFAULT_PRIVACY_POLICY = {
  version: '2026-11-29',
  text: {
    ru: [
      'Лектерн обрабатывает ваши персональные данные (адрес эл. почты, имя, язык, часовой пояс, записи на семинары, прогресс обучения, сообщения в чате и вопросы) для проведения семинаров и курсов центра поддержки предпринимательства, в соответствии с Федеральным законом № 152-ФЗ «О персональных данных».',
      'Данные хранятся на серверах центра и не передаются третьим лицам. Вы можете в любой момент скачать все данные о себе и удалить учётную запись в профиле. После удаления ваши сообщения в чате и вопросы остаются в записях семинаров под анонимным именем; прогресс, записи на семинары и сеансы входа удаляются.',
      'Согласие действует до удаления учётной записи.',
    ].join('\n\n'),
    en: [
      'Lectern processes your personal data (e-mail address, name, language, time zone, seminar registrations, learning progress, chat messages and questions) to run the seminars and courses of the entrepreneurship-support centre, under Russian Federal Law No. 152-FZ "On personal data".',
      'The data is kept on the centre’s servers and is not passed to third parties. You can download everything held about you and delete your account at any time from your profile. After deletion, your chat messages and questions stay in seminar recordings under an anonymous name; your progress, registrations and sign-in sessions are removed.',
      'The consent lasts until the account is deleted.',
    ].join('\n\n'),
  },
};

// Every setting comes from one environment variable, named here; the error
// messages below name the variable so a bad deployment says what to fix.
const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: port.default(8080),
    PUBLIC_BASE_URL: z.url().optional(),
    TRUST_PROXY: trustProxy.default(['loopback']),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().min(1).default('./data'),
    RECORDINGS_DIR: optionalText,
    MONGODB_URI: optionalText.pipe(
      z
        .string()
        .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
        .optional(),
    ),
    FERRETDB_BIN: optionalText,
    JWT_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    MEDIASOUP_LISTEN_IP: ip.default('127.0.0.1'),
    MEDIASOUP_ANNOUNCED_IP: optionalText,
    // Unset: 40000, or free ports (0) when PORT is 0, so instances started side by side (tests) never collide.
    RTC_PORT: optionalText.transform((v) => (v === undefined ? undefined : Number(v))).pipe(z.number().int().min(0).max(65535).optional()),
    RTC_MIN_PORT: port.pipe(z.number().min(1024)).default(41000),
    RTC_MAX_PORT: port.pipe(z.number().min(1024)).default(49999),
    // 4 MiB: every viewer's feedback reaches a worker on its one UDP socket, in bursts when the worker is busy.
    RTC_UDP_BUFFER_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .max(64 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    RTC_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    MEDIASOUP_WORKERS: z.coerce.number().int().min(1).max(256).default(availableParallelism()),
    // mimalloc: a worker gives back the pages its viewers used once they leave (README, soak).
    MEDIASOUP_WORKER_ALLOCATOR: z.enum(workerAllocators).default('mimalloc'),
    FFMPEG_BIN: z.string().min(1).default('ffmpeg'),
    FFPROBE_BIN: z.string().min(1).default('ffprobe'),
    // 8 GiB: a few hours of a lecturer's camera at a high bitrate.
    UPLOAD_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .max(1024 ** 4)
      .default(8 * 1024 ** 3),
    // One PATCH of a resumable upload: what a connection drop costs at most, and what a proxy must let through.
    UPLOAD_CHUNK_BYTES: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .max(1024 ** 3)
      .default(8 * 1024 ** 2),
    // An upload that has received no byte for this long is given up: its file removed, its line failed (upload_expired).
    UPLOAD_ABANDONED_AFTER_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .max(365 * 86_400)
      .default(86_400),
    SMTP_URL: optionalText.pipe(
      z
        .string()
        .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
        .optional(),
    ),
    MAIL_FROM: z.string().min(3).default('Lectern <no-reply@localhost>'),
    REMINDER_TICK_SECONDS: z.coerce.number().min(1).max(3600).default(30),
    PROGRESS_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
    LIVE_ROUTER_MAX_CONSUMERS: z.coerce.number().int().min(1).max(100_000).default(400),
    KEY_FRAME_REQUEST_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(500),
    VIEWER_COUNT_THROTTLE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
    REDIS_URL: optionalText.pipe(
      z
        .string()
        .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
        .optional(),
    ),
    EMBED_ORIGINS: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z.string().refine((v) => {
            try {
              const url = new URL(v);
              // Exact origins only: a '*' would reach CSP as a wildcard (https://*.example.org), which URL accepts.
              return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === v && !v.includes('*');
            } catch {
              return false;
            }
          }, 'must be a comma-separated list of origins such as https://portal.example.org (scheme, host and port only)'),
        ),
      ),
    LIVE_EVENTS_PER_10S: z.coerce.number().int().min(1).max(100_000).default(60),
    LIVE_COSTLY_EVENTS_PER_10S: z.coerce.number().int().min(1).max(100_000).default(10),
    METRICS_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    LIVE_SOCKETS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(50),
    LIVE_SOCKETS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(10),
    REACTION_WINDOW_MS: z.coerce.number().int().min(100).max(5000).default(400),
    LIVE_CHATTER_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(50),
    PRESENCE_CHECK_WINDOW_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
    REGISTRATIONS_PER_IP_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(20),
    LIVE_MAX_WEBRTC_VIEWERS: z.coerce.number().int().min(0).max(1_000_000).default(5000),
    RECORDING_SEGMENT_SECONDS: z.coerce.number().int().min(1).max(10).default(1),
    RECORDING_MAX_RESTARTS: z.coerce.number().int().min(0).max(1000).default(10),
    RECORDING_STABLE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    TURN_URLS: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z
              .string()
              .max(300)
              .regex(
                TURN_URL,
                'must be a comma-separated list of turn:, turns: or stun: URLs (host[:port][?transport=udp|tcp]), e.g. turn:turn.example.org:3478?transport=udp',
              ),
          )
          .max(8, 'at most 8 URLs'),
      ),
    TURN_SECRET: optionalText.pipe(z.string().min(16, "must be at least 16 characters (coturn's static-auth-secret)").optional()),
    TURN_CREDENTIAL_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(3600),
    TURN_FORCE_RELAY: z
      .enum(['true', 'false', '1', '0', ''], 'must be true or false')
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
    NODE_ID: optionalText.pipe(
      z
        .string()
        .regex(/^[\w.-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores')
        .optional(),
    ),
    NODE_LEASE_SECONDS: z.coerce.number().int().min(3).max(3600).default(30),
    WEBHOOK_ALLOW_PRIVATE: z
      .enum(['true', 'false', '1', '0', ''], 'must be true or false')
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
    // Seconds to wait before each retry: 1 min, 5 min, 30 min, 2 h, 5 h, 10 h (about 18 hours in all).
    WEBHOOK_RETRY_SECONDS: z
      .string()
      .default('60,300,1800,7200,18000,36000')
      .transform((v) => v.split(',').map((e) => Number(e.trim())))
      .pipe(
        z
          .array(
            z
              .number()
              .min(0.01)
              .max(7 * 86400),
            'must be comma-separated seconds',
          )
          .min(1)
          .max(30),
      ),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).max(10_000).default(50),
    WEBHOOK_DISABLE_AFTER_HOURS: z.coerce
      .number()
      .min(0.0001)
      .max(24 * 30)
      .default(24),
    WEBHOOK_TICK_SECONDS: z.coerce.number().min(0.05).max(3600).default(5),
    SEARCH_CATCH_UP_SECONDS: z.coerce.number().min(0.05).max(3600).default(30),
    SEARCH_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
    PRIVACY_POLICY_VERSION: z
      .string()
      .trim()
      .regex(/^[\w.-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores')
      .default(DEFAULT_PRIVACY_POLICY.version),
    PRIVACY_POLICY_FILE_RU: optionalText,
    PRIVACY_POLICY_FILE_EN: optionalText,
    OIDC_ISSUER: optionalText.pipe(z.url('must be the issuer URL, e.g. https://id.example.org').optional()),
    OIDC_CLIENT_ID: optionalText.pipe(z.string().max(200).optional()),
    OIDC_CLIENT_SECRET: optionalText.pipe(z.string().max(500).optional()),
  })
  .superRefine((env, ctx) => {
    // Sign-in through the centre's portal needs all three, or none (off).
    const set = (['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const).filter((k) => env[k] !== undefined);
    if (set.length > 0 && set.length < 3)
      for (const k of ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const)
        if (env[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: `required with ${set.join(' and ')} (OIDC sign-in)` });
  })
  .refine((env) => env.RTC_MIN_PORT < env.RTC_MAX_PORT, {
    path: ['RTC_MIN_PORT'],
    message: 'must be lower than RTC_MAX_PORT',
  })
  .superRefine((env, ctx) => {
    // TURN credentials are signed with coturn's shared secret: a turn: URL without it, or a secret without one, is a mistake.
    const relays = env.TURN_URLS.filter((u) => !u.startsWith('stun:'));
    if (relays.length > 0 && !env.TURN_SECRET)
      ctx.addIssue({
        code: 'custom',
        path: ['TURN_SECRET'],
        message: "required with turn: URLs in TURN_URLS (coturn's static-auth-secret)",
      });
    if (env.TURN_SECRET && relays.length === 0)
      ctx.addIssue({ code: 'custom', path: ['TURN_URLS'], message: 'TURN_SECRET is set but TURN_URLS names no turn: or turns: URL' });
    if (env.TURN_FORCE_RELAY && relays.length === 0)
      ctx.addIssue({ code: 'custom', path: ['TURN_FORCE_RELAY'], message: 'needs a turn: or turns: URL in TURN_URLS' });
  })
  .superRefine((env, ctx) => {
    const first = rtcPort(env);
    if (first === 0) return;
    const last = first + env.MEDIASOUP_WORKERS - 1;
    const problem =
      first < 1024
        ? 'must be 0 (free ports) or at least 1024'
        : last > 65535
          ? `worker i listens on RTC_PORT + i: ${first}-${last} for ${env.MEDIASOUP_WORKERS} workers passes 65535`
          : first <= env.RTC_MAX_PORT && last >= env.RTC_MIN_PORT
            ? `ports ${first}-${last} (one per media worker) overlap RTC_MIN_PORT-RTC_MAX_PORT (${env.RTC_MIN_PORT}-${env.RTC_MAX_PORT}), the internal transports' range`
            : env.PORT >= first && env.PORT <= last
              ? `ports ${first}-${last} (one per media worker, UDP and TCP) include PORT ${env.PORT}`
              : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: ['RTC_PORT'], message: problem });
  });

function rtcPort(env: { RTC_PORT?: number | undefined; PORT: number }): number {
  return env.RTC_PORT ?? (env.PORT === 0 ? 0 : 40000);
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  publicBaseUrl: string;
  /**
   * Which hops' X-Forwarded-For to believe (Express's `trust proxy`): the client address
   * (req.ip) keys the sign-in throttle, so it must be the caller's, not a spoofed header.
   */
  trustProxy: boolean | number | string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  dataDir: string;
  recordingsDir: string;
  /** Absent: Lectern starts the embedded FerretDB under dataDir. */
  mongodbUri?: string;
  ferretdbBin?: string;
  jwtSecret: string;
  mediasoup: {
    listenIp: string;
    announcedAddress?: string;
    /** Worker i's WebRtcServer listens on UDP and TCP rtcPort + i; 0: free ports chosen at start. */
    rtcPort: number;
    /** Ports of the transports that never face clients (pipes between workers, the recorder's). */
    rtcMinPort: number;
    rtcMaxPort: number;
    workers: number;
    /** The malloc each worker runs on. */
    allocator: WorkerAllocator;
    /** SO_RCVBUF and SO_SNDBUF of each worker's WebRTC UDP socket; 0: the kernel's default. */
    udpBufferBytes: number;
    /** A WebRTC transport in use that has not finished DTLS within this time is closed. */
    connectTimeoutMs: number;
  };
  ffmpegBin: string;
  ffprobeBin: string;
  /** Lesson videos lecturers upload (tus): the largest file, and where files lie while they arrive (dataDir/uploads). */
  uploads: { maxBytes: number; chunkBytes: number; incomingDir: string; abandonedAfterSeconds: number };
  /** Unset: e-mails are written as .eml files under dataDir/mail. */
  smtpUrl?: string;
  mailFrom: string;
  reminderTickSeconds: number;
  progressFlushMs: number;
  live: {
    /** Past this many consumers on one router, new viewers go to a router on another worker. */
    maxConsumersPerRouter: number;
    /** The least time between two key-frame requests passed to a lecturer's camera or screen; 0: no pause. */
    keyFrameRequestDelayMs: number;
    viewerCountThrottleMs: number;
    /** WebRTC viewers per seminar on this node; past it, viewers are sent to live HLS. */
    maxWebRtcViewers: number;
    /** Events one socket may send per 10 s: any event, and those broadcast or stored for everyone. */
    eventsPer10s: number;
    costlyEventsPer10s: number;
    /** Open live sockets at once: anonymous ones per address, signed-in ones per user. */
    maxSocketsPerIp: number;
    maxSocketsPerUser: number;
    /** Reactions are counted per room over this window, then pushed as one update. */
    reactionWindowMs: number;
    /** A room's chat, questions and hands go out at most once per this window (0: each at once). */
    chatterWindowMs: number;
    /** How long a viewer has to answer "Are you here?". */
    presenceCheckWindowMs: number;
  };
  recordingSegmentSeconds: number;
  /** ffmpeg crashes a recorder tolerates before it gives up... */
  recordingMaxRestarts: number;
  /** ...counted since its ffmpeg last ran this long without crashing. */
  recordingStableSeconds: number;
  /** Set: Socket.IO events reach clients on every node through Redis, and rate limits are shared there. */
  redisUrl?: string;
  webhooks: WebhookConfig;
  /** The search index: how often other nodes' writes are looked for, and searches one caller may make a minute. */
  search: { catchUpMs: number; perMinute: number };
  /** Set: Prometheus metrics at /metrics for `Authorization: Bearer <token>`; unset: no /metrics. */
  metricsToken?: string;
  /** Origins that may show the watch and replay pages in a frame (the centre's portal). */
  embedOrigins: string[];
  /** New accounts one address may create per hour. */
  registrationsPerIpPerHour: number;
  /** This node's name among the nodes on one database; unset: one generated once and kept in dataDir/node-id. */
  nodeId?: string;
  /** A node that has not renewed its lease for this long is taken for dead: the next node to boot repairs what it held. */
  nodeLeaseSeconds: number;
  /** Set: clients get time-limited TURN credentials (coturn's REST-API scheme) with each transport. */
  turn?: TurnConfig;
  privacyPolicy: { version: string; text: { ru: string; en: string } };
  /** Set: sign-in with the centre's portal account (OpenID Connect); unset: off. */
  oidc?: { issuer: string; clientId: string; clientSecret: string };
}

/** Webhook deliveries (server/webhooks). */
export interface WebhookConfig {
  /** Targets on loopback, private and link-local addresses are refused unless this is set (tests, a CRM on the LAN). */
  allowPrivateTargets: boolean;
  /** The wait before each retry; a delivery gives up after the last. */
  retryDelaysMs: number[];
  timeoutMs: number;
  /** An endpoint is disabled after this many failed attempts in a row... */
  disableAfterFailures: number;
  /** ...or once it has failed, with no success since, for this long. */
  disableAfterMs: number;
  /** How often queued deliveries are looked for (new events start one at once). */
  tickMs: number;
}

export interface TurnConfig {
  /** turn:, turns: and stun: URLs handed to clients as one ICE server. */
  urls: string[];
  /** coturn's static-auth-secret; absent when only stun: URLs are given. */
  secret?: string;
  credentialTtlSeconds: number;
  /** Clients send and receive through the relay only (iceTransportPolicy 'relay'). */
  forceRelay: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseEnv(env: NodeJS.ProcessEnv) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Where Lectern keeps what it must not lose: what backup and restore work on. */
export interface DataLocations {
  dataDir: string;
  recordingsDir: string;
  mongodbUri?: string;
  /** Only when the environment sets it; otherwise it is the file dataDir/jwt-secret. */
  jwtSecret?: string;
}

/** The same variables as loadConfig, but it writes nothing (no secret is generated) and needs no JWT_SECRET. */
export function loadDataLocations(env: NodeJS.ProcessEnv = process.env): DataLocations {
  const e = parseEnv(env);
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    dataDir,
    recordingsDir: path.resolve(e.RECORDINGS_DIR ?? path.join(dataDir, 'recordings')),
    ...(e.MONGODB_URI ? { mongodbUri: e.MONGODB_URI } : {}),
    ...(e.JWT_SECRET ? { jwtSecret: e.JWT_SECRET } : {}),
  };
}

/** Reads the configuration once, at start; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    dataDir,
    recordingsDir: path.resolve(e.RECORDINGS_DIR ?? path.join(dataDir, 'recordings')),
    ...(e.MONGODB_URI ? { mongodbUri: e.MONGODB_URI } : {}),
    ...(e.FERRETDB_BIN ? { ferretdbBin: e.FERRETDB_BIN } : {}),
    jwtSecret: e.JWT_SECRET ?? developmentJwtSecret(e.NODE_ENV, dataDir),
    mediasoup: {
      listenIp: e.MEDIASOUP_LISTEN_IP,
      ...(e.MEDIASOUP_ANNOUNCED_IP ? { announcedAddress: e.MEDIASOUP_ANNOUNCED_IP } : {}),
      rtcPort: rtcPort(e),
      rtcMinPort: e.RTC_MIN_PORT,
      rtcMaxPort: e.RTC_MAX_PORT,
      workers: e.MEDIASOUP_WORKERS,
      allocator: e.MEDIASOUP_WORKER_ALLOCATOR,
      udpBufferBytes: e.RTC_UDP_BUFFER_BYTES,
      connectTimeoutMs: e.RTC_CONNECT_TIMEOUT_MS,
    },
    ffmpegBin: e.FFMPEG_BIN,
    ffprobeBin: e.FFPROBE_BIN,
    uploads: {
      maxBytes: e.UPLOAD_MAX_BYTES,
      chunkBytes: e.UPLOAD_CHUNK_BYTES,
      incomingDir: path.join(dataDir, 'uploads'),
      abandonedAfterSeconds: e.UPLOAD_ABANDONED_AFTER_SECONDS,
    },
    ...(e.SMTP_URL ? { smtpUrl: e.SMTP_URL } : {}),
    mailFrom: e.MAIL_FROM,
    reminderTickSeconds: e.REMINDER_TICK_SECONDS,
    search: { catchUpMs: Math.round(e.SEARCH_CATCH_UP_SECONDS * 1000), perMinute: e.SEARCH_PER_MINUTE },
    webhooks: {
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE,
      retryDelaysMs: e.WEBHOOK_RETRY_SECONDS.map((s) => Math.round(s * 1000)),
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      disableAfterFailures: e.WEBHOOK_DISABLE_AFTER_FAILURES,
      disableAfterMs: Math.round(e.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000),
      tickMs: Math.round(e.WEBHOOK_TICK_SECONDS * 1000),
    },
    progressFlushMs: e.PROGRESS_FLUSH_MS,
    live: {
      maxConsumersPerRouter: e.LIVE_ROUTER_MAX_CONSUMERS,
      keyFrameRequestDelayMs: e.KEY_FRAME_REQUEST_DELAY_MS,
      viewerCountThrottleMs: e.VIEWER_COUNT_THROTTLE_MS,
      maxWebRtcViewers: e.LIVE_MAX_WEBRTC_VIEWERS,
      eventsPer10s: e.LIVE_EVENTS_PER_10S,
      costlyEventsPer10s: e.LIVE_COSTLY_EVENTS_PER_10S,
      maxSocketsPerIp: e.LIVE_SOCKETS_PER_IP,
      maxSocketsPerUser: e.LIVE_SOCKETS_PER_USER,
      reactionWindowMs: e.REACTION_WINDOW_MS,
      chatterWindowMs: e.LIVE_CHATTER_WINDOW_MS,
      presenceCheckWindowMs: e.PRESENCE_CHECK_WINDOW_MS,
    },
    recordingSegmentSeconds: e.RECORDING_SEGMENT_SECONDS,
    recordingMaxRestarts: e.RECORDING_MAX_RESTARTS,
    recordingStableSeconds: e.RECORDING_STABLE_SECONDS,
    ...(e.REDIS_URL ? { redisUrl: e.REDIS_URL } : {}),
    ...(e.TURN_URLS.length > 0
      ? {
          turn: {
            urls: e.TURN_URLS,
            ...(e.TURN_SECRET ? { secret: e.TURN_SECRET } : {}),
            credentialTtlSeconds: e.TURN_CREDENTIAL_TTL_SECONDS,
            forceRelay: e.TURN_FORCE_RELAY,
          },
        }
      : {}),
    embedOrigins: e.EMBED_ORIGINS,
    ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    registrationsPerIpPerHour: e.REGISTRATIONS_PER_IP_PER_HOUR,
    ...(e.NODE_ID ? { nodeId: e.NODE_ID } : {}),
    nodeLeaseSeconds: e.NODE_LEASE_SECONDS,
    privacyPolicy: {
      version: e.PRIVACY_POLICY_VERSION,
      text: {
        ru: policyText('PRIVACY_POLICY_FILE_RU', e.PRIVACY_POLICY_FILE_RU) ?? DEFAULT_PRIVACY_POLICY.text.ru,
        en: policyText('PRIVACY_POLICY_FILE_EN', e.PRIVACY_POLICY_FILE_EN) ?? DEFAULT_PRIVACY_POLICY.text.en,
      },
    },
    ...(e.OIDC_ISSUER && e.OIDC_CLIENT_ID && e.OIDC_CLIENT_SECRET
      ? { oidc: { issuer: e.OIDC_ISSUER, clientId: e.OIDC_CLIENT_ID, clientSecret: e.OIDC_CLIENT_SECRET } }
      : {}),
  };
}

function policyText(variable: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${variable}: cannot read ${file} (${(err as Error).message})`);
  }
  if (text === '') throw new ConfigError(`Invalid configuration:\n  ${variable}: ${file} is empty`);
  return text;
}

// Outside production a secret is generated on first start and kept under the
// data directory, so tokens survive restarts without a secret in the code.
function developmentJwtSecret(nodeEnv: string, dataDir: string): string {
  if (nodeEnv === 'production') {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: required in production (at least 32 characters)');
  }
  const file = path.join(dataDir, 'jwt-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'w' });
  return secret;
}
