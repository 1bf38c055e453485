import { signal } from '@preact/signals';
import { z } from 'zod';
import { pollView, type PollDraft, type PollView } from '../../../server/protocol/polls';
import type { RoomConnection } from '../live';

const pollList = z.array(pollView);

/**
 * The polls of a live room, on the studio (the lecturer's, drafts included) and the watch page:
 * what the server listed at the join and pushed since. The view (polls.tsx) re-renders when
 * `version` moves.
 */
export class PollsStore {
  readonly version = signal(0);
  polls: PollView[] = [];

  constructor(
    readonly conn: RoomConnection,
    readonly moderator: boolean,
  ) {
    conn.socket.on('poll:updated', (p) => this.upsert(pollView.parse(p)));
  }

  /** Everything as the server knows it, after a (re)join. */
  async reload(): Promise<void> {
    this.polls = pollList.parse(await this.conn.request('poll:list', {}));
    this.changed();
  }

  async create(draft: PollDraft): Promise<void> {
    this.upsert(pollView.parse(await this.conn.request('poll:create', draft)));
  }

  async open(pollId: string): Promise<void> {
    this.upsert(pollView.parse(await this.conn.request('poll:open', { pollId })));
  }

  async close(pollId: string): Promise<void> {
    this.upsert(pollView.parse(await this.conn.request('poll:close', { pollId })));
  }

  async vote(pollId: string, choices: number[]): Promise<void> {
    this.upsert(pollView.parse(await this.conn.request('poll:vote', { pollId, choices })));
  }

  /** A broadcast carries no one's own vote, and no counts for those who may not see them yet: keep what we know. */
  private upsert(p: PollView): void {
    const known = this.polls.find((x) => x.id === p.id);
    const merged: PollView = known
      ? {
          ...p,
          myChoices: p.myChoices ?? known.myChoices,
          ...(p.counts === null && known.status === p.status ? { counts: known.counts, voters: known.voters } : {}),
        }
      : p;
    this.polls = known ? this.polls.map((x) => (x.id === p.id ? merged : x)) : [...this.polls, merged];
    this.changed();
  }

  private changed(): void {
    this.version.value++;
  }
}
