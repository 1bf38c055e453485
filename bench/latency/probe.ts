// What the benchmark runs inside the pages (a script string, as bench/recording/player.ts does:
// this Node-typed code has no DOM). It installs window.__latency with:
//   watchCapture(): on the studio page, reads every frame of the camera track the page sends
//     (a clone of it, through MediaStreamTrackProcessor, the frames closed at once so that the
//     capture pool never runs dry; a queue of a few frames, so that a busy page drops fewer) and notes [index, wall ms as the frame reaches script, the
//     frame's own capture timestamp in ms on Chromium's monotonic clock];
//   watchVideo(video): on the watch page (or the baseline's), notes for each frame the <video>
//     presents (requestVideoFrameCallback) [index, wall ms of the callback, expected display,
//     WebRTC's receive time, width, height];
//   loopback(opts): the baseline, a direct RTCPeerConnection pair in this page, camera to <video>.
// Wall ms = performance.timeOrigin + a page's high-resolution time: one clock for every page of
// the machine. Frames whose code does not read cleanly count as unreadable.
import { CLIP_HEIGHT, CLIP_WIDTH, CODE_BITS, CODE_ROW_H } from './clip';

export const PROBE = `(() => {
  if (window.__latency) return;
  const BITS = ${CODE_BITS}, BAND = ${(2 * CODE_ROW_H) / CLIP_HEIGHT}, CELL_W = 16, CELL_H = 8;
  const CW = BITS * CELL_W, CH = 2 * CELL_H;
  const canvas = new OffscreenCanvas(CW, CH);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const wall = (t) => performance.timeOrigin + t;
  const state = { captures: [], presents: [], unreadable: { capture: 0, present: 0 }, errors: [], stop: false };
  // The code band of a picture w x h, drawn at CW x CH; each cell's middle read as black or white.
  function readIndex(source, w, h) {
    ctx.drawImage(source, 0, 0, w, Math.round(h * BAND), 0, 0, CW, CH);
    const px = ctx.getImageData(0, 0, CW, CH).data;
    const cell = (col, row) => {
      let sum = 0, n = 0;
      for (let y = row * CELL_H + 2; y < (row + 1) * CELL_H - 2; y++)
        for (let x = col * CELL_W + 4; x < (col + 1) * CELL_W - 4; x++) { sum += px[(y * CW + x) * 4 + 1]; n++; }
      const mean = sum / n;
      return mean < 70 ? 0 : mean > 185 ? 1 : -1;
    };
    let v = 0;
    for (let i = 0; i < BITS; i++) {
      const top = cell(i, 0), bottom = cell(i, 1);
      if (top < 0 || bottom < 0 || top === bottom) return -1;
      v = v * 2 + top;
    }
    return v;
  }
  async function watchCapture(track) {
    const clone = track.clone();
    const reader = new MediaStreamTrackProcessor({ track: clone, maxBufferSize: 5 }).readable.getReader();
    (async () => {
      while (!state.stop) {
        const { value: frame, done } = await reader.read();
        if (done) break;
        const t = wall(performance.now());
        let index = -1;
        const ts = frame.timestamp / 1000;
        try { index = readIndex(frame, frame.displayWidth, frame.displayHeight); } finally { frame.close(); }
        if (index < 0) state.unreadable.capture++; else state.captures.push([index, t, ts]);
      }
      await reader.cancel().catch(() => undefined);
      clone.stop();
    })().catch((e) => state.errors.push(String(e)));
  }
  function watchVideo(video) {
    const onFrame = (now, m) => {
      if (state.stop) return;
      try {
        const called = wall(performance.now());
        const index = readIndex(video, video.videoWidth, video.videoHeight);
        if (index < 0) state.unreadable.present++;
        else state.presents.push([index, called, m.expectedDisplayTime ? wall(m.expectedDisplayTime) : null,
          m.receiveTime ? wall(m.receiveTime) : null, m.width, m.height, m.captureTime ? wall(m.captureTime) : null]);
      } catch (e) { state.errors.push(String(e)); }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
  async function loopback({ mimeType, maxBitrate, scaleResolutionDownBy, width, height }) {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: ${CLIP_WIDTH} }, height: { ideal: ${CLIP_HEIGHT} }, frameRate: { ideal: 30 } }, audio: true });
    const track = stream.getVideoTracks()[0];
    const a = new RTCPeerConnection(), b = new RTCPeerConnection();
    a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
    b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
    const video = document.createElement('video');
    video.muted = true; video.autoplay = true; video.playsInline = true;
    video.style.cssText = 'position:fixed;left:0;top:0;width:' + width + 'px;height:' + height + 'px;z-index:99999;background:#000';
    document.body.append(video);
    // The microphone too, in the same stream, played: the receiver then holds video back to keep
    // it in sync with the sound, as it does on the watch page (one CNAME for a lecturer's tracks).
    const audio = document.createElement('audio');
    audio.autoplay = true;
    document.body.append(audio);
    b.ontrack = (e) => {
      const el = e.track.kind === 'video' ? video : audio;
      el.srcObject = new MediaStream([e.track]);
      el.play().catch(() => undefined);
    };
    a.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendonly', streams: [stream] });
    const tr = a.addTransceiver(track, { direction: 'sendonly', streams: [stream], sendEncodings: [{ maxBitrate, scaleResolutionDownBy }] });
    const codecs = RTCRtpSender.getCapabilities('video').codecs;
    const wanted = codecs.filter((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase() &&
      (!/h264/i.test(mimeType) || /packetization-mode=1/.test(c.sdpFmtpLine ?? '')));
    wanted.sort((x, y) => Number(/42e01f/.test(y.sdpFmtpLine ?? '')) - Number(/42e01f/.test(x.sdpFmtpLine ?? '')));
    tr.setCodecPreferences([...wanted, ...codecs.filter((c) => /rtx|red|ulpfec/i.test(c.mimeType))]);
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription);
    watchCapture(track);
    watchVideo(video);
    state.loopback = { a, b, video };
  }
  async function loopbackStats() {
    const out = { codec: null, frameWidth: 0, frameHeight: 0, framesDecoded: 0, audioPackets: 0 };
    const stats = await state.loopback.b.getStats();
    for (const s of stats.values()) if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audioPackets = s.packetsReceived ?? 0;
    for (const s of stats.values()) if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.frameWidth = s.frameWidth ?? 0; out.frameHeight = s.frameHeight ?? 0; out.framesDecoded = s.framesDecoded ?? 0;
      const c = stats.get(s.codecId); out.codec = c ? c.mimeType : null;
    }
    return out;
  }
  // The page's own account, summed over every peer connection of the page (PC_WATCH keeps
  // them): received media per kind (inbound-rtp; the window's mean jitter-buffer delay, decode
  // time and processing delay per frame come from the difference of two readings), the
  // received probator apart, and the video sent (outbound-rtp: key-frame requests that reached
  // the encoder). The probator is mediasoup-client's receiver for the SFU's bandwidth probes:
  // padding only, never a frame, so Chromium keeps asking it for a key frame (about 5 PLIs a
  // second) and mediasoup, whose probes belong to no producer, drops the requests.
  const COUNTERS = ['jitterBufferDelay', 'jitterBufferTargetDelay', 'jitterBufferMinimumDelay', 'jitterBufferEmittedCount',
    'totalDecodeTime', 'framesDecoded', 'totalProcessingDelay', 'framesDropped', 'freezeCount', 'totalFreezesDuration',
    'packetsReceived', 'packetsLost', 'nackCount', 'pliCount', 'framesReceived'];
  const SENT = ['pliCount', 'firCount', 'keyFramesEncoded'];
  async function rtcStats() {
    const out = { video: {}, audio: {}, probator: {}, sent: {} };
    const add = (into, s, keys) => { for (const k of keys) if (typeof s[k] === 'number') into[k] = (into[k] ?? 0) + s[k]; };
    for (const pc of window.__pcs ?? []) {
      if (pc.connectionState === 'closed') continue;
      for (const s of (await pc.getStats()).values()) {
        if (s.type === 'outbound-rtp' && s.kind === 'video') add(out.sent, s, SENT);
        if (s.type !== 'inbound-rtp' || !out[s.kind]) continue;
        add(s.mid === 'probator' ? out.probator : out[s.kind], s, COUNTERS);
      }
    }
    return out;
  }
  function take() {
    const out = { captures: state.captures, presents: state.presents, unreadable: { ...state.unreadable }, errors: state.errors };
    state.captures = []; state.presents = []; state.unreadable = { capture: 0, present: 0 };
    return out;
  }
  function clockSkew() { return Date.now() - wall(performance.now()); }
  function stop() { state.stop = true; }
  window.__latency = { watchCapture, watchVideo, loopback, loopbackStats, rtcStats, take, clockSkew, stop };
})()`;

/** Keeps every RTCPeerConnection a page makes in window.__pcs (an init script, before the page's own). */
export const PC_WATCH = `(() => {
  const Original = window.RTCPeerConnection;
  if (!Original || window.__pcs) return;
  const pcs = (window.__pcs = []);
  window.RTCPeerConnection = new Proxy(Original, {
    construct(target, args, newTarget) { const pc = Reflect.construct(target, args, newTarget); pcs.push(pc); return pc; },
  });
})()`;
