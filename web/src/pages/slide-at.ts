import type { SlideChange } from '../../../server/protocol/slides';

// Its own module, so that the replay page takes it without the live room's slide store.

/** The slide showing at `nowMs` of a recording: the last change at or before it. */
export function slideAt(slides: SlideChange[], nowMs: number): SlideChange | undefined {
  let shown: SlideChange | undefined;
  for (const s of slides) if (s.offsetMs <= nowMs) shown = s;
  return shown;
}
