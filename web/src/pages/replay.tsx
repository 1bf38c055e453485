import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { errorText } from '../kit/errors';
import { mediaTime } from '../kit/format';
import { t } from '../kit/i18n';
import { signInHref, useTitle } from '../kit/shell';
import { toast } from '../kit/toast';
import { RoomHeader } from './room-header';
import { ReplayPlayer } from './replay-player';
import { ReplayPolls } from './poll-bars';
import { SubtitlePicker, TranscriptPanel, transcriptTrack } from './subtitles-ui';
import { ReplaySlide } from './slides';
import '../styles/room.css';

// A recorded seminar (or the live one over HLS): the player, chapters, and the chat
// and questions as they were at the current moment of the recording.

const SPEEDS = [0.75, 1, 1.25, 1.5, 1.75, 2];

function problemText(player: ReplayPlayer): string {
  const p = player.problem;
  if (!p) return '';
  if (p.kind === 'unsupported') return t('room:replay.unsupported');
  if (p.kind === 'hls') return t('room:replay.failed', { code: p.code });
  return errorText(p.error);
}

/** Chat, questions and chapters up to the current moment. */
function Timeline({ player, nowMs }: { player: ReplayPlayer | null; nowMs: number }) {
  // The player changes in place: its version signal re-renders this when the playback answer changes.
  void player?.version.value;
  const p = player?.playback;
  const chat = p?.chat.filter((m) => m.offsetMs <= nowMs) ?? [];
  const questions = p?.questions.filter((q) => q.offsetMs <= nowMs) ?? [];
  const chapters = p?.chapters ?? [];
  let current = -1;
  chapters.forEach((c, i) => {
    if (c.offsetMs <= nowMs) current = i;
  });
  const chatList = useRef<HTMLOListElement>(null);
  useLayoutEffect(() => {
    if (chatList.current) chatList.current.scrollTop = chatList.current.scrollHeight;
  }, [chat.length]);
  const subtitles = p?.subtitles ?? [];
  return (
    <aside
      class={`side replay-side${subtitles.length ? ' with-transcript' : ''}`}
      aria-label={`${t('room:replay.chapters')}, ${t('room:chat.title')}, ${t('room:qa.title')}`}
    >
      <TranscriptPanel
        track={transcriptTrack(subtitles, player?.subtitleLanguage ?? null)}
        now={nowMs / 1000}
        onSeek={(s) => player?.seekTo(s)}
      />
      <section class="panel chapters" aria-labelledby="chapters-title">
        <h2 id="chapters-title">{t('room:replay.chapters')}</h2>
        <ol id="chapters" data-testid="chapters">
          {chapters.length === 0 && <li class="empty">{t('room:replay.noChapters')}</li>}
          {chapters.map((c, i) => (
            <li key={`${c.offsetMs}-${i}`} class={`chapter ${c.kind}${i === current ? ' current' : ''}`} data-offset={c.offsetMs}>
              <button
                type="button"
                class="link"
                aria-current={i === current ? 'true' : undefined}
                onClick={() => player?.playFrom(c.offsetMs / 1000)}
              >
                <time>{mediaTime(c.offsetMs / 1000)}</time> {c.title}
              </button>
            </li>
          ))}
        </ol>
      </section>
      <ReplayPolls polls={p?.polls ?? []} nowMs={nowMs} />
      <section class="panel" aria-labelledby="replay-chat-title">
        <h2 id="replay-chat-title">{t('room:chat.title')}</h2>
        <ol id="chat" data-testid="chat" ref={chatList} tabIndex={0} aria-label={t('room:chat.title')}>
          {chat.length === 0 && <li class="empty">{t('room:chat.empty')}</li>}
          {chat.map((m) => (
            <li key={m.id} data-testid="chat-message">
              <span class="who">{m.displayName}</span>
              <time>{mediaTime(m.offsetMs / 1000)}</time>
              <p>{m.text}</p>
            </li>
          ))}
        </ol>
      </section>
      <section class="panel" aria-labelledby="replay-qa-title">
        <h2 id="replay-qa-title">{t('room:qa.title')}</h2>
        <ol id="questions" data-testid="questions" tabIndex={0} aria-label={t('room:qa.title')}>
          {questions.length === 0 && <li class="empty">{t('room:qa.empty')}</li>}
          {questions.map((q) => (
            <li key={q.id} class="question" data-testid="question">
              <div class="body">
                <span class="who">{q.displayName}</span>
                <time>{mediaTime(q.offsetMs / 1000)}</time>
                <p>{q.text}</p>
              </div>
              <span class="muted">
                <span aria-hidden="true">▲ {q.votes}</span>
                <span class="visually-hidden">{t('room:qa.votes', { count: q.votes })}</span>
              </span>
            </li>
          ))}
        </ol>
      </section>
    </aside>
  );
}

function ReplayPage({ id }: { id: string }) {
  const camera = useRef<HTMLVideoElement>(null);
  const screen = useRef<HTMLVideoElement>(null);
  const [player, setPlayer] = useState<ReplayPlayer | null>(null);
  // Set while the learner drags the seek bar, so playback does not pull it back under the pointer.
  const dragging = useRef(false);
  const { url } = useLocation();
  useEffect(() => {
    const p = new ReplayPlayer(id, { camera: camera.current!, screen: screen.current! });
    setPlayer(p);
    const v = camera.current!;
    // What the end-to-end tests read, instead of scraping the page.
    const hooks = {
      page: 'replay',
      state: () => p.name,
      error: () => (p.problem ? problemText(p) : ''),
      live: () => p.playback?.live ?? null,
      engine: () => p.engine,
      currentTime: () => v.currentTime,
      duration: () => v.duration,
      paused: () => v.paused,
      rate: () => v.playbackRate,
      /** Where this page started playing from the saved progress (0: from the beginning). */
      resumedFrom: () => p.resumeFrom,
      resumeNoticeShown: () => !document.getElementById('resumed')?.hidden,
      /** The seek bar's value and whether it has the focus: it follows playback even then. */
      seekBar: () => {
        const bar = document.getElementById('seek') as HTMLInputElement | null;
        return { value: Number(bar?.value ?? NaN), focused: document.activeElement === bar };
      },
      startedAt: () => p.startedAt,
      /** Frames the camera video decoded so far. */
      frames: () => v.getVideoPlaybackQuality().totalVideoFrames,
      intervals: () => p.progress.played.intervals(),
      covered: () => p.progress.played.covered(),
      heartbeats: () => p.progress.heartbeats,
      lastHeartbeat: () => p.progress.lastHeartbeat ?? null,
      screenShown: () => p.screenIndex,
      visibleChat: () => document.querySelectorAll('#chat [data-testid="chat-message"]').length,
      visibleQuestions: () => document.querySelectorAll('#questions [data-testid="question"]').length,
      play: () => v.play(),
      pause: () => v.pause(),
      seek: (seconds: number) => p.seekTo(seconds),
      setRate: (rate: number) => p.setRate(rate),
      chapters: () => p.playback?.chapters ?? [],
      /** How many cues the showing subtitle track holds (hls.js adds them once it has loaded the WebVTT). */
      subtitleCues: () =>
        Array.from(v.textTracks)
          .filter((track) => track.mode === 'showing')
          .reduce((n, track) => n + (track.cues?.length ?? 0), 0),
      /** The text of the subtitle cues the video shows now (its showing text track's active cues). */
      activeSubtitles: () =>
        Array.from(v.textTracks)
          .filter((track) => track.mode === 'showing')
          .flatMap((track) => Array.from(track.activeCues ?? []).map((cue) => (cue as VTTCue).text)),
    };
    Object.assign(window, { lectern: hooks });
    return () => {
      p.close();
      const w = window as { lectern?: unknown };
      if (w.lectern === hooks) delete w.lectern;
    };
  }, [id]);
  void player?.version.value;

  const v = camera.current;
  const playback = player?.playback;
  const state = player?.name ?? 'loading';
  const overlay = state === 'error' && player ? problemText(player) : state === 'loading' ? t('room:replay.loading') : '';
  const withScreen = (player?.screenIndex ?? -1) >= 0;
  const currentTime = v?.currentTime ?? 0;
  const duration = player?.duration ?? 0;
  const rate = v?.playbackRate ?? 1;
  const playing = v ? !(v.paused || v.ended) : false;
  useTitle(playback?.title);

  return (
    <div class="room replay">
      <RoomHeader
        title={playback?.title ?? ''}
        badge={playback ? t(playback.live ? 'status.live' : 'room:replay.recording') : ''}
        badgeClass={playback?.live ? 'live' : 'ended'}
      />
      <div class="layout">
        <section class="stage" aria-label={t('room:watch.video')}>
          <div id="videos" class="videos">
            <div id="screen-tile" class="tile main" hidden={!withScreen}>
              <video id="screen-video" ref={screen} muted playsInline />
              <span class="label">{t('room:watch.screen')}</span>
            </div>
            <div id="camera-tile" class={`tile ${withScreen ? 'pip' : 'main'}`}>
              <video id="camera-video" ref={camera} playsInline data-testid="video" />
              <span id="camera-label" class="label">
                {withScreen ? t('room:watch.camera') : ''}
              </span>
            </div>
            <div id="state" class="overlay" data-testid="state" data-state={state} hidden={overlay === ''} role="status">
              {overlay}
              {player?.needsSignIn && (
                <>
                  {' '}
                  <a href={signInHref(url)}>{t('auth.title')}</a>
                </>
              )}
            </div>
          </div>
          <p id="live-notice" class="notice" hidden={!playback?.live}>
            {t('room:replay.liveNotice')}
          </p>
          <div class="controls player-controls" role="group" aria-label={t('room:replay.player')}>
            <button
              id="play"
              type="button"
              class="primary"
              data-testid="play"
              disabled={state === 'loading' || state === 'error'}
              onClick={() => void player?.togglePlay().catch((err: unknown) => toast(errorText(err)))}
            >
              {t(playing ? 'room:replay.pause' : 'room:replay.play')}
            </button>
            <span id="time" class="time" data-testid="time">
              {mediaTime(currentTime)}
            </span>
            <input
              id="seek"
              type="range"
              min="0"
              max={String(duration || 0)}
              step="0.1"
              value={dragging.current ? undefined : String(currentTime)}
              aria-label={t('room:replay.seek')}
              aria-valuetext={`${mediaTime(currentTime)} / ${mediaTime(duration)}`}
              data-testid="seek"
              disabled={!!playback?.live || state === 'loading'}
              onPointerDown={() => (dragging.current = true)}
              onPointerUp={() => (dragging.current = false)}
              onPointerCancel={() => (dragging.current = false)}
              onInput={(e) => player?.seekTo(Number(e.currentTarget.value))}
            />
            <span id="duration" class="time">
              {playback?.live ? t('status.live') : mediaTime(duration)}
            </span>
            <label class="speed">
              <span>{t('room:replay.speed')}</span>
              <select
                id="speed"
                data-testid="speed"
                value={SPEEDS.includes(rate) ? String(rate) : '1'}
                onChange={(e) => player?.setRate(Number(e.currentTarget.value))}
              >
                {SPEEDS.map((s) => (
                  <option key={s} value={String(s)}>
                    {s}×
                  </option>
                ))}
              </select>
            </label>
            <SubtitlePicker
              tracks={playback?.subtitles ?? []}
              value={player?.subtitleLanguage ?? null}
              onChange={(language) => player?.selectSubtitles(language)}
            />
            <span id="resumed" class="muted" data-testid="resumed" hidden={(player?.resumeFrom ?? 0) <= 0 || !player?.resumeNotice}>
              {t('room:replay.resumed', { time: mediaTime(player?.resumeFrom ?? 0) })}
            </span>
          </div>
          <ReplaySlide slides={playback?.slides ?? []} nowMs={currentTime * 1000} />
        </section>
        <Timeline player={player} nowMs={currentTime * 1000} />
      </div>
    </div>
  );
}

export default function Replay({ id }: { id: string }) {
  return <ReplayPage key={id} id={id} />;
}
