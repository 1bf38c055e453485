import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ActionButton } from '../kit/button';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { signInHref, useTitle } from '../kit/shell';
import { who } from '../session';
import { ChatQa } from './chat-qa';
import { RoomHeader, statusText } from './room-header';
import { StudioRoom } from './studio-room';
import '../styles/room.css';

// The lecturer's studio: preview, go live, share the screen, pause each source,
// end; the live viewer count, raised hands, and the moderated chat and Q&A.

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
  const hands = [...(room?.hands.values() ?? [])];

  return (
    <div class="room">
      <RoomHeader
        title={room?.join?.seminar.title ?? t('room:studio.title')}
        badge={statusText(status)}
        badgeClass={live && publishing ? 'live' : status}
      >
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
              <span class="label">{t('room:studio.preview')}</span>
            </div>
            <div id="screen-tile" class="tile pip" hidden={!tracks.screen}>
              <video id="screen-preview" ref={screen} muted autoplay playsInline />
              <span class="label">{t('room:watch.screen')}</span>
            </div>
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
          <p id="media-info" class="muted" data-testid="media-info">
            {mediaInfo(room)}
          </p>
          <section class="panel hands" aria-labelledby="hands-title">
            <h2 id="hands-title">{t('room:studio.hands')}</h2>
            <ul id="hands" data-testid="hands">
              {hands.length === 0 ? <li class="empty">{t('room:studio.handsEmpty')}</li> : hands.map((name, i) => <li key={i}>{name}</li>)}
            </ul>
          </section>
        </section>
        <aside id="side" class="side" aria-label={`${t('room:chat.title')}, ${t('room:qa.title')}`}>
          <ChatQa store={room?.panel ?? null} />
        </aside>
      </div>
    </div>
  );
}

export default function Studio({ id }: { id: string }) {
  return <StudioPage key={id} id={id} />;
}
