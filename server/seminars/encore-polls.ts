import type { PollRecord, PollRepository, PollService } from '../live/polls';
import type { Seminar } from './model';

// An encore's polls: the source's polls, copied into the encore as drafts when it goes live,
// then opened and closed at the offsets they had in the original session, for new votes that
// are stored under the encore. A copy's place in the encore's list (creation order) is its
// source poll's place in opening order, which is how a copy finds its schedule.

export class EncorePolls {
  private readonly listeners: Array<(seminarId: string, poll: PollRecord) => void> = [];

  constructor(
    private readonly deps: {
      repo: PollRepository;
      polls: Pick<PollService, 'results'>;
    },
  ) {}

  /** A poll of a live encore opened or closed on schedule: the live gateway tells the room. */
  onChange(listener: (seminarId: string, poll: PollRecord) => void): void {
    this.listeners.push(listener);
  }

  /** The source's opened polls, as drafts of the encore (none twice: a second call finds them there). */
  async copy(source: Seminar, encore: Seminar): Promise<void> {
    if ((await this.deps.repo.count(encore.id)) > 0) return;
    const opened = await this.schedule(source.id);
    for (const [i, poll] of opened.entries()) {
      const original = (await this.deps.repo.get(source.id, poll.id))!;
      await this.deps.repo.create({
        seminarId: encore.id,
        question: original.question,
        options: original.options,
        multiple: original.multiple,
        showResults: original.showResults,
        createdAt: new Date(encore.startsAt.getTime() + i),
      });
    }
  }

  /** Opens and closes the encore's polls whose original offsets `elapsedMs` has reached. */
  async advance(encore: Seminar, elapsedMs: number): Promise<void> {
    const copies = await this.deps.repo.list(encore.id);
    if (copies.length === 0) return;
    const schedule = await this.schedule(encore.encoreOf!);
    for (const [i, copy] of copies.entries()) {
      const original = schedule[i];
      if (!original) continue;
      if (copy.status === 'draft' && original.openedOffsetMs <= elapsedMs) {
        if (await this.deps.repo.markOpen(copy.id, original.openedOffsetMs)) await this.changed(encore.id, copy.id);
      }
      const current = copy.status === 'draft' ? await this.deps.repo.get(encore.id, copy.id) : copy;
      if (current?.status === 'open' && original.closedOffsetMs !== null && original.closedOffsetMs <= elapsedMs) {
        const tally = await this.deps.repo.tally(copy.id, copy.options.length);
        if (await this.deps.repo.markClosed(copy.id, original.closedOffsetMs, tally)) await this.changed(encore.id, copy.id);
      }
    }
  }

  private async schedule(sourceId: string) {
    return (await this.deps.polls.results(sourceId, 'opened')).sort((a, b) => a.openedOffsetMs - b.openedOffsetMs);
  }

  private async changed(seminarId: string, pollId: string): Promise<void> {
    const poll = await this.deps.repo.get(seminarId, pollId);
    if (poll) for (const listener of this.listeners) listener(seminarId, poll);
  }
}
