import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ActionButton } from '../kit/button';
import { stayEmbedded } from '../kit/embed';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { signInHref, useTitle } from '../kit/shell';
import { who } from '../session';
import { deviceOf } from '../local-media';
import { ChatQa } from './chat-qa';
import { PollPanel } from './polls';
import { SlideView } from './slides';
import { PresencePrompt } from './presence-check';
import { ReactionBar, ReactionLayer } from './reactions';
import { DevicePickers, LevelMeter } from './devices';
import { RoomHeader, statusText } from './room-header';
import type { StageSeat } from './stage-seat';
import { StageStrip } from './stage-strip';
import { WatchRoom } from './watch-room';
import { EncoreBadge } from './encore-badge';
import '../styles/room.css';

/** The lecturer's invitation on stage, and once on it: devices, switches and the way off. */
function Seat({ seat, version }: { seat: StageSeat; version: number }) {
  void version;
  const self = seat.self;
  if (self.invited) {
    return (
      <section class="panel invitation" aria-labelledby="invitation-title" data-testid="invitation">
        <h2 id="invitation-title">{t('room:stage.invitedTitle')}</h2>
        <p>{t('room:stage.invitedText')}</p>
        <div class="controls">
          <ActionButton class="primary" data-testid="stage-accept" run={() => seat.accept()}>
            {t('room:stage.accept')}
          </ActionButton>
          <ActionButton data-testid="stage-decline" run={() => seat.decline()}>
            {t('room:stage.decline')}
          </ActionButton>
        </div>
      </section>
    );
  }
  if (!self.onStage) return null;
  return (
    <section class="panel on-stage" aria-labelledby="on-stage-title" data-testid="on-stage">
      <h2 id="on-stage-title">{t('room:stage.onStageTitle')}</h2>
      {self.muted && (
        <p class="notice" data-testid="muted-notice" role="status">
          {t('room:stage.mutedByLecturer')}
        </p>
      )}
      {!self.muted && seat.mayUnmute && <p class="muted">{t('room:stage.unmutedByLecturer')}</p>}
      <DevicePickers
        idPrefix="stage-device"
        devices={seat.devices}
        current={{ camera: deviceOf(seat.tracks.camera), mic: deviceOf(seat.tracks.mic) }}
        choose={(kind, deviceId) => void seat.switchDevice(kind, deviceId)}
      />
      <LevelMeter level={seat.level} id="stage-mic-level" />
      <div class="controls">
        <ActionButton data-testid="stage-mic" aria-pressed={seat.off.mic} disabled={!seat.live} run={() => seat.toggle('mic')}>
          {t(seat.off.mic ? 'room:studio.micOn' : 'room:studio.micOff')}
        </ActionButton>
        <ActionButton data-testid="stage-camera" aria-pressed={seat.off.camera} disabled={!seat.live} run={() => seat.toggle('camera')}>
          {t(seat.off.camera ? 'room:studio.cameraOn' : 'room:studio.cameraOff')}
        </ActionButton>
        <ActionButton class="danger" data-testid="stage-leave" run={() => seat.leave()}>
          {t('room:stage.leave')}
        </ActionButton>
      </div>
    </section>
  );
}

// The viewer's page: the lecturer's camera (or the screen, with the camera in a
// corner), their voice, chat, Q&A with votes, a raised hand, and a clear state
// while connecting, reconnecting and after the end.

function overlayText(room: WatchRoom | null): string {
  const s = room?.connection ?? { name: 'connecting' as const };
  switch (s.name) {
    case 'connecting':
    case 'reconnecting':
    case 'ended':
    case 'removed':
      return t(`room:state.${s.name}`);
    case 'failed':
      if (s.error.code === 'seats_full') return room?.hls ? '' : t('room:watch.seatsFull');
      if (s.error.code === 'seminar_over') return t('room:state.ended');
      return s.error.code === 'not_registered' || s.error.code === 'unauthorized'
        ? errorText(s.error)
        : t('room:state.failed', { reason: errorText(s.error) });
    case 'joined': {
      if (room?.join?.seminar.status !== 'live') return t('room:state.waiting');
      if (room.encore) return '';
      if (!room.main) return t('room:watch.noVideo');
      return room.main.info.paused ? t('room:watch.paused') : '';
    }
  }
}

function WatchPage({ id }: { id: string }) {
  const main = useRef<HTMLVideoElement>(null);
  const pip = useRef<HTMLVideoElement>(null);
  const audio = useRef<HTMLAudioElement>(null);
  const [room, setRoom] = useState<WatchRoom | null>(null);
  const { url } = useLocation();
  useEffect(() => {
    const r = new WatchRoom(id, { main: main.current!, pip: pip.current!, audio: audio.current! });
    setRoom(r);
    return () => r.close();
  }, [id]);
  void room?.version.value;

  const s = room?.connection ?? { name: 'connecting' as const };
  const status = room?.join?.seminar.status ?? '';
  const title = room?.join?.seminar.title ?? room?.hlsTitle ?? t('app.name');
  useTitle(room?.join?.seminar.title ?? room?.hlsTitle);
  const overlay = overlayText(room);
  const signedIn = who.value !== null && room?.join?.canChat === true;
  const mainSub = room?.main;
  const mainLabel = room?.hls
    ? t('room:watch.hls')
    : mainSub
      ? t(mainSub.info.source === 'screen' ? 'room:watch.screen' : 'room:watch.camera')
      : '';
  const unauthorized = s.name === 'failed' && s.error.code === 'unauthorized';

  return (
    <div class="room">
      <RoomHeader title={title} badge={statusText(status)} badgeClass={status}>
        <EncoreBadge room={room} />
        <span class="spacer" />
        <span id="viewers" class="viewers" data-testid="viewers">
          {s.name === 'joined' ? t('room:viewers', { count: room?.viewers ?? 0 }) : ''}
        </span>
      </RoomHeader>
      <div class="layout">
        <section class="stage" aria-label={t('room:watch.video')}>
          <div class="videos">
            <div id="main-tile" class={`tile main${mainSub?.info.paused ? ' paused' : ''}`} data-source={mainSub?.info.source ?? ''}>
              <video id="main-video" ref={main} muted autoplay playsInline />
              <span id="main-label" class="label">
                {mainLabel}
              </span>
            </div>
            <div id="pip-tile" class={`tile pip${room?.pip?.info.paused ? ' paused' : ''}`} hidden={!room?.pip}>
              <video id="pip-video" ref={pip} muted autoplay playsInline />
              <span class="label">{t('room:watch.camera')}</span>
            </div>
            <audio id="audio" ref={audio} autoplay />
            <ReactionLayer store={room?.audience ?? null} />
            <div id="state" class="overlay" data-testid="state" data-state={s.name} hidden={overlay === ''} role="status">
              {overlay}
              {unauthorized && (
                <>
                  {' '}
                  <a href={signInHref(url)}>{t('auth.title')}</a>
                </>
              )}
              {(s.name === 'ended' || (s.name === 'failed' && s.error.code === 'seminar_over')) && room?.recordingReady && (
                <>
                  {' '}
                  <a href={stayEmbedded(url, `/replay/${id}`)} data-testid="recording-link">
                    {t('room:watch.recording')}
                  </a>
                </>
              )}
            </div>
          </div>
          <StageStrip tiles={room?.guests ?? []} />
          <div class="controls">
            <ActionButton
              id="unmute"
              class="primary"
              data-testid="unmute"
              hidden={!room?.needsUnmute || (s.name !== 'joined' && !room.hls) || (room.encore !== undefined && !room.encore.playing)}
              run={() => room!.unmute()}
            >
              {t('room:watch.unmute')}
            </ActionButton>
            <ActionButton
              id="raise-hand"
              data-testid="raise-hand"
              hidden={
                !signedIn ||
                s.name !== 'joined' ||
                room?.encore !== undefined ||
                room?.seat.self.onStage === true ||
                room?.seat.self.invited === true
              }
              aria-pressed={room?.handRaised ?? false}
              run={() => room!.toggleHand()}
            >
              {t(room?.handRaised ? 'room:watch.lowerHand' : 'room:watch.raiseHand')}
            </ActionButton>
            <ActionButton
              id="register"
              class="primary"
              data-testid="register"
              hidden={!(s.name === 'failed' && s.error.code === 'not_registered' && who.value !== null)}
              run={() => room!.register()}
            >
              {t('room:watch.register')}
            </ActionButton>
          </div>
          <SlideView store={room?.slides ?? null} />
          {room && s.name === 'joined' && status === 'live' && <ReactionBar store={room.audience} />}
          {room && s.name === 'joined' && <PresencePrompt store={room.audience} />}
          {room && s.name === 'joined' && <Seat seat={room.seat} version={room.version.value} />}
        </section>
        <aside id="side" class="side" aria-label={`${t('room:chat.title')}, ${t('room:qa.title')}`}>
          <PollPanel store={room?.polls ?? null} live={s.name === 'joined'} />
          <ChatQa store={room?.panel ?? null} />
        </aside>
      </div>
    </div>
  );
}

export default function Watch({ id }: { id: string }) {
  return <WatchPage key={id} id={id} />;
}
