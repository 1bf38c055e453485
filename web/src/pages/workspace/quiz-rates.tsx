import type { QuizAnalyticsView } from '../../../../server/protocol/quizzes';
import { api } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { locale, t } from '../../kit/i18n';
import { useLoad } from './load';

// The course analytics' quiz part: per quiz, how many tried and passed, and each question's
// success rate (the share of attempts that answered it right), the hard questions at a glance.

function rate(r: number | null): string {
  return r === null ? '—' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(r);
}

export function QuizRates({ courseId }: { courseId: string }) {
  const { data, error } = useLoad(
    () => api<QuizAnalyticsView>('GET', `/courses/${encodeURIComponent(courseId)}/quiz-analytics`),
    [courseId],
  );
  if (error !== null) return <p role="alert">{errorText(error)}</p>;
  if (!data || data.quizzes.length === 0) return null;
  return (
    <section aria-labelledby="an-quizzes" data-testid="quiz-rates">
      <h2 id="an-quizzes">{t('analytics:quizzes.title')}</h2>
      {data.quizzes.map((quiz, i) => (
        <div key={quiz.lessonId} data-testid="quiz-rate">
          <h3 id={`an-quiz-${i}`}>{quiz.title}</h3>
          <p data-testid="quiz-summary">
            {t('analytics:quizzes.summary', { attempts: quiz.attempts, learners: quiz.learners, passed: quiz.passedLearners })}
          </p>
          <div class="table-box" tabIndex={0} role="region" aria-labelledby={`an-quiz-${i}`}>
            <table class="ws-table">
              <thead>
                <tr>
                  <th scope="col">{t('analytics:quizzes.question')}</th>
                  <th scope="col" class="num">
                    {t('analytics:quizzes.attempts')}
                  </th>
                  <th scope="col" class="num">
                    {t('analytics:quizzes.successRate')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {quiz.questions.map((q) => (
                  <tr key={q.questionId} data-testid="question-rate">
                    <th scope="row">{q.text}</th>
                    <td class="num">{q.attempts}</td>
                    <td class="num" data-testid="success-rate">
                      {rate(q.successRate)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ))}
    </section>
  );
}
