import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimits } from '../rate-limits';
import type { SlideService } from '../slides/service';
import type { LiveConnection, LiveFeature } from './features';
import { seminarRoom, type LiveNamespace } from './gateway';

/** Slide events per user per 10 s: a lecturer flipping fast through a deck is a few a second. */
const SLIDE_EVENTS = { points: 30, durationSeconds: 10 };
const RATE_LIMITED = { code: 'rate_limited', message: 'Slow down: too many slide changes' };

/**
 * The slide events of the /live namespace: the lecturer shows a page (stored with its offset,
 * then pushed to everyone in the room as slide:shown); a connection that joined later asks for
 * the current one. The image itself is a signed URL: viewers load a still picture, not video.
 */
export class SlideGateway implements LiveFeature {
  private readonly limiter: RateLimiterAbstract;

  constructor(private readonly deps: { nsp: LiveNamespace; slides: SlideService; limits: RateLimits }) {
    this.limiter = deps.limits.limiter({ name: 'live-slides', ...SLIDE_EVENTS });
  }

  attach({ socket, on, access: member }: LiveConnection): void {
    const room = async () => {
      const access = member();
      await this.deps.limits.consume(this.limiter, access.userId ?? socket.id, RATE_LIMITED);
      return access;
    };
    on('slide:show', async ({ deckId, page }) => {
      const access = await room();
      const slide = await this.deps.slides.show(access, deckId, page);
      this.deps.nsp.to(seminarRoom(access.seminar.id)).emit('slide:shown', slide);
      return slide;
    });
    on('slide:current', async () => this.deps.slides.current(await room()));
  }
}
