import type { SeminarStatusWire, SeminarView } from '../../../../server/protocol/seminars';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { dateTime } from '../../kit/format';
import { t } from '../../kit/i18n';
import { signInHref, useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { who } from '../../session';
import { useLoad } from './load';
import '../../styles/workspace.css';

// My seminars: the lecturer's drafts, scheduled, live, ended and cancelled seminars,
// each with what its state allows: edit or move, schedule, cancel, the studio, the registrations.

const ORDER: SeminarStatusWire[] = ['live', 'scheduled', 'draft', 'ended', 'cancelled'];

async function allMine(): Promise<SeminarView[]> {
  const out: SeminarView[] = [];
  let cursor: string | null = null;
  // A lecturer's seminars are tens, not thousands; the pages are read to the end (bounded anyway).
  for (let pages = 0; pages < 20; pages++) {
    const page: { items: SeminarView[]; nextCursor: string | null } = await api(
      'GET',
      `/me/seminars?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    out.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return out;
}

function Actions({ s, reload }: { s: SeminarView; reload: () => void }) {
  const move = (to: 'scheduled' | 'cancelled', done: string) => async () => {
    if (to === 'cancelled' && !confirm(t('workspace:mine.confirmCancel', { title: s.title }))) return;
    await api('POST', `/seminars/${s.id}/transitions`, { to });
    toast(done);
    reload();
  };
  const editable = s.status === 'draft' || s.status === 'scheduled';
  return (
    <div class="ws-actions">
      {editable && (
        <a href={`/workspace/seminars/${s.id}`} data-testid="edit">
          {s.status === 'scheduled' ? t('workspace:mine.move') : t('workspace:mine.edit')}
        </a>
      )}
      {s.status === 'draft' && (
        <ActionButton class="primary" data-testid="schedule" run={move('scheduled', t('workspace:mine.scheduled'))}>
          {t('workspace:mine.schedule')}
        </ActionButton>
      )}
      {(s.status === 'scheduled' || s.status === 'live') && <a href={`/studio/${s.id}`}>{t('workspace:mine.studio')}</a>}
      {s.status !== 'draft' && (
        <a href={`/workspace/seminars/${s.id}/registrations`} data-testid="registrations">
          {t('workspace:mine.registrations')}
        </a>
      )}
      {(s.status === 'live' || s.status === 'ended') && (
        <a href={`/workspace/seminars/${s.id}/analytics`} data-testid="analytics">
          {t('workspace:mine.analytics')}
        </a>
      )}
      {editable && (
        <ActionButton class="danger" data-testid="cancel" run={move('cancelled', t('workspace:mine.cancelled'))}>
          {t('workspace:mine.cancel')}
        </ActionButton>
      )}
    </div>
  );
}

export default function MySeminars() {
  useTitle(t('workspace:mine.title'));
  const { data, error, reload } = useLoad(allMine, []);
  if (!who.value) {
    return (
      <div class="page narrow">
        <p>
          <a href={signInHref('/workspace')}>{t('auth.needed')}</a>
        </p>
      </div>
    );
  }
  return (
    <div class="page ws-page">
      <div class="ws-head">
        <h1>{t('workspace:mine.title')}</h1>
        <a href="/workspace/analytics" data-testid="course-analytics">
          {t('workspace:mine.courseAnalytics')}
        </a>
        <a class="button primary" href="/workspace/seminars/new" data-testid="new-seminar">
          {t('workspace:mine.create')}
        </a>
      </div>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {!data && error === null && <p role="status">{t('workspace:mine.loading')}</p>}
      {data?.length === 0 && <p>{t('workspace:mine.empty')}</p>}
      {data &&
        ORDER.map((status) => {
          const group = data.filter((s) => s.status === status);
          if (group.length === 0) return null;
          return (
            <section key={status} aria-labelledby={`ws-${status}`}>
              <h2 id={`ws-${status}`}>{t(`workspace:mine.groups.${status}`)}</h2>
              <ul class="ws-list">
                {group.map((s) => (
                  <li key={s.id} class="ws-item" data-testid="my-seminar" data-status={s.status} data-id={s.id}>
                    <div>
                      <a class="seminar-title" href={`/seminars/${s.id}`}>
                        {s.title}
                      </a>{' '}
                      <span class={`badge ${s.status}`}>{t(`status.${s.status}`)}</span>
                      {s.encoreOf && <span class="badge encore">{t('repeat')}</span>}
                    </div>
                    <div class="muted">
                      {dateTime(s.startsAt, s.timeZone)} · {s.track} · {s.registeredCount}/{s.capacity}
                    </div>
                    <Actions s={s} reload={reload} />
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
    </div>
  );
}
