// Builds the remote SDP offer a receive-only WebRTC peer needs from what Lectern's signalling
// returns (mediasoup's transport parameters and each consumer's RTP parameters), as
// mediasoup-client does in a browser, and reads the peer's DTLS parameters from its answer.

export interface TransportInfo {
  id: string;
  iceParameters: { usernameFragment: string; password: string; iceLite?: boolean };
  iceCandidates: Array<{
    foundation: string;
    priority: number;
    address?: string;
    ip?: string;
    protocol: 'udp' | 'tcp';
    port: number;
    type: string;
  }>;
  dtlsParameters: { role?: string; fingerprints: Array<{ algorithm: string; value: string }> };
}

export interface ConsumerInfo {
  consumerId: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: {
    mid?: string;
    codecs: Array<{
      mimeType: string;
      payloadType: number;
      clockRate: number;
      channels?: number;
      parameters?: Record<string, unknown>;
      rtcpFeedback?: Array<{ type: string; parameter?: string }>;
    }>;
    headerExtensions?: Array<{ uri: string; id: number }>;
    encodings?: Array<{ ssrc?: number; rtx?: { ssrc: number } }>;
    rtcp?: { cname?: string; reducedSize?: boolean };
  };
}

/** The receive capabilities the load client declares: what it can take (no transport-cc: it cannot send that feedback). */
export function viewerRtpCapabilities(router: { codecs?: any[]; headerExtensions?: any[] }): Record<string, unknown> {
  const codecs = router.codecs ?? [];
  const h264 = codecs.find(
    (c) => c.mimeType === 'video/H264' && c.parameters?.['profile-level-id'] === '42e01f' && c.parameters?.['packetization-mode'] === 1,
  );
  if (!h264) throw new Error('the router offers no H.264 42e01f');
  const keep = codecs.filter(
    (c) => c.mimeType === 'audio/opus' || c === h264 || (c.mimeType === 'video/rtx' && c.parameters?.apt === h264.preferredPayloadType),
  );
  const uris = new Set([
    'urn:ietf:params:rtp-hdrext:sdes:mid',
    'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  ]);
  return {
    codecs: keep.map((c) => ({ ...c, rtcpFeedback: (c.rtcpFeedback ?? []).filter((f: { type: string }) => f.type !== 'transport-cc') })),
    headerExtensions: (router.headerExtensions ?? []).filter((h) => uris.has(h.uri) && (h.direction ?? 'sendrecv') !== 'sendonly'),
  };
}

/**
 * `probator` adds mediasoup-client's receiver for the SFU's bandwidth probes. Without it the
 * probes reach no stream, so the viewer leaves them out of its transport-cc feedback and the
 * SFU reads them as lost.
 */
export function offerSdp(transport: TransportInfo, consumers: ConsumerInfo[], opts: { probator?: boolean } = {}): string {
  if (opts.probator) consumers = [...consumers, probatorOf(consumers)];
  const fp = transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? transport.dtlsParameters.fingerprints[0]!;
  const mids = consumers.map((c, i) => c.rtpParameters.mid ?? String(i));
  const lines = [
    'v=0',
    `o=mediasoup ${Date.now()} 1 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=ice-lite',
    `a=group:BUNDLE ${mids.join(' ')}`,
    'a=msid-semantic: WMS *',
    `a=fingerprint:${fp.algorithm} ${fp.value}`,
  ];
  consumers.forEach((c, i) => {
    const p = c.rtpParameters;
    const pts = p.codecs.map((x) => x.payloadType);
    lines.push(`m=${c.kind} 7 UDP/TLS/RTP/SAVPF ${pts.join(' ')}`, 'c=IN IP4 127.0.0.1');
    lines.push(`a=ice-ufrag:${transport.iceParameters.usernameFragment}`, `a=ice-pwd:${transport.iceParameters.password}`);
    lines.push('a=setup:actpass', `a=mid:${mids[i]}`, 'a=sendonly', 'a=rtcp-mux', 'a=rtcp-rsize');
    for (const codec of p.codecs) {
      const [, name] = codec.mimeType.split('/');
      lines.push(
        `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`,
      );
      const params = Object.entries(codec.parameters ?? {});
      if (params.length) lines.push(`a=fmtp:${codec.payloadType} ${params.map(([k, v]) => `${k}=${String(v)}`).join(';')}`);
      for (const fb of codec.rtcpFeedback ?? [])
        lines.push(`a=rtcp-fb:${codec.payloadType} ${fb.type}${fb.parameter ? ` ${fb.parameter}` : ''}`);
    }
    for (const ext of p.headerExtensions ?? []) lines.push(`a=extmap:${ext.id} ${ext.uri}`);
    const enc = p.encodings?.[0];
    const cname = p.rtcp?.cname ?? 'lectern';
    if (enc?.ssrc !== undefined) {
      if (enc.rtx) lines.push(`a=ssrc-group:FID ${enc.ssrc} ${enc.rtx.ssrc}`);
      for (const ssrc of [enc.ssrc, ...(enc.rtx ? [enc.rtx.ssrc] : [])]) {
        lines.push(`a=ssrc:${ssrc} cname:${cname}`, `a=ssrc:${ssrc} msid:lectern ${c.consumerId}`);
      }
    }
    for (const cand of transport.iceCandidates) {
      if (cand.protocol !== 'udp') continue;
      lines.push(`a=candidate:${cand.foundation} 1 udp ${cand.priority} ${cand.address ?? cand.ip} ${cand.port} typ ${cand.type}`);
    }
    lines.push('a=end-of-candidates');
  });
  return lines.join('\r\n') + '\r\n';
}

/** The DTLS parameters to give mediasoup (transport:connect) from the peer's SDP answer. */
export function dtlsFromAnswer(sdp: string): { role: 'client' | 'server'; fingerprints: Array<{ algorithm: string; value: string }> } {
  const fp = /^a=fingerprint:(\S+) (\S+)/m.exec(sdp);
  const setup = /^a=setup:(\w+)/m.exec(sdp);
  if (!fp) throw new Error('the answer has no DTLS fingerprint');
  // An answerer that is "active" opens DTLS: it is the client, and mediasoup the server.
  const role = setup?.[1] === 'passive' ? 'server' : 'client';
  return { role, fingerprints: [{ algorithm: fp[1]!.toLowerCase(), value: fp[2]!.toUpperCase() }] };
}

/**
 * mediasoup-client's probator (its ortc.generateProbatorRtpParameters): the first video
 * consumer's codec and header extensions on SSRC 1234 and payload type 127, which the worker's
 * probation packets carry (with mid "probator").
 */
function probatorOf(consumers: ConsumerInfo[]): ConsumerInfo {
  const video = consumers.find((c) => c.kind === 'video');
  if (!video) throw new Error('no video consumer to model the probator on');
  return {
    consumerId: 'probator',
    producerId: 'probator',
    kind: 'video',
    rtpParameters: {
      mid: 'probator',
      codecs: [{ ...video.rtpParameters.codecs[0]!, payloadType: 127 }],
      headerExtensions: video.rtpParameters.headerExtensions,
      encodings: [{ ssrc: 1234 }],
      rtcp: { cname: 'probator' },
    },
  };
}
