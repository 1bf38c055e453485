import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readAllocatorRuns, renderAllocators } from '../../bench/soak/allocators';
import { renderNodeAllocators } from '../../bench/soak/node-allocators';
import type { Sample } from '../../bench/soak/probes';
import { allocationLine, collectionsLine, judge, secondRoundLine, summariseSessions } from '../../bench/soak/report';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A sample with every figure at `v`, and the transports count at `transports`. */
function at(t: number, phase: Sample['phase'], v: number, transports: number): Sample {
  return {
    t,
    phase,
    joinedNow: 0,
    loadAverage: 0,
    node: { rssMiB: v, heapUsedMiB: v, heapRetainedMiB: v, externalMiB: 0, fds: 100 },
    worker: { rssMiB: 20, fds: 24 },
    databaseRssMiB: 30,
    mediasoup: {
      workers: 1,
      webRtcServers: 1,
      routers: 1,
      transports,
      producers: 2,
      consumers: 2,
      dataProducers: 0,
      dataConsumers: 0,
      rtpObservers: 0,
    },
    workerHolds: {
      routers: 1,
      routersUnknownHere: 0,
      transports,
      producers: 2,
      consumers: 2,
      requestHandlers: 10,
      notificationHandlers: 0,
    },
    app: { rooms: 1, routers: 1, peers: 1, transports, producers: 0, consumers: 0 },
    cpuSeconds: { node: 0, worker: 0, database: 0 },
    recorder: { state: 'recording', restarts: 0 },
  };
}

const windows = { baseline: [30, 90] as [number, number], last: [540, 600] as [number, number] };

describe('the soak verdict', () => {
  it('compares window medians, so one outlier sample neither hides nor fakes growth', () => {
    const samples = [
      at(0, 'pre-join', 100, 4),
      ...[30, 40, 50, 60, 70, 80, 90].map((t) => at(t, 'churn', t === 50 ? 500 : 100, 50)),
      ...[540, 550, 560, 570, 580, 590, 600].map((t) => at(t, 'churn', t === 560 ? 100 : 125, 50)),
      at(640, 'after-leave', 105, 4),
    ];
    const rss = judge(samples, windows).find((f) => f.name === 'Node RSS')!;
    expect(rss.baseline).toBe(100);
    expect(rss.last).toBe(125);
    expect(rss.growthPct).toBe(25);
    expect(rss.grewUnder10Pct).toBe(false);
    // Memory comes back within 10 % of the pre-join figure…
    expect(rss.returned).toBe(true);
    const transports = judge(samples, windows).find((f) => f.name === 'transports (mediasoup objects in Node)')!;
    expect(transports.growthPct).toBe(0);
    expect(transports.returned).toBe(true);
  });

  it('wants object counts back exactly after everyone left', () => {
    const samples = [at(0, 'pre-join', 100, 4), at(60, 'churn', 100, 50), at(600, 'churn', 100, 50), at(640, 'after-leave', 100, 5)];
    const f = judge(samples, windows).find((x) => x.name === 'transports held by the worker')!;
    expect(f.afterLeave).toBe(5);
    expect(f.returned).toBe(false);
  });

  it('judges on the first round only: the second round comes after the judged figures', () => {
    const first = [at(0, 'pre-join', 100, 4), at(60, 'churn', 100, 50), at(600, 'churn', 100, 50), at(640, 'after-leave', 100, 4)];
    const second = [at(700, 'second-round', 300, 50), at(800, 'second-leave', 300, 50)];
    expect(judge([...first, ...second], windows)).toEqual(judge(first, windows));
  });

  it("puts each round's growth per 1,000 joins: memory paid once leaves the second round near zero", () => {
    const withHeap = (s: Sample, heap: number, anon: number): Sample => ({
      ...s,
      node: { ...s.node, heapRetainedMiB: heap },
      worker: { ...s.worker, anonMiB: anon },
    });
    const samples = [
      withHeap(at(0, 'pre-join', 100, 4), 80, 10),
      withHeap(at(640, 'after-leave', 100, 4), 90, 18),
      withHeap(at(1000, 'second-leave', 100, 4), 90.5, 12.5),
    ];
    const trim = (before: number, after: number) => ({
      before: { rssMiB: null, anonMiB: before },
      after: { rssMiB: null, anonMiB: after },
    });
    const sessions = summariseSessions([]);
    const [line] = secondRoundLine({
      audience: { joins: 2000 },
      samples,
      workerTrim: trim(18, 12),
      secondRound: { seconds: 300, joins: 500, joinFailures: 0, sessions, workerTrim: trim(17, 12.5) },
    });
    // Heap: 10 MiB over 2,000 joins (5 per 1,000), then 0.5 over 500 (1 per 1,000); worker: 2 over 2,000, then 0.5 over 500.
    expect(line).toContain('Node heap retained 5 MiB → 1 MiB');
    expect(line).toContain('worker anonymous after malloc_trim 1 MiB → 1 MiB (12 MiB after the first, 12.5 MiB after the second)');
    expect(line).toContain('transports 4 (before anyone joined 4)');
    expect(secondRoundLine({ audience: { joins: 1 }, samples, workerTrim: null, secondRound: null })).toEqual([]);
  });

  it('reads a worker on mimalloc as it is after each drain, since nothing trims it', () => {
    const withAnon = (s: Sample, anon: number): Sample => ({ ...s, worker: { ...s.worker, anonMiB: anon } });
    const samples = [
      withAnon(at(0, 'pre-join', 100, 4), 10),
      withAnon(at(640, 'after-leave', 100, 4), 11),
      withAnon(at(1000, 'second-leave', 100, 4), 11.5),
    ];
    const [line] = secondRoundLine({
      audience: { joins: 1000 },
      samples,
      workerAllocator: 'mimalloc',
      workerTrim: null,
      secondRound: { seconds: 300, joins: 500, joinFailures: 0, sessions: summariseSessions([]), workerTrim: null },
    });
    expect(line).toContain('worker anonymous after everyone left 1 MiB → 1 MiB (11 MiB after the first, 11.5 MiB after the second)');
    expect(line).not.toContain('malloc_trim');
  });

  it("splits Node's RSS into V8's heap, the anonymous memory outside it, and code paged in, without judging them", () => {
    const split = (s: Sample, anon: number, v8: number, file: number): Sample => ({
      ...s,
      node: { ...s.node, anonMiB: anon, v8MiB: v8, fileMiB: file },
    });
    const samples = [
      split(at(0, 'pre-join', 100, 4), 200, 120, 60),
      split(at(60, 'churn', 100, 50), 240, 130, 64),
      split(at(640, 'after-leave', 100, 4), 250, 125, 66),
    ];
    const figures = judge(samples, windows);
    const outside = figures.find((f) => f.name.startsWith("Node RSS: anonymous outside V8's heap"))!;
    expect([outside.preJoin, outside.afterLeave, outside.afterLeaveVsPreJoinPct]).toEqual([80, 125, 56.3]);
    expect(outside.judged).toBe(false);
    expect(figures.find((f) => f.name.startsWith("Node RSS: V8's heap"))!.afterLeave).toBe(125);
    expect(figures.find((f) => f.name.startsWith('Node RSS: file-backed'))!.afterLeave).toBe(66);
    // Older results have no split: the rows read nothing rather than zero.
    expect(judge([at(0, 'pre-join', 100, 4)], windows).find((f) => f.name.startsWith("Node RSS: V8's heap"))!.preJoin).toBeNull();
  });

  it('counts sessions without a frame and judges frame ratios only on sessions long enough', () => {
    const s = summariseSessions([
      { viewer: 0, layer: 2, firstFrameMs: 400, watchedSeconds: 27, framesDecodable: 800, frameRatio: 0.99, videoLossPct: 0 },
      { viewer: 0, layer: 2, firstFrameMs: 500, watchedSeconds: 2, framesDecodable: 10, frameRatio: 0.2, videoLossPct: 0 },
      { viewer: 1, layer: 1, firstFrameMs: 900, watchedSeconds: 20, framesDecodable: 0, frameRatio: 0, videoLossPct: 5 },
    ]);
    expect(s.sessions).toBe(3);
    expect(s.withoutFrames).toBe(1);
    expect(s.frameRatio.worst).toBe(0);
    expect(s.viewersChecked).toBe(2);
    expect(s.viewersAlwaysGotFrames).toBe(1);
  });
});

describe('the worker allocators table', () => {
  it("renders the kept runs in order, trimming only glibc's, and the README holds that table", async () => {
    const runs = readAllocatorRuns(path.join(repo, 'bench', 'results'));
    expect(runs.map((r) => r.allocatorRun.name)).toEqual(['glibc', 'glibc-perturb', 'jemalloc', 'jemalloc-decay', 'mimalloc']);
    const table = renderAllocators(runs);
    const mimalloc = table.split('\n').find((l) => l.startsWith('| mimalloc'))!;
    expect(mimalloc).toContain('21.3 MiB → 23.1 MiB (+8.5 %)');
    expect(mimalloc).toContain('not glibc’s: no trim');
    expect(table.split('\n').find((l) => l.startsWith('| glibc malloc 2.36'))).toContain('| 11.7 MiB | 11.8 MiB |');
    expect(await readFile(path.join(repo, 'README.md'), 'utf8')).toContain(table);
  });
});

describe("the table of Node's allocators", () => {
  it("renders both kept runs, the glibc run's trim read back, and the README holds that table", async () => {
    const runs = readAllocatorRuns(path.join(repo, 'bench', 'results'), 'soak-node-allocators');
    expect(runs.map((r) => [r.allocatorRun.name, r.nodeAllocator])).toEqual([
      ['glibc', 'system'],
      ['mimalloc', 'mimalloc'],
    ]);
    const table = renderNodeAllocators(runs);
    const [glibc, mimalloc] = ['| glibc', '| mimalloc'].map((start) => table.split('\n').find((l) => l.startsWith(start))!);
    expect(glibc).toContain('282.2 MiB → 301.8 MiB (+6.9 %)');
    expect(glibc).toContain('302.6 MiB → 262.2 MiB; glibc then counted 33.84 MiB in use');
    expect(mimalloc).toContain('228.2 MiB → 223.6 MiB (-2 %)');
    expect(mimalloc).toContain('not glibc’s: no trim');
    expect(await readFile(path.join(repo, 'README.md'), 'utf8')).toContain(table);
  });
});

describe("the line of V8's own collections", () => {
  it("rates V8's own collections per phase over each sample's interval, and leaves out a first sample that counted no interval", () => {
    const withGc = (t: number, phase: Sample['phase'], minor: number, pauseMs: number, seconds?: number): Sample => {
      const s = at(t, phase, 100, 4);
      s.node.gc = { minor, major: 0, pauseMs, ...(seconds === undefined ? {} : { seconds }) };
      return s;
    };
    // Counted with intervals: every sample counts, over its own interval.
    const counted = collectionsLine({
      samples: [
        withGc(60, 'pre-join', 6, 10, 10),
        withGc(70, 'pre-join', 4, 10, 10),
        withGc(10, 'churn', 2, 30, 10),
        withGc(20, 'churn', 3, 30, 10),
      ],
    });
    expect(counted[0]).toContain('before anyone joined 30 scavenges and 0 full collections a minute, pausing 0.1 % of the time');
    expect(counted[0]).toContain('in the churn 15 scavenges and 0 full collections a minute, pausing 0.3 % of the time');
    expect(counted[0]).toContain('after everyone left –');
    // The first runs kept no interval: a phase's first sample counted what came before it.
    const older = collectionsLine({
      samples: [withGc(60, 'pre-join', 40, 300), withGc(70, 'pre-join', 5, 10), withGc(10, 'churn', 50, 500), withGc(20, 'churn', 2, 20)],
    });
    expect(older[0]).toContain('before anyone joined 30 scavenges');
    expect(older[0]).toContain('in the churn 12 scavenges');
  });
});

describe("the line of a profiled run's allocation", () => {
  it('gives each profiled phase its rate and largest sites, and nothing for a run that was not profiled', () => {
    const sites = [
      { site: 'subarray :0', mib: 4.5 },
      { site: 'write media/playlist.ts:1', mib: 1.7 },
      { site: 'keys :0', mib: 0.7 },
      { site: 'join :0', mib: 0.4 },
    ];
    const line = allocationLine({
      allocationProfiles: { 'pre-join': { seconds: 20, totalMiB: 11.34, sites }, 'after-leave': { seconds: 20, totalMiB: 3, sites: [] } },
    });
    expect(line).toHaveLength(1);
    expect(line[0]).toContain('pre-join 0.57 MiB/s (11.34 MiB in 20 s; subarray :0 4.5, write media/playlist.ts:1 1.7, keys :0 0.7)');
    expect(line[0]).toContain('after-leave 0.15 MiB/s (3 MiB in 20 s)');
    expect(allocationLine({})).toEqual([]);
  });
});
