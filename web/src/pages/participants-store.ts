import { signal } from '@preact/signals';
import type { Participant, Participants } from '../../../server/protocol/live';
import type { RoomConnection } from '../live';

/**
 * The lecturer's participant list: what the server pushes (room:participants, to
 * lecturers only) and the actions on one person. The view (participants.tsx)
 * re-renders when `version` moves.
 */
export class ParticipantsStore {
  readonly version = signal(0);
  people: Participant[] = [];
  more = 0;
  anonymous = 0;

  constructor(private readonly conn: RoomConnection) {
    conn.socket.on('room:participants', (list) => this.set(list));
  }

  /** The list as it is at a (re)join; pushes follow. */
  async refresh(): Promise<void> {
    this.set((await this.conn.request('room:participants', {})) as Participants);
  }

  clear(): void {
    this.set({ people: [], more: 0, anonymous: 0 });
  }

  lowerHand(p: Participant): Promise<unknown> {
    return this.conn.request('hand:lower', { userId: p.userId });
  }

  invite(p: Participant): Promise<unknown> {
    return this.conn.request('stage:invite', { userId: p.userId });
  }

  takeOffStage(p: Participant): Promise<unknown> {
    return this.conn.request('stage:remove', { userId: p.userId });
  }

  mute(p: Participant, muted: boolean): Promise<unknown> {
    return this.conn.request(muted ? 'moderation:mute' : 'moderation:unmute', { userId: p.userId });
  }

  remove(p: Participant): Promise<unknown> {
    return this.conn.request('moderation:remove', { userId: p.userId });
  }

  ban(p: Participant): Promise<unknown> {
    return this.conn.request('moderation:ban', { userId: p.userId });
  }

  private set(list: Participants): void {
    this.people = list.people;
    this.more = list.more;
    this.anonymous = list.anonymous;
    this.version.value++;
  }
}
