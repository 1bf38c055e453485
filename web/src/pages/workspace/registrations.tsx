import { useState } from 'preact/hooks';
import type { RegistrantView } from '../../../../server/protocol/workspace';
import type { SeminarView } from '../../../../server/protocol/seminars';
import { api, ApiError } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { dateTime } from '../../kit/format';
import { t } from '../../kit/i18n';
import { useTitle } from '../../kit/shell';
import { accessToken } from '../../session';
import { useLoad } from './load';
import '../../styles/workspace.css';
import { PageLoadFailed, PageLoading } from '../../kit/load-states';

// Who registered for a seminar, with their answers to its questions, page by page;
// and the whole list as a CSV file (UTF-8 with a byte-order mark, for Excel).

type Page = { items: RegistrantView[]; nextCursor: string | null };

/** The CSV through the API (it needs the token), saved under the server's file name. */
async function downloadCsv(seminar: SeminarView): Promise<void> {
  const token = await accessToken();
  const res = await fetch(`/api/v1/seminars/${seminar.id}/registrations.csv`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, res.statusText);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `registrations-${seminar.id}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export default function Registrations({ id }: { id: string }) {
  const { data, error } = useLoad(async () => {
    const [seminar, first] = await Promise.all([
      api<SeminarView>('GET', `/seminars/${encodeURIComponent(id)}`),
      api<Page>('GET', `/seminars/${encodeURIComponent(id)}/registrations?limit=50`),
    ]);
    return { seminar, first };
  }, [id]);
  const [more, setMore] = useState<Page[]>([]);
  const title = data ? t('workspace:registrations.title', { title: data.seminar.title }) : t('workspace:mine.registrations');
  useTitle(title);
  if (error !== null) return <PageLoadFailed error={error} />;
  if (!data) return <PageLoading text={t('workspace:mine.loading')} />;
  const { seminar } = data;
  const pages = [data.first, ...more];
  const rows = pages.flatMap((p) => p.items);
  const next = pages[pages.length - 1]!.nextCursor;
  return (
    <div class="page ws-page">
      <h1>{title}</h1>
      <div class="ws-actions">
        <ActionButton data-testid="csv" run={() => downloadCsv(seminar)}>
          {t('workspace:registrations.csv')}
        </ActionButton>
        <a href="/workspace">{t('workspace:form.back')}</a>
      </div>
      {rows.length === 0 ? (
        <p>{t('workspace:registrations.empty')}</p>
      ) : (
        <div class="table-box" tabIndex={0} role="region" aria-label={title}>
          <table class="ws-table" data-testid="registrants">
            <thead>
              <tr>
                <th scope="col">{t('workspace:registrations.name')}</th>
                <th scope="col">{t('workspace:registrations.email')}</th>
                <th scope="col">{t('workspace:registrations.status')}</th>
                <th scope="col">{t('workspace:registrations.at')}</th>
                {seminar.questions.map((q) => (
                  <th scope="col" key={q.id}>
                    {q.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.userId} data-testid="registrant">
                  <td>{r.displayName}</td>
                  <td>{r.email}</td>
                  <td>{t(`workspace:registrations.${r.status}`)}</td>
                  <td>{dateTime(r.createdAt, seminar.timeZone)}</td>
                  {seminar.questions.map((q) => (
                    <td key={q.id}>{r.answers[q.id] ?? ''}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <ActionButton
          run={async () => {
            const page = await api<Page>(
              'GET',
              `/seminars/${encodeURIComponent(id)}/registrations?limit=50&cursor=${encodeURIComponent(next)}`,
            );
            setMore((m) => [...m, page]);
          }}
        >
          {t('workspace:registrations.more')}
        </ActionButton>
      )}
    </div>
  );
}
