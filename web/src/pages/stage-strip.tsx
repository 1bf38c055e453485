import { useEffect, useRef } from 'preact/hooks';
import { t } from '../kit/i18n';
import type { StageTile } from './stage-tiles';

// The guests on stage, beside the lecturer's video: a tile each with their camera
// and name, and their voice through an audio element of its own.

function attach(el: HTMLMediaElement | null, track: MediaStreamTrack | undefined): void {
  if (!el) return;
  const current = (el.srcObject as MediaStream | null)?.getTracks()[0];
  if (current === track) return;
  el.srcObject = track ? new MediaStream([track]) : null;
  if (track) void el.play().catch(() => undefined);
}

function Tile({ tile }: { tile: StageTile }) {
  const video = useRef<HTMLVideoElement>(null);
  const audio = useRef<HTMLAudioElement>(null);
  useEffect(() => attach(video.current, tile.video), [tile.video]);
  useEffect(() => attach(audio.current, tile.self ? undefined : tile.audio), [tile.audio, tile.self]);
  const state = [tile.micOff ? t('room:stage.micOff') : '', tile.videoOff ? t('room:stage.cameraOff') : ''].filter(Boolean).join(', ');
  return (
    <li class={`tile guest${tile.videoOff ? ' paused' : ''}`} data-testid="guest-tile" data-user={tile.userId} data-self={tile.self}>
      <video ref={video} muted autoplay playsInline aria-label={t('room:stage.videoOf', { name: tile.name })} />
      {!tile.self && <audio ref={audio} autoplay />}
      <span class="label">
        {tile.self ? t('room:stage.you', { name: tile.name }) : tile.name}
        {state && ` · ${state}`}
      </span>
    </li>
  );
}

/** Nothing when nobody is on stage. */
export function StageStrip({ tiles }: { tiles: StageTile[] }) {
  if (tiles.length === 0) return null;
  return (
    <ul class="stage-strip" data-testid="stage-strip" aria-label={t('room:stage.guests')}>
      {tiles.map((tile) => (
        <Tile key={tile.userId} tile={tile} />
      ))}
    </ul>
  );
}
