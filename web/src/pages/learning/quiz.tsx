import { useEffect, useRef, useState } from 'preact/hooks';
import type { AnswerInput, AttemptResultView, LearnerQuizView, RightAnswerView } from '../../../../server/protocol/quizzes';
import { api } from '../../kit/api';
import { useAction } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';
import '../../styles/quizzes.css';

// A quiz lesson as its learner takes it. The page never has the right answers before the
// learner submits: the server checks them, and its result says the score, pass or fail, the
// attempts left and, where the quiz allows, the right answers, shown beside each question.

type Question = LearnerQuizView['questions'][number];
/** What the learner has picked or typed, by question id. */
type Draft = Record<string, { choice?: number; choices?: number[]; value?: string; text?: string }>;

/** A number as typed, a decimal comma allowed; null when it is none. */
function parseNumber(s: string): number | null {
  const n = Number(s.trim().replace(',', '.'));
  return s.trim() !== '' && Number.isFinite(n) ? n : null;
}

function answersOf(questions: Question[], draft: Draft): AnswerInput[] {
  return questions.flatMap((q): AnswerInput[] => {
    const d = draft[q.id];
    if (!d) return [];
    if (q.kind === 'single' && d.choice !== undefined) return [{ questionId: q.id, kind: 'single', choice: d.choice }];
    if (q.kind === 'multiple' && d.choices?.length) return [{ questionId: q.id, kind: 'multiple', choices: d.choices }];
    if (q.kind === 'number' && d.value !== undefined && parseNumber(d.value) !== null)
      return [{ questionId: q.id, kind: 'number', value: parseNumber(d.value)! }];
    if (q.kind === 'text' && d.text?.trim()) return [{ questionId: q.id, kind: 'text', text: d.text.slice(0, 200) }];
    return [];
  });
}

function rightAnswerText(q: Question, a: RightAnswerView): string {
  switch (a.kind) {
    case 'single':
      return q.options?.[a.choice] ?? '';
    case 'multiple':
      return a.choices.map((c) => q.options?.[c] ?? '').join('; ');
    case 'number':
      return a.tolerance ? `${a.answer} ± ${a.tolerance}` : String(a.answer);
    case 'text':
      return a.accepted.join('; ');
  }
}

export function QuizPanel({ courseId, lessonId }: { courseId: string; lessonId: string }) {
  const path = `/courses/${encodeURIComponent(courseId)}/lessons/${encodeURIComponent(lessonId)}/quiz`;
  const [view, setView] = useState<LearnerQuizView | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [draft, setDraft] = useState<Draft>({});
  const [result, setResult] = useState<AttemptResultView | null>(null);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [badNumbers, setBadNumbers] = useState<Set<string>>(new Set());
  const resultRef = useRef<HTMLHeadingElement>(null);
  const load = () => api<LearnerQuizView>('GET', path).then(setView, setLoadError);
  useEffect(() => {
    setView(null);
    setResult(null);
    setDraft({});
    void load();
  }, [path]);
  useEffect(() => {
    if (result) resultRef.current?.focus();
  }, [result]);

  const { busy, start: submit } = useAction(async () => {
    if (!view) return;
    setSubmitError(null);
    const bad = new Set(
      view.questions
        .filter((q) => q.kind === 'number' && draft[q.id]?.value?.trim() && parseNumber(draft[q.id]!.value!) === null)
        .map((q) => q.id),
    );
    setBadNumbers(bad);
    if (bad.size > 0) return setSubmitError(t('learning:quiz.fixNumbers'));
    try {
      setResult(await api<AttemptResultView>('POST', `${path}/attempts`, { answers: answersOf(view.questions, draft) }));
      await load();
    } catch (err) {
      setSubmitError(errorText(err));
    }
  });

  if (loadError !== null) return <p role="alert">{errorText(loadError)}</p>;
  if (!view) return <p role="status">{t('learning:quiz.loading')}</p>;
  if (view.questions.length === 0) return <p data-testid="quiz-empty">{t('learning:quiz.empty')}</p>;
  const set = (id: string, d: Draft[string]) => setDraft((all) => ({ ...all, [id]: { ...all[id], ...d } }));
  const outcome = new Map(result?.results.map((r) => [r.questionId, r]));
  const exhausted = view.attemptsLeft === 0;
  const locked = result !== null || exhausted;
  return (
    <section class="quiz" data-testid="quiz" aria-labelledby="quiz-rules">
      <p id="quiz-rules" data-testid="quiz-rules">
        {t('learning:quiz.passMark', { percent: view.passPercent })}{' '}
        {view.attemptsLeft === null
          ? t('learning:quiz.unlimited')
          : t('learning:quiz.attemptsLeft', { left: view.attemptsLeft, total: view.attemptsAllowed })}
      </p>
      {view.passed && !result && (
        <p class="quiz-passed" data-testid="quiz-already-passed">
          {t('learning:quiz.alreadyPassed')}
        </p>
      )}
      {result && (
        <div
          class={`quiz-result ${result.passed ? 'quiz-passed' : 'quiz-failed'}`}
          data-testid="quiz-result"
          data-passed={String(result.passed)}
        >
          <h2 ref={resultRef} tabIndex={-1}>
            {result.passed ? t('learning:quiz.passed') : t('learning:quiz.failed')}
          </h2>
          <p data-testid="quiz-score">
            {t('learning:quiz.score', { correct: result.correctCount, total: result.questionCount, percent: result.scorePercent })}
          </p>
          <p data-testid="quiz-attempts-left">
            {result.attemptsLeft === null ? t('learning:quiz.unlimited') : t('learning:quiz.attemptsAfter', { count: result.attemptsLeft })}
          </p>
          {result.attemptsLeft !== 0 && (
            <button
              type="button"
              data-testid="quiz-retry"
              onClick={() => {
                setResult(null);
                setDraft({});
              }}
            >
              {t('learning:quiz.retry')}
            </button>
          )}
        </div>
      )}
      {exhausted && !result && <p data-testid="quiz-exhausted">{t('learning:quiz.exhausted')}</p>}
      <form
        class="quiz-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!locked) submit();
        }}
      >
        {view.questions.map((q, i) => {
          const r = outcome.get(q.id);
          const name = `quiz-${q.id}`;
          return (
            <fieldset key={q.id} class="quiz-question" data-testid="quiz-question" data-kind={q.kind} disabled={locked}>
              <legend>
                {i + 1}. {q.text}
              </legend>
              {(q.kind === 'single' || q.kind === 'multiple') &&
                q.options!.map((o, j) => (
                  <label key={j} class="quiz-option">
                    <input
                      type={q.kind === 'single' ? 'radio' : 'checkbox'}
                      name={name}
                      checked={q.kind === 'single' ? draft[q.id]?.choice === j : (draft[q.id]?.choices ?? []).includes(j)}
                      onChange={(e) => {
                        if (q.kind === 'single') return set(q.id, { choice: j });
                        const now = draft[q.id]?.choices ?? [];
                        set(q.id, { choices: e.currentTarget.checked ? [...now, j] : now.filter((c) => c !== j) });
                      }}
                    />{' '}
                    {o}
                  </label>
                ))}
              {q.kind === 'number' && (
                <>
                  <input
                    class="quiz-input"
                    name={name}
                    inputMode="decimal"
                    autocomplete="off"
                    aria-label={t('learning:quiz.numberAnswer', { n: i + 1 })}
                    aria-invalid={badNumbers.has(q.id) ? 'true' : undefined}
                    value={draft[q.id]?.value ?? ''}
                    onInput={(e) => set(q.id, { value: e.currentTarget.value })}
                  />
                  {badNumbers.has(q.id) && <p class="field-error">{t('learning:quiz.notANumber')}</p>}
                </>
              )}
              {q.kind === 'text' && (
                <input
                  class="quiz-input"
                  name={name}
                  maxLength={200}
                  autocomplete="off"
                  aria-label={t('learning:quiz.textAnswer', { n: i + 1 })}
                  value={draft[q.id]?.text ?? ''}
                  onInput={(e) => set(q.id, { text: e.currentTarget.value })}
                />
              )}
              {r && (
                <p class={r.correct ? 'quiz-right' : 'quiz-wrong'} data-testid="quiz-mark" data-correct={String(r.correct)}>
                  {r.correct ? t('learning:quiz.right') : t('learning:quiz.wrong')}
                  {r.rightAnswer && !r.correct && (
                    <span data-testid="quiz-right-answer">
                      {' '}
                      {t('learning:quiz.rightAnswer', { answer: rightAnswerText(q, r.rightAnswer) })}
                    </span>
                  )}
                </p>
              )}
            </fieldset>
          );
        })}
        {submitError && (
          <p class="form-error" role="alert" data-testid="quiz-error">
            {submitError}
          </p>
        )}
        {!locked && (
          <button type="submit" class="primary" data-testid="quiz-submit" disabled={busy} aria-busy={busy || undefined}>
            {t('learning:quiz.submit')}
          </button>
        )}
      </form>
    </section>
  );
}
