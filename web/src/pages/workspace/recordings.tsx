import { useState } from 'preact/hooks';
import { page } from '../../../../server/protocol/common';
import { downloadLinkView, recordingView, type RecordingView } from '../../../../server/protocol/recordings';
import { api, apiParsed, ApiError } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { Field, FormError, SubmitButton, text, useForm } from '../../kit/form';
import { dateTime, mediaTime } from '../../kit/format';
import { t } from '../../kit/i18n';
import { signInHref, useTitle } from '../../kit/shell';
import { toast } from '../../kit/toast';
import { who } from '../../session';
import { useLoad } from './load';
import { SubtitlesEditor } from './subtitles-editor';
import '../../styles/workspace.css';

// The recordings of the lecturer's seminars (an admin's: all): rename, cut the start and the
// end, download as one MP4, delete. Adding one to a course is the course builder's.

const recordingPage = page(recordingView);
type Page = { items: RecordingView[]; nextCursor: string | null };

const listPath = (cursor?: string | null) => `/recordings?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;

/** "1:02:03", "4:05" or "65" (seconds) as seconds; null when it is none of these. */
export function parseTime(value: string): number | null {
  const v = value.trim();
  if (!/^\d{1,5}(?:[.,]\d+)?$|^\d{1,3}(?::[0-5]?\d){1,2}(?:[.,]\d+)?$/.test(v)) return null;
  const parts = v.replace(',', '.').split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** A refusal of the form's own, shown beside the field like the server's. */
const fieldRefusal = (path: string) => new ApiError(400, 'invalid_request', 'invalid time', [{ path, message: 'invalid time' }]);

function RenameForm({ r, done }: { r: RecordingView; done: (changed?: RecordingView) => void }) {
  const form = useForm(async (data) => {
    const updated = await apiParsed(recordingView, 'PATCH', `/recordings/${r.id}`, { title: text(data, 'title') });
    toast(t('recordings:renamed'));
    done(updated);
  });
  return (
    <form class="ws-form rec-form" onSubmit={form.onSubmit} data-testid="rename-form" noValidate>
      <Field
        form={form}
        name="title"
        label={t('recordings:rename.label')}
        defaultValue={r.customTitle ?? r.title}
        maxLength={200}
        autoFocus
        data-testid="rename-title"
      />
      <p class="muted">{t('recordings:rename.hint', { title: r.seminarTitle ?? '' })}</p>
      <FormError form={form} />
      <div class="ws-actions">
        <SubmitButton form={form}>{t('recordings:save')}</SubmitButton>
        <button type="button" onClick={() => done()}>
          {t('recordings:close')}
        </button>
      </div>
    </form>
  );
}

function TrimForm({ r, done }: { r: RecordingView; done: (changed?: RecordingView) => void }) {
  const total = r.totalSeconds ?? 0;
  const form = useForm(
    async (data) => {
      const startSeconds = parseTime(text(data, 'startSeconds'));
      if (startSeconds === null) throw fieldRefusal('startSeconds');
      const endText = text(data, 'endSeconds').trim();
      const end = endText === '' ? total : parseTime(endText);
      if (end === null) throw fieldRefusal('endSeconds');
      const updated = await apiParsed(recordingView, 'PUT', `/recordings/${r.id}/trim`, {
        startSeconds,
        // The very end is "no cut at the end": a later length correction cannot cut it short.
        endSeconds: Math.abs(end - total) < 0.001 ? null : end,
      });
      toast(t('recordings:trimmed', { duration: mediaTime(updated.durationSeconds ?? 0) }));
      done(updated);
    },
    { startSeconds: t('recordings:trim.timeHint'), endSeconds: t('recordings:trim.timeHint') },
  );
  const reset = async () => {
    const updated = await apiParsed(recordingView, 'PUT', `/recordings/${r.id}/trim`, { startSeconds: 0, endSeconds: null });
    toast(t('recordings:untrimmed'));
    done(updated);
  };
  return (
    <form class="ws-form rec-form" onSubmit={form.onSubmit} data-testid="trim-form" noValidate>
      <p class="muted">{t('recordings:trim.hint', { total: mediaTime(total) })}</p>
      <div class="ws-row">
        <Field
          form={form}
          name="startSeconds"
          label={t('recordings:trim.start')}
          defaultValue={mediaTime(r.trim?.startSeconds ?? 0)}
          inputMode="numeric"
          autoFocus
          data-testid="trim-start"
        />
        <Field
          form={form}
          name="endSeconds"
          label={t('recordings:trim.end')}
          defaultValue={mediaTime(r.trim?.endSeconds ?? total)}
          inputMode="numeric"
          data-testid="trim-end"
        />
      </div>
      <FormError form={form} />
      <div class="ws-actions">
        <SubmitButton form={form}>{t('recordings:trim.apply')}</SubmitButton>
        {r.trim && (
          <ActionButton run={reset} data-testid="trim-reset">
            {t('recordings:trim.reset')}
          </ActionButton>
        )}
        <button type="button" onClick={() => done()}>
          {t('recordings:close')}
        </button>
      </div>
    </form>
  );
}

/** Asks for a fresh signed link (the MP4 is made on the first request), then lets the browser download it. */
async function download(r: RecordingView): Promise<void> {
  const link = await apiParsed(downloadLinkView, 'GET', `/recordings/${r.id}/download`);
  const a = document.createElement('a');
  a.href = link.url;
  a.download = link.fileName;
  document.body.append(a);
  a.click();
  a.remove();
  toast(t('recordings:downloadStarted'));
}

function Item({ r, changed, removed }: { r: RecordingView; changed: (r: RecordingView) => void; removed: () => void }) {
  const [mode, setMode] = useState<'view' | 'rename' | 'trim' | 'subtitles'>('view');
  const done = (updated?: RecordingView) => {
    if (updated) changed(updated);
    setMode('view');
  };
  const remove = async () => {
    const drafts = r.courses.filter((c) => !c.published).map((c) => c.title);
    const question = drafts.length
      ? t('recordings:confirmDeleteWithCourses', { title: r.title, courses: drafts.join(', ') })
      : t('recordings:confirmDelete', { title: r.title });
    if (!confirm(question)) return;
    await api('DELETE', `/recordings/${r.id}`);
    toast(t('recordings:deleted', { title: r.title }));
    removed();
  };
  const ready = r.status === 'ready';
  const published = r.courses.some((c) => c.published);
  const headingId = `rec-${r.id}`;
  return (
    <li class="ws-item rec-item" data-testid="recording" data-id={r.id} aria-labelledby={headingId}>
      {r.posterUrl ? (
        <img class="rec-poster" src={r.posterUrl} alt="" width={160} height={90} loading="lazy" />
      ) : (
        <div class="rec-poster" />
      )}
      <div class="rec-body">
        <h2 id={headingId} class="rec-title" data-testid="recording-title">
          {r.title || t('recordings:untitled')}
        </h2>
        {r.customTitle && r.seminarTitle && <p class="muted">{t('recordings:seminar', { title: r.seminarTitle })}</p>}
        <p class="muted">
          {dateTime(r.startedAt)} · <span class={`badge ${r.status}`}>{t(`recordings:status.${r.status}`)}</span>
          {r.durationSeconds !== null && (
            <>
              {' · '}
              <span data-testid="recording-duration">{mediaTime(r.durationSeconds)}</span>
            </>
          )}
        </p>
        {r.trim && (
          <p class="muted" data-testid="recording-trim">
            {t('recordings:cut', {
              start: mediaTime(r.trim.startSeconds),
              end: mediaTime(r.trim.endSeconds),
              total: mediaTime(r.totalSeconds ?? 0),
            })}
          </p>
        )}
        {r.courses.length > 0 && (
          <p class="muted">
            {t('recordings:inCourses')}{' '}
            {r.courses.map((c, i) => (
              <span key={c.id}>
                {i > 0 && ', '}
                <a href={`/courses/${c.id}`}>{c.title}</a>
                {!c.published && ` (${t('recordings:draftCourse')})`}
              </span>
            ))}
          </p>
        )}
        {mode === 'rename' && <RenameForm r={r} done={done} />}
        {mode === 'trim' && <TrimForm r={r} done={done} />}
        {mode === 'subtitles' && <SubtitlesEditor r={r} changed={changed} done={() => setMode('view')} />}
        {mode === 'view' && (
          <div class="ws-actions">
            {r.seminarId && ready && <a href={`/replay/${r.seminarId}`}>{t('recordings:watch')}</a>}
            <button type="button" onClick={() => setMode('rename')} data-testid="rename">
              {t('recordings:rename.open')}
            </button>
            {ready && (
              <button type="button" onClick={() => setMode('trim')} data-testid="trim">
                {t('recordings:trim.open')}
              </button>
            )}
            {ready && (
              <button type="button" onClick={() => setMode('subtitles')} data-testid="subtitles">
                {r.subtitles.length
                  ? t('recordings:subtitles.openWith', { languages: r.subtitles.map((x) => x.language.toUpperCase()).join(', ') })
                  : t('recordings:subtitles.open')}
              </button>
            )}
            {ready && (
              <ActionButton run={() => download(r)} data-testid="download">
                {t('recordings:download')}
              </ActionButton>
            )}
            {r.status !== 'recording' && (
              <ActionButton
                class="danger"
                run={remove}
                data-testid="delete"
                disabled={published}
                title={published ? t('recordings:deleteBlocked') : undefined}
              >
                {t('recordings:delete')}
              </ActionButton>
            )}
          </div>
        )}
        {mode === 'view' && published && <p class="muted">{t('recordings:deleteBlocked')}</p>}
      </div>
    </li>
  );
}

export default function Recordings() {
  useTitle(t('recordings:title'));
  const { data, error, reload } = useLoad(() => apiParsed(recordingPage, 'GET', listPath()), []);
  // Later pages and what was changed here since the first page loaded.
  const [more, setMore] = useState<Page[]>([]);
  const [edits, setEdits] = useState<Record<string, RecordingView | null>>({});
  if (!who.value) {
    return (
      <div class="page narrow">
        <p>
          <a href={signInHref('/workspace/recordings')}>{t('auth.needed')}</a>
        </p>
      </div>
    );
  }
  const pages = data ? [data, ...more] : [];
  const items = pages
    .flatMap((p) => p.items)
    .map((r) => (r.id in edits ? edits[r.id] : r))
    .filter((r): r is RecordingView => r !== null && r !== undefined);
  const next = pages[pages.length - 1]?.nextCursor ?? null;
  const loadMore = async () => {
    const following = await apiParsed(recordingPage, 'GET', listPath(next));
    setMore((m) => [...m, following]);
  };
  return (
    <div class="page ws-page">
      <div class="ws-head">
        <h1>{t('recordings:title')}</h1>
        <button
          type="button"
          onClick={() => {
            setMore([]);
            setEdits({});
            reload();
          }}
        >
          {t('recordings:refresh')}
        </button>
      </div>
      <p class="muted">{t('recordings:intro')}</p>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {!data && error === null && <p role="status">{t('recordings:loading')}</p>}
      {data && items.length === 0 && <p>{t('recordings:empty')}</p>}
      {items.length > 0 && (
        <ul class="ws-list" data-testid="recordings">
          {items.map((r) => (
            <Item
              key={r.id}
              r={r}
              changed={(updated) => setEdits((e) => ({ ...e, [r.id]: updated }))}
              removed={() => setEdits((e) => ({ ...e, [r.id]: null }))}
            />
          ))}
        </ul>
      )}
      {next && <ActionButton run={loadMore}>{t('recordings:more')}</ActionButton>}
    </div>
  );
}
