import DOMPurify from 'dompurify';
import { useId, useState } from 'preact/hooks';
import { api } from '../../kit/api';
import { errorText } from '../../kit/errors';
import { t } from '../../kit/i18n';
import type { DraftLesson } from './course-draft';
import { QuizEditor } from './quiz-editor';

// One lesson opened in the builder: its title, and a text lesson's Markdown with a
// preview that the server renders exactly as the lesson page will (markdown-it, raw HTML
// off), sanitized again here before it is inserted, as the lesson page does.

export function LessonEditor({
  courseId,
  lesson,
  onChange,
  error,
}: {
  courseId: string;
  lesson: DraftLesson;
  onChange: (changes: Partial<DraftLesson>) => void;
  error: string | null;
}) {
  const id = useId();
  const [tab, setTab] = useState<'write' | 'preview'>('write');
  const [preview, setPreview] = useState<{ html: string } | { error: string } | null>(null);
  const showPreview = async () => {
    setTab('preview');
    setPreview(null);
    try {
      setPreview(await api<{ html: string }>('POST', `/courses/${courseId}/lesson-preview`, { title: lesson.title, body: lesson.body }));
    } catch (err) {
      setPreview({ error: errorText(err) });
    }
  };
  return (
    <div class="cb-editor" data-testid="lesson-editor">
      <div class={`field${error ? ' invalid' : ''}`}>
        <label for={`${id}-title`}>{t('workspace:builder.lessonTitle')}</label>
        <input
          id={`${id}-title`}
          data-testid="lesson-title"
          value={lesson.title}
          maxLength={200}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onInput={(e) => onChange({ title: e.currentTarget.value })}
        />
        {error && (
          <p class="field-error" id={`${id}-error`}>
            {error}
          </p>
        )}
      </div>
      {lesson.kind === 'quiz' &&
        (lesson.id ? (
          <QuizEditor courseId={courseId} lessonId={lesson.id} />
        ) : (
          <p class="muted" data-testid="quiz-unsaved">
            {t('workspace:quiz.saveFirst')}
          </p>
        ))}
      {lesson.kind === 'text' && (
        <>
          <div class="cb-tabs" role="group" aria-label={t('workspace:builder.body')}>
            <button type="button" aria-pressed={tab === 'write'} data-testid="write-tab" onClick={() => setTab('write')}>
              {t('workspace:builder.write')}
            </button>
            <button type="button" aria-pressed={tab === 'preview'} data-testid="preview-tab" onClick={() => void showPreview()}>
              {t('workspace:builder.preview')}
            </button>
          </div>
          {tab === 'write' ? (
            <div class="field">
              <label for={`${id}-body`}>{t('workspace:builder.body')}</label>
              <textarea
                id={`${id}-body`}
                data-testid="lesson-body"
                rows={10}
                maxLength={100_000}
                aria-describedby={`${id}-hint`}
                value={lesson.body}
                onInput={(e) => onChange({ body: e.currentTarget.value })}
              />
              <p class="muted" id={`${id}-hint`}>
                {t('workspace:builder.bodyHint')}
              </p>
            </div>
          ) : (
            <div class="cb-preview" data-testid="lesson-preview" aria-live="polite" aria-busy={preview === null}>
              {preview === null && <p class="muted">{t('workspace:builder.loading')}</p>}
              {preview && 'error' in preview && <p role="alert">{preview.error}</p>}
              {preview && 'html' in preview && !preview.html && <p class="muted">{t('workspace:builder.previewEmpty')}</p>}
              {preview && 'html' in preview && preview.html && (
                // The server rendered it with raw HTML off; DOMPurify is the second lock.
                <div class="lesson-body" dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(preview.html) }} />
              )}
            </div>
          )}
          <div class="field cb-minutes">
            <label for={`${id}-minutes`}>{t('workspace:builder.readMinutes')}</label>
            <input
              id={`${id}-minutes`}
              type="number"
              min={1}
              max={600}
              value={Math.round((lesson.durationSeconds ?? 300) / 60)}
              onInput={(e) => {
                const minutes = Number(e.currentTarget.value);
                if (Number.isFinite(minutes) && minutes >= 1 && minutes <= 600) onChange({ durationSeconds: Math.round(minutes) * 60 });
              }}
            />
          </div>
        </>
      )}
    </div>
  );
}
