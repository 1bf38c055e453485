import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Actor } from '../accounts/grants';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import type { LiveAccess } from '../live/service';
import { DECKS_PER_SEMINAR, type CurrentSlide, type DeckView } from '../protocol/slides';
import type { MediaUrlSigner } from '../recordings/signing';
import type { Seminar } from '../seminars/model';
import { deckKind, slideFile, thumbFile, type DeckRenderer } from './render';

// Decks of a seminar and the slide its room sees: the lecturer uploads a deck (rendered to images
// before anything is stored), then shows its pages while live; each change is stored with its
// offset from the live start, which is where it sits on the recording's timeline.

export interface DeckRecord {
  id: string;
  seminarId: string;
  name: string;
  pageCount: number;
  titles: string[];
  createdAt: Date;
}

export interface SlideChangeRecord {
  seminarId: string;
  deckId: string;
  page: number;
  offsetMs: number;
  at: Date;
}

export interface SlideRepository {
  /** An id for a deck not stored yet: its folder is named by it before its document exists. */
  newDeckId(): string;
  createDeck(d: DeckRecord): Promise<DeckRecord>;
  /** Removes the deck and the changes that showed its pages. */
  deleteDeck(deckId: string): Promise<void>;
  getDeck(deckId: string): Promise<DeckRecord | null>;
  decks(seminarId: string): Promise<DeckRecord[]>;
  countDecks(seminarId: string): Promise<number>;
  addChange(c: SlideChangeRecord): Promise<void>;
  /** The seminar's changes in the order they were made. */
  changes(seminarId: string): Promise<SlideChangeRecord[]>;
  latestChange(seminarId: string): Promise<SlideChangeRecord | null>;
}

/** A deck's folder is named by its document's id. */
const DECK_ID = /^[0-9a-f]{24}$/;

/** A slide change as the replay's timeline holds it (its image URL is signed per playback). */
export interface SlideMoment {
  offsetMs: number;
  deckId: string;
  page: number;
  title: string;
}

export class SlideService {
  constructor(
    private readonly deps: {
      repo: SlideRepository;
      renderer: DeckRenderer;
      /** Where rendered decks lie: one folder per deck, named by its id. */
      dir: string;
      signer: MediaUrlSigner;
      managed(actor: Actor, seminarId: string): Promise<Seminar>;
      now?: () => Date;
    },
  ) {}

  /**
   * Checks, renders and stores a deck; a file that fails any step leaves no folder and no document.
   * The images move into the deck's folder before its document is written: a crash between
   * leaves a folder nobody points at (the sweep's), never a deck without images.
   */
  async upload(actor: Actor, seminarId: string, bytes: Buffer, name: string | undefined): Promise<DeckView> {
    const seminar = await this.deps.managed(actor, seminarId);
    if (seminar.status === 'ended' || seminar.status === 'cancelled') {
      throw new ConflictError('seminar_over', `The seminar is ${seminar.status}`);
    }
    const kind = deckKind(bytes);
    if ((await this.deps.repo.countDecks(seminarId)) >= DECKS_PER_SEMINAR) {
      throw new ConflictError('too_many_decks', `At most ${DECKS_PER_SEMINAR} decks per seminar`);
    }
    const incoming = path.join(this.deps.dir, `.incoming-${randomBytes(8).toString('hex')}`);
    const { pageCount, titles } = await this.deps.renderer.render(bytes, kind, incoming);
    const id = this.deps.repo.newDeckId();
    try {
      await rename(incoming, this.deckDir(id));
      const deck = await this.deps.repo.createDeck({
        id,
        seminarId,
        name: name ?? (kind === 'pdf' ? 'deck.pdf' : 'deck.pptx'),
        pageCount,
        titles,
        createdAt: this.now(),
      });
      return this.view(deck);
    } catch (err) {
      await rm(incoming, { recursive: true, force: true });
      // A write that failed may still have landed (a timeout): the images go only once the
      // document surely has; with the database away, the sweep decides at the next start.
      const documentGone = await this.deps.repo.deleteDeck(id).then(
        () => true,
        () => false,
      );
      if (documentGone) await rm(this.deckDir(id), { recursive: true, force: true });
      throw err;
    }
  }

  async list(actor: Actor, seminarId: string): Promise<DeckView[]> {
    await this.deps.managed(actor, seminarId);
    return (await this.deps.repo.decks(seminarId)).map((d) => this.view(d));
  }

  /**
   * Deletes a deck: its document, the changes that showed it (the replay no longer shows its
   * pages) and its rendered pages. Refused while one of its pages is on screen in the live room.
   * The document goes first: a crash between leaves a folder nobody points at, not a deck without pages.
   */
  async remove(actor: Actor, deckId: string): Promise<void> {
    const deck = await this.deps.repo.getDeck(deckId);
    if (!deck) throw new NotFoundError('deck_not_found', 'No such deck');
    const seminar = await this.deps.managed(actor, deck.seminarId);
    if (seminar.status === 'live' && (await this.deps.repo.latestChange(seminar.id))?.deckId === deck.id) {
      throw new ConflictError('deck_showing', 'A page of this deck is on screen in the live seminar');
    }
    await this.deps.repo.deleteDeck(deck.id);
    await rm(this.deckDir(deck.id), { recursive: true, force: true });
  }

  /**
   * Removes what a crash left in the decks' folder: a render's temporary folder (`.incoming-*`)
   * older than any render may take, and a deck's images without a document (an upload stopped
   * between moving them in and writing the document, or a deletion between the two, document
   * first). A deck's folder is left a minute for its document, so nothing a living upload on
   * any node holds is touched. Stops early once `signal` aborts (the node is stopping).
   * Returns what it removed.
   */
  async sweep(signal?: AbortSignal): Promise<string[]> {
    const names = await readdir(this.deps.dir).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const name of names) {
      if (signal?.aborted) break;
      const full = path.join(this.deps.dir, name);
      let leftover = false;
      try {
        // The time of the folder's last page (a rename keeps it): made when the render began,
        // renewed as pages come, so a minute's margin past the render or the document's write.
        const age = Date.now() - (await stat(full)).mtimeMs;
        if (name.startsWith('.incoming-')) {
          leftover = age > this.deps.renderer.longestRenderMs + 60_000;
        } else if (DECK_ID.test(name)) {
          leftover = age > 60_000 && (await this.deps.repo.getDeck(name)) === null;
        }
        if (!leftover) continue;
        await rm(full, { recursive: true, force: true });
        removed.push(name);
      } catch {
        // Gone meanwhile, or the database away for a moment: the next start looks again.
      }
    }
    return removed;
  }

  /** The lecturer shows a page to the room: stored with its offset, then announced. */
  async show(who: LiveAccess, deckId: string, page: number): Promise<NonNullable<CurrentSlide>> {
    if (who.role !== 'lecturer') throw new ForbiddenError('moderators_only', 'Only the lecturer or an admin may do this');
    if (who.seminar.status !== 'live') throw new ConflictError('seminar_not_live', 'Slides are shown while the seminar is live');
    const deck = await this.deps.repo.getDeck(deckId);
    if (!deck || deck.seminarId !== who.seminar.id) throw new NotFoundError('deck_not_found', 'No such deck in this seminar');
    if (page > deck.pageCount) throw new NotFoundError('slide_not_found', `The deck has ${deck.pageCount} pages`);
    const change = { seminarId: who.seminar.id, deckId, page, offsetMs: this.offset(who.seminar), at: this.now() };
    await this.deps.repo.addChange(change);
    return this.currentView(deck, change);
  }

  /** The slide the room sees now; null before the first is shown. */
  async current(who: LiveAccess): Promise<CurrentSlide> {
    const change = await this.deps.repo.latestChange(who.seminar.id);
    if (!change) return null;
    const deck = await this.deps.repo.getDeck(change.deckId);
    return deck ? this.currentView(deck, change) : null;
  }

  /** Every change with its page's title: the replay's timeline. */
  async moments(seminarId: string): Promise<SlideMoment[]> {
    const changes = await this.deps.repo.changes(seminarId);
    const decks = new Map((await this.deps.repo.decks(seminarId)).map((d) => [d.id, d]));
    return changes
      .filter((c) => decks.has(c.deckId))
      .map((c) => ({ offsetMs: c.offsetMs, deckId: c.deckId, page: c.page, title: decks.get(c.deckId)!.titles[c.page - 1] ?? '' }));
  }

  /** A signed address of a page's image, good for the signer's lifetime. */
  imageUrl(deckId: string, page: number, thumb = false): string {
    const { exp, sig } = this.deps.signer.token(deckId);
    return `/media/slides/${deckId}/${exp}/${sig}/${thumb ? thumbFile(page) : slideFile(page)}`;
  }

  verify(deckId: string, exp: string, sig: string): boolean {
    return this.deps.signer.verify(deckId, exp, sig);
  }

  deckDir(deckId: string): string {
    return path.join(this.deps.dir, deckId);
  }

  private view(deck: DeckRecord): DeckView {
    const { expiresAt } = this.deps.signer.token(deck.id);
    return {
      id: deck.id,
      seminarId: deck.seminarId,
      name: deck.name,
      pageCount: deck.pageCount,
      createdAt: deck.createdAt.toISOString(),
      pages: deck.titles.map((title, i) => ({
        page: i + 1,
        title,
        imageUrl: this.imageUrl(deck.id, i + 1),
        thumbUrl: this.imageUrl(deck.id, i + 1, true),
      })),
      expiresAt: expiresAt.toISOString(),
    };
  }

  private currentView(deck: DeckRecord, change: SlideChangeRecord): NonNullable<CurrentSlide> {
    return {
      deckId: deck.id,
      page: change.page,
      pageCount: deck.pageCount,
      title: deck.titles[change.page - 1] ?? '',
      imageUrl: this.imageUrl(deck.id, change.page),
      offsetMs: change.offsetMs,
    };
  }

  private offset(seminar: Seminar): number {
    return seminar.liveStartedAt ? Math.max(0, this.now().getTime() - seminar.liveStartedAt.getTime()) : 0;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}
