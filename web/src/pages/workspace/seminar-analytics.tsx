import type { SeminarAnalyticsView } from '../../../../server/protocol/analytics';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { locale, t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { Chart } from './chart';
import { downloadCsv } from './download';
import { PollResults } from './poll-results';
import { useLoad } from './load';
import '../../styles/workspace.css';
import { PageLoadFailed, PageLoading } from '../../kit/load-states';

// A seminar's analytics for its lecturers and admins: registrations against attendees, the
// live audience over the session (a uPlot chart with the same figures as a table), minutes
// watched, chat and questions, replays since; and attendance per learner as CSV.

const FIGURES = [
  'registered',
  'waitlisted',
  'attendees',
  'registeredAttendees',
  'peakViewers',
  'averageViewers',
  'averageMinutesLive',
  'chatMessages',
  'questions',
  'replayViewers',
  'reactions',
  'presenceChecks',
] as const;

export function number(n: number): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(n);
}

function Timeline({ a }: { a: SeminarAnalyticsView }) {
  const session = a.session;
  if (!session) return <p>{t('analytics:seminar.noSession')}</p>;
  const from = new Date(session.from).getTime();
  const time = new Intl.DateTimeFormat(locale(), { timeZone: a.timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const at = (offset: number) => time.format(new Date(from + offset * 1000));
  // The axis to the minute (its ticks are minutes apart) unless the session is a few minutes long.
  const axisTime =
    session.seconds < 600 ? time : new Intl.DateTimeFormat(locale(), { timeZone: a.timeZone, hour: '2-digit', minute: '2-digit' });
  const tick = (offset: number) => axisTime.format(new Date(from + offset * 1000));
  const xs = session.viewers.map((_, i) => i * session.stepSeconds);
  const yLabel = t('analytics:seminar.viewers', { step: session.stepSeconds });
  const engagementLabel = t('analytics:seminar.engagement', { step: session.stepSeconds });
  return (
    <>
      <Chart
        testId="timeline-chart"
        kind="steps"
        label={t('analytics:seminar.timelineLabel', { peak: a.peakViewers })}
        xs={xs}
        ys={session.viewers}
        xValue={tick}
        yLabel={yLabel}
        second={{ ys: session.engagement, label: engagementLabel }}
      />
      <details>
        <summary>{t('analytics:table')}</summary>
        <div class="table-box" tabIndex={0} role="region" aria-label={t('analytics:seminar.timeline')}>
          <table class="ws-table" data-testid="timeline">
            <thead>
              <tr>
                <th scope="col">{t('analytics:seminar.time', { zone: a.timeZone })}</th>
                <th scope="col" class="num">
                  {yLabel}
                </th>
                <th scope="col" class="num">
                  {engagementLabel}
                </th>
              </tr>
            </thead>
            <tbody>
              {session.viewers.map((v, i) => (
                <tr key={i}>
                  <td>{at(xs[i]!)}</td>
                  <td class="num">{v}</td>
                  <td class="num">{session.engagement[i] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

export default function SeminarAnalytics({ id }: { id: string }) {
  const { data, error } = useLoad(() => api<SeminarAnalyticsView>('GET', `/seminars/${encodeURIComponent(id)}/analytics`), [id]);
  const title = data ? t('analytics:seminar.title', { title: data.title }) : t('analytics:seminar.figures');
  useTitle(title);
  if (error !== null) return <PageLoadFailed error={error} />;
  if (!data) return <PageLoading text={t('analytics:loading')} />;
  return (
    <div class="page ws-page">
      <h1>{title}</h1>
      <div class="ws-actions">
        <ActionButton
          data-testid="attendance-csv"
          run={() => downloadCsv(`/seminars/${data.seminarId}/attendance.csv`, `attendance-${data.seminarId}.csv`)}
        >
          {t('analytics:seminar.csv')}
        </ActionButton>
        <a href="/workspace">{t('analytics:back')}</a>
      </div>
      <section aria-labelledby="an-figures">
        <h2 id="an-figures">{t('analytics:seminar.figures')}</h2>
        <dl class="figures">
          {FIGURES.map((f) => (
            <div key={f}>
              <dt>{t(`analytics:seminar.${f}`)}</dt>
              <dd data-testid={`figure-${f}`}>{number(data[f])}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section aria-labelledby="an-timeline">
        <h2 id="an-timeline">{t('analytics:seminar.timeline')}</h2>
        <Timeline a={data} />
      </section>
      <PollResults a={data} />
    </div>
  );
}
