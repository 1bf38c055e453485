import type { Actor } from '../accounts/grants';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../errors';
import { POLLS_PER_SEMINAR, type PollDraft, type PollResult, type PollResultsShown, type PollView } from '../protocol/polls';
import type { Seminar } from '../seminars/model';
import type { Table } from '../tables';
import type { LiveAccess } from './service';

// Polls of a live seminar: the lecturer prepares (or makes on the spot) a poll, opens it while
// the seminar is live and closes it; each signed-in viewer votes once. Open and close are stored
// as offsets from the live start, like chat and markers, so the replay's timeline shows them.

export interface PollRecord {
  id: string;
  seminarId: string;
  question: string;
  options: string[];
  multiple: boolean;
  showResults: PollResultsShown;
  status: 'draft' | 'open' | 'closed';
  createdAt: Date;
  openedOffsetMs: number | null;
  closedOffsetMs: number | null;
  /** The count at close (recounted from the votes); while open, counts come from the votes themselves. */
  counts: number[] | null;
  voters: number | null;
}

export interface PollTally {
  counts: number[];
  voters: number;
}

export interface PollRepository {
  create(p: Omit<PollRecord, 'id' | 'status' | 'openedOffsetMs' | 'closedOffsetMs' | 'counts' | 'voters'>): Promise<PollRecord>;
  get(seminarId: string, pollId: string): Promise<PollRecord | null>;
  list(seminarId: string): Promise<PollRecord[]>;
  count(seminarId: string): Promise<number>;
  /** Draft → open; false when it was not a draft (any more). */
  markOpen(pollId: string, offsetMs: number): Promise<boolean>;
  /** Open → closed with its final tally; false when it was not open. */
  markClosed(pollId: string, offsetMs: number, tally: PollTally): Promise<boolean>;
  /** Stores the vote unless this user already voted in this poll (a unique index decides); false when they had. */
  addVote(v: { pollId: string; seminarId: string; userId: string; choices: number[]; at: Date }): Promise<boolean>;
  /** Votes per option, counted from the stored votes. */
  tally(pollId: string, options: number): Promise<PollTally>;
  /** This user's votes in the seminar's polls: poll id → choices. */
  choicesOf(seminarId: string, userId: string): Promise<Map<string, number[]>>;
}

export class PollService {
  constructor(
    private readonly deps: {
      repo: PollRepository;
      /** The seminar if the actor manages it (its lecturers, admins), else the refusal. */
      managed(actor: Actor, seminarId: string): Promise<Seminar>;
      now?: () => Date;
    },
  ) {}

  async create(who: LiveAccess, draft: PollDraft): Promise<PollRecord> {
    lecturerOnly(who);
    if (who.seminar.status === 'ended' || who.seminar.status === 'cancelled') {
      throw new ConflictError('seminar_over', `The seminar is ${who.seminar.status}`);
    }
    if ((await this.deps.repo.count(who.seminar.id)) >= POLLS_PER_SEMINAR) {
      throw new ConflictError('too_many_polls', `At most ${POLLS_PER_SEMINAR} polls per seminar`);
    }
    return this.deps.repo.create({ seminarId: who.seminar.id, ...draft, createdAt: this.now() });
  }

  async open(who: LiveAccess, pollId: string): Promise<PollRecord> {
    lecturerOnly(who);
    if (who.seminar.status !== 'live') throw new ConflictError('seminar_not_live', 'Polls open while the seminar is live');
    const poll = await this.find(who.seminar.id, pollId);
    if (poll.status !== 'draft' || !(await this.deps.repo.markOpen(poll.id, this.offset(who.seminar)))) {
      throw new ConflictError('poll_not_draft', 'This poll was opened already');
    }
    return this.find(who.seminar.id, pollId);
  }

  async close(who: LiveAccess, pollId: string): Promise<PollRecord> {
    lecturerOnly(who);
    const poll = await this.find(who.seminar.id, pollId);
    if (poll.status !== 'open' || !(await this.closeOne(poll, who.seminar))) {
      throw new ConflictError('poll_not_open', 'This poll is not open');
    }
    return this.find(who.seminar.id, pollId);
  }

  /** The seminar ended: its open polls close at that moment. */
  async closeAll(seminar: Seminar): Promise<PollRecord[]> {
    const closed: PollRecord[] = [];
    for (const poll of await this.deps.repo.list(seminar.id)) {
      if (poll.status === 'open' && (await this.closeOne(poll, seminar))) closed.push((await this.deps.repo.get(seminar.id, poll.id))!);
    }
    return closed;
  }

  async vote(who: LiveAccess, pollId: string, choices: number[]): Promise<PollRecord> {
    if (who.role === 'lecturer') throw new ForbiddenError('viewers_only', 'Lecturers do not vote in their own polls');
    if (!who.userId) throw new ForbiddenError('poll_sign_in_to_vote', 'Sign in to vote');
    const poll = await this.find(who.seminar.id, pollId);
    if (poll.status !== 'open') throw new ConflictError('poll_not_open', 'This poll is not open');
    const unique = [...new Set(choices)].sort((a, b) => a - b);
    if (unique.length !== choices.length || unique.some((c) => c >= poll.options.length) || (!poll.multiple && unique.length !== 1)) {
      throw new BadRequestError(
        'invalid_choice',
        poll.multiple ? 'Choose options of this poll, each once' : 'Choose one option of this poll',
      );
    }
    const stored = await this.deps.repo.addVote({ pollId, seminarId: who.seminar.id, userId: who.userId, choices: unique, at: this.now() });
    if (!stored) throw new ConflictError('poll_already_voted', 'You already voted in this poll');
    return poll;
  }

  get(seminarId: string, pollId: string): Promise<PollRecord | null> {
    return this.deps.repo.get(seminarId, pollId);
  }

  /** Votes per option: stored at close, counted from the votes while open. */
  async tally(poll: PollRecord): Promise<PollTally> {
    if (poll.status === 'closed' && poll.counts && poll.voters !== null) return { counts: poll.counts, voters: poll.voters };
    return this.deps.repo.tally(poll.id, poll.options.length);
  }

  /** The seminar's polls as this user sees them: drafts and running counts for its lecturers only. */
  async list(who: LiveAccess): Promise<PollView[]> {
    const polls = await this.deps.repo.list(who.seminar.id);
    const mine = who.userId ? await this.deps.repo.choicesOf(who.seminar.id, who.userId) : new Map<string, number[]>();
    const views: PollView[] = [];
    for (const poll of polls) {
      if (poll.status === 'draft' && who.role !== 'lecturer') continue;
      const myChoices = mine.get(poll.id) ?? null;
      const visible = who.role === 'lecturer' || resultsPublic(poll) || (poll.showResults === 'after_vote' && myChoices !== null);
      views.push(pollView(poll, visible && poll.status !== 'draft' ? await this.tally(poll) : null, myChoices));
    }
    return views;
  }

  /**
   * Polls with their counts: every opened one for the analytics; only closed ones for the
   * replay, which anyone watching may read while a poll that shows its counts at close still runs.
   */
  async results(seminarId: string, which: 'opened' | 'closed' = 'opened'): Promise<PollResult[]> {
    const results: PollResult[] = [];
    for (const poll of await this.deps.repo.list(seminarId)) {
      if (poll.status === 'draft' || poll.openedOffsetMs === null) continue;
      if (which === 'closed' && poll.status !== 'closed') continue;
      const { counts, voters } = await this.tally(poll);
      results.push({
        id: poll.id,
        question: poll.question,
        options: poll.options,
        multiple: poll.multiple,
        openedOffsetMs: poll.openedOffsetMs,
        closedOffsetMs: poll.closedOffsetMs,
        counts,
        voters,
      });
    }
    return results.sort((a, b) => a.openedOffsetMs - b.openedOffsetMs);
  }

  /** One row per option of every opened poll: its question, the offsets, the votes and their share. */
  async resultsCsv(actor: Actor, seminarId: string, locale: 'ru' | 'en'): Promise<Table> {
    await this.deps.managed(actor, seminarId);
    const ru = locale === 'ru';
    const header = ru
      ? ['Опрос', 'Вопрос', 'Несколько ответов', 'Открыт (мин:с)', 'Закрыт (мин:с)', 'Проголосовали', 'Вариант', 'Голосов', 'Доля, %']
      : ['Poll', 'Question', 'Multiple choice', 'Opened (min:s)', 'Closed (min:s)', 'Voters', 'Option', 'Votes', 'Share, %'];
    const results = await this.results(seminarId);
    const yes = ru ? 'да' : 'yes';
    const no = ru ? 'нет' : 'no';
    async function* rows(): AsyncIterable<string[]> {
      for (const [n, r] of results.entries()) {
        for (const [i, option] of r.options.entries()) {
          const votes = r.counts[i] ?? 0;
          yield [
            String(n + 1),
            r.question,
            r.multiple ? yes : no,
            minutes(r.openedOffsetMs),
            r.closedOffsetMs === null ? '' : minutes(r.closedOffsetMs),
            String(r.voters),
            option,
            String(votes),
            r.voters ? (Math.round((votes / r.voters) * 1000) / 10).toFixed(1) : '0.0',
          ];
        }
      }
    }
    return { header, rows: rows() };
  }

  private async closeOne(poll: PollRecord, seminar: Seminar): Promise<boolean> {
    const tally = await this.deps.repo.tally(poll.id, poll.options.length);
    return this.deps.repo.markClosed(poll.id, this.offset(seminar), tally);
  }

  private async find(seminarId: string, pollId: string): Promise<PollRecord> {
    const poll = await this.deps.repo.get(seminarId, pollId);
    if (!poll) throw new NotFoundError('poll_not_found', 'No such poll in this seminar');
    return poll;
  }

  private offset(seminar: Seminar): number {
    return seminar.liveStartedAt ? Math.max(0, this.now().getTime() - seminar.liveStartedAt.getTime()) : 0;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

function lecturerOnly(who: LiveAccess): void {
  if (who.role !== 'lecturer') throw new ForbiddenError('moderators_only', 'Only the lecturer or an admin may do this');
}

/** Counts everyone in the room may see: a closed poll's. */
export function resultsPublic(poll: PollRecord): boolean {
  return poll.status === 'closed';
}

export function pollView(poll: PollRecord, tally: PollTally | null, myChoices: number[] | null): PollView {
  return {
    id: poll.id,
    question: poll.question,
    options: poll.options,
    multiple: poll.multiple,
    showResults: poll.showResults,
    status: poll.status,
    openedOffsetMs: poll.openedOffsetMs,
    closedOffsetMs: poll.closedOffsetMs,
    counts: tally?.counts ?? null,
    voters: tally?.voters ?? null,
    myChoices,
  };
}

function minutes(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
