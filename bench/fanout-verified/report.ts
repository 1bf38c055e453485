// The verified fan-out benchmark's table, rendered from bench/results/fanout-verified.json.
//   node --import tsx bench/fanout-verified/report.ts            prints it
//   node --import tsx bench/fanout-verified/report.ts --readme   puts it into README.md between
//                                                                its fanout-verified markers
import { isMain, reportFromResults } from '../lib/readme-block';
import type { PoolSummary } from './judge';

interface Step {
  viewers: number;
  joinFailures: number;
  cpu: { worker: number; lectern: number; database: number; node: number; audience: number; source: number };
  coreBusy: number[];
  loadAverage: number;
  workerWaitFraction: number | null;
  udpReceiveBufferDrops?: number | null;
  udpDropsBy?: Record<string, number>;
  keyFrameRequestsPerSecond: number[];
  pool: PoolSummary | null;
  join?: { p50: number; p95: number; max: number };
  verdict: string;
}

export interface ReportInput {
  date: string;
  machine: { nproc: number; cpuModel: string; memoryGiB: number; node: string };
  mediasoup: string;
  database: string;
  pinned: string;
  backgroundBusy: number[];
  loadBefore: number[];
  loadAfter: number[];
  negotiated: { videoFeedback: string[]; videoHeaderExtensions: string[]; answerFeedback: string[]; rtx: boolean } | null;
  baseline: Step | null;
  steps: Step[];
  stoppedBecause: string;
  capacity: {
    lastHealthyViewers: number;
    viewersPerWorkerCore: number;
    viewersPerNodeCore: number;
    workerCores: number;
    nodeCores: number;
    kind: string;
    /** False when viewers at that step were below their layer (lighterThanAsked); absent in older results. */
    judged?: boolean;
    notJudgedBecause?: string;
  } | null;
  settings: { windowSeconds: number; settleSeconds: number; target: { viewersPerWorkerCore: number; livekitPerCore: number } };
}

const r = (n: number, d = 0) => Math.round(n * 10 ** d) / 10 ** d;
const pct = (n: number | undefined, d = 1) => (n === undefined || Number.isNaN(n) ? '–' : `${r(100 * n, d)} %`);

/**
 * The last healthy step's viewers when some were below the layer they asked for: they carry a
 * lighter load than the audience's mix, and a capacity figure from that step would flatter the
 * SFU, so the target is not judged on it. Undefined when every viewer had its layer.
 */
export function lighterThanAsked(x: Pick<ReportInput, 'capacity' | 'steps'>): PoolSummary | undefined {
  const c = x.capacity;
  const atCapacity = c ? x.steps.find((s) => s.viewers === c.lastHealthyViewers)?.pool : undefined;
  return atCapacity && atCapacity.belowAskedLayer > 0 ? atCapacity : undefined;
}

export function renderMarkdown(x: ReportInput): string {
  const m = x.machine;
  const rows = [
    '| viewers | worker CPU | node CPU (worker + Node + DB) | load (signaller + Go) | worker waited for its core | UDP drops, full buffers (machine; worker / viewers / source) | cores busy | load avg | frames: worst / p5 viewer | video loss: worst / p95 | audio loss worst | below asked layer | NACK-recovered pkts | PLIs/s from viewers: media (+ probator) | key-frame requests/s to source (low/mid/top) | join → first frame p50 / p95 | state |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |',
  ];
  for (const s of [...(x.baseline ? [x.baseline] : []), ...x.steps]) {
    const p = s.pool;
    rows.push(
      `| ${s.viewers} | ${pct(s.cpu.worker)} | ${pct(s.cpu.node)} | ${pct(s.cpu.audience)} | ${s.workerWaitFraction === null ? '–' : pct(s.workerWaitFraction)} | ${s.udpReceiveBufferDrops ?? '–'}${s.udpDropsBy ? ` (${s.udpDropsBy.worker ?? 0} / ${s.udpDropsBy.viewers ?? 0} / ${s.udpDropsBy.source ?? 0})` : ''} | ${s.coreBusy.map((b) => pct(b, 0)).join(' / ')} | ${s.loadAverage} | ` +
        `${p ? `${pct(p.worstFrameRatio)} / ${pct(p.p5FrameRatio)}` : '–'} | ${p ? `${r(p.worstVideoLossPct, 2)} % / ${r(p.p95VideoLossPct, 2)} %` : '–'} | ${p ? `${r(p.worstAudioLossPct, 2)} %` : '–'} | ` +
        `${p ? p.belowAskedLayer : '–'} | ${p ? p.recoveredPackets : '–'} | ${p ? `${r(p.plisPerSecond, 1)}${p.probatorPlisPerSecond === undefined ? '' : ` (+${r(p.probatorPlisPerSecond)})`}` : '–'} | ${s.keyFrameRequestsPerSecond.join(' / ')} | ` +
        `${s.join ? `${s.join.p50} / ${s.join.p95} ms` : '–'} | ${s.viewers === 0 ? 'ingest only' : s.verdict} |`,
    );
  }
  const c = x.capacity;
  const n = x.negotiated;
  const lighter = lighterThanAsked(x);
  const verdict = (met: boolean, extrapolated: boolean) =>
    lighter
      ? `not judged: ${lighter.belowAskedLayer} of ${lighter.viewers} viewers received a lower layer than they asked for (${r(lighter.meanMbps, 2)} Mb/s a viewer on average), a lighter load than the audience's mix`
      : `${met ? 'met' : 'not met'}${extrapolated ? ' (extrapolated, not measured)' : ''}`;
  return [
    `Run ${x.date.slice(0, 16).replace('T', ' ')} UTC on ${m.nproc} cores (${m.cpuModel}, ${m.memoryGiB} GiB), Node ${m.node}, mediasoup ${x.mediasoup}, database: ${x.database}. ${x.pinned}.`,
    `Shared machine: before the run the cores were ${x.backgroundBusy.map((b) => pct(b, 0)).join(' / ')} busy with other work, load average ${x.loadBefore.join(' ')} (1/5/15 min); after it ${x.loadAfter.join(' ')}.`,
    n
      ? `Negotiated per viewer (the SFU's consumer): feedback ${n.videoFeedback.join(', ')}; header extensions ${n.videoHeaderExtensions.map((u) => u.split(/[/:]/).at(-1)).join(', ')}; RTX ${n.rtx ? 'yes' : 'no'}; the pion viewer's answer: ${n.answerFeedback.join(', ')}.`
      : 'No viewer joined: nothing was negotiated.',
    `Windows of ${x.settings.windowSeconds} s after ${x.settings.settleSeconds} s of settling. Healthy = every viewer ≥ 95 % of the source's frames (decodable H.264 frames reassembled from packets) and ≤ 1 % loss after NACK.`,
    '',
    ...rows,
    '',
    `Ramp stopped: ${x.stoppedBecause}.`,
    c
      ? `Last healthy step: ${c.lastHealthyViewers} viewers with the worker at ${pct(c.workerCores)} of a core and the node at ${pct(c.nodeCores)}: **${c.viewersPerWorkerCore} viewers per worker core**, **${c.viewersPerNodeCore} per core of the whole node** (${c.kind}); target ≥ ${x.settings.target.viewersPerWorkerCore} per worker core: ${verdict(c.viewersPerWorkerCore >= x.settings.target.viewersPerWorkerCore, c.kind.startsWith('extrapolated'))}.`
      : 'No healthy step: no capacity figure.',
  ].join('\n');
}

// `node --import tsx bench/fanout-verified/report.ts [--readme]`: the last run's table, printed or put into README.md.
if (isMain(import.meta.url)) reportFromResults<ReportInput>('fanout-verified', 'bench/fanout-verified/report.ts', renderMarkdown);
