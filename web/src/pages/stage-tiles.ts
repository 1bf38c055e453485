import type { ProducerInfo } from '../../../server/protocol/live';
import type { Subscription } from '../media';

/** One guest on stage as a tile: their camera, their voice, and whether either is off. */
export interface StageTile {
  userId: string;
  name: string;
  video?: MediaStreamTrack;
  audio?: MediaStreamTrack;
  videoOff: boolean;
  micOff: boolean;
  /** This page's own guest: its preview, never played back to itself. */
  self: boolean;
}

/** The guests' tiles in stage order, from what this page receives. */
export function guestTiles(stage: Map<string, string>, subs: Subscription[]): StageTile[] {
  return [...stage].map(([userId, name]) => {
    const of = (source: ProducerInfo['source']) => subs.find((s) => s.info.userId === userId && s.info.source === source);
    const camera = of('camera');
    const mic = of('mic');
    return {
      userId,
      name,
      ...(camera ? { video: camera.track } : {}),
      ...(mic ? { audio: mic.track } : {}),
      videoOff: !camera || camera.info.paused,
      micOff: !mic || mic.info.paused,
      self: false,
    };
  });
}
