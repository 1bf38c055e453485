import { useId } from 'preact/hooks';
import { t } from '../../kit/i18n';
import type { DraftQuestion, QuestionKind } from './quiz-draft';

// One question of a quiz in the builder: its kind, text, and the right answer in the form its
// kind takes. Every control is a native one, so the keyboard reaches all of it.

const KINDS: QuestionKind[] = ['single', 'multiple', 'number', 'text'];
const MAX_OPTIONS = 10;

/** The server's refusal for a field of this question ('questions.2.text' → errors.text). */
type Errors = Record<string, string>;

export function QuestionEditor({
  index,
  count,
  question: q,
  errors,
  onChange,
  onRemove,
  onMove,
}: {
  index: number;
  count: number;
  question: DraftQuestion;
  errors: Errors;
  onChange: (q: DraftQuestion) => void;
  onRemove: () => void;
  onMove: (dir: -1 | 1) => void;
}) {
  const id = useId();
  const set = (changes: Partial<DraftQuestion>) => onChange({ ...q, ...changes });
  const err = (field: string) => errors[field];
  const described = (field: string) => (err(field) ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${id}-${field}-error` } : {});
  const error = (field: string) =>
    err(field) && (
      <p class="field-error" id={`${id}-${field}-error`}>
        {err(field)}
      </p>
    );
  const setOption = (i: number, value: string) => set({ options: q.options.map((o, j) => (j === i ? value : o)) });
  const removeOption = (i: number) =>
    set({
      options: q.options.filter((_, j) => j !== i),
      correct: q.correct.filter((c) => c !== i).map((c) => (c > i ? c - 1 : c)),
    });
  const toggleCorrect = (i: number, on: boolean) =>
    set({ correct: q.kind === 'single' ? [i] : on ? [...q.correct, i].sort((a, b) => a - b) : q.correct.filter((c) => c !== i) });
  const title = t('workspace:quiz.question', { n: index + 1 });
  return (
    <fieldset class="qz-question" data-testid="quiz-question">
      <legend>{title}</legend>
      <div class="ws-row">
        <div class="field">
          <label for={`${id}-kind`}>{t('workspace:quiz.kind')}</label>
          <select
            id={`${id}-kind`}
            data-testid="question-kind"
            value={q.kind}
            onChange={(e) => set({ kind: e.currentTarget.value as QuestionKind, correct: [0] })}
          >
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`workspace:quiz.kinds.${k}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div class={`field${err('text') ? ' invalid' : ''}`}>
        <label for={`${id}-text`}>{t('workspace:quiz.text')}</label>
        <textarea
          id={`${id}-text`}
          data-testid="question-text"
          rows={2}
          maxLength={2000}
          value={q.text}
          onInput={(e) => set({ text: e.currentTarget.value })}
          {...described('text')}
        />
        {error('text')}
      </div>
      {(q.kind === 'single' || q.kind === 'multiple') && (
        <div class="qz-options" role="group" aria-label={t('workspace:quiz.options')}>
          <p class="muted" id={`${id}-options-hint`}>
            {t(q.kind === 'single' ? 'workspace:quiz.markOne' : 'workspace:quiz.markAll')}
          </p>
          {q.options.map((o, i) => (
            <div class="qz-option" key={i}>
              <input
                type={q.kind === 'single' ? 'radio' : 'checkbox'}
                name={`${id}-correct`}
                data-testid="option-correct"
                checked={q.correct.includes(i)}
                aria-label={t('workspace:quiz.optionCorrect', { n: i + 1 })}
                onChange={(e) => toggleCorrect(i, e.currentTarget.checked)}
              />
              <input
                data-testid="option-text"
                value={o}
                maxLength={300}
                aria-label={t('workspace:quiz.option', { n: i + 1 })}
                onInput={(e) => setOption(i, e.currentTarget.value)}
                {...described(`options.${i}`)}
              />
              <button type="button" disabled={q.options.length <= 2} onClick={() => removeOption(i)}>
                {t('workspace:quiz.removeOption')}
                <span class="visually-hidden"> {i + 1}</span>
              </button>
              {error(`options.${i}`)}
            </div>
          ))}
          {error('options')}
          {error('correct')}
          <button
            type="button"
            data-testid="add-option"
            disabled={q.options.length >= MAX_OPTIONS}
            onClick={() => set({ options: [...q.options, ''] })}
          >
            + {t('workspace:quiz.addOption')}
          </button>
        </div>
      )}
      {q.kind === 'number' && (
        <div class="ws-row">
          <div class={`field${err('answer') ? ' invalid' : ''}`}>
            <label for={`${id}-answer`}>{t('workspace:quiz.answer')}</label>
            <input
              id={`${id}-answer`}
              data-testid="question-answer"
              inputMode="decimal"
              value={q.answer}
              onInput={(e) => set({ answer: e.currentTarget.value })}
              {...described('answer')}
            />
            {error('answer')}
          </div>
          <div class={`field${err('tolerance') ? ' invalid' : ''}`}>
            <label for={`${id}-tolerance`}>{t('workspace:quiz.tolerance')}</label>
            <input
              id={`${id}-tolerance`}
              data-testid="question-tolerance"
              inputMode="decimal"
              value={q.tolerance}
              onInput={(e) => set({ tolerance: e.currentTarget.value })}
              {...described('tolerance')}
            />
            {error('tolerance')}
          </div>
        </div>
      )}
      {q.kind === 'text' && (
        <div class={`field${err('accepted') ? ' invalid' : ''}`}>
          <label for={`${id}-accepted`}>{t('workspace:quiz.accepted')}</label>
          <textarea
            id={`${id}-accepted`}
            data-testid="question-accepted"
            rows={3}
            value={q.accepted}
            aria-describedby={`${id}-accepted-hint`}
            onInput={(e) => set({ accepted: e.currentTarget.value })}
          />
          <p class="muted" id={`${id}-accepted-hint`}>
            {t('workspace:quiz.acceptedHint')}
          </p>
          {error('accepted')}
        </div>
      )}
      <div class="ws-actions">
        <button type="button" disabled={index === 0} onClick={() => onMove(-1)}>
          ↑ {t('workspace:quiz.up')}
          <span class="visually-hidden"> {title}</span>
        </button>
        <button type="button" disabled={index === count - 1} onClick={() => onMove(1)}>
          ↓ {t('workspace:quiz.down')}
          <span class="visually-hidden"> {title}</span>
        </button>
        <button type="button" data-testid="remove-question" onClick={onRemove}>
          {t('workspace:quiz.removeQuestion')}
          <span class="visually-hidden"> {title}</span>
        </button>
      </div>
    </fieldset>
  );
}
