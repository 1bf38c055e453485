import type { RtpParameters } from 'mediasoup/types';

export interface SdpStream {
  kind: 'audio' | 'video';
  rtpPort: number;
  rtcpPort: number;
  rtpParameters: RtpParameters;
}

/**
 * The format parameters ffmpeg may see, per codec. They come from the producer, that is from
 * a browser: anything else is dropped, so no parameter can add a line or an option to the SDP.
 */
const FMTP_KEYS: Record<string, ReadonlySet<string>> = {
  'audio/opus': new Set(['minptime', 'useinbandfec', 'stereo', 'sprop-stereo', 'usedtx', 'maxplaybackrate', 'maxaveragebitrate', 'cbr']),
  'video/h264': new Set(['packetization-mode', 'profile-level-id', 'level-asymmetry-allowed', 'sprop-parameter-sets']),
  'video/vp8': new Set(['max-fr', 'max-fs']),
};
/** Digits, letters and base64: enough for every value above (sprop-parameter-sets is base64 with commas). */
const SAFE_VALUE = /^[A-Za-z0-9+/=,._-]{1,256}$/;
const SAFE_NAME = /^[A-Za-z0-9-]{1,32}$/;

/** The parameters of a codec that are safe to write into an SDP line, as "k=v;k=v", or "". */
export function safeFmtp(mimeType: string, parameters: Record<string, unknown> = {}): string {
  const allowed = FMTP_KEYS[mimeType.toLowerCase()] ?? new Set<string>();
  return Object.entries(parameters)
    .filter(
      ([key, value]) => allowed.has(key) && (typeof value === 'number' || typeof value === 'string') && SAFE_VALUE.test(String(value)),
    )
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(';');
}

/** An SDP that tells ffmpeg where each consumer's RTP arrives and how to depayload it. */
export function recorderSdp(streams: SdpStream[], ip = '127.0.0.1'): string {
  const lines = ['v=0', `o=- 0 0 IN IP4 ${ip}`, 's=Lectern recording', `c=IN IP4 ${ip}`, 't=0 0'];
  for (const s of streams) {
    const codec = s.rtpParameters.codecs[0]!;
    const name = codec.mimeType.split('/')[1] ?? '';
    if (!SAFE_NAME.test(name)) throw new Error(`unexpected codec name ${JSON.stringify(codec.mimeType)}`);
    const numbers = [s.rtpPort, s.rtcpPort, codec.payloadType, codec.clockRate, codec.channels ?? 1];
    if (!numbers.every((n) => Number.isInteger(n) && n >= 0)) throw new Error('unexpected RTP numbers for the SDP');
    lines.push(`m=${s.kind} ${s.rtpPort} RTP/AVP ${codec.payloadType}`);
    lines.push(`a=rtcp:${s.rtcpPort}`);
    lines.push(`a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ''}`);
    const fmtp = safeFmtp(codec.mimeType, codec.parameters);
    if (fmtp) lines.push(`a=fmtp:${codec.payloadType} ${fmtp}`);
    lines.push('a=recvonly');
  }
  return lines.join('\r\n') + '\r\n';
}
