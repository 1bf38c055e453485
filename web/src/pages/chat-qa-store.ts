import { signal } from '@preact/signals';
import type { ChatMessage, JoinResult, Question } from '../../../server/protocol/live';
import type { RoomConnection } from '../live';

export type QuestionView = Omit<Question, 'votedByMe'>;

const statusOrder: Record<Question['status'], number> = { answering: 0, open: 1, answered: 2 };

/**
 * The chat and Q&A of a live room, the same on the watch and studio pages: what the
 * server sent at the join and since, and whether this page may write. The view
 * (chat-qa.tsx) re-renders when `version` moves.
 */
export class ChatQaStore {
  readonly version = signal(0);
  messages: ChatMessage[] = [];
  readonly questions = new Map<string, QuestionView>();
  readonly myVotes = new Set<string>();
  canChat = false;
  /** Allowed to chat in this room (guests are not); unknown until joined. */
  member: boolean | undefined;
  /** An encore's entries from the original session, shown as such (encore-player.ts reveals them in step). */
  readonly replayed = new Set<string>();

  constructor(
    readonly conn: RoomConnection,
    readonly moderator: boolean,
  ) {
    conn.socket.on('chat:message', (m) => {
      if (this.messages.some((x) => x.id === m.id)) return;
      this.messages = [...this.messages, m].slice(-200);
      this.changed();
    });
    conn.socket.on('chat:deleted', ({ messageId }) => {
      this.messages = this.messages.filter((m) => m.id !== messageId);
      this.changed();
    });
    conn.socket.on('question:updated', (q) => this.upsert(q));
  }

  /** Everything as the server knows it at a (re)join. */
  reset(join: JoinResult): void {
    this.messages = join.chat.slice();
    this.questions.clear();
    this.myVotes.clear();
    for (const q of join.questions) {
      this.questions.set(q.id, q);
      if (q.votedByMe) this.myVotes.add(q.id);
    }
    this.canChat = join.canChat;
    this.member = join.canChat;
    this.changed();
  }

  /** The original session's messages and answered questions that the encore's playback has reached. */
  replay(messages: ChatMessage[], questions: QuestionView[]): void {
    if (messages.length === 0 && questions.length === 0) return;
    for (const m of messages) this.replayed.add(m.id);
    for (const q of questions) {
      this.replayed.add(q.id);
      this.questions.set(q.id, q);
    }
    this.messages = [...this.messages, ...messages.filter((m) => !this.messages.some((x) => x.id === m.id))].slice(-200);
    this.changed();
  }

  /** Stops input once the seminar is over or we are out of the room. */
  disable(): void {
    this.canChat = false;
    this.changed();
  }

  /** Questions in the order the room reads them: being answered, open by votes, answered. */
  sortedQuestions(): QuestionView[] {
    return [...this.questions.values()].sort(
      (a, b) => statusOrder[a.status] - statusOrder[b.status] || b.votes - a.votes || a.offsetMs - b.offsetMs,
    );
  }

  async send(text: string): Promise<void> {
    await this.conn.request('chat:send', { text });
  }

  async ask(text: string): Promise<void> {
    this.upsert((await this.conn.request('question:ask', { text })) as QuestionView);
  }

  async upvote(questionId: string): Promise<void> {
    const updated = (await this.conn.request('question:upvote', { questionId })) as QuestionView;
    this.myVotes.add(questionId);
    // A newer push may have come first: the vote's mark must show all the same.
    if (!this.upsert(updated)) this.changed();
  }

  async mark(questionId: string, status: 'answering' | 'answered'): Promise<void> {
    this.upsert((await this.conn.request('question:status', { questionId, status })) as QuestionView);
  }

  async moderate(event: 'chat:delete' | 'moderation:remove' | 'moderation:ban', m: ChatMessage): Promise<void> {
    if (event === 'chat:delete') await this.conn.request(event, { messageId: m.id });
    else await this.conn.request(event, { userId: m.userId });
  }

  /**
   * Keeps the newest state of a question. Our own answer and the room's push of one change
   * can come in either order, and with several nodes so can two nodes' pushes.
   */
  private upsert(q: QuestionView): boolean {
    const known = this.questions.get(q.id);
    if (known && known.revision > q.revision) return false;
    this.questions.set(q.id, q);
    this.changed();
    return true;
  }

  private changed(): void {
    this.version.value++;
  }
}
