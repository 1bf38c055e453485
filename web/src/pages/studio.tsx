import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ActionButton } from '../kit/button';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { signInHref, useTitle } from '../kit/shell';
import { who } from '../session';
import { toast } from '../kit/toast';
import { deviceOf } from '../local-media';
import { ChatQa } from './chat-qa';
import { PresencePanel } from './presence-check';
import { ReactionLayer } from './reactions';
import { DevicePickers, Elapsed, LevelMeter } from './devices';
import { ParticipantList } from './participants';
import { PollPanel } from './polls';
import { SlidePanel } from './slides';
import { RoomHeader, statusText } from './room-header';
import { StageStrip } from './stage-strip';
import { StudioRoom } from './studio-room';
import '../styles/room.css';

// The lecturer's studio: preview with camera and microphone pickers and a level
// meter, go live, "on air · recording" with the time, share the screen, pause each
// source, chapter markers, the uplink's health, end; the participant list with its
// actions, the guests on stage, and the moderated chat and Q&A.

/** A chapter marker: a label (or the elapsed time when left empty) at this moment of the recording. */
function MarkerForm({ room, enabled }: { room: StudioRoom | null; enabled: boolean }) {
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <form
      class="composer marker"
      onSubmit={(e) => {
        e.preventDefault();
        const el = input.current;
        if (!room || !el || busy) return;
        const label = el.value.trim() || t('room:studio.markerDefault', { count: room.markers + 1 });
        setBusy(true);
        room
          .addMarker(label)
          .then(() => (el.value = ''))
          .catch((err: unknown) => toast(errorText(err)))
          .finally(() => setBusy(false));
      }}
    >
      <input
        ref={input}
        maxLength={120}
        autocomplete="off"
        aria-label={t('room:studio.markerLabel')}
        placeholder={t('room:studio.markerPlaceholder')}
        data-testid="marker-input"
        disabled={!enabled}
      />
      <button type="submit" data-testid="marker-add" disabled={!enabled || busy}>
        {t('room:studio.marker')}
      </button>
    </form>
  );
}

function overlayText(room: StudioRoom | null): string {
  const s = room?.connection ?? { name: 'connecting' as const };
  switch (s.name) {
    case 'connecting':
    case 'reconnecting':
    case 'ended':
    case 'removed':
      return t(`room:state.${s.name}`);
    case 'failed':
      return s.error.code === 'not_lecturer' ? errorText(s.error) : t('room:state.failed', { reason: errorText(s.error) });
    case 'joined':
      return '';
  }
}

function mediaInfo(room: StudioRoom | null): string {
  const camera = room?.lastStats.find((s) => s.source === 'camera');
  if (camera?.codec) return t('room:studio.codec', { codec: camera.codec.replace(/^video\//, ''), layers: camera.layers?.length ?? 1 });
  return room?.mediaProblem ? t('room:studio.noDevices', { reason: t(`room:media.${room.mediaProblem}`) }) : '';
}

function StudioPage({ id }: { id: string }) {
  const camera = useRef<HTMLVideoElement>(null);
  const screen = useRef<HTMLVideoElement>(null);
  const [room, setRoom] = useState<StudioRoom | null>(null);
  const { url } = useLocation();
  const signedIn = who.value !== null;
  useEffect(() => {
    // Signed out: the page says so and opens nothing.
    if (!signedIn) return;
    const r = new StudioRoom(id, { camera: camera.current!, screen: screen.current! });
    setRoom(r);
    return () => {
      r.close();
      setRoom(null);
    };
  }, [id, signedIn]);
  void room?.version.value;

  const s = room?.connection ?? { name: 'connecting' as const };
  const status = room?.join?.seminar.status ?? '';
  const joined = s.name === 'joined';
  const live = joined && status === 'live';
  const publishing = room?.publishing ?? false;
  const tracks = room?.tracks ?? {};
  const paused = room?.paused ?? { camera: false, mic: false, screen: false };
  useTitle(`${t('room:studio.title')} — ${room?.join?.seminar.title ?? t('app.name')}`);
  const overlay = signedIn ? overlayText(room) : t('auth.needed');
  const onAir = room?.onAir ?? false;
  const uplink = room?.uplinkProblems ?? [];

  return (
    <div class="room">
      <RoomHeader
        title={room?.join?.seminar.title ?? t('room:studio.title')}
        badge={statusText(status)}
        badgeClass={live && publishing ? 'live' : status}
      >
        {onAir && room?.liveSince !== undefined && (
          <span class="on-air" data-testid="on-air" role="status">
            <span aria-hidden="true">● </span>
            {t('room:studio.onAir')} <Elapsed since={room.liveSince} />
          </span>
        )}
        <span class="spacer" />
        <span id="viewers" class="viewers" data-testid="viewers">
          {t('room:viewers', { count: room?.viewers ?? 0 })}
        </span>
      </RoomHeader>
      <div class="layout">
        <section class="stage" aria-label={t('room:studio.preview')}>
          <div class="videos">
            <div class="tile main">
              <video id="camera-preview" ref={camera} muted autoplay playsInline />
              <span class="label" data-testid="preview-label">
                {t(onAir ? 'room:studio.onAirLabel' : 'room:studio.preview')}
              </span>
            </div>
            <div id="screen-tile" class="tile pip" hidden={!tracks.screen}>
              <video id="screen-preview" ref={screen} muted autoplay playsInline />
              <span class="label">{t('room:watch.screen')}</span>
            </div>
            <ReactionLayer store={room?.audience ?? null} />
            <div id="state" class="overlay" data-testid="state" data-state={s.name} hidden={overlay === ''} role="status">
              {overlay}
              {!signedIn && (
                <>
                  {' '}
                  <a href={signInHref(url)}>{t('auth.title')}</a>
                </>
              )}
            </div>
          </div>
          <div class="controls" role="group" aria-label={t('room:studio.controls')}>
            <ActionButton
              id="go-live"
              class="primary"
              data-testid="go-live"
              hidden={publishing}
              disabled={!joined || !tracks.camera || status === 'ended'}
              run={() => room!.goLive()}
            >
              {t(status === 'live' ? 'room:studio.resume' : 'room:studio.goLive')}
            </ActionButton>
            <ActionButton
              id="toggle-camera"
              data-testid="toggle-camera"
              disabled={!tracks.camera}
              aria-pressed={paused.camera}
              run={() => room!.toggle('camera')}
            >
              {t(paused.camera ? 'room:studio.cameraOn' : 'room:studio.cameraOff')}
            </ActionButton>
            <ActionButton
              id="toggle-mic"
              data-testid="toggle-mic"
              disabled={!tracks.mic}
              aria-pressed={paused.mic}
              run={() => room!.toggle('mic')}
            >
              {t(paused.mic ? 'room:studio.micOn' : 'room:studio.micOff')}
            </ActionButton>
            <ActionButton
              id="share-screen"
              data-testid="share-screen"
              disabled={!joined || !navigator.mediaDevices?.getDisplayMedia}
              run={() => room!.toggleScreenShare()}
            >
              {t(tracks.screen ? 'room:studio.stopScreen' : 'room:studio.shareScreen')}
            </ActionButton>
            <ActionButton
              id="toggle-screen"
              data-testid="toggle-screen"
              hidden={!tracks.screen}
              aria-pressed={paused.screen}
              run={() => room!.toggle('screen')}
            >
              {t(paused.screen ? 'room:studio.screenResume' : 'room:studio.screenPause')}
            </ActionButton>
            <span class="spacer" />
            <ActionButton
              id="end"
              class="danger"
              data-testid="end"
              disabled={!live}
              run={() => room!.end(() => confirm(t('room:studio.endConfirm')))}
            >
              {t('room:studio.end')}
            </ActionButton>
          </div>
          <StageStrip tiles={room?.guests ?? []} />
          {room && joined && <SlidePanel store={room.slides} live={live} />}
          {uplink.length > 0 && (
            <p class="notice" data-testid="uplink-warning" role="status">
              {t('room:studio.uplink', { problems: uplink.map((p) => t(`room:studio.uplinkProblem.${p}`)).join(', ') })}
            </p>
          )}
          <div class="studio-tools">
            <DevicePickers
              idPrefix="studio-device"
              devices={room?.devices ?? { camera: [], mic: [] }}
              current={{ camera: deviceOf(tracks.camera), mic: deviceOf(tracks.mic) }}
              disabled={!room}
              choose={(kind, deviceId) => void room?.switchDevice(kind, deviceId)}
            />
            {room && <LevelMeter level={room.level} id="mic-level" />}
            <MarkerForm room={room} enabled={live} />
          </div>
          {room && joined && <PresencePanel store={room.audience} live={live} />}
          <p id="media-info" class="muted" data-testid="media-info">
            {mediaInfo(room)}
          </p>
        </section>
        <aside id="side" class="side studio-side" aria-label={`${t('room:people.list')}, ${t('room:chat.title')}, ${t('room:qa.title')}`}>
          {room && <ParticipantList store={room.participants} />}
          <PollPanel store={room?.polls ?? null} live={live} />
          <ChatQa store={room?.panel ?? null} />
        </aside>
      </div>
    </div>
  );
}

export default function Studio({ id }: { id: string }) {
  return <StudioPage key={id} id={id} />;
}
