import type { PlaybackView } from '../../server/protocol/recordings';
import type { ProgressView } from '../../server/protocol/progress';
import { byId, h, param, toast } from './dom';
import { attachHls, hlsSupported, type HlsPlayer } from './hls';
import { applyI18n, errorText, langToggle, onLangChange, t } from './i18n';
import { PlayedRanges, type Interval } from './replay-progress';
import { accessToken, adoptTokenFromHash, api, ApiError, hasSession } from './session';

// A recorded seminar (or the live one, a few seconds behind, over HLS): the
// camera with the lecturer's voice, each screen share large with the camera
// alongside, chapters, and the chat and questions as they were at that moment.
// What the learner watches goes to the server as heartbeats: every 10 s while
// playing, on pause, and when the page is hidden or closed.

adoptTokenFromHash();
applyI18n();
langToggle(byId<HTMLButtonElement>('lang'));

const HEARTBEAT_MS = 10_000;
const seminarId = param('seminar');

const ui = {
  title: byId('title'),
  badge: byId('status-badge'),
  overlay: byId('state'),
  cameraTile: byId('camera-tile'),
  camera: byId<HTMLVideoElement>('camera-video'),
  cameraLabel: byId('camera-label'),
  screenTile: byId('screen-tile'),
  screen: byId<HTMLVideoElement>('screen-video'),
  liveNotice: byId('live-notice'),
  play: byId<HTMLButtonElement>('play'),
  time: byId('time'),
  seek: byId<HTMLInputElement>('seek'),
  duration: byId('duration'),
  speed: byId<HTMLSelectElement>('speed'),
  resumed: byId('resumed'),
  chapters: byId('chapters'),
  chat: byId('chat'),
  questions: byId('questions'),
};

type State = 'loading' | 'ready' | 'playing' | 'paused' | 'ended' | 'error';

const state = {
  name: 'loading' as State,
  error: '',
  playback: undefined as PlaybackView | undefined,
  resumeFrom: 0,
  /** The media time when playback first started on this page. */
  startedAt: null as number | null,
  heartbeats: 0,
  lastHeartbeat: undefined as { intervals: Interval[]; position: number; ok: boolean } | undefined,
  /** The screen share shown now (index into playback.screens), if any. */
  screenIndex: -1,
  /** The access token as last read, so the page-hide heartbeat can be sent synchronously. */
  token: null as string | null,
};

const played = new PlayedRanges();
let mainPlayer: HlsPlayer | undefined;
let screenPlayer: { index: number; player: HlsPlayer } | undefined;
/** Items already rendered, to redraw the side panes only when what is visible changes. */
const shownCount = { chat: -1, questions: -1, chapter: -2 };

if (!seminarId) fail(t('error.seminar_not_found'));
else void main(seminarId);

async function main(id: string): Promise<void> {
  onLangChange(() => {
    shownCount.chat = shownCount.questions = -1;
    shownCount.chapter = -2;
    renderChapters();
    render();
  });
  wireControls();
  wireProgress(id);
  render();
  let playback: PlaybackView;
  try {
    playback = await api<PlaybackView>('GET', `/seminars/${id}/playback`);
  } catch (err) {
    return fail(err instanceof ApiError && err.status === 401 ? t('error.unauthorized') : errorText(err));
  }
  state.playback = playback;
  state.token = await accessToken();
  if (!playback.live && hasSession()) {
    try {
      const progress = await api<ProgressView>('GET', `/progress/${id}`);
      const duration = playback.durationSeconds ?? Infinity;
      if (progress.resumePosition > 1 && progress.resumePosition < duration - 1) state.resumeFrom = progress.resumePosition;
    } catch {
      // No progress yet (or not a learner): start from the beginning.
    }
  }
  if (!hlsSupported(ui.camera)) return fail(t('replay.unsupported'));
  if (playback.posterUrl) ui.camera.poster = playback.posterUrl;
  mainPlayer = attachHls(ui.camera, playback.playlistUrl, {
    live: playback.live,
    startAt: state.resumeFrom || undefined,
    onFatal: (message) => fail(t('replay.failed', { message })),
  });
  ui.camera.addEventListener(
    'loadedmetadata',
    () => {
      if (state.name === 'loading') state.name = 'ready';
      ui.camera.playbackRate = Number(ui.speed.value);
      void ui.camera.play().catch(() => render());
      render();
    },
    { once: true },
  );
  renderChapters();
  render();
}

function wireControls(): void {
  const v = ui.camera;
  ui.play.addEventListener('click', () => {
    if (v.paused || v.ended) void v.play().catch((err: unknown) => toast(errorText(err)));
    else v.pause();
  });
  ui.seek.addEventListener('input', () => seekTo(Number(ui.seek.value)));
  ui.speed.addEventListener('change', () => {
    v.playbackRate = Number(ui.speed.value);
    if (screenPlayer) ui.screen.playbackRate = v.playbackRate;
  });
  v.addEventListener('play', () => setState('playing'));
  v.addEventListener('playing', () => {
    state.startedAt ??= v.currentTime;
    setState('playing');
  });
  v.addEventListener('pause', () => {
    if (!v.ended) setState('paused');
  });
  v.addEventListener('ended', () => {
    setState('ended');
    if (state.playback?.live && seminarId) setTimeout(() => void refreshAfterLive(seminarId), 1000);
  });
  v.addEventListener('timeupdate', onTime);
  v.addEventListener('seeked', onTime);
  v.addEventListener('durationchange', render);
  v.addEventListener('ratechange', () => {
    ui.speed.value = String(v.playbackRate);
    if (!ui.speed.value) ui.speed.value = '1';
  });
}

/** Watched spans, position and heartbeats. */
function wireProgress(id: string): void {
  const v = ui.camera;
  v.addEventListener('timeupdate', () => {
    if (!v.paused && !v.seeking) played.advance(v.currentTime);
  });
  v.addEventListener('seeking', () => played.cut());
  v.addEventListener('waiting', () => played.cut());
  v.addEventListener('pause', () => {
    played.advance(v.currentTime);
    played.cut();
    void heartbeat(id);
  });
  v.addEventListener('ended', () => void heartbeat(id));
  setInterval(() => {
    if (!v.paused) void heartbeat(id);
  }, HEARTBEAT_MS);
  const leaving = () => {
    played.advance(v.currentTime);
    played.cut();
    void heartbeat(id, true);
  };
  addEventListener('pagehide', leaving);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') leaving();
  });
}

/**
 * Sends everything watched since the page opened (the server merges, so repeats are harmless).
 * On the way out (`leaving`) it must not wait: navigator.sendBeacon outlives the page; it
 * cannot set headers, so the access token travels in the body. fetch with keepalive is the
 * fallback when the browser refuses the beacon.
 */
function heartbeat(id: string, leaving = false): Promise<void> | undefined {
  const intervals = played.intervals();
  if (!hasSession() || intervals.length === 0 || !state.playback) return;
  const duration = state.playback.durationSeconds ?? (Number.isFinite(ui.camera.duration) ? ui.camera.duration : undefined);
  const body = {
    contentId: id,
    intervals,
    position: Math.max(0, Math.min(ui.camera.currentTime, 24 * 3600)),
    ...(duration && duration > 0 && !state.playback.live ? { durationSeconds: duration } : {}),
    sentAt: Date.now(),
  };
  state.heartbeats++;
  const send = (token: string | null) =>
    fetch('/api/v1/progress/heartbeats', {
      method: 'POST',
      keepalive: leaving,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    }).then(
      (res) => void (state.lastHeartbeat = { intervals, position: body.position, ok: res.ok }),
      () => void (state.lastHeartbeat = { intervals, position: body.position, ok: false }),
    );
  if (leaving) {
    const beacon = state.token ? new Blob([JSON.stringify({ ...body, accessToken: state.token })], { type: 'application/json' }) : null;
    if (beacon && navigator.sendBeacon('/api/v1/progress/heartbeats', beacon)) {
      state.lastHeartbeat = { intervals, position: body.position, ok: true };
      return;
    }
    void send(state.token);
    return;
  }
  return accessToken().then((token) => {
    state.token = token;
    return send(token);
  });
}

function seekTo(seconds: number): void {
  const v = ui.camera;
  const end = Number.isFinite(v.duration) ? v.duration : (state.playback?.durationSeconds ?? seconds);
  v.currentTime = Math.max(0, Math.min(seconds, end));
  onTime();
}

function onTime(): void {
  syncScreen();
  renderTimeline();
  render();
}

/** The screen share that covers main time `now`, kept within a quarter second of it. */
function syncScreen(): void {
  const p = state.playback;
  if (!p || p.screens.length === 0) return;
  const now = ui.camera.currentTime;
  let index = -1;
  for (let i = p.screens.length - 1; i >= 0; i--) {
    if (now >= p.screens[i]!.offsetMs / 1000) {
      index = i;
      break;
    }
  }
  const screen = index >= 0 ? p.screens[index]! : undefined;
  const local = screen ? now - screen.offsetMs / 1000 : 0;
  // Past the end of that share's recording: hide it (its duration is known once it has loaded).
  const ended = screenPlayer?.index === index && Number.isFinite(ui.screen.duration) && local > ui.screen.duration + 0.25;
  if (!screen || ended) {
    if (state.screenIndex !== -1) layout(-1);
    if (!screen && screenPlayer) dropScreen();
    return;
  }
  if (screenPlayer?.index !== index) {
    dropScreen();
    screenPlayer = { index, player: attachHls(ui.screen, screen.playlistUrl, { live: p.live, startAt: local }) };
    ui.screen.playbackRate = ui.camera.playbackRate;
  }
  if (state.screenIndex !== index) layout(index);
  const s = ui.screen;
  if (s.readyState >= 1 && Math.abs(s.currentTime - local) > 0.25 && !p.live) s.currentTime = local;
  if (s.playbackRate !== ui.camera.playbackRate) s.playbackRate = ui.camera.playbackRate;
  if (ui.camera.paused && !s.paused) s.pause();
  if (!ui.camera.paused && s.paused) void s.play().catch(() => undefined);
}

function dropScreen(): void {
  screenPlayer?.player.destroy();
  screenPlayer = undefined;
}

/** Screen large with the camera alongside, or the camera alone. */
function layout(index: number): void {
  state.screenIndex = index;
  const withScreen = index >= 0;
  ui.screenTile.hidden = !withScreen;
  ui.cameraTile.classList.toggle('main', !withScreen);
  ui.cameraTile.classList.toggle('pip', withScreen);
  ui.cameraLabel.textContent = withScreen ? t('watch.camera') : '';
}

async function refreshAfterLive(id: string): Promise<void> {
  try {
    const playback = await api<PlaybackView>('GET', `/seminars/${id}/playback`);
    if (playback.live) return;
    state.playback = { ...playback, live: false };
    renderChapters();
    shownCount.chat = shownCount.questions = -1;
    render();
  } catch {
    // The recording stays as it played.
  }
}

function setState(name: State): void {
  if (state.name === 'error') return;
  state.name = name;
  syncScreen();
  render();
}

function fail(message: string): void {
  state.name = 'error';
  state.error = message;
  render();
}

function clockOf(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const s = Math.floor(seconds);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

function renderChapters(): void {
  const chapters = state.playback?.chapters ?? [];
  ui.chapters.replaceChildren(
    ...(chapters.length === 0 ? [h('li', { class: 'empty' }, t('replay.noChapters'))] : []),
    ...chapters.map((c) =>
      h(
        'li',
        { class: `chapter ${c.kind}`, 'data-offset': c.offsetMs },
        h(
          'button',
          {
            class: 'link',
            type: 'button',
            onclick: () => {
              seekTo(c.offsetMs / 1000);
              void ui.camera.play().catch(() => undefined);
            },
          },
          h('time', {}, clockOf(c.offsetMs / 1000)),
          ' ',
          c.title,
        ),
      ),
    ),
  );
  shownCount.chapter = -2;
}

/** Chat and questions as they stood at the current moment; the current chapter highlighted. */
function renderTimeline(): void {
  const p = state.playback;
  if (!p) return;
  const nowMs = ui.camera.currentTime * 1000;
  const chat = p.chat.filter((m) => m.offsetMs <= nowMs);
  if (chat.length !== shownCount.chat) {
    shownCount.chat = chat.length;
    ui.chat.replaceChildren(
      ...(chat.length === 0 ? [h('li', { class: 'empty' }, t('chat.empty'))] : []),
      ...chat.map((m) =>
        h(
          'li',
          { 'data-testid': 'chat-message' },
          h('span', { class: 'who' }, m.displayName),
          h('time', {}, clockOf(m.offsetMs / 1000)),
          h('p', {}, m.text),
        ),
      ),
    );
    ui.chat.scrollTop = ui.chat.scrollHeight;
  }
  const questions = p.questions.filter((q) => q.offsetMs <= nowMs);
  if (questions.length !== shownCount.questions) {
    shownCount.questions = questions.length;
    ui.questions.replaceChildren(
      ...(questions.length === 0 ? [h('li', { class: 'empty' }, t('qa.empty'))] : []),
      ...questions.map((q) =>
        h(
          'li',
          { class: 'question', 'data-testid': 'question' },
          h(
            'div',
            { class: 'body' },
            h('span', { class: 'who' }, q.displayName),
            h('time', {}, clockOf(q.offsetMs / 1000)),
            h('p', {}, q.text),
          ),
          h('span', { class: 'muted' }, `▲ ${q.votes}`),
        ),
      ),
    );
  }
  let chapter = -1;
  p.chapters.forEach((c, i) => {
    if (c.offsetMs <= nowMs) chapter = i;
  });
  if (chapter !== shownCount.chapter) {
    shownCount.chapter = chapter;
    ui.chapters.querySelectorAll('li').forEach((li, i) => li.classList.toggle('current', i === chapter));
  }
}

function render(): void {
  const p = state.playback;
  const v = ui.camera;
  document.title = p?.title ?? t('app.name');
  ui.title.textContent = p?.title ?? '';
  ui.badge.textContent = p ? t(p.live ? 'status.live' : 'replay.recording') : '';
  ui.badge.className = `badge ${p?.live ? 'live' : 'ended'}`;
  ui.liveNotice.hidden = !p?.live;
  const overlay = state.name === 'error' ? state.error : state.name === 'loading' ? t('replay.loading') : '';
  ui.overlay.textContent = overlay;
  ui.overlay.hidden = overlay === '';
  ui.overlay.dataset.state = state.name;
  if (state.name === 'error' && state.error === t('error.unauthorized') && !ui.overlay.querySelector('a')) {
    ui.overlay.append(' ', h('a', { href: `/?next=${encodeURIComponent(location.pathname + location.search)}` }, t('auth.title')));
  }
  ui.play.textContent = t(v.paused || v.ended ? 'replay.play' : 'replay.pause');
  ui.play.disabled = state.name === 'loading' || state.name === 'error';
  const duration = Number.isFinite(v.duration) ? v.duration : (p?.durationSeconds ?? 0);
  ui.seek.max = String(duration || 0);
  if (document.activeElement !== ui.seek) ui.seek.value = String(v.currentTime);
  ui.seek.disabled = !!p?.live || state.name === 'loading';
  ui.time.textContent = clockOf(v.currentTime);
  ui.duration.textContent = p?.live ? t('status.live') : clockOf(duration);
  ui.resumed.hidden = state.resumeFrom <= 0;
  ui.resumed.textContent = t('replay.resumed', { time: clockOf(state.resumeFrom) });
}

Object.assign(window, {
  lectern: {
    page: 'replay',
    state: () => state.name,
    error: () => state.error,
    live: () => state.playback?.live ?? null,
    engine: () => mainPlayer?.engine ?? null,
    currentTime: () => ui.camera.currentTime,
    duration: () => ui.camera.duration,
    paused: () => ui.camera.paused,
    rate: () => ui.camera.playbackRate,
    /** Where this page started playing from the saved progress (0: from the beginning). */
    resumedFrom: () => state.resumeFrom,
    startedAt: () => state.startedAt,
    /** Frames the camera video decoded so far. */
    frames: () => ui.camera.getVideoPlaybackQuality().totalVideoFrames,
    intervals: () => played.intervals(),
    covered: () => played.covered(),
    heartbeats: () => state.heartbeats,
    lastHeartbeat: () => state.lastHeartbeat ?? null,
    screenShown: () => state.screenIndex,
    visibleChat: () => ui.chat.querySelectorAll('[data-testid="chat-message"]').length,
    visibleQuestions: () => ui.questions.querySelectorAll('[data-testid="question"]').length,
    play: () => ui.camera.play(),
    pause: () => ui.camera.pause(),
    seek: (seconds: number) => seekTo(seconds),
    setRate: (rate: number) => {
      ui.speed.value = String(rate);
      ui.speed.dispatchEvent(new Event('change'));
    },
    chapters: () => state.playback?.chapters ?? [],
  },
});
