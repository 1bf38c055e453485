import type { CourseAnalyticsView, LessonAnalyticsView } from '../../../../server/protocol/analytics';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { mediaTime } from '../../kit/format';
import { lang, locale, t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { Chart } from './chart';
import { QuizRates } from './quiz-rates';
import { downloadCsv } from './download';
import { useLoad } from './load';
import '../../styles/workspace.css';
import { PageLoadFailed, PageLoading } from '../../kit/load-states';

// A course's analytics for its lecturers and admins: the funnel enrolled → started →
// completed, completion per lesson, and each video lesson's watch heatmap (where learners
// drop off): a uPlot bar chart per lesson with the same figures as a table beside it.

function percent(part: number, whole: number): string {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(whole ? part / whole : 0);
}

function Heatmap({ lesson }: { lesson: LessonAnalyticsView }) {
  const map = lesson.heatmap;
  if (!map) return <p>{t('analytics:course.noHeatmap')}</p>;
  const xs = map.viewers.map((_, i) => i * map.bucketSeconds);
  const part = (i: number) => `${mediaTime(i * map.bucketSeconds)}–${mediaTime((i + 1) * map.bucketSeconds)}`;
  return (
    <>
      <Chart
        testId="heatmap-chart"
        kind="bars"
        label={t('analytics:course.heatmapLabel', { title: lesson.title })}
        xs={xs}
        ys={map.viewers}
        xValue={(x) => mediaTime(x)}
        yLabel={t('analytics:course.watched')}
      />
      <details>
        <summary>{t('analytics:table')}</summary>
        <div class="table-box" tabIndex={0} role="region" aria-label={t('analytics:course.heatmap', { title: lesson.title })}>
          <table class="ws-table" data-testid="heatmap">
            <thead>
              <tr>
                <th scope="col">{t('analytics:course.part')}</th>
                <th scope="col" class="num">
                  {t('analytics:course.watched')}
                </th>
              </tr>
            </thead>
            <tbody>
              {map.viewers.map((v, i) => (
                <tr key={i}>
                  <td>{part(i)}</td>
                  <td class="num">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

export default function CourseAnalytics({ id }: { id: string }) {
  const { data, error } = useLoad(() => api<CourseAnalyticsView>('GET', `/courses/${encodeURIComponent(id)}/analytics`), [id]);
  const title = data ? t('analytics:course.title', { title: data.title }) : t('analytics:index.title');
  useTitle(title);
  if (error !== null) return <PageLoadFailed error={error} />;
  if (!data) return <PageLoading text={t('analytics:loading')} />;
  const stages = [
    ['enrolled', data.enrolled],
    ['started', data.started],
    ['completed', data.completed],
  ] as const;
  return (
    <div class="page ws-page">
      <h1>{title}</h1>
      <div class="ws-actions">
        <ActionButton
          data-testid="completion-csv"
          run={() => downloadCsv(`/courses/${data.courseId}/completion.csv?locale=${lang.value}`, `completion-${data.courseId}.csv`)}
        >
          {t('analytics:course.csv')}
        </ActionButton>
        <a href="/workspace/analytics">{t('analytics:index.title')}</a>
      </div>
      <section aria-labelledby="an-funnel">
        <h2 id="an-funnel">{t('analytics:course.funnel')}</h2>
        <div class="table-box" tabIndex={0} role="region" aria-labelledby="an-funnel">
          <table class="ws-table" data-testid="funnel">
            <thead>
              <tr>
                <th scope="col">{t('analytics:course.stage')}</th>
                <th scope="col" class="num">
                  {t('analytics:course.learners')}
                </th>
                <th scope="col">{t('analytics:course.share')}</th>
              </tr>
            </thead>
            <tbody>
              {stages.map(([stage, n]) => (
                <tr key={stage} data-testid={`funnel-${stage}`}>
                  <th scope="row">{t(`analytics:course.${stage}`)}</th>
                  <td class="num">{n}</td>
                  <td>
                    {percent(n, data.enrolled)}
                    <span class="bar" aria-hidden="true" style={{ width: `${data.enrolled ? (100 * n) / data.enrolled : 0}%` }} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="an-lessons">
        <h2 id="an-lessons">{t('analytics:course.lessons')}</h2>
        {data.lessons.length === 0 ? (
          <p>{t('analytics:course.empty')}</p>
        ) : (
          <div class="table-box" tabIndex={0} role="region" aria-labelledby="an-lessons">
            <table class="ws-table" data-testid="lessons">
              <thead>
                <tr>
                  <th scope="col">{t('analytics:course.lesson')}</th>
                  <th scope="col" class="num">
                    {t('analytics:course.lessonStarted')}
                  </th>
                  <th scope="col" class="num">
                    {t('analytics:course.lessonCompleted')}
                  </th>
                  <th scope="col" class="num">
                    {t('analytics:course.completion')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.lessons.map((l) => (
                  <tr key={l.lessonId} data-testid="lesson-row">
                    <th scope="row">{l.title}</th>
                    <td class="num">{l.started}</td>
                    <td class="num">{l.completed}</td>
                    <td class="num">{percent(l.completed, data.enrolled)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <QuizRates courseId={data.courseId} />
      {data.lessons.map((l, i) =>
        l.kind === 'quiz' ? null : (
          <section key={l.lessonId} aria-labelledby={`an-lesson-${i}`} data-testid="lesson-heatmap">
            <h2 id={`an-lesson-${i}`}>{t('analytics:course.heatmap', { title: l.title })}</h2>
            <Heatmap lesson={l} />
          </section>
        ),
      )}
    </div>
  );
}
