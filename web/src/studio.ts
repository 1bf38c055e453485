import type { JoinResult } from '../../server/protocol/live';
import { action, byId, h, param, toast } from './dom';
import { applyI18n, errorText, langToggle, onLangChange, plural, t, type Key } from './i18n';
import { LiveError, RoomConnection, type ConnectionState } from './live';
import { loadDevice, preferredVideoCodec, Publisher, type Source, type StreamStats } from './media';
import { ChatQaPanel } from './panel';
import { adoptTokenFromHash, hasSession } from './session';
import type { Device } from 'mediasoup-client';

// The lecturer's studio: preview, go live, share the screen, pause each source,
// end; the live viewer count, raised hands, and the moderated chat and Q&A.

adoptTokenFromHash();
applyI18n();
langToggle(byId<HTMLButtonElement>('lang'));

const seminarId = param('seminar');
const ui = {
  title: byId('title'),
  badge: byId('status-badge'),
  viewers: byId('viewers'),
  overlay: byId('state'),
  camera: byId<HTMLVideoElement>('camera-preview'),
  screenTile: byId('screen-tile'),
  screen: byId<HTMLVideoElement>('screen-preview'),
  goLive: byId<HTMLButtonElement>('go-live'),
  end: byId<HTMLButtonElement>('end'),
  toggleCamera: byId<HTMLButtonElement>('toggle-camera'),
  toggleMic: byId<HTMLButtonElement>('toggle-mic'),
  share: byId<HTMLButtonElement>('share-screen'),
  toggleScreen: byId<HTMLButtonElement>('toggle-screen'),
  info: byId('media-info'),
  hands: byId('hands'),
};

const state = {
  connection: { name: 'connecting' } as ConnectionState,
  join: undefined as JoinResult | undefined,
  device: undefined as Device | undefined,
  publisher: undefined as Publisher | undefined,
  /** The lecturer pressed "go live" and has not ended: rejoins publish again by themselves. */
  broadcasting: false,
  tracks: {} as Partial<Record<Source, MediaStreamTrack>>,
  paused: { camera: false, mic: false, screen: false } as Record<Source, boolean>,
  viewers: 0,
  /** Joins so far: more than one after a reconnect or a room rebuild. */
  joins: 0,
  hands: new Map<string, string>(),
  mediaError: undefined as string | undefined,
  lastStats: [] as StreamStats[],
};

if (!seminarId || !hasSession()) {
  render();
  ui.overlay.textContent = t('auth.needed');
  ui.overlay.append(' ', h('a', { href: `/?next=${encodeURIComponent(location.pathname + location.search)}` }, t('auth.title')));
  for (const b of [ui.goLive, ui.end, ui.toggleCamera, ui.toggleMic, ui.share]) b.disabled = true;
} else {
  void main(seminarId);
}

async function main(id: string): Promise<void> {
  const conn: RoomConnection = new RoomConnection(id, {
    joined: (join, generation) => onJoined(conn, join, generation),
    state: (s) => {
      state.connection = s;
      if (s.name === 'joined') {
        state.join = s.join;
        state.joins++;
      }
      if (s.name === 'reconnecting') {
        state.publisher?.close();
        state.publisher = undefined;
      }
      if (s.name === 'ended' || s.name === 'removed' || s.name === 'failed') stopEverything();
      render();
    },
  });
  const panel = new ChatQaPanel(conn, byId('side'), true);
  applyI18n();
  onLangChange(render);

  conn.socket.on('room:viewers', ({ count }) => {
    state.viewers = count;
    render();
  });
  conn.socket.on('room:status', ({ status }) => {
    if (state.join) state.join.seminar.status = status;
    if (status === 'ended') panel.disable();
    render();
  });
  conn.socket.on('hand:updated', ({ userId, displayName, raised }) => {
    if (raised) state.hands.set(userId, displayName);
    else state.hands.delete(userId);
    render();
  });

  async function onJoined(c: RoomConnection, join: JoinResult, generation: number): Promise<void> {
    if (join.role !== 'lecturer') {
      c.close();
      state.connection = { name: 'failed', error: new LiveError('not_lecturer', t('studio.notLecturer')) };
      stopEverything();
      render();
      return;
    }
    state.publisher?.close();
    state.publisher = undefined;
    state.join = join;
    state.viewers = join.viewers;
    state.hands.clear();
    state.device = await loadDevice(join.routerRtpCapabilities);
    panel.reset(join);
    if (state.broadcasting && join.seminar.status === 'live') await publishAll(generation);
  }

  /** A send transport, and a producer for every source we have. */
  async function publishAll(generation: number): Promise<void> {
    if (!state.device) return;
    state.publisher?.close();
    state.publisher = undefined;
    const publisher = new Publisher(conn, state.device, () => conn.restart('send transport failed'));
    await publisher.open();
    if (generation !== conn.current) return publisher.close();
    state.publisher = publisher;
    for (const source of ['camera', 'mic', 'screen'] as const) {
      const track = state.tracks[source];
      if (track && track.readyState === 'live') {
        await publisher.publish(source, track, {
          paused: state.paused[source],
          ...(source === 'screen' ? { onEnded: () => void stopScreen() } : {}),
        });
      }
    }
    render();
  }

  action(
    ui.goLive,
    async () => {
      const join = state.join;
      if (!join) return;
      if (join.seminar.status !== 'live') {
        await conn.request('seminar:go-live', {});
        join.seminar.status = 'live';
      }
      state.broadcasting = true;
      await publishAll(conn.current);
    },
    errorText,
    render,
  );

  action(
    ui.end,
    async () => {
      if (!confirm(t('studio.endConfirm'))) return;
      await conn.request('seminar:end', {});
    },
    errorText,
    render,
  );

  const toggle = (source: Source) => async () => {
    state.paused[source] = !state.paused[source];
    const track = state.tracks[source];
    if (track) track.enabled = !state.paused[source];
    if (state.paused[source]) await state.publisher?.pause(source);
    else await state.publisher?.resume(source);
  };
  action(ui.toggleCamera, toggle('camera'), errorText, render);
  action(ui.toggleMic, toggle('mic'), errorText, render);
  action(ui.toggleScreen, toggle('screen'), errorText, render);

  async function stopScreen(): Promise<void> {
    const track = state.tracks.screen;
    delete state.tracks.screen;
    state.paused.screen = false;
    track?.stop();
    ui.screen.srcObject = null;
    await state.publisher?.unpublish('screen');
    render();
  }

  action(
    ui.share,
    async () => {
      if (state.tracks.screen) return stopScreen();
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
      const track = stream.getVideoTracks()[0];
      if (!track) return;
      track.contentHint = 'detail';
      track.addEventListener('ended', () => void stopScreen());
      state.tracks.screen = track;
      ui.screen.srcObject = new MediaStream([track]);
      if (state.publisher) await state.publisher.publish('screen', track, { onEnded: () => void stopScreen() });
    },
    errorText,
    render,
  );

  setInterval(() => void refreshStats(), 2000);

  // What the end-to-end test reads, instead of scraping the page.
  Object.assign(window, {
    lectern: {
      page: 'studio',
      state: () => state.connection.name,
      joins: () => state.joins,
      status: () => state.join?.seminar.status ?? null,
      viewers: () => state.viewers,
      hands: () => [...state.hands.values()],
      codec: () => (state.device ? (preferredVideoCodec(state.device)?.mimeType ?? null) : null),
      sendCodecs: () => state.device?.sendRtpCapabilities.codecs?.map((c) => c.mimeType) ?? [],
      stats: () => state.publisher?.stats() ?? Promise.resolve([]),
      request: (event: string, payload: unknown) => conn.raw(event, payload),
    },
  });

  await startPreview();
  render();
}

async function startPreview(): Promise<void> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    state.tracks.camera = stream.getVideoTracks()[0];
    state.tracks.mic = stream.getAudioTracks()[0];
    if (state.tracks.camera) ui.camera.srcObject = new MediaStream([state.tracks.camera]);
  } catch (err) {
    state.mediaError = t('studio.noDevices', { message: err instanceof Error ? err.message : String(err) });
    toast(state.mediaError);
  }
}

function stopEverything(): void {
  state.broadcasting = false;
  state.publisher?.close();
  state.publisher = undefined;
  for (const track of Object.values(state.tracks)) track?.stop();
  state.tracks = {};
  ui.camera.srcObject = null;
  ui.screen.srcObject = null;
}

async function refreshStats(): Promise<void> {
  state.lastStats = (await state.publisher?.stats().catch(() => [])) ?? [];
  renderInfo();
}

function renderInfo(): void {
  const camera = state.lastStats.find((s) => s.source === 'camera');
  ui.info.textContent = camera?.codec
    ? t('studio.codec', { codec: camera.codec.replace(/^video\//, ''), layers: camera.layers?.length ?? 1 })
    : (state.mediaError ?? '');
}

function overlayText(): string {
  const s = state.connection;
  switch (s.name) {
    case 'connecting':
    case 'reconnecting':
      return t(`state.${s.name}`);
    case 'ended':
    case 'removed':
      return t(`state.${s.name}`);
    case 'failed':
      return s.error.code === 'not_lecturer' ? s.error.message : t('state.failed', { message: errorText(s.error) });
    case 'joined':
      return '';
  }
}

function render(): void {
  const s = state.connection;
  const status = state.join?.seminar.status ?? '';
  const joined = s.name === 'joined';
  const live = joined && status === 'live';
  const publishing = state.publisher !== undefined && state.publisher.producers.size > 0;
  document.title = `${t('studio.title')} — ${state.join?.seminar.title ?? t('app.name')}`;
  ui.title.textContent = state.join?.seminar.title ?? t('studio.title');
  ui.badge.textContent = status ? t(`status.${status}` as Key) : '';
  ui.badge.className = `badge ${live && publishing ? 'live' : status}`;
  ui.viewers.textContent = plural('viewers', state.viewers);
  ui.overlay.textContent = overlayText();
  ui.overlay.hidden = ui.overlay.textContent === '';
  ui.overlay.dataset.state = s.name;

  ui.goLive.hidden = publishing;
  ui.goLive.disabled = !joined || !state.tracks.camera || status === 'ended';
  ui.goLive.textContent = t(status === 'live' ? 'studio.resume' : 'studio.goLive');
  ui.end.disabled = !live;
  ui.toggleCamera.disabled = !state.tracks.camera;
  ui.toggleCamera.textContent = t(state.paused.camera ? 'studio.cameraOn' : 'studio.cameraOff');
  ui.toggleCamera.setAttribute('aria-pressed', String(state.paused.camera));
  ui.toggleMic.disabled = !state.tracks.mic;
  ui.toggleMic.textContent = t(state.paused.mic ? 'studio.micOn' : 'studio.micOff');
  ui.toggleMic.setAttribute('aria-pressed', String(state.paused.mic));
  ui.share.disabled = !joined || !navigator.mediaDevices?.getDisplayMedia;
  ui.share.textContent = t(state.tracks.screen ? 'studio.stopScreen' : 'studio.shareScreen');
  ui.screenTile.hidden = !state.tracks.screen;
  ui.toggleScreen.hidden = !state.tracks.screen;
  ui.toggleScreen.textContent = t(state.paused.screen ? 'studio.screenResume' : 'studio.screenPause');

  ui.hands.replaceChildren(
    ...(state.hands.size === 0
      ? [h('li', { class: 'empty' }, t('studio.handsEmpty'))]
      : [...state.hands.values()].map((name) => h('li', {}, name))),
  );
  renderInfo();
}
