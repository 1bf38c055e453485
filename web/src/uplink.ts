// Whether the lecturer's uplink is holding up, from the camera and microphone
// senders' getStats(): the encoder limited by bandwidth, packets the SFU reports
// lost (remote-inbound-rtp), or a simulcast layer that stopped sending.
// Plain data in, plain data out, so it is tested without a browser.

export type UplinkProblem = 'bandwidth' | 'loss' | 'layers';

/** The figures of one sample, taken from the stats entries of the senders. */
export interface UplinkSample {
  at: number;
  /** Bytes sent per outbound-rtp stream (per simulcast layer), by its id. */
  bytes: Record<string, number>;
  /** Frames encoded per video layer, by its id. */
  frames: Record<string, number>;
  /** Whether each video layer is switched on (encodings[i].active). */
  active: Record<string, boolean>;
  /** qualityLimitationReason of any video layer that reports one. */
  limitation: 'none' | 'bandwidth' | 'cpu' | 'other';
  /** The largest fractionLost (0–1) the SFU reports back. */
  fractionLost: number;
}

export interface UplinkHealth {
  problems: UplinkProblem[];
  /** Outgoing bits per second over the last interval. */
  bitrate: number;
  /** Video layers that sent frames in the last interval, and how many there are. */
  layersSending: number;
  layers: number;
}

type Entry = Record<string, unknown> & { type: string; id: string };

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** Boils the senders' stats entries down to one sample. */
export function uplinkSample(entries: Entry[], at: number): UplinkSample {
  const sample: UplinkSample = { at, bytes: {}, frames: {}, active: {}, limitation: 'none', fractionLost: 0 };
  for (const e of entries) {
    if (e.type === 'outbound-rtp') {
      sample.bytes[e.id] = num(e.bytesSent);
      if (e.kind === 'video') {
        sample.frames[e.id] = num(e.framesEncoded);
        sample.active[e.id] = e.active !== false;
        const reason = e.qualityLimitationReason;
        if (reason === 'bandwidth' || (reason === 'cpu' && sample.limitation !== 'bandwidth')) sample.limitation = reason;
        else if (reason === 'other' && sample.limitation === 'none') sample.limitation = 'other';
      }
    }
    if (e.type === 'remote-inbound-rtp') sample.fractionLost = Math.max(sample.fractionLost, num(e.fractionLost));
  }
  return sample;
}

/** Packet loss the SFU reports above this share counts as a problem. */
export const LOSS_THRESHOLD = 0.05;

/**
 * Compares two samples of a sender that is not paused. A layer "drops" when it is
 * switched on but encoded no frame while another layer did: what the browser does
 * when bandwidth falls below what the layers need.
 */
export function uplinkHealth(prev: UplinkSample, cur: UplinkSample): UplinkHealth {
  const seconds = Math.max(0.001, (cur.at - prev.at) / 1000);
  let bytes = 0;
  for (const [id, b] of Object.entries(cur.bytes)) bytes += Math.max(0, b - (prev.bytes[id] ?? 0));
  const layerIds = Object.keys(cur.frames).filter((id) => cur.active[id] !== false);
  const sending = layerIds.filter((id) => cur.frames[id]! > (prev.frames[id] ?? 0)).length;
  const problems: UplinkProblem[] = [];
  if (cur.limitation === 'bandwidth') problems.push('bandwidth');
  if (cur.fractionLost > LOSS_THRESHOLD) problems.push('loss');
  if (sending > 0 && sending < layerIds.length) problems.push('layers');
  return { problems, bitrate: (bytes * 8) / seconds, layersSending: sending, layers: layerIds.length };
}
