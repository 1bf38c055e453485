import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Question } from '../../server/protocol/live';

// The Q&A of the watch and studio pages. A question's changes reach a page by two roads, the
// room's push and the page's own answer, and with several nodes through the Redis adapter each
// node batches its pushes on its own window: two changes can arrive in either order. The page
// keeps the state with the highest revision.

// Loaded by a path TypeScript does not follow: the store's module reaches the pages' DOM code,
// which the Node project's type check (no DOM library) leaves to web/tsconfig.json.
const STORE = '../../web/src/pages/chat-qa-store';
type QuestionView = Omit<Question, 'votedByMe'>;
/** What this test uses of the page's ChatQaStore. */
interface ChatQaStore {
  readonly version: { value: number };
  readonly questions: Map<string, QuestionView>;
  readonly myVotes: Set<string>;
  upvote(questionId: string): Promise<void>;
}
const { ChatQaStore } = (await import(STORE)) as { ChatQaStore: new (conn: unknown, moderator: boolean) => ChatQaStore };

const question = (votes: number, revision: number, status: QuestionView['status'] = 'open'): QuestionView => ({
  id: 'q1',
  userId: 'u1',
  displayName: 'Анна',
  text: 'Как считать юнит-экономику?',
  votes,
  status,
  offsetMs: 1000,
  answeringOffsetMs: null,
  revision,
});

function storeWith(answer: (event: string) => QuestionView) {
  const socket = new EventEmitter();
  const conn = { socket, request: async (event: string) => answer(event) };
  return { store: new ChatQaStore(conn, false), push: (q: QuestionView) => socket.emit('question:updated', q) };
}

describe("the page's questions", () => {
  it('keeps the newer of two pushes that arrive crossed', () => {
    const { store, push } = storeWith(() => question(0, 0));
    push(question(1, 1));
    push(question(2, 2));
    push(question(1, 1));
    expect(store.questions.get('q1')).toMatchObject({ votes: 2, revision: 2 });
    push(question(2, 3, 'answering'));
    expect(store.questions.get('q1')).toMatchObject({ votes: 2, status: 'answering', revision: 3 });
  });

  it("keeps the room's newer push over its own vote's answer that came after it", async () => {
    const { store, push } = storeWith(() => question(1, 1));
    const before = store.version.value;
    push(question(2, 2));
    await store.upvote('q1');
    expect(store.questions.get('q1')).toMatchObject({ votes: 2, revision: 2 });
    // The page re-renders for the vote's mark, though the answer's state was older.
    expect(store.myVotes.has('q1')).toBe(true);
    expect(store.version.value).toBe(before + 2);
  });

  it('takes the same revision again (a rejoin or a renamed author brings the stored state)', () => {
    const { store, push } = storeWith(() => question(0, 0));
    push(question(1, 1));
    push({ ...question(1, 1), displayName: 'Участник' });
    expect(store.questions.get('q1')?.displayName).toBe('Участник');
  });
});
