import { useId, useState } from 'preact/hooks';
import type { EditableQuizView } from '../../../../server/protocol/quizzes';
import { api } from '../../kit/api';
import { useAction } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { fieldErrors, type FieldErrors } from '../../kit/form';
import { t } from '../../kit/i18n';
import { toast } from '../../kit/toast';
import { QuestionEditor } from './quiz-question-editor';
import { blankQuestion, draftOf, quizBodyOf, type DraftQuiz } from './quiz-draft';
import { useLoad } from './load';
import '../../styles/quizzes.css';

// A quiz lesson's questions and settings in the course builder. They are stored apart from the
// course's structure (the answers must never travel with the course to its learners), so this
// part has its own save, and needs the lesson saved first (for its id).

export function QuizEditor({ courseId, lessonId }: { courseId: string; lessonId: string }) {
  const path = `/courses/${encodeURIComponent(courseId)}/lessons/${encodeURIComponent(lessonId)}/quiz`;
  const { data, error } = useLoad(() => api<EditableQuizView>('GET', `${path}/edit`), [path]);
  if (error !== null)
    return (
      <p role="alert" data-testid="quiz-load-error">
        {errorText(error)}
      </p>
    );
  if (!data) return <p role="status">{t('workspace:builder.loading')}</p>;
  return <Editor path={path} loaded={data} />;
}

function Editor({ path, loaded }: { path: string; loaded: EditableQuizView }) {
  const id = useId();
  const [quiz, setQuiz] = useState<DraftQuiz>(() => {
    const d = draftOf(loaded);
    return d.questions.length ? d : { ...d, questions: [blankQuestion()] };
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saveError, setSaveError] = useState<string | null>(null);
  const set = (changes: Partial<DraftQuiz>) => setQuiz((q) => ({ ...q, ...changes }));
  const questionErrors = (i: number): Record<string, string> => {
    const prefix = `questions.${i}.`;
    return Object.fromEntries(Object.entries(errors).flatMap(([k, v]) => (k.startsWith(prefix) ? [[k.slice(prefix.length), v]] : [])));
  };
  const move = (i: number, dir: -1 | 1) => {
    const qs = quiz.questions.slice();
    const [q] = qs.splice(i, 1);
    qs.splice(i + dir, 0, q!);
    set({ questions: qs });
  };
  const { busy, start: save } = useAction(async () => {
    setErrors({});
    setSaveError(null);
    try {
      const saved = await api<EditableQuizView>('PUT', path, quizBodyOf(quiz));
      setQuiz(draftOf(saved));
      toast(t('workspace:quiz.saved'));
    } catch (err) {
      const fields = fieldErrors(err);
      setErrors(fields);
      setSaveError(Object.keys(fields).length > 0 ? t('form.fix') : errorText(err));
    }
  });
  const field = (name: 'passPercent' | 'attemptsAllowed') => ({
    id: `${id}-${name}`,
    'aria-invalid': errors[name] ? ('true' as const) : undefined,
    'aria-describedby': errors[name] ? `${id}-${name}-error` : `${id}-${name}-hint`,
  });
  return (
    <section class="qz-editor" data-testid="quiz-editor" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t('workspace:quiz.title')}</h3>
      <div class="ws-row">
        <div class={`field${errors.passPercent ? ' invalid' : ''}`}>
          <label for={`${id}-passPercent`}>{t('workspace:quiz.passPercent')}</label>
          <input
            {...field('passPercent')}
            data-testid="quiz-pass"
            type="number"
            min={0}
            max={100}
            value={quiz.passPercent}
            onInput={(e) => set({ passPercent: e.currentTarget.value })}
          />
          <p class={errors.passPercent ? 'field-error' : 'muted'} id={`${id}-passPercent-${errors.passPercent ? 'error' : 'hint'}`}>
            {errors.passPercent ?? t('workspace:quiz.passHint')}
          </p>
        </div>
        <div class={`field${errors.attemptsAllowed ? ' invalid' : ''}`}>
          <label for={`${id}-attemptsAllowed`}>{t('workspace:quiz.attempts')}</label>
          <input
            {...field('attemptsAllowed')}
            data-testid="quiz-attempts"
            type="number"
            min={1}
            max={100}
            value={quiz.attemptsAllowed}
            onInput={(e) => set({ attemptsAllowed: e.currentTarget.value })}
          />
          <p
            class={errors.attemptsAllowed ? 'field-error' : 'muted'}
            id={`${id}-attemptsAllowed-${errors.attemptsAllowed ? 'error' : 'hint'}`}
          >
            {errors.attemptsAllowed ?? t('workspace:quiz.attemptsHint')}
          </p>
        </div>
      </div>
      <label class="qz-check">
        <input
          type="checkbox"
          data-testid="quiz-show-answers"
          checked={quiz.showAnswers}
          onChange={(e) => set({ showAnswers: e.currentTarget.checked })}
        />{' '}
        {t('workspace:quiz.showAnswers')}
      </label>
      {quiz.questions.map((q, i) => (
        <QuestionEditor
          key={q.key}
          index={i}
          count={quiz.questions.length}
          question={q}
          errors={questionErrors(i)}
          onChange={(next) => set({ questions: quiz.questions.map((x, j) => (j === i ? next : x)) })}
          onRemove={() => set({ questions: quiz.questions.filter((_, j) => j !== i) })}
          onMove={(dir) => move(i, dir)}
        />
      ))}
      {errors.questions && <p class="field-error">{errors.questions}</p>}
      {saveError && (
        <p class="form-error" role="alert" data-testid="quiz-save-error">
          {saveError}
        </p>
      )}
      <div class="ws-actions">
        <button
          type="button"
          data-testid="add-question"
          disabled={quiz.questions.length >= 50}
          onClick={() => set({ questions: [...quiz.questions, blankQuestion()] })}
        >
          + {t('workspace:quiz.addQuestion')}
        </button>
        <button type="button" class="primary" data-testid="save-quiz" disabled={busy} aria-busy={busy || undefined} onClick={save}>
          {t('workspace:quiz.save')}
        </button>
      </div>
    </section>
  );
}
