import { describe, expect, it } from 'vitest';
import { uplinkHealth, uplinkSample } from '../../web/src/uplink';

// The studio's uplink warning, from the senders' getStats() entries as Chromium
// reports them: three simulcast layers of the camera (outbound-rtp with rid,
// framesEncoded, qualityLimitationReason, active), the microphone, and what the
// SFU reports back (remote-inbound-rtp fractionLost).

type Layer = { frames: number; bytes: number; reason?: string; active?: boolean };

function entries(layers: Layer[], opts: { micBytes?: number; lost?: number } = {}) {
  return [
    ...layers.map((l, i) => ({
      type: 'outbound-rtp',
      id: `OT01V${i}`,
      kind: 'video',
      rid: `r${i}`,
      framesEncoded: l.frames,
      bytesSent: l.bytes,
      qualityLimitationReason: l.reason ?? 'none',
      active: l.active ?? true,
    })),
    { type: 'outbound-rtp', id: 'OT01A', kind: 'audio', bytesSent: opts.micBytes ?? 0 },
    { type: 'remote-inbound-rtp', id: 'RI01V2', kind: 'video', fractionLost: opts.lost ?? 0 },
    { type: 'codec', id: 'COT01', mimeType: 'video/H264' },
  ];
}

const healthy = (t: number, frames: number) =>
  uplinkSample(
    entries(
      [0, 1, 2].map((i) => ({ frames, bytes: frames * (i + 1) * 1000 })),
      { micBytes: t * 4 },
    ),
    t,
  );

describe('uplink health', () => {
  it('is fine while every layer sends, nothing limits the encoder and the SFU loses nothing', () => {
    const h = uplinkHealth(healthy(0, 100), healthy(2000, 160));
    expect(h.problems).toEqual([]);
    expect(h).toMatchObject({ layersSending: 3, layers: 3 });
    // 60 frames × (1+2+3) kB + 8000 audio bytes in two seconds.
    expect(h.bitrate).toBeCloseTo(((60 * 6000 + 8000) * 8) / 2, 0);
  });

  it('warns when bandwidth limits the encoder', () => {
    const prev = healthy(0, 100);
    const cur = uplinkSample(
      entries([
        { frames: 160, bytes: 160_000 },
        { frames: 160, bytes: 320_000, reason: 'bandwidth' },
        { frames: 160, bytes: 480_000, reason: 'bandwidth' },
      ]),
      2000,
    );
    expect(uplinkHealth(prev, cur).problems).toEqual(['bandwidth']);
  });

  it('does not blame the uplink for a busy processor', () => {
    const cur = uplinkSample(entries([0, 1, 2].map(() => ({ frames: 160, bytes: 1_000_000, reason: 'cpu' }))), 2000);
    expect(uplinkHealth(healthy(0, 100), cur).problems).toEqual([]);
  });

  it('warns when the SFU reports more than 5 % of the packets lost', () => {
    const lossy = (lost: number) =>
      uplinkSample(
        entries(
          [0, 1, 2].map(() => ({ frames: 160, bytes: 1_000_000 })),
          { lost },
        ),
        2000,
      );
    expect(uplinkHealth(healthy(0, 100), lossy(0.04)).problems).toEqual([]);
    expect(uplinkHealth(healthy(0, 100), lossy(0.12)).problems).toEqual(['loss']);
  });

  it('warns when the top layer stops while the others go on, but not for a layer switched off on purpose', () => {
    const dropped = uplinkSample(
      entries([
        { frames: 160, bytes: 200_000 },
        { frames: 160, bytes: 400_000 },
        { frames: 100, bytes: 300_000 },
      ]),
      2000,
    );
    const h = uplinkHealth(healthy(0, 100), dropped);
    expect(h.problems).toEqual(['layers']);
    expect(h).toMatchObject({ layersSending: 2, layers: 3 });
    const off = uplinkSample(
      entries([
        { frames: 160, bytes: 200_000 },
        { frames: 160, bytes: 400_000 },
        { frames: 100, bytes: 300_000, active: false },
      ]),
      2000,
    );
    expect(uplinkHealth(healthy(0, 100), off)).toMatchObject({ problems: [], layersSending: 2, layers: 2 });
  });

  it('says nothing of layers when no layer sends (a paused camera)', () => {
    expect(uplinkHealth(healthy(0, 100), healthy(2000, 100)).problems).toEqual([]);
  });
});
