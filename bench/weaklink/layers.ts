// What each simulcast layer of the studio's camera carries, seen from both ends: Chromium's
// getStats per outbound-rtp (payload, headers and padding, packets, the encoder's target) and
// mediasoup's producer getStats per rid (what arrived as media, what came as RTX and was
// dropped). Run: `npm run bench -- weaklink-layers` (BENCH_LAYERS_SECONDS, default 10). It is
// how the 180p layer's "~4x its target" was explained (README, "Adaptation on a weak link").
// Then the viewer's estimate and layer with no limit, and with BENCH_LAYERS_LIMIT (kbit/s) set,
// under that limit from whatever layer it is on: whether its picture keeps moving.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import * as mediasoup from 'mediasoup';
import type { Producer } from 'mediasoup/types';
import { createLogger } from '../../server/logger';
import { start } from '../../server/main';
import { ADMIN_EMAIL } from '../../test/support/api';
import { camera as viewerCamera, hook, sleep, startNetworkScene, traceBwe } from '../../test/support/network-scene';
import { noLayerMs } from './round';
import { intEnv } from '../lib/env';
import { benchConfig } from '../lib/lectern';

type Layer = {
  rid: string | null;
  frameHeight: number;
  frames: number;
  bytes: number;
  retransmittedBytes: number;
  headerBytes: number;
  packets: number;
  targetBitrate: number;
  keyFrames: number;
  pli: number;
  fir: number;
  nack: number;
  framesPerSecond: number;
  qualityLimitationReason: string | null;
  encoderImplementation: string | null;
  scalabilityMode: string | null;
};

type ProducerStat = {
  rid?: string;
  ssrc: number;
  rtxSsrc?: number;
  byteCount: number;
  packetCount: number;
  bitrate: number;
  bitrateByLayer?: Record<string, number>;
  packetsRetransmitted?: number;
  packetsRepaired?: number;
  nackCount?: number;
  pliCount?: number;
  firCount?: number;
};

/** RTX packets that repaired no loss (none was NACKed): Chromium's padding, which mediasoup drops. */
const unasked = (s: ProducerStat) => (s.packetsRetransmitted ?? 0) - (s.packetsRepaired ?? 0);

function log(msg: string): void {
  process.stderr.write(`[bench weaklink-layers] ${msg}\n`);
}

export async function run(): Promise<void> {
  const seconds = intEnv('BENCH_LAYERS_SECONDS', 10);
  const producers: Producer[] = [];
  // Every producer the app makes, from outside it (the app keeps its maps private).
  mediasoup.observer.on('newworker', (w) =>
    w.observer.on('newrouter', (r) => r.observer.on('newtransport', (t) => t.observer.on('newproducer', (p) => void producers.push(p)))),
  );
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lectern-bench-layers-'));
  const scene = await startNetworkScene(
    (env) => start(benchConfig(dataDir, { ADMIN_EMAILS: ADMIN_EMAIL, ...env }), createLogger('silent')),
    { waitFor: 'frames' },
  ).catch(async (err: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  try {
    log(`studio codec ${await hook<string | null>(scene.studio, 'codec')}; load average ${loadavg()[0]!.toFixed(1)}`);
    const camera = producers.find((p) => p.kind === 'video' && (p.appData as { source?: string }).source === 'camera')!;
    const read = async () => ({
      t: Date.now(),
      chromium: (await hook<Array<{ source: string; layers?: Layer[] }>>(scene.studio, 'stats')).find((s) => s.source === 'camera')!
        .layers!,
      sfu: (await camera.getStats()) as unknown as ProducerStat[],
    });
    await sleep(3000);
    const a = await read();
    await sleep(seconds * 1000);
    const b = await read();
    const ms = b.t - a.t;
    const rate = (x: number, y: number) => Math.round(((y - x) * 8) / ms);
    const lines = [
      `| rid | size | fps | encoder | mode | target kbit/s | payload kbit/s | resent kbit/s | headers+padding kbit/s | packets/s | bytes/packet | key frames | PLI | FIR | NACK | limited by |`,
      `|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|`,
    ];
    for (const l of b.chromium) {
      const p = a.chromium.find((x) => x.rid === l.rid)!;
      const packets = l.packets - p.packets;
      lines.push(
        `| ${l.rid} | ${l.frameHeight}p | ${l.framesPerSecond} | ${l.encoderImplementation} | ${l.scalabilityMode} | ${Math.round(l.targetBitrate / 1000)} | ` +
          `${rate(p.bytes, l.bytes)} | ${rate(p.retransmittedBytes, l.retransmittedBytes)} | ${rate(p.headerBytes, l.headerBytes)} | ` +
          `${Math.round((packets * 1000) / ms)} | ${Math.round((l.bytes - p.bytes) / Math.max(packets, 1))} | ${l.keyFrames - p.keyFrames} | ` +
          `${l.pli - p.pli} | ${l.fir - p.fir} | ${l.nack - p.nack} | ${l.qualityLimitationReason} |`,
      );
    }
    lines.push(
      '',
      `| rid (mediasoup) | media kbit/s (byteCount) | bitrate now | bitrateByLayer | RTX packets/s nobody asked for | packets/s | PLI | FIR | NACK |`,
    );
    lines.push(`|---|---:|---:|---|---:|---:|---:|---:|---:|`);
    for (const s of b.sfu) {
      const p = a.sfu.find((x) => x.ssrc === s.ssrc)!;
      lines.push(
        `| ${s.rid} | ${rate(p.byteCount, s.byteCount)} | ${Math.round(s.bitrate / 1000)} | ${JSON.stringify(s.bitrateByLayer ?? {})} | ` +
          `${Math.round(((unasked(s) - unasked(p)) * 1000) / ms)} | ` +
          `${Math.round(((s.packetCount - p.packetCount) * 1000) / ms)} | ${(s.pliCount ?? 0) - (p.pliCount ?? 0)} | ${(s.firCount ?? 0) - (p.firCount ?? 0)} | ${(s.nackCount ?? 0) - (p.nackCount ?? 0)} |`,
      );
    }
    lines.push('', `Over ${(ms / 1000).toFixed(1)} s; load average ${loadavg()[0]!.toFixed(1)}.`);
    // The viewer's side, no limit: mediasoup's estimate for its receive transport and the layer it gets.
    const trace = await traceBwe(scene.app, scene.seminarId);
    const heights: number[] = [];
    for (let i = 0; i < seconds; i++) {
      await sleep(1000);
      heights.push((await viewerCamera(scene.viewer))?.frameHeight ?? 0);
    }
    trace.stop();
    const est = trace.events.map((e) => Math.round(e.available / 1000));
    lines.push(
      '',
      `Viewer, unlimited link, ${seconds} s: estimate (${trace.events[0]?.type ?? 'no'} feedback) kbit/s ${est.join(' ')}; ` +
        `desired ${trace.events.map((e) => Math.round(e.desired / 1000)).join(' ')}; decoded heights ${heights.join(' ')}; ` +
        `layer changes ${trace.layers.map((l) => l.spatial).join(' ')}; load average ${loadavg()[0]!.toFixed(1)}.`,
    );
    // Then a weak link, whatever layer the viewer is on: does its picture keep moving?
    const limitKbit = intEnv('BENCH_LAYERS_LIMIT', 0, { allowZero: true });
    if (limitKbit > 0) {
      const limited = await traceBwe(scene.app, scene.seminarId);
      const from = Date.now();
      await scene.viewerNet.limitDownlink(limitKbit, { latencyMs: 100 });
      const perSecond: string[] = [];
      let last = (await viewerCamera(scene.viewer))?.frames ?? 0;
      try {
        for (let i = 0; i < 2 * seconds; i++) {
          await sleep(1000);
          const c = await viewerCamera(scene.viewer);
          perSecond.push(`${c?.frameHeight ?? 0}p:${(c?.frames ?? 0) - last}`);
          last = c?.frames ?? 0;
        }
      } finally {
        await scene.viewerNet.liftDownlinkLimit();
        limited.stop();
      }
      const est = limited.events.map((e) => Math.round(e.available / 1000));
      lines.push(
        '',
        `Viewer, downlink limited to ${limitKbit} kbit/s for ${2 * seconds} s: height:frames each second ${perSecond.join(' ')}; ` +
          `estimate kbit/s ${est.join(' ')} (lowest ${Math.min(...est)}); no layer forwarded for ${noLayerMs(limited.layers, from, Date.now())} ms; ` +
          `layer changes ${limited.layers.map((l) => l.spatial).join(' ')}; load average ${loadavg()[0]!.toFixed(1)}.`,
      );
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
    if (process.env.BENCH_LAYERS_RAW) process.stdout.write(`${JSON.stringify({ a, b }, null, 1)}\n`);
  } finally {
    await scene.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
