import type { ChatMessage, JoinResult, Question } from '../../server/protocol/live';
import { clock, h, toast } from './dom';
import { currentLang, errorText, onLangChange, t } from './i18n';
import type { RoomConnection } from './live';

type QuestionView = Omit<Question, 'votedByMe'>;

const statusOrder: Record<Question['status'], number> = { answering: 0, open: 1, answered: 2 };

/**
 * The chat and Q&A column, the same on both pages. The lecturer's copy adds
 * moderation: delete a message, remove or ban its author, and mark questions.
 */
export class ChatQaPanel {
  private messages: ChatMessage[] = [];
  private readonly questions = new Map<string, QuestionView>();
  private readonly myVotes = new Set<string>();
  private canChat = false;
  /** Allowed to chat in this room (guests are not); unknown until joined. */
  private member: boolean | undefined;
  private readonly chatList = h('ol', { class: 'chat-list', 'data-testid': 'chat-list' });
  private readonly qaList = h('ol', { class: 'qa-list', 'data-testid': 'qa-list' });
  private readonly chatInput = h('input', { name: 'text', maxlength: 500, autocomplete: 'off', 'data-testid': 'chat-input' });
  private readonly qaInput = h('input', {
    name: 'text',
    maxlength: 500,
    minlength: 3,
    autocomplete: 'off',
    'data-testid': 'question-input',
  });
  private readonly guestNote = h('p', { class: 'muted', hidden: true });
  private readonly forms: HTMLFormElement[] = [];

  constructor(
    private readonly conn: RoomConnection,
    root: HTMLElement,
    private readonly moderator: boolean,
  ) {
    const chatForm = this.form(this.chatInput, 'chat-send', async (text) => void (await conn.request('chat:send', { text })));
    const qaForm = this.form(this.qaInput, 'question-ask', async (text) =>
      this.upsert((await conn.request('question:ask', { text })) as QuestionView),
    );
    root.append(
      h('section', { class: 'panel chat' }, h('h2', { 'data-i18n': 'chat.title' }), this.chatList, chatForm),
      h('section', { class: 'panel qa' }, h('h2', { 'data-i18n': 'qa.title' }), this.qaList, qaForm),
      this.guestNote,
    );
    conn.socket.on('chat:message', (m) => {
      if (this.messages.some((x) => x.id === m.id)) return;
      this.messages = [...this.messages, m].slice(-200);
      this.renderChat();
    });
    conn.socket.on('chat:deleted', ({ messageId }) => {
      this.messages = this.messages.filter((m) => m.id !== messageId);
      this.renderChat();
    });
    conn.socket.on('question:updated', (q) => this.upsert(q));
    onLangChange(() => this.render());
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
    this.render();
  }

  /** Stops input once the seminar is over or we are out of the room. */
  disable(): void {
    this.canChat = false;
    this.render();
  }

  private form(input: HTMLInputElement, testId: string, send: (text: string) => Promise<void>): HTMLFormElement {
    const button = h('button', { type: 'submit', 'data-testid': testId });
    const form = h('form', { class: 'composer' }, input, button);
    button.dataset.i18n = testId === 'chat-send' ? 'chat.send' : 'qa.ask';
    input.dataset.i18nPlaceholder = testId === 'chat-send' ? 'chat.placeholder' : 'qa.placeholder';
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text || button.disabled) return;
      button.disabled = true;
      send(text)
        .then(() => (input.value = ''))
        .catch((err: unknown) => toast(errorText(err)))
        .finally(() => {
          button.disabled = !this.canChat;
          input.focus();
        });
    });
    this.forms.push(form);
    return form;
  }

  private upsert(q: QuestionView): void {
    this.questions.set(q.id, q);
    this.renderQuestions();
  }

  private render(): void {
    for (const form of this.forms) for (const el of form.elements) (el as HTMLInputElement).disabled = !this.canChat;
    this.guestNote.hidden = this.member !== false;
    this.guestNote.textContent = t('chat.guest');
    this.renderChat();
    this.renderQuestions();
  }

  private renderChat(): void {
    const atBottom = this.chatList.scrollHeight - this.chatList.scrollTop - this.chatList.clientHeight < 40;
    this.chatList.replaceChildren(
      ...(this.messages.length === 0 ? [h('li', { class: 'empty' }, t('chat.empty'))] : []),
      ...this.messages.map((m) =>
        h(
          'li',
          { 'data-testid': 'chat-message', 'data-id': m.id },
          h('span', { class: 'who' }, m.displayName),
          h('time', { datetime: m.at }, clock(m.at, currentLang())),
          h('p', {}, m.text),
          this.moderator ? this.moderation(m) : null,
        ),
      ),
    );
    if (atBottom) this.chatList.scrollTop = this.chatList.scrollHeight;
  }

  private moderation(m: ChatMessage): HTMLElement {
    const run = (event: 'chat:delete' | 'moderation:remove' | 'moderation:ban') => () => {
      const payload = event === 'chat:delete' ? { messageId: m.id } : { userId: m.userId };
      this.conn.request(event, payload as never).catch((err: unknown) => toast(errorText(err)));
    };
    return h(
      'span',
      { class: 'actions' },
      h('button', { class: 'link', onclick: run('chat:delete') }, t('chat.delete')),
      h('button', { class: 'link', onclick: run('moderation:remove') }, t('chat.remove')),
      h('button', { class: 'link danger', onclick: run('moderation:ban') }, t('chat.ban')),
    );
  }

  private renderQuestions(): void {
    const items = [...this.questions.values()].sort(
      (a, b) => statusOrder[a.status] - statusOrder[b.status] || b.votes - a.votes || a.offsetMs - b.offsetMs,
    );
    this.qaList.replaceChildren(
      ...(items.length === 0 ? [h('li', { class: 'empty' }, t('qa.empty'))] : []),
      ...items.map((q) => this.question(q)),
    );
  }

  private question(q: QuestionView): HTMLElement {
    const voted = this.myVotes.has(q.id);
    const upvote = h(
      'button',
      {
        class: `vote${voted ? ' voted' : ''}`,
        title: t('qa.upvote'),
        'aria-pressed': String(voted),
        disabled: voted || !this.canChat || q.status === 'answered',
        'data-testid': 'upvote',
      },
      `▲ ${q.votes}`,
    );
    upvote.addEventListener('click', () => {
      upvote.disabled = true;
      this.conn
        .request('question:upvote', { questionId: q.id })
        .then((updated) => {
          this.myVotes.add(q.id);
          this.upsert(updated as QuestionView);
        })
        .catch((err: unknown) => {
          toast(errorText(err));
          upvote.disabled = false;
        });
    });
    const mark = (status: 'answering' | 'answered', label: string) =>
      h(
        'button',
        {
          class: 'link',
          'data-testid': `mark-${status}`,
          onclick: () =>
            void this.conn.request('question:status', { questionId: q.id, status }).then(
              (u) => this.upsert(u as QuestionView),
              (err: unknown) => toast(errorText(err)),
            ),
        },
        label,
      );
    return h(
      'li',
      { class: `question ${q.status}`, 'data-testid': 'question', 'data-id': q.id, 'data-status': q.status, 'data-votes': q.votes },
      upvote,
      h(
        'div',
        { class: 'body' },
        h('p', {}, q.text),
        h('span', { class: 'who' }, q.displayName),
        q.status !== 'open' ? h('span', { class: `tag ${q.status}` }, t(q.status === 'answering' ? 'qa.answering' : 'qa.answered')) : null,
        this.moderator && q.status !== 'answered'
          ? h(
              'span',
              { class: 'actions' },
              q.status === 'open' ? mark('answering', t('qa.markAnswering')) : null,
              mark('answered', t('qa.markAnswered')),
            )
          : null,
      ),
    );
  }
}
