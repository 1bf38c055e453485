import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage } from '../../../server/protocol/live';
import { ActionButton } from '../kit/button';
import { errorText } from '../kit/errors';
import { clock } from '../kit/format';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';
import type { ChatQaStore, QuestionView } from './chat-qa-store';

// The chat and Q&A column of the watch and studio pages. The lecturer's copy adds
// moderation: delete a message, remove or ban its author, and mark questions.

function Composer(props: {
  enabled: boolean;
  testId: 'chat-send' | 'question-ask';
  inputTestId: 'chat-input' | 'question-input';
  label: string;
  placeholder: string;
  button: string;
  minLength?: number;
  send: (text: string) => Promise<void>;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [sending, setSending] = useState(false);
  const enabled = props.enabled;
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        const el = input.current;
        const text = el?.value.trim() ?? '';
        if (!el || !text || sending) return;
        setSending(true);
        props
          .send(text)
          .then(() => (el.value = ''))
          .catch((err: unknown) => toast(errorText(err)))
          .finally(() => {
            setSending(false);
            el.focus();
          });
      }}
    >
      <input
        ref={input}
        name="text"
        maxLength={500}
        minLength={props.minLength}
        autocomplete="off"
        aria-label={props.label}
        placeholder={props.placeholder}
        data-testid={props.inputTestId}
        disabled={!enabled}
      />
      <button type="submit" data-testid={props.testId} disabled={!enabled || sending}>
        {props.button}
      </button>
    </form>
  );
}

function Moderation({ store, m }: { store: ChatQaStore; m: ChatMessage }) {
  return (
    <span class="actions" role="group" aria-label={t('room:chat.actionsFor', { name: m.displayName })}>
      <ActionButton class="link" run={() => store.moderate('chat:delete', m)}>
        {t('room:chat.delete')}
      </ActionButton>
      <ActionButton class="link" run={() => store.moderate('moderation:remove', m)}>
        {t('room:chat.remove')}
      </ActionButton>
      <ActionButton class="link danger" run={() => store.moderate('moderation:ban', m)}>
        {t('room:chat.ban')}
      </ActionButton>
    </span>
  );
}

/** `messages` is a new array whenever it changes, which is what re-renders this list. */
function ChatList({ store, messages }: { store: ChatQaStore | null; messages: ChatMessage[] }) {
  const list = useRef<HTMLOListElement>(null);
  // Follows new messages while the reader is at the bottom; leaves them be when they scrolled up.
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = list.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages]);
  return (
    <ol
      class="chat-list"
      data-testid="chat-list"
      ref={list}
      tabIndex={0}
      aria-label={t('room:chat.title')}
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {messages.length === 0 && <li class="empty">{t('room:chat.empty')}</li>}
      {messages.map((m) => (
        <li key={m.id} data-testid="chat-message" data-id={m.id} data-replayed={store?.replayed.has(m.id) ? 'true' : undefined}>
          <span class="who">{m.displayName}</span>
          <time dateTime={m.at}>{clock(m.at)}</time>
          {store?.replayed.has(m.id) && <span class="tag original">{t('room:encore.original')}</span>}
          <p>{m.text}</p>
          {store?.moderator && !store.replayed.has(m.id) && <Moderation store={store} m={m} />}
        </li>
      ))}
    </ol>
  );
}

function QuestionItem({ store, q, voted, canChat }: { store: ChatQaStore; q: QuestionView; voted: boolean; canChat: boolean }) {
  const [pending, setPending] = useState(false);
  const votes = t('room:qa.votes', { count: q.votes });
  return (
    <li class={`question ${q.status}`} data-testid="question" data-id={q.id} data-status={q.status} data-votes={q.votes}>
      <button
        type="button"
        class={`vote${voted ? ' voted' : ''}`}
        title={t('room:qa.upvote')}
        aria-label={`${t('room:qa.upvote')}: ${votes}`}
        aria-pressed={voted}
        disabled={pending || voted || !canChat || q.status === 'answered' || store.replayed.has(q.id)}
        data-testid="upvote"
        onClick={() => {
          setPending(true);
          store
            .upvote(q.id)
            .catch((err: unknown) => toast(errorText(err)))
            .finally(() => setPending(false));
        }}
      >
        <span aria-hidden="true">▲</span> {q.votes}
      </button>
      <div class="body">
        <p>{q.text}</p>
        <span class="who">{q.displayName}</span>
        {store.replayed.has(q.id) && <span class="tag original">{t('room:encore.original')}</span>}
        {q.status !== 'open' && (
          <span class={`tag ${q.status}`}>{t(q.status === 'answering' ? 'room:qa.answering' : 'room:qa.answered')}</span>
        )}
        {store.moderator && q.status !== 'answered' && !store.replayed.has(q.id) && (
          <span class="actions">
            {q.status === 'open' && (
              <ActionButton class="link" data-testid="mark-answering" run={() => store.mark(q.id, 'answering')}>
                {t('room:qa.markAnswering')}
              </ActionButton>
            )}
            <ActionButton class="link" data-testid="mark-answered" run={() => store.mark(q.id, 'answered')}>
              {t('room:qa.markAnswered')}
            </ActionButton>
          </span>
        )}
      </div>
    </li>
  );
}

const NO_MESSAGES: ChatMessage[] = [];

/**
 * The chat and Q&A panels; `store` is null until the room exists. The store changes
 * in place, so this component reads its version signal, and hands its children the
 * values they show (a component that reads a signal, t() included, re-renders only
 * when a signal it read or one of its props changes).
 */
export function ChatQa({ store }: { store: ChatQaStore | null }) {
  void store?.version.value;
  const questions = store?.sortedQuestions() ?? [];
  return (
    <>
      <section class="panel chat" aria-labelledby="chat-title">
        <h2 id="chat-title">{t('room:chat.title')}</h2>
        <ChatList store={store} messages={store?.messages ?? NO_MESSAGES} />
        <Composer
          enabled={store?.canChat === true}
          testId="chat-send"
          inputTestId="chat-input"
          label={t('room:chat.label')}
          placeholder={t('room:chat.placeholder')}
          button={t('room:chat.send')}
          send={(text) => store!.send(text)}
        />
      </section>
      <section class="panel qa" aria-labelledby="qa-title">
        <h2 id="qa-title">{t('room:qa.title')}</h2>
        <ol class="qa-list" data-testid="qa-list" tabIndex={0} aria-label={t('room:qa.title')}>
          {questions.length === 0 && <li class="empty">{t('room:qa.empty')}</li>}
          {store &&
            questions.map((q) => <QuestionItem key={q.id} store={store} q={q} voted={store.myVotes.has(q.id)} canChat={store.canChat} />)}
        </ol>
        <Composer
          enabled={store?.canChat === true}
          testId="question-ask"
          inputTestId="question-input"
          label={t('room:qa.label')}
          placeholder={t('room:qa.placeholder')}
          button={t('room:qa.ask')}
          minLength={3}
          send={(text) => store!.ask(text)}
        />
      </section>
      {store?.member === false && <p class="muted guest-note">{t('room:chat.guest')}</p>}
    </>
  );
}
