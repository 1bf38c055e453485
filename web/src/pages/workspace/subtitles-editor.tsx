import { useState } from 'preact/hooks';
import { recordingView, type RecordingView } from '../../../../server/protocol/recordings';
import { subtitleInvalidDetails, type SubtitleLanguage } from '../../../../server/protocol/subtitles';
import { api, apiParsed, ApiError } from '../../kit/api';
import { ActionButton } from '../../kit/button';
import { errorText } from '../../kit/errors';
import { dateTime } from '../../kit/format';
import { loadNamespace, t } from '../../kit/i18n';
import { toast } from '../../kit/toast';

// A recording's subtitles in the workspace: per language, upload a WebVTT or SRT file (which
// replaces the one there), or delete it. A broken file is refused with the line where it breaks.

const LANGUAGES: SubtitleLanguage[] = ['ru', 'en'];

/** The text of a refusal: a broken file's names its line and what is wrong there. */
function refusalText(err: unknown): string {
  if (err instanceof ApiError && err.code === 'subtitles_invalid') {
    const details = subtitleInvalidDetails.safeParse(err.details);
    if (details.success)
      return t('recordings:subtitles.invalidAt', {
        line: details.data.line,
        problem: t(`recordings:subtitles.problem.${details.data.problem}`),
      });
  }
  return errorText(err);
}

export function SubtitlesEditor({ r, changed, done }: { r: RecordingView; changed: (r: RecordingView) => void; done: () => void }) {
  const [failure, setFailure] = useState<{ language: SubtitleLanguage; text: string } | null>(null);
  const [busy, setBusy] = useState<SubtitleLanguage | null>(null);
  const reload = async () => changed(await apiParsed(recordingView, 'GET', `/recordings/${r.id}`));
  const upload = async (language: SubtitleLanguage, input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    setFailure(null);
    setBusy(language);
    try {
      // The type by the name: browsers give an SRT file none, or one of their own.
      const type = /\.vtt$/i.test(file.name) ? 'text/vtt' : 'application/x-subrip';
      await api('PUT', `/recordings/${r.id}/subtitles/${language}`, new Blob([file], { type }));
      toast(t('recordings:subtitles.uploaded', { language: t(`subtitles.language.${language}`) }));
      await reload();
    } catch (err) {
      setFailure({ language, text: refusalText(err) });
    } finally {
      setBusy(null);
      input.value = '';
    }
  };
  const remove = async (language: SubtitleLanguage) => {
    await api('DELETE', `/recordings/${r.id}/subtitles/${language}`);
    toast(t('recordings:subtitles.deleted', { language: t(`subtitles.language.${language}`) }));
    await reload();
  };
  return (
    <div class="ws-form rec-form" data-testid="subtitles-editor">
      <p class="muted">{t('recordings:subtitles.hint')}</p>
      {LANGUAGES.map((language) => {
        const track = r.subtitles.find((s) => s.language === language);
        const inputId = `subtitles-${r.id}-${language}`;
        return (
          <fieldset key={language} class="rec-subtitles" data-testid={`subtitles-${language}`}>
            <legend>{t(`subtitles.language.${language}`)}</legend>
            <p class="muted" data-testid={`subtitles-state-${language}`}>
              {track
                ? t('recordings:subtitles.present', { count: track.cueCount, date: dateTime(track.uploadedAt) })
                : t('recordings:subtitles.none')}
            </p>
            <label for={inputId}>{t(track ? 'recordings:subtitles.replace' : 'recordings:subtitles.upload')}</label>
            <input
              id={inputId}
              type="file"
              accept=".vtt,.srt,text/vtt,application/x-subrip"
              disabled={busy !== null}
              data-testid={`subtitles-file-${language}`}
              aria-describedby={failure?.language === language ? `${inputId}-error` : undefined}
              onChange={(e) => void upload(language, e.currentTarget)}
            />
            {busy === language && <p role="status">{t('recordings:subtitles.uploading')}</p>}
            {failure?.language === language && (
              <p id={`${inputId}-error`} role="alert" class="error" data-testid={`subtitles-error-${language}`}>
                {failure.text}
              </p>
            )}
            {track && (
              <ActionButton class="danger" run={() => remove(language)} data-testid={`subtitles-delete-${language}`}>
                {t('recordings:subtitles.delete')}
              </ActionButton>
            )}
          </fieldset>
        );
      })}
      <div class="ws-actions">
        <button type="button" onClick={done}>
          {t('recordings:close')}
        </button>
      </div>
    </div>
  );
}

/** The subtitles of an uploaded video (the uploads page): opened on demand, with the recordings page's texts. */
export function UploadSubtitles({ recordingId }: { recordingId: string }) {
  const [view, setView] = useState<RecordingView | null>(null);
  const open = async () => {
    await loadNamespace('recordings');
    setView(await apiParsed(recordingView, 'GET', `/recordings/${recordingId}`));
  };
  if (view) return <SubtitlesEditor r={view} changed={setView} done={() => setView(null)} />;
  return (
    <ActionButton run={open} data-testid="upload-subtitles">
      {t('subtitles.label')}
    </ActionButton>
  );
}
