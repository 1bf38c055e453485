// RTP and RTCP as the benchmarks' lecturer senders (fanout/sender.ts, fanout-verified/sender.ts)
// write and read them: H.264 packetization (RFC 6184, single NAL units and FU-A), sender reports,
// and the feedback the SFU sends back (PLI, FIR, generic NACK).

/** Largest RTP payload sent, leaving room for headers and SRTP within a 1280-byte path. */
export const MTU_PAYLOAD = 1200;

/** A packet's payload parts and whether it carries the last byte of its NAL unit. */
export interface H264Fragment {
  parts: Buffer[];
  endsNal: boolean;
}

/** One NAL unit as RTP payloads: whole when it fits, else FU-A fragments. */
export function h264Fragments(nal: Buffer, mtu = MTU_PAYLOAD): H264Fragment[] {
  if (nal.length <= mtu) return [{ parts: [nal], endsNal: true }];
  const indicator = (nal[0]! & 0xe0) | 28;
  const type = nal[0]! & 0x1f;
  const out: H264Fragment[] = [];
  for (let off = 1; off < nal.length; off += mtu - 2) {
    const end = Math.min(off + mtu - 2, nal.length);
    const fuHeader = (off === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
    out.push({ parts: [Buffer.from([indicator, fuHeader]), nal.subarray(off, end)], endsNal: end === nal.length });
  }
  return out;
}

/** A 12-byte RTP header. */
export function rtpHeader(payloadType: number, marker: boolean, seq: number, timestamp: number, ssrc: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (marker ? 0x80 : 0) | payloadType;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  return header;
}

/**
 * An RTCP sender report, so receivers can map RTP time to wall-clock time (and mediasoup can
 * switch a consumer between simulcast layers). `lastRtpTs` was sent at `lastSendMs`; the report's
 * RTP time is extrapolated to now at 90 kHz.
 */
export function senderReport(ssrc: number, lastRtpTs: number, lastSendMs: number, packets: number, bytes: number): Buffer {
  const nowMs = Date.now();
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr.writeUInt16BE(6, 2);
  sr.writeUInt32BE(ssrc >>> 0, 4);
  sr.writeUInt32BE((Math.floor(nowMs / 1000) + 2208988800) >>> 0, 8);
  sr.writeUInt32BE(Math.floor(((nowMs % 1000) / 1000) * 2 ** 32) >>> 0, 12);
  sr.writeUInt32BE((lastRtpTs + Math.round(((nowMs - lastSendMs) * 90000) / 1000)) >>> 0, 16);
  sr.writeUInt32BE(packets >>> 0, 20);
  sr.writeUInt32BE(bytes >>> 0, 24);
  return sr;
}

export type Feedback = { kind: 'keyframe'; ssrc: number } | { kind: 'nack'; ssrc: number; seqs: number[] };

/**
 * The feedback in an RTCP (possibly compound) packet: PSFB (206) FMT 1 (PLI: media SSRC at
 * offset 8) or 4 (FIR: SSRC in each FCI entry) as key-frame requests, RTPFB (205) FMT 1 as
 * generic NACKs (FCI entries of a packet id and a bitmask of the 16 after it).
 */
export function parseFeedback(msg: Buffer): Feedback[] {
  const out: Feedback[] = [];
  let off = 0;
  while (off + 12 <= msg.length) {
    const fmt = msg[off]! & 0x1f;
    const pt = msg[off + 1]!;
    const len = (msg.readUInt16BE(off + 2) + 1) * 4;
    if (pt === 205 && fmt === 1) {
      const seqs: number[] = [];
      for (let fci = off + 12; fci + 4 <= off + len && fci + 4 <= msg.length; fci += 4) {
        const pid = msg.readUInt16BE(fci);
        const blp = msg.readUInt16BE(fci + 2);
        for (let bit = -1; bit < 16; bit++) if (bit < 0 || blp & (1 << bit)) seqs.push((pid + bit + 1) & 0xffff);
      }
      out.push({ kind: 'nack', ssrc: msg.readUInt32BE(off + 8), seqs });
    }
    if (pt === 206 && fmt === 1) out.push({ kind: 'keyframe', ssrc: msg.readUInt32BE(off + 8) });
    if (pt === 206 && fmt === 4 && off + 16 <= msg.length) out.push({ kind: 'keyframe', ssrc: msg.readUInt32BE(off + 12) });
    off += len;
  }
  return out;
}
