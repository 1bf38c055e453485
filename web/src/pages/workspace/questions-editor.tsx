import { t } from '../../kit/i18n';
import type { FieldErrors } from '../../kit/form';

// The organiser's own registration questions: text or choice, required or not.
// The server's refusals arrive at questions.<n>.<field> and show beside that field.

export interface DraftQuestion {
  id: string;
  label: string;
  kind: 'text' | 'choice';
  required: boolean;
  /** One option per line, as typed. */
  options: string;
}

export const MAX_QUESTIONS = 10;

/** The questions as the API takes them. */
export function questionsBody(qs: DraftQuestion[]) {
  return qs.map((q) => ({
    id: q.id,
    label: q.label,
    kind: q.kind,
    required: q.required,
    options:
      q.kind === 'choice'
        ? q.options
            .split('\n')
            .map((o) => o.trim())
            .filter(Boolean)
        : [],
  }));
}

/** A question id not yet used: q1, q2 … */
function nextId(qs: DraftQuestion[]): string {
  for (let n = 1; ; n++) if (!qs.some((q) => q.id === `q${n}`)) return `q${n}`;
}

function FieldError({ errors, path, id }: { errors: FieldErrors; path: string; id: string }) {
  return errors[path] ? (
    <p class="field-error" id={id}>
      {errors[path]}
    </p>
  ) : null;
}

export function QuestionsEditor({
  questions,
  onChange,
  errors,
  formId,
}: {
  questions: DraftQuestion[];
  onChange: (next: DraftQuestion[]) => void;
  errors: FieldErrors;
  formId: string;
}) {
  const set = (i: number, patch: Partial<DraftQuestion>) => onChange(questions.map((q, k) => (k === i ? { ...q, ...patch } : q)));
  return (
    <fieldset data-testid="questions">
      <legend>{t('workspace:form.questions')}</legend>
      <p class="muted">{t('workspace:form.questionsHint')}</p>
      {questions.map((q, i) => {
        const base = `${formId}-q${i}`;
        const err = (field: string) => errors[`questions.${i}.${field}`];
        return (
          <fieldset key={q.id} data-testid="question">
            <legend>{t('workspace:form.question', { n: i + 1 })}</legend>
            <div class="field">
              <label for={`${base}-label`}>{t('workspace:form.label')}</label>
              <input
                id={`${base}-label`}
                name={`questions.${i}.label`}
                maxLength={200}
                value={q.label}
                aria-invalid={err('label') ? 'true' : undefined}
                aria-describedby={err('label') ? `${base}-label-error` : undefined}
                onInput={(e) => set(i, { label: e.currentTarget.value })}
              />
              <FieldError errors={errors} path={`questions.${i}.label`} id={`${base}-label-error`} />
            </div>
            <div class="field">
              <label for={`${base}-kind`}>{t('workspace:form.kind')}</label>
              <select
                id={`${base}-kind`}
                value={q.kind}
                onChange={(e) => set(i, { kind: e.currentTarget.value === 'choice' ? 'choice' : 'text' })}
              >
                <option value="text">{t('workspace:form.kindText')}</option>
                <option value="choice">{t('workspace:form.kindChoice')}</option>
              </select>
            </div>
            {q.kind === 'choice' && (
              <div class="field">
                <label for={`${base}-options`}>{t('workspace:form.options')}</label>
                <textarea
                  id={`${base}-options`}
                  name={`questions.${i}.options`}
                  rows={3}
                  maxLength={2100}
                  value={q.options}
                  aria-invalid={err('options') ? 'true' : undefined}
                  aria-describedby={err('options') ? `${base}-options-error` : undefined}
                  onInput={(e) => set(i, { options: e.currentTarget.value })}
                />
                <FieldError errors={errors} path={`questions.${i}.options`} id={`${base}-options-error`} />
              </div>
            )}
            <label class="check">
              <input type="checkbox" checked={q.required} onChange={(e) => set(i, { required: e.currentTarget.checked })} />
              {t('workspace:form.required')}
            </label>
            <div>
              <button type="button" class="link danger" onClick={() => onChange(questions.filter((_, k) => k !== i))}>
                {t('workspace:form.removeQuestion', { n: i + 1 })}
              </button>
            </div>
          </fieldset>
        );
      })}
      <FieldError errors={errors} path="questions" id={`${formId}-questions-error`} />
      {questions.length < MAX_QUESTIONS && (
        <div>
          <button
            type="button"
            data-testid="add-question"
            onClick={() => onChange([...questions, { id: nextId(questions), label: '', kind: 'text', required: false, options: '' }])}
          >
            {t('workspace:form.addQuestion')}
          </button>
        </div>
      )}
    </fieldset>
  );
}
