// Why a viewer sits below the layer it asked for. mediasoup moves a simulcast consumer up a
// layer only when its transport's estimate of the viewer's link (availableOutgoingBitrate)
// leaves room for that layer's bitrate; Lectern's layer guard instead holds a congested
// viewer at the lowest layer (it prefers layer 0). After a window this reads, for every video
// consumer, the layer preferred and the one sent, with its transport's estimate, and the
// source's bitrate per layer: so a viewer below its layer is seen to be short of estimate,
// held by the guard, or neither.
import type { Consumer, Producer, Transport, Worker } from 'mediasoup/types';

interface Watched {
  consumer: Consumer;
  transport: Transport;
}

export interface LayerFitReport {
  /** The source's bitrate per spatial layer, kb/s, as the SFU receives it. */
  layerKbps: number[];
  /**
   * Per preferred spatial layer: how many consumers, how many were sent a lower one or none
   * ("below"), and the estimates of each group (kb/s).
   */
  byPreferred: Array<{
    preferred: number;
    consumers: number;
    below: number;
    onLayerAvailKbps: { min: number; p50: number } | null;
    belowAvailKbps: number[];
  }>;
}

/** Watches mediasoup's objects in this process from now on (call before Lectern starts its workers). */
export class LayerFit {
  private readonly consumers = new Set<Watched>();
  private readonly producers = new Set<Producer>();
  private stopWatching = () => {};

  static async watch(): Promise<LayerFit> {
    const fit = new LayerFit();
    const mediasoup = await import('mediasoup');
    const onWorker = (w: Worker) =>
      w.observer.on('newrouter', (r) =>
        r.observer.on('newtransport', (transport) => {
          transport.observer.on('newproducer', (p) => {
            if (p.kind !== 'video' || p.type !== 'simulcast') return;
            fit.producers.add(p);
            p.observer.once('close', () => fit.producers.delete(p));
          });
          transport.observer.on('newconsumer', (consumer) => {
            if (consumer.kind !== 'video' || consumer.type !== 'simulcast') return;
            const entry = { consumer, transport };
            fit.consumers.add(entry);
            consumer.observer.once('close', () => fit.consumers.delete(entry));
          });
        }),
      );
    mediasoup.observer.on('newworker', onWorker);
    fit.stopWatching = () => mediasoup.observer.off('newworker', onWorker);
    return fit;
  }

  /** Stops watching for new workers (the rig's Lectern stopped). */
  stop(): void {
    this.stopWatching();
  }

  async read(): Promise<LayerFitReport> {
    const layerKbps: number[] = [];
    for (const p of this.producers) {
      const stats = await p.getStats().catch(() => []);
      for (const [i, enc] of p.rtpParameters.encodings!.entries()) {
        const s = stats.find((x) => x.ssrc === enc.ssrc || (enc.rid !== undefined && x.rid === enc.rid));
        layerKbps[i] = Math.round((s?.bitrate ?? 0) / 1000);
      }
    }
    const rows = new Map<number, { consumers: number; below: number; on: number[]; belowAvail: number[] }>();
    for (const { consumer, transport } of this.consumers) {
      const preferred = consumer.preferredLayers?.spatialLayer;
      const current = consumer.currentLayers?.spatialLayer;
      if (preferred === undefined || consumer.closed) continue;
      const t = (await transport.getStats().catch(() => []))[0] as { availableOutgoingBitrate?: number } | undefined;
      const avail = Math.round((t?.availableOutgoingBitrate ?? 0) / 1000);
      const row = rows.get(preferred) ?? { consumers: 0, below: 0, on: [], belowAvail: [] };
      rows.set(preferred, row);
      row.consumers++;
      // No layer at all (the estimate below even the lowest) counts as below.
      if (current === undefined || current < preferred) {
        row.below++;
        row.belowAvail.push(avail);
      } else row.on.push(avail);
    }
    const byPreferred = [...rows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([preferred, r]) => {
        const on = [...r.on].sort((a, b) => a - b);
        return {
          preferred,
          consumers: r.consumers,
          below: r.below,
          onLayerAvailKbps: on.length ? { min: on[0]!, p50: on[Math.floor(on.length / 2)]! } : null,
          belowAvailKbps: [...r.belowAvail].sort((a, b) => a - b),
        };
      });
    return { layerKbps, byPreferred };
  }
}
