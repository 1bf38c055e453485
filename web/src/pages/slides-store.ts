import { signal } from '@preact/signals';
import { z } from 'zod';
import { errorBodySchema } from '../../../server/protocol/errors';
import { currentSlide, deckView, type CurrentSlide, type DeckView, type SlideChange } from '../../../server/protocol/slides';
import { ApiError, api, apiParsed } from '../kit/api';
import type { RoomConnection } from '../live';
import { accessToken } from '../session';

const deckList = z.array(deckView);

/** Sends a deck file as the request body (the REST client sends JSON only). */
async function uploadDeck(seminarId: string, file: File): Promise<DeckView> {
  const token = await accessToken();
  let res: Response;
  try {
    res = await fetch(`/api/v1/seminars/${seminarId}/decks?name=${encodeURIComponent(file.name.slice(0, 200))}`, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': file.type || 'application/pdf',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: file,
    });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  const parsed: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = errorBodySchema.safeParse(parsed);
    if (error.success) throw new ApiError(res.status, error.data.error.code, error.data.error.message, error.data.error.details);
    throw new ApiError(res.status, `http_${res.status}`, res.statusText);
  }
  return deckView.parse(parsed);
}

/**
 * The slide a live room sees: on the watch page the current one (asked for at each join, then
 * pushed as the lecturer flips); in the studio also the seminar's decks, the upload and the flips.
 * The view re-renders when `version` moves.
 */
export class SlidesStore {
  readonly version = signal(0);
  current: CurrentSlide = null;
  /** An encore's: the original's slide at the point its recording plays (encore-player.ts). */
  replayed: SlideChange | null = null;
  decks: DeckView[] = [];
  /** The deck the lecturer flips through: the newest unless they picked another. */
  deckId: string | null = null;

  constructor(
    readonly conn: RoomConnection,
    readonly seminarId: string,
    readonly moderator: boolean,
  ) {
    conn.socket.on('slide:shown', (s) => this.set(currentSlide.parse(s)));
  }

  /** After each (re)join: the slide shown meanwhile, and (the lecturer's) decks. */
  async reload(): Promise<void> {
    this.set(currentSlide.parse(await this.conn.request('slide:current', {})));
    if (this.moderator) {
      this.decks = await apiParsed(deckList, 'GET', `/seminars/${this.seminarId}/decks`);
      this.deckId = this.current?.deckId ?? this.decks.at(-1)?.id ?? null;
      this.changed();
    }
  }

  async upload(file: File): Promise<DeckView> {
    const deck = await uploadDeck(this.seminarId, file);
    this.decks = [...this.decks, deck];
    this.deckId = deck.id;
    this.changed();
    return deck;
  }

  /** Deletes a deck (the server refuses the one on screen while live); the newest left is chosen. */
  async remove(deckId: string): Promise<void> {
    await api('DELETE', `/decks/${deckId}`);
    this.decks = this.decks.filter((d) => d.id !== deckId);
    if (this.deckId === deckId) this.deckId = this.decks.at(-1)?.id ?? null;
    this.changed();
  }

  get deck(): DeckView | undefined {
    return this.decks.find((d) => d.id === this.deckId);
  }

  choose(deckId: string): void {
    this.deckId = deckId;
    this.changed();
  }

  /** The page the lecturer shows now in the chosen deck (0: none of it yet). */
  get page(): number {
    return this.current && this.current.deckId === this.deckId ? this.current.page : 0;
  }

  async show(page: number): Promise<void> {
    const deck = this.deck;
    if (!deck || page < 1 || page > deck.pageCount) return;
    this.set(currentSlide.parse(await this.conn.request('slide:show', { deckId: deck.id, page })));
  }

  /** The original's slide in an encore, as playback reaches it. */
  replay(slide: SlideChange | null): void {
    if (slide === this.replayed) return;
    this.replayed = slide;
    this.changed();
  }

  private set(slide: CurrentSlide): void {
    this.current = slide;
    this.changed();
  }

  private changed(): void {
    this.version.value++;
  }
}
