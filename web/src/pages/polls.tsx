import { useState } from 'preact/hooks';
import {
  POLL_OPTION_MAX,
  POLL_OPTIONS_MAX,
  POLL_OPTIONS_MIN,
  POLL_QUESTION_MAX,
  type PollResultsShown,
  type PollView,
} from '../../../server/protocol/polls';
import { ActionButton } from '../kit/button';
import { errorText } from '../kit/errors';
import { t } from '../kit/i18n';
import { toast } from '../kit/toast';
import { PollBars } from './poll-bars';
import type { PollsStore } from './polls-store';
import '../styles/polls.css';

// The polls column of the studio and watch pages. The lecturer prepares polls (before the
// seminar or on the spot), opens and closes them and sees the counts as they come; a viewer
// votes once and sees the bars after voting or at close, as the lecturer chose.

const votes = (count: number) => t('room:polls.votes', { count });

/** The lecturer's form for a new poll: a question, 2–10 options, single or multiple choice, when viewers see results. */
function PollComposer({ store }: { store: PollsStore }) {
  const [question, setQuestion] = useState('');
  const [options, setOptions] = useState(['', '']);
  const [multiple, setMultiple] = useState(false);
  const [showResults, setShowResults] = useState<PollResultsShown>('after_vote');
  const [busy, setBusy] = useState(false);
  const setOption = (i: number, value: string) => setOptions(options.map((o, j) => (j === i ? value : o)));
  return (
    <form
      class="poll-composer"
      data-testid="poll-composer"
      onSubmit={(e) => {
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        store
          .create({ question: question.trim(), options: options.map((o) => o.trim()), multiple, showResults })
          .then(() => {
            setQuestion('');
            setOptions(['', '']);
            setMultiple(false);
          })
          .catch((err: unknown) => toast(errorText(err)))
          .finally(() => setBusy(false));
      }}
    >
      <label>
        {t('room:polls.question')}
        <input
          value={question}
          required
          maxLength={POLL_QUESTION_MAX}
          autocomplete="off"
          data-testid="poll-question"
          onInput={(e) => setQuestion(e.currentTarget.value)}
        />
      </label>
      <fieldset>
        <legend>{t('room:polls.options')}</legend>
        {options.map((o, i) => (
          <div class="poll-option" key={i}>
            <input
              value={o}
              required
              maxLength={POLL_OPTION_MAX}
              autocomplete="off"
              aria-label={t('room:polls.option', { n: i + 1 })}
              data-testid="poll-option"
              onInput={(e) => setOption(i, e.currentTarget.value)}
            />
            {options.length > POLL_OPTIONS_MIN && (
              <button
                type="button"
                class="link"
                aria-label={t('room:polls.removeOption', { n: i + 1 })}
                onClick={() => setOptions(options.filter((_, j) => j !== i))}
              >
                ✕
              </button>
            )}
          </div>
        ))}
        {options.length < POLL_OPTIONS_MAX && (
          <button type="button" class="link" data-testid="poll-add-option" onClick={() => setOptions([...options, ''])}>
            {t('room:polls.addOption')}
          </button>
        )}
      </fieldset>
      <label class="check">
        <input type="checkbox" checked={multiple} data-testid="poll-multiple" onChange={(e) => setMultiple(e.currentTarget.checked)} />
        {t('room:polls.multiple')}
      </label>
      <label>
        {t('room:polls.showResults')}
        <select
          value={showResults}
          data-testid="poll-show-results"
          onChange={(e) => setShowResults(e.currentTarget.value as PollResultsShown)}
        >
          <option value="after_vote">{t('room:polls.after_vote')}</option>
          <option value="at_close">{t('room:polls.at_close')}</option>
        </select>
      </label>
      <button type="submit" data-testid="poll-save" disabled={busy}>
        {t('room:polls.save')}
      </button>
    </form>
  );
}

/** A viewer's ballot: radio buttons, or checkboxes for a multiple-choice poll. */
function Ballot({ store, poll }: { store: PollsStore; poll: PollView }) {
  const [chosen, setChosen] = useState<number[]>([]);
  const [busy, setBusy] = useState(false);
  const toggle = (i: number, on: boolean) =>
    setChosen(poll.multiple ? (on ? [...chosen, i] : chosen.filter((c) => c !== i)) : on ? [i] : []);
  return (
    <form
      class="ballot"
      data-testid="poll-ballot"
      onSubmit={(e) => {
        e.preventDefault();
        if (busy || chosen.length === 0) return;
        setBusy(true);
        store
          .vote(poll.id, chosen)
          .catch((err: unknown) => toast(errorText(err)))
          .finally(() => setBusy(false));
      }}
    >
      <fieldset>
        <legend>{poll.multiple ? t('room:polls.chooseSome') : t('room:polls.chooseOne')}</legend>
        {poll.options.map((o, i) => (
          <label key={i} class="check">
            <input
              type={poll.multiple ? 'checkbox' : 'radio'}
              name={`poll-${poll.id}`}
              checked={chosen.includes(i)}
              data-testid="poll-choice"
              onChange={(e) => toggle(i, e.currentTarget.checked)}
            />
            {o}
          </label>
        ))}
      </fieldset>
      <button type="submit" class="primary" data-testid="poll-vote" disabled={busy || chosen.length === 0}>
        {t('room:polls.vote')}
      </button>
    </form>
  );
}

function PollItem({ store, poll, live }: { store: PollsStore; poll: PollView; live: boolean }) {
  const counts = poll.counts && poll.voters !== null ? { ...poll, counts: poll.counts, voters: poll.voters } : null;
  return (
    <li class={`poll ${poll.status}`} data-testid="poll" data-status={poll.status} data-poll={poll.id}>
      <h3>{poll.question}</h3>
      <p class="muted">
        <span class={`badge ${poll.status}`}>{t(`room:polls.status.${poll.status}`)}</span>{' '}
        {poll.multiple ? t('room:polls.multipleShort') : t('room:polls.singleShort')}
        {store.moderator && ` · ${t(`room:polls.${poll.showResults}`)}`}
      </p>
      {!store.moderator && poll.status === 'open' && poll.myChoices === null && <Ballot store={store} poll={poll} />}
      {!store.moderator && poll.myChoices !== null && (
        <p data-testid="poll-voted" role="status">
          {t('room:polls.voted')}
          {counts === null && poll.status === 'open' && ` ${t('room:polls.waitResults')}`}
        </p>
      )}
      {counts && <PollBars poll={counts} votes={votes} />}
      {counts && (
        <p class="muted" data-testid="poll-voters">
          {t('room:polls.voters', { count: counts.voters })}
        </p>
      )}
      {store.moderator && poll.status === 'draft' && (
        <ActionButton class="primary" data-testid="poll-open" disabled={!live} run={() => store.open(poll.id)}>
          {t('room:polls.open')}
        </ActionButton>
      )}
      {store.moderator && poll.status === 'open' && (
        <ActionButton data-testid="poll-close" run={() => store.close(poll.id)}>
          {t('room:polls.close')}
        </ActionButton>
      )}
    </li>
  );
}

/** The polls panel; `live`: the seminar is on air (polls open only then). */
export function PollPanel({ store, live }: { store: PollsStore | null; live: boolean }) {
  void store?.version.value;
  if (!store) return null;
  const polls = store.polls;
  if (!store.moderator && polls.length === 0) return null;
  return (
    <section class="panel polls" aria-labelledby="polls-title" data-testid="polls">
      <h2 id="polls-title">{t('room:polls.title')}</h2>
      {store.moderator && (
        <details class="poll-new" open={polls.length === 0}>
          <summary data-testid="poll-new">{t('room:polls.new')}</summary>
          <PollComposer store={store} />
        </details>
      )}
      {store.moderator && !live && polls.some((p) => p.status === 'draft') && <p class="muted">{t('room:polls.openWhenLive')}</p>}
      <ol class="poll-list">
        {store.moderator && polls.length === 0 && <li class="empty">{t('room:polls.empty')}</li>}
        {[...polls].reverse().map((p) => (
          <PollItem key={p.id} store={store} poll={p} live={live} />
        ))}
      </ol>
    </section>
  );
}
