// Benchmark: search over 10,000 documents (issue 16: ≤ 50 ms p95), through the real HTTP
// route, anonymous and signed in, beside two baselines measured in the same run on the same
// documents and queries: the index's own search call without HTTP, and a naive substring
// scan (no stemming: it also finds fewer, which the table shows).
//
// Layout: this process runs Lectern in-process (NODE_ENV=production, embedded FerretDB
// 1.24.2 on SQLite under a temp DATA_DIR, one mediasoup worker) and sends the queries one
// at a time (latency, not throughput). The documents are written straight into the store,
// then Lectern is started again on them, so its index is built the way a boot builds it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Actor } from '../server/accounts/grants';
import { createLogger } from '../server/logger';
import { start, type Lectern } from '../server/main';
import { normalize, tokenize } from '../server/search/terms';
import { SearchService } from '../server/search/service';
import { articleSource, courseSource, seminarSource } from '../server/search/sources';
import { intEnv } from './lib/env';
import { benchConfig, seedLecturer } from './lib/lectern';
import { machine, machineBusyPercent } from './lib/machine';
import { query, random, text, title, topic, TRACKS } from './search/corpus';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(here, 'results');

const settings = {
  articles: intEnv('BENCH_SEARCH_ARTICLES', 5000),
  seminars: intEnv('BENCH_SEARCH_SEMINARS', 3000),
  courses: intEnv('BENCH_SEARCH_COURSES', 400),
  lessonsPerCourse: intEnv('BENCH_SEARCH_LESSONS', 4),
  queries: intEnv('BENCH_SEARCH_QUERIES', 1000),
  warmup: intEnv('BENCH_SEARCH_WARMUP', 100),
  target: { maxP95Ms: 50 },
};

interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Mean number of matches a query had (what the caller may see). */
  meanMatches: number;
}

function percentiles(ms: number[], matches: number[]): Latency {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 100) / 100;
  return {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: at(1),
    meanMatches: Math.round(matches.reduce((a, b) => a + b, 0) / matches.length),
  };
}

async function measure(queries: string[], one: (q: string) => Promise<number> | number): Promise<Latency> {
  for (let i = 0; i < settings.warmup; i++) await one(queries[i % queries.length]!);
  const ms: number[] = [];
  const matches: number[] = [];
  for (let i = 0; i < settings.queries; i++) {
    const t0 = performance.now();
    matches.push(await one(queries[i % queries.length]!));
    ms.push(performance.now() - t0);
  }
  return percentiles(ms, matches);
}

/** Writes the corpus straight into the store (as other nodes' writes would arrive). */
async function seed(app: Lectern, lecturerId: string): Promise<void> {
  const r = random(16);
  const inParallel = async (n: number, make: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i += 16) await Promise.all(Array.from({ length: Math.min(16, n - i) }, (_, k) => make(i + k)));
  };
  await inParallel(settings.articles, (i) => {
    const t = topic(r);
    return app.repos.articles.create({
      title: title(r, t),
      summary: text(r, t, 20),
      body: text(r, t, 120 + Math.floor(r() * 200)),
      track: TRACKS[i % TRACKS.length]!,
      tags: [],
      status: i % 10 === 0 ? 'draft' : 'published',
      seminarIds: [],
      courseIds: [],
      authorId: lecturerId,
    });
  });
  await inParallel(settings.seminars, async (i) => {
    const t = topic(r);
    const s = await app.repos.seminars.create({
      title: title(r, t),
      description: text(r, t, 60 + Math.floor(r() * 80)),
      track: TRACKS[i % TRACKS.length]!,
      language: 'ru',
      startsAt: new Date(Date.UTC(2031, 0, 1) + i * 3_600_000),
      timeZone: 'Europe/Moscow',
      durationMinutes: 90,
      capacity: 50,
      isPublic: true,
      lecturerIds: [lecturerId],
      courseId: null,
    });
    if (i % 20 !== 0) await app.repos.seminars.transition(s.id, ['draft'], 'scheduled', new Date());
  });
  await inParallel(settings.courses, async (i) => {
    const t = topic(r);
    const c = await app.repos.courses.create({
      title: title(r, t),
      description: text(r, t, 40),
      track: TRACKS[i % TRACKS.length]!,
      completionThreshold: 0.9,
      ownerIds: [lecturerId],
    });
    const lessons = Array.from({ length: settings.lessonsPerCourse }, (_, k) => ({
      id: `b${i}-${k}`,
      kind: 'text' as const,
      title: title(r, t),
      seminarId: null,
      playlistPath: null,
      body: text(r, t, 150),
      durationSeconds: 300,
    }));
    await app.repos.courses.update(c.id, { modules: [{ id: `m${i}`, title: title(r, t), lessons }], published: i % 10 !== 0 });
  });
}

function heapUsed(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function run(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const root = await mkdtemp(path.join(tmpdir(), 'lectern-bench-search-'));
  const before = { busyPercent: await machineBusyPercent(), loadAverage: Math.round(loadavg()[0]! * 100) / 100 };
  const config = benchConfig(path.join(root, 'data'), { SEARCH_PER_MINUTE: '1000000' });
  const logger = createLogger('silent');
  let app: Lectern | undefined;
  try {
    app = await start(config, logger);
    const lecturer = await seedLecturer(app);
    const seedStart = performance.now();
    await seed(app, lecturer.id);
    const seedSeconds = Math.round((performance.now() - seedStart) / 100) / 10;
    await app.stop();

    // A boot on 10,000 documents: the index is rebuilt from the store.
    const bootStart = performance.now();
    app = await start(config, logger);
    await app.domain.search.settled();
    const bootMs = Math.round(performance.now() - bootStart);
    const documents = app.domain.search.size;

    // The same rebuild alone, on a service of its own: its time, and the heap it holds.
    const heapBefore = heapUsed(gc);
    const buildStart = performance.now();
    const standalone = new SearchService({ logger, catchUpMs: 3_600_000 });
    standalone.register(seminarSource(app.repos.seminars));
    standalone.register(courseSource(app.repos.courses));
    standalone.register(articleSource(app.repos.articles));
    standalone.start();
    await standalone.settled();
    const buildMs = Math.round(performance.now() - buildStart);
    const heapMiB = Math.round(((heapUsed(gc) - heapBefore) / 2 ** 20) * 10) / 10;
    standalone.close();

    const r = random(61);
    const queries = Array.from({ length: 300 }, () => query(r));
    const base = `${app.url}/api/v1/search?limit=20&q=`;
    const viaHttp = (token: string | null) => async (q: string) => {
      const res = await fetch(base + encodeURIComponent(q), token ? { headers: { authorization: `Bearer ${token}` } } : {}).catch(
        (err: Error) => {
          throw new Error(`search ${q}: ${err.cause instanceof Error ? err.cause.message : err.message}`);
        },
      );
      if (res.status !== 200) throw new Error(`search ${q}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { total: number }).total;
    };
    const anonymous: Actor = { kind: 'anonymous' };
    const lecturerActor = app.domain.tokens.verifyAccess(lecturer.token);

    // The naive baseline: every document's words, lower case with ё as е, scanned for each query word as a substring.
    const texts: string[] = [];
    for (const source of [seminarSource(app.repos.seminars), courseSource(app.repos.courses), articleSource(app.repos.articles)])
      for await (const page of source.loadAll())
        for (const { docs } of page) for (const d of docs) if (d.audience === 'everyone') texts.push(normalize(`${d.title} ${d.text}`));

    const results = {
      httpAnonymous: await measure(queries, viaHttp(null)),
      httpSignedIn: await measure(queries, viaHttp(lecturer.token)),
      indexAnonymous: await measure(queries, async (q) => (await standalone.search(anonymous, { q, limit: 20 })).total),
      indexSignedIn: await measure(queries, async (q) => (await standalone.search(lecturerActor, { q, limit: 20 })).total),
      naiveScan: await measure(queries, (q) => {
        const words = tokenize(normalize(q));
        return texts.filter((t) => words.every((w) => t.includes(w))).length;
      }),
    };
    const met = results.httpAnonymous.p95 <= settings.target.maxP95Ms && results.httpSignedIn.p95 <= settings.target.maxP95Ms;
    const m = machine();
    const row = (name: string, l: Latency) => `| ${name} | ${l.p50} | ${l.p95} | ${l.p99} | ${l.max} | ${l.meanMatches} |`;
    const table = [
      `| search of 1–3 Russian words, ${documents} documents | p50 ms | p95 ms | p99 ms | max ms | mean matches |`,
      `|---|---:|---:|---:|---:|---:|`,
      row('GET /api/v1/search, anonymous', results.httpAnonymous),
      row('GET /api/v1/search, signed-in lecturer (drafts too)', results.httpSignedIn),
      row('baseline: the index’s search call, no HTTP, anonymous', results.indexAnonymous),
      row('baseline: the index’s search call, no HTTP, lecturer', results.indexSignedIn),
      row('baseline: naive substring scan, no stemming (public documents)', results.naiveScan),
      '',
      `- Target: p95 ≤ ${settings.target.maxP95Ms} ms through HTTP: ${met ? 'met' : 'missed'}`,
      `- Documents: ${settings.articles} articles (10 % drafts), ${settings.seminars} seminars (5 % drafts), ${settings.courses} courses ` +
        `(10 % unpublished) with ${settings.lessonsPerCourse} text lessons each; each about 3 of 30 subject nouns and one of 8 adjectives ` +
        `(in their inflected forms), with filler and 4,000 rare made-up words; queries pick forms at random (${settings.queries} measured after ${settings.warmup} warm-up, one at a time)`,
      `- Index: built in ${buildMs} ms from the store (rebuild alone); a boot on these documents was ready to search in ${bootMs} ms ` +
        `(FerretDB start included); the index holds about ${heapMiB} MiB of heap (after GC, difference)`,
      `- Seeding the ${documents} documents into the store took ${seedSeconds} s (not part of the measurement)`,
      `- Machine: ${m.nproc} cores (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; other work just before: cores ${before.busyPercent ?? '?'} % busy, load average ${before.loadAverage}`,
      `- Database: FerretDB 1.24.2 embedded on SQLite (Lectern's default), NODE_ENV=production; search itself never reads the database`,
      `- Date: ${new Date().toISOString()}`,
    ].join('\n');
    process.stdout.write(`\n${table}\n`);
    await mkdir(resultsDir, { recursive: true });
    await writeFile(
      path.join(resultsDir, 'search.json'),
      JSON.stringify({ settings, machine: m, before, documents, buildMs, bootMs, heapMiB, seedSeconds, results, met, table }, null, 2),
    );
    await writeFile(path.join(resultsDir, 'search.md'), `${table}\n`);
    if (!met) process.exitCode = 1;
  } finally {
    await app?.stop();
    await rm(root, { recursive: true, force: true });
  }
}
