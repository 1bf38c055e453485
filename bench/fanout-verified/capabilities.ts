// What a Chromium viewer declares for receiving, and the player sizes that pick each simulcast
// layer: shared by the verified fan-out audience (signaller.ts) and the soak's (bench/soak).

const URIS = {
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  abs: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  twcc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  level: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
};

/** What Chromium declares for receiving (mediasoup-client's Chrome handler): transport-cc, REMB, NACK, PLI, FIR, RTX. */
export function chromiumLikeCapabilities(router: { codecs?: any[]; headerExtensions?: any[] }) {
  const codecs = router.codecs ?? [];
  const h264 = codecs.find(
    (c) => c.mimeType === 'video/H264' && c.parameters?.['profile-level-id'] === '42e01f' && c.parameters?.['packetization-mode'] === 1,
  );
  const rtx = codecs.find((c) => c.mimeType === 'video/rtx' && c.parameters?.apt === h264?.preferredPayloadType);
  const opus = codecs.find((c) => c.mimeType === 'audio/opus');
  if (!h264 || !rtx || !opus) throw new Error('the router offers no H.264 42e01f with RTX, or no Opus');
  const video = [
    { type: 'goog-remb' },
    { type: 'transport-cc' },
    { type: 'ccm', parameter: 'fir' },
    { type: 'nack' },
    { type: 'nack', parameter: 'pli' },
  ];
  return {
    caps: {
      codecs: [
        { ...h264, rtcpFeedback: video },
        { ...rtx, rtcpFeedback: [] },
        { ...opus, rtcpFeedback: [{ type: 'transport-cc' }] },
      ],
      headerExtensions: (router.headerExtensions ?? []).filter(
        (h) => Object.values(URIS).includes(h.uri) && (h.direction ?? 'sendrecv') !== 'sendonly',
      ),
    },
    h264Pt: h264.preferredPayloadType as number,
    h264Fmtp: Object.entries(h264.parameters as Record<string, unknown>)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(';'),
    rtxPt: rtx.preferredPayloadType as number,
    opusPt: opus.preferredPayloadType as number,
  };
}

/** The player heights that make the server pick each layer (media/peer.ts spatialLayerFor). */
export const HEIGHT_FOR_LAYER = [180, 360, 720];
