import type { SeminarAnalyticsView } from '../../../../server/protocol/analytics';
import { ActionButton } from '../../kit/button';
import { mediaTime } from '../../kit/format';
import { locale, t } from '../../kit/i18n';
import { PollBars } from '../poll-bars';
import { downloadCsv } from './download';

// The seminar's polls in its analytics: each opened poll with its votes per option, and the CSV.

export function PollResults({ a }: { a: SeminarAnalyticsView }) {
  return (
    <section aria-labelledby="an-polls" data-testid="analytics-polls">
      <h2 id="an-polls">{t('analytics:seminar.polls')}</h2>
      {a.polls.length === 0 ? (
        <p>{t('analytics:seminar.noPolls')}</p>
      ) : (
        <>
          <div class="ws-actions">
            <ActionButton
              data-testid="polls-csv"
              run={() => downloadCsv(`/seminars/${a.seminarId}/polls.csv?locale=${locale()}`, `polls-${a.seminarId}.csv`)}
            >
              {t('analytics:seminar.pollsCsv')}
            </ActionButton>
          </div>
          <ol class="poll-list">
            {a.polls.map((p) => (
              <li key={p.id} class="poll" data-testid="analytics-poll">
                <h3>{p.question}</h3>
                <p class="muted">
                  {t('analytics:seminar.pollAt', {
                    opened: mediaTime(p.openedOffsetMs / 1000),
                    closed: p.closedOffsetMs === null ? '—' : mediaTime(p.closedOffsetMs / 1000),
                  })}{' '}
                  · {t('analytics:seminar.pollVoters', { count: p.voters })}
                </p>
                <PollBars poll={p} votes={(count) => t('analytics:seminar.pollVotes', { count })} />
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
