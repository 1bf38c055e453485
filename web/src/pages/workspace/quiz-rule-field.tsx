import type { CourseView } from '../../../../server/protocol/courses';
import { t } from '../../kit/i18n';

/** The course's quiz rule in the builder's "about" form: whether passing its quizzes is part of completing it. */
export function QuizRuleField({ id, value, error }: { id: string; value: CourseView['quizRule']; error: string | undefined }) {
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{t('workspace:builder.quizRule')}</label>
      <select
        id={id}
        name="quizRule"
        data-testid="quiz-rule"
        defaultValue={value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        <option value="all_passed">{t('workspace:builder.quizRuleAllPassed')}</option>
        <option value="none">{t('workspace:builder.quizRuleNone')}</option>
      </select>
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
