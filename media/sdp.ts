import type { RtpParameters } from 'mediasoup/types';

export interface SdpStream {
  kind: 'audio' | 'video';
  rtpPort: number;
  rtcpPort: number;
  rtpParameters: RtpParameters;
}

/** An SDP that tells ffmpeg where each consumer's RTP arrives and how to depayload it. */
export function recorderSdp(streams: SdpStream[], ip = '127.0.0.1'): string {
  const lines = ['v=0', `o=- 0 0 IN IP4 ${ip}`, 's=Lectern recording', `c=IN IP4 ${ip}`, 't=0 0'];
  for (const s of streams) {
    const codec = s.rtpParameters.codecs[0]!;
    const name = codec.mimeType.split('/')[1]!;
    lines.push(`m=${s.kind} ${s.rtpPort} RTP/AVP ${codec.payloadType}`);
    lines.push(`a=rtcp:${s.rtcpPort}`);
    lines.push(`a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ''}`);
    const fmtp = Object.entries(codec.parameters ?? {})
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(';');
    if (fmtp) lines.push(`a=fmtp:${codec.payloadType} ${fmtp}`);
    lines.push('a=recvonly');
  }
  return lines.join('\r\n') + '\r\n';
}
