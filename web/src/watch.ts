import type { JoinResult, ProducerInfo } from '../../server/protocol/live';
import { action, byId, h, param, toast } from './dom';
import type { HlsPlayer } from './hls';
import { applyI18n, errorText, langToggle, onLangChange, plural, t, type Key } from './i18n';
import { LiveError, RoomConnection, type ConnectionState } from './live';
import { loadDevice, Subscriber, type StreamStats, type Subscription } from './media';
import { ChatQaPanel } from './panel';
import { adoptTokenFromHash, api, hasSession } from './session';

// The viewer's page: the lecturer's camera (or the screen, with the camera in a
// corner), their voice, chat, Q&A with votes, a raised hand, and a clear state
// while connecting, reconnecting and after the end.

adoptTokenFromHash();
applyI18n();
langToggle(byId<HTMLButtonElement>('lang'));

const seminarId = param('seminar');
const ui = {
  title: byId('title'),
  badge: byId('status-badge'),
  viewers: byId('viewers'),
  overlay: byId('state'),
  mainTile: byId('main-tile'),
  mainVideo: byId<HTMLVideoElement>('main-video'),
  mainLabel: byId('main-label'),
  pipTile: byId('pip-tile'),
  pipVideo: byId<HTMLVideoElement>('pip-video'),
  audio: byId<HTMLAudioElement>('audio'),
  unmute: byId<HTMLButtonElement>('unmute'),
  hand: byId<HTMLButtonElement>('raise-hand'),
  register: byId<HTMLButtonElement>('register'),
};

const state = {
  connection: { name: 'connecting' } as ConnectionState,
  join: undefined as JoinResult | undefined,
  subscriber: undefined as Subscriber | undefined,
  handRaised: false,
  viewers: 0,
  /** Joins so far: more than one after a reconnect or a room rebuild. */
  joins: 0,
  needsUnmute: false,
  /** Watching the live HLS stream instead: every WebRTC seat was taken. */
  hls: false,
  hlsTitle: undefined as string | undefined,
};

/** Which source each video element shows, so a re-layout only touches what changed. */
const shown = new Map<HTMLVideoElement, { source: string; track: MediaStreamTrack } | undefined>();

if (!seminarId) {
  state.connection = { name: 'failed', error: new LiveError('seminar_not_found', 'No seminar in the address') };
  render();
} else {
  main(seminarId);
}

function main(id: string): void {
  const conn: RoomConnection = new RoomConnection(id, {
    joined: (join, generation) => onJoined(conn, join, generation),
    state: (s) => {
      state.connection = s;
      if (s.name === 'joined') {
        state.join = s.join;
        state.joins++;
      }
      if (s.name !== 'joined' && s.name !== 'connecting') dropMedia();
      if (s.name === 'ended' || s.name === 'removed' || s.name === 'failed') panel.disable();
      if (s.name === 'ended' && state.hls) stopHls();
      if (s.name === 'failed' && s.error.code === 'seats_full') void watchHls(id);
      render();
    },
  });
  const panel = new ChatQaPanel(conn, byId('side'), false);
  applyI18n();
  onLangChange(render);

  /** Streams announced while this join's receiving side is still being set up. */
  // Producers announced for a join whose receive transport is not open yet. A rebuilt
  // room can announce the lecturer's new producers before this page's join is answered,
  // while the old room's subscriber is still in place: they wait here for the new one.
  let early: Array<{ info: ProducerInfo; generation: number }> = [];
  let subscriberGeneration = -1;
  const consume = (info: ProducerInfo, generation: number) => {
    if (generation !== conn.current) return;
    const subscriber = subscriberGeneration === generation ? state.subscriber : undefined;
    if (!subscriber) return void early.push({ info, generation });
    subscriber.consume(info).then(
      () => layout(),
      (err: unknown) => {
        if (generation === conn.current) toast(errorText(err));
      },
    );
  };

  async function onJoined(c: RoomConnection, join: JoinResult, generation: number): Promise<void> {
    dropMedia();
    early = early.filter((e) => e.generation === generation);
    state.join = join;
    state.viewers = join.viewers;
    state.handRaised = false;
    panel.reset(join);
    const device = await loadDevice(join.routerRtpCapabilities);
    const subscriber = new Subscriber(c, device, () => c.restart('receive transport failed'));
    if (generation !== c.current) return;
    state.subscriber = subscriber;
    await subscriber.open();
    subscriberGeneration = generation;
    // The subscriber skips a producer it already consumes, so one both listed and announced is consumed once.
    for (const p of [...join.producers, ...early.map((e) => e.info)]) consume(p, generation);
    early = [];
  }

  conn.socket.on('room:producer-added', (p) => consume(p, conn.current));
  conn.socket.on('room:producer-closed', ({ producerId }) => {
    state.subscriber?.remove({ producerId });
    layout();
  });
  conn.socket.on('room:consumer-closed', ({ consumerId }) => {
    state.subscriber?.remove({ consumerId });
    layout();
  });
  conn.socket.on('room:producer-paused', ({ producerId, paused }) => {
    const sub = state.subscriber?.subscriptions.get(producerId);
    if (sub) sub.info = { ...sub.info, paused };
    layout();
  });
  conn.socket.on('room:viewers', ({ count }) => {
    state.viewers = count;
    render();
  });
  conn.socket.on('room:status', ({ status }) => {
    if (state.join) state.join.seminar.status = status;
    render();
  });

  action(
    ui.hand,
    async () => {
      await conn.request('hand:raise', { raised: !state.handRaised });
      state.handRaised = !state.handRaised;
    },
    errorText,
    render,
  );

  action(
    ui.unmute,
    async () => {
      if (state.hls) ui.mainVideo.muted = false;
      else await ui.audio.play();
      state.needsUnmute = false;
    },
    errorText,
    render,
  );

  action(
    ui.register,
    async () => {
      await api('PUT', `/seminars/${id}/registration`);
      location.reload();
    },
    errorText,
  );

  // The server sends the simulcast layer that fits the size the video is shown at.
  const observer = new ResizeObserver(() => reportSizes());
  observer.observe(ui.mainVideo);
  observer.observe(ui.pipVideo);
  function reportSizes(): void {
    for (const video of [ui.mainVideo, ui.pipVideo]) {
      const current = shown.get(video);
      const sub = current && [...(state.subscriber?.subscriptions.values() ?? [])].find((s) => s.track === current.track);
      if (sub && video.clientHeight > 0) {
        void state.subscriber?.preferSize(sub.info.producerId, video.clientWidth * devicePixelRatio, video.clientHeight * devicePixelRatio);
      }
    }
  }

  /** Screen big and camera in the corner, or the camera big; the microphone to the audio element. */
  function layout(): void {
    const subs = [...(state.subscriber?.subscriptions.values() ?? [])];
    const of = (source: string) => subs.find((s) => s.info.source === source);
    const camera = of('camera');
    const screen = of('screen');
    const mic = of('mic');
    const main = screen ?? camera;
    const pip = screen ? camera : undefined;
    show(ui.mainVideo, main);
    show(ui.pipVideo, pip);
    ui.pipTile.hidden = !pip;
    ui.mainTile.dataset.source = main?.info.source ?? '';
    ui.mainTile.classList.toggle('paused', main?.info.paused ?? false);
    ui.pipTile.classList.toggle('paused', pip?.info.paused ?? false);
    ui.mainLabel.textContent = main ? t(main.info.source === 'screen' ? 'watch.screen' : 'watch.camera') : '';
    const audioTrack = (ui.audio.srcObject as MediaStream | null)?.getAudioTracks()[0];
    if (mic?.track !== audioTrack) {
      ui.audio.srcObject = mic ? new MediaStream([mic.track]) : null;
      if (mic) {
        ui.audio
          .play()
          .then(
            () => (state.needsUnmute = false),
            () => (state.needsUnmute = true),
          )
          .finally(render);
      }
    }
    render();
    reportSizes();
  }

  Object.assign(window, {
    lectern: {
      page: 'watch',
      state: () => state.connection.name,
      joins: () => state.joins,
      status: () => state.join?.seminar.status ?? null,
      viewers: () => state.viewers,
      handRaised: () => state.handRaised,
      /** 'hls.js' or 'native' while watching the live HLS (every WebRTC seat taken), else null. */
      hls: () => hlsPlayer?.engine ?? null,
      /** Per received stream: source, codec, packets, bytes, framesDecoded (as frames) and frame size. */
      stats: (): Promise<StreamStats[]> => state.subscriber?.stats() ?? Promise.resolve([]),
      request: (event: string, payload: unknown) => conn.raw(event, payload),
    },
  });
}

let hlsPlayer: HlsPlayer | undefined;

/**
 * The seminar's live HLS in the main video: hls.js with low-latency settings (the browser's
 * own HLS where there is no Media Source Extensions). The label says it runs a few seconds behind.
 */
async function watchHls(id: string): Promise<void> {
  if (hlsPlayer) return;
  try {
    // Loaded only here: most viewers never need it.
    const { attachHls, hlsSupported } = await import('./hls');
    if (!hlsSupported(ui.mainVideo)) return;
    const playback = await api<{ playlistUrl: string; title: string; live: boolean }>('GET', `/seminars/${id}/playback`);
    state.hls = true;
    state.hlsTitle = playback.title;
    state.needsUnmute = true;
    // The playlist gets its end mark when the seminar ends.
    ui.mainVideo.addEventListener(
      'ended',
      () => {
        state.connection = { name: 'ended' };
        stopHls();
        render();
      },
      { once: true },
    );
    hlsPlayer = attachHls(ui.mainVideo, playback.playlistUrl, { live: true, onFatal: (message) => toast(message) });
    void ui.mainVideo.play().catch(() => undefined);
  } catch (err) {
    toast(errorText(err));
  }
  render();
}

function stopHls(): void {
  hlsPlayer?.destroy();
  hlsPlayer = undefined;
}

function show(video: HTMLVideoElement, sub: Subscription | undefined): void {
  const current = shown.get(video);
  if (current?.track === sub?.track) return;
  shown.set(video, sub ? { source: sub.info.source, track: sub.track } : undefined);
  video.srcObject = sub ? new MediaStream([sub.track]) : null;
  if (sub) void video.play().catch(() => undefined);
}

function dropMedia(): void {
  state.subscriber?.close();
  state.subscriber = undefined;
  show(ui.mainVideo, undefined);
  show(ui.pipVideo, undefined);
  ui.audio.srcObject = null;
  ui.pipTile.hidden = true;
}

function overlayText(): string {
  const s = state.connection;
  switch (s.name) {
    case 'connecting':
    case 'reconnecting':
    case 'ended':
    case 'removed':
      return t(`state.${s.name}`);
    case 'failed':
      if (s.error.code === 'seats_full') return state.hls ? '' : t('watch.seatsFull');
      return s.error.code === 'not_registered' || s.error.code === 'unauthorized'
        ? errorText(s.error)
        : t('state.failed', { message: errorText(s.error) });
    case 'joined': {
      const status = state.join?.seminar.status;
      if (status !== 'live') return t('state.waiting');
      if (ui.mainVideo.srcObject === null) return t('watch.noVideo');
      return ui.mainTile.classList.contains('paused') ? t('watch.paused') : '';
    }
  }
}

function render(): void {
  const s = state.connection;
  const status = state.join?.seminar.status ?? '';
  const title = state.join?.seminar.title ?? state.hlsTitle ?? t('app.name');
  document.title = title;
  ui.title.textContent = title;
  ui.badge.textContent = status ? t(`status.${status}` as Key) : '';
  ui.badge.className = `badge ${status}`;
  ui.viewers.textContent = s.name === 'joined' ? plural('viewers', state.viewers) : '';
  ui.overlay.textContent = overlayText();
  ui.overlay.hidden = ui.overlay.textContent === '';
  ui.overlay.dataset.state = s.name;
  const signedIn = hasSession() && state.join?.canChat === true;
  ui.hand.hidden = !signedIn || s.name !== 'joined';
  ui.hand.textContent = t(state.handRaised ? 'watch.lowerHand' : 'watch.raiseHand');
  ui.hand.setAttribute('aria-pressed', String(state.handRaised));
  ui.unmute.hidden = !state.needsUnmute || (s.name !== 'joined' && !state.hls);
  ui.mainLabel.textContent = state.hls ? t('watch.hls') : ui.mainLabel.textContent;
  ui.register.hidden = !(s.name === 'failed' && s.error.code === 'not_registered' && hasSession());
  if (s.name === 'failed' && s.error.code === 'unauthorized' && !ui.overlay.querySelector('a')) {
    ui.overlay.append(' ', h('a', { href: `/?next=${encodeURIComponent(location.pathname + location.search)}` }, t('auth.title')));
  }
}
