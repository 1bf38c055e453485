import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import * as tus from 'tus-js-client';
import type { UploadSettingsView, UploadView } from '../../../../server/protocol/uploads';
import { api } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';
import { signInHref, useTitle } from '../../kit/shell';
import { announce } from '../../kit/toast';
import { accessToken, who } from '../../session';
import { useLoad } from './load';
import { UploadSubtitles } from './subtitles-editor';
import '../../styles/workspace.css';

// Lesson videos: the lecturer picks a file, it goes up through tus (resumable: a dropped
// connection is retried from where it stopped, and after a reload choosing the same file
// again continues it, by the fingerprint tus-js-client keeps in localStorage), then the
// server packages it to HLS. The list shows each upload's state from the server, polled
// while anything is on its way.

const POLL_MS = 1500;

/** An upload this page is sending now. */
interface Sending {
  upload: tus.Upload;
  fileName: string;
  sent: number;
  total: number;
  /** Set when tus gave up: the code, and the upload can be started again from where it stopped. */
  error: string | null;
}

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);
}

function percent(fraction: number): number {
  return Math.floor(Math.max(0, Math.min(1, fraction)) * 100);
}

/** The code of a tus failure: the server's JSON error where it answered, `network` where it did not. */
function tusErrorCode(err: Error): string {
  const res = (err as tus.DetailedError).originalResponse;
  if (!res || res.getStatus() === 0) return 'network';
  try {
    const body = JSON.parse(res.getBody()) as { error?: { code?: string } };
    if (body.error?.code) return body.error.code;
  } catch {
    // Not JSON: a proxy's page.
  }
  return `http_${res.getStatus()}`;
}

async function loadAll(): Promise<{ settings: UploadSettingsView; uploads: UploadView[] }> {
  const [settings, uploads] = await Promise.all([
    api<UploadSettingsView>('GET', '/uploads/settings'),
    api<UploadView[]>('GET', '/uploads'),
  ]);
  return { settings, uploads };
}

export default function Uploads() {
  useTitle(t('workspace:uploads.title'));
  const { data, error, reload } = useLoad(loadAll, []);
  const [sending, setSending] = useState<Map<string, Sending>>(new Map());
  const [pickError, setPickError] = useState<string | null>(null);
  /** Why removing an upload was refused (e.g. its video is a course's lesson), shown beside it. */
  const [refusals, setRefusals] = useState<Record<string, unknown>>({});
  const input = useRef<HTMLInputElement>(null);
  const update = useCallback((key: string, change: Partial<Sending> | null) => {
    setSending((prev) => {
      const next = new Map(prev);
      const current = next.get(key);
      if (change === null) next.delete(key);
      else if (current) next.set(key, { ...current, ...change });
      return next;
    });
  }, []);

  // Polls while something is on its way: an upload here, or one the server is packaging.
  const busy = sending.size > 0 || (data?.uploads.some((u) => u.state === 'uploading' || u.state === 'processing') ?? false);
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [busy, reload]);

  // Leaving the page stops the uploads; they continue when the same files are chosen again.
  const current = useRef(sending);
  current.current = sending;
  useEffect(
    () => () => {
      for (const s of current.current.values()) void s.upload.abort();
    },
    [],
  );

  if (!who.value) {
    return (
      <div class="page narrow">
        <p>
          <a href={signInHref('/workspace/uploads')}>{t('auth.needed')}</a>
        </p>
      </div>
    );
  }

  const start = async (file: File) => {
    setPickError(null);
    if (!data) return;
    const dot = file.name.lastIndexOf('.');
    const extension = dot >= 0 ? file.name.slice(dot).toLowerCase() : '';
    if (!data.settings.extensions.includes(extension)) return setPickError('upload_unsupported_type');
    if (file.size > data.settings.maxBytes) return setPickError('upload_too_large');
    if (file.size === 0) return setPickError('upload_unreadable');
    const key = `${file.name}:${file.size}:${file.lastModified}`;
    if (sending.has(key)) return;
    const upload = new tus.Upload(file, {
      endpoint: data.settings.endpoint,
      chunkSize: data.settings.chunkBytes,
      retryDelays: [0, 1000, 3000, 5000, 10_000, 20_000],
      metadata: { filename: file.name, filetype: file.type },
      removeFingerprintOnSuccess: true,
      // The API's bearer token, fresh for every request (a long upload outlives one).
      onBeforeRequest: async (req) => {
        const token = await accessToken();
        if (token) req.setHeader('Authorization', `Bearer ${token}`);
      },
      onProgress: (sent, total) => update(key, { sent, total, error: null }),
      onSuccess: () => {
        update(key, null);
        announce(t('workspace:uploads.uploaded', { name: file.name }));
        reload();
      },
      onError: (err) => {
        update(key, { error: tusErrorCode(err) });
        reload();
      },
    });
    setSending((prev) => new Map(prev).set(key, { upload, fileName: file.name, sent: 0, total: file.size, error: null }));
    const previous = await upload.findPreviousUploads();
    if (previous[0]) upload.resumeFromPreviousUpload(previous[0]);
    upload.start();
    // The server's line for it appears once tus has created it.
    setTimeout(reload, 500);
  };

  const sendingNames = new Set([...sending.values()].map((s) => s.fileName));
  return (
    <div class="page ws-page">
      <div class="ws-head">
        <h1>{t('workspace:uploads.title')}</h1>
      </div>
      <p class="muted">{t('workspace:uploads.intro')}</p>
      <div class="ws-upload-pick">
        <label for="upload-file">{t('workspace:uploads.pick')}</label>
        <input
          id="upload-file"
          ref={input}
          type="file"
          data-testid="upload-file"
          accept=".mp4,.m4v,.mov,.mkv,video/mp4,video/quicktime,video/x-matroska"
          aria-describedby="upload-hint"
          disabled={!data}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) void start(file);
            e.currentTarget.value = '';
          }}
        />
        <p id="upload-hint" class="muted">
          {t('workspace:uploads.hint', { max: data ? Math.round(data.settings.maxBytes / 1024 ** 3) : '…' })}
        </p>
        {pickError && (
          <p role="alert" data-testid="pick-error">
            {errorText({ code: pickError })}
          </p>
        )}
      </div>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      {!data && error === null && <p role="status">{t('workspace:mine.loading')}</p>}

      {sending.size > 0 && (
        <section aria-labelledby="uploads-sending">
          <h2 id="uploads-sending">{t('workspace:uploads.sending')}</h2>
          <ul class="ws-list">
            {[...sending.entries()].map(([key, s]) => (
              <li key={key} class="ws-item" data-testid="sending" data-name={s.fileName}>
                <div class="upload-name">{s.fileName}</div>
                <progress max={100} value={percent(s.sent / s.total)} aria-label={t('workspace:uploads.sendingOf', { name: s.fileName })} />
                <div class="muted" data-testid="sending-progress">
                  {t('workspace:uploads.sent', { percent: percent(s.sent / s.total), sent: megabytes(s.sent), total: megabytes(s.total) })}
                </div>
                {s.error && (
                  <div class="ws-actions">
                    <span role="alert">{errorText({ code: s.error })}</span>
                    <button
                      type="button"
                      data-testid="resume"
                      onClick={() => {
                        update(key, { error: null });
                        s.upload.start();
                      }}
                    >
                      {t('workspace:uploads.resume')}
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}

      {data && (
        <section aria-labelledby="uploads-list">
          <h2 id="uploads-list">{t('workspace:uploads.list')}</h2>
          {data.uploads.length === 0 && <p>{t('workspace:uploads.empty')}</p>}
          <ul class="ws-list">
            {data.uploads.map((u) => (
              <li key={u.id} class="ws-item" data-testid="upload" data-state={u.state} data-id={u.id} data-recording={u.recordingId ?? ''}>
                <div>
                  <span class="upload-name">{u.fileName}</span>{' '}
                  <span class={`badge upload-${u.state}`} data-testid="upload-state">
                    {t(`workspace:uploads.states.${u.state}`)}
                  </span>
                </div>
                <UploadProgress u={u} />
                {u.state === 'uploading' && !sendingNames.has(u.fileName) && <p class="muted">{t('workspace:uploads.chooseAgain')}</p>}
                {u.state === 'failed' && (
                  <p role="alert" data-testid="upload-error" data-code={u.errorCode ?? ''}>
                    {errorText({ code: u.errorCode ?? 'upload_packaging_failed' })}
                  </p>
                )}
                {u.state === 'ready' && <p class="muted">{t('workspace:uploads.readyHint')}</p>}
                {u.state === 'ready' && u.recordingId && <UploadSubtitles recordingId={u.recordingId} />}
                {u.state !== 'processing' && !sendingNames.has(u.fileName) && (
                  <div class="ws-actions">
                    <ActionButton
                      data-testid="dismiss"
                      run={async () => {
                        if (u.state === 'uploading' && !confirm(t('workspace:uploads.confirmCancel', { name: u.fileName }))) return;
                        if (u.state === 'ready' && !confirm(t('workspace:uploads.confirmDelete', { name: u.fileName }))) return;
                        const { [u.id]: _, ...others } = refusals;
                        try {
                          await api('DELETE', `/uploads/${u.id}`);
                        } catch (err) {
                          setRefusals({ ...others, [u.id]: err });
                          return;
                        }
                        setRefusals(others);
                        reload();
                      }}
                    >
                      {t(`workspace:uploads.${u.state === 'uploading' ? 'cancel' : u.state === 'ready' ? 'delete' : 'remove'}`)}
                    </ActionButton>
                  </div>
                )}
                {refusals[u.id] !== undefined && (
                  <p role="alert" data-testid="dismiss-error">
                    {errorText(refusals[u.id])}
                  </p>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function UploadProgress({ u }: { u: UploadView }) {
  if (u.state === 'uploading') {
    const p = percent(u.receivedBytes / u.sizeBytes);
    return (
      <>
        <progress max={100} value={p} aria-label={t('workspace:uploads.states.uploading')} />
        <div class="muted">
          {t('workspace:uploads.received', { percent: p, sent: megabytes(u.receivedBytes), total: megabytes(u.sizeBytes) })}
        </div>
      </>
    );
  }
  if (u.state === 'processing') {
    const p = percent(u.progress);
    return (
      <>
        <progress max={100} value={p} aria-label={t('workspace:uploads.states.processing')} />
        <div class="muted" data-testid="processing-progress">
          {t('workspace:uploads.processing', { percent: p })}
        </div>
      </>
    );
  }
  return <div class="muted">{t('workspace:uploads.size', { size: megabytes(u.sizeBytes) })}</div>;
}
