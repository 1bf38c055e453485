import { useRef, useState } from 'preact/hooks';
import type Sortable from 'sortablejs';
import type { AttachableRecordingView } from '../../../../server/protocol/courses';
import { t } from '../../kit/i18n';
import { LessonEditor } from './lesson-editor';
import { newKey, type DraftLesson, type DraftModule } from './course-draft';
import { SORTABLE_BASE, useSortable } from './sortable';

// One module's lessons in the course builder, each with its handle, buttons and editor, and
// the controls that add a text lesson, a seminar's recording or an uploaded video to the module.

export function LessonList(props: {
  module: DraftModule;
  moduleIndex: number;
  lastModule: boolean;
  onDrop: (evt: Sortable.SortableEvent) => void;
  onStep: (at: { module: number; index: number }, dir: -1 | 1) => void;
  onChange: (lessons: DraftLesson[]) => void;
  courseId: string;
  errors: Record<string, string>;
}) {
  const { module: m, moduleIndex: i } = props;
  const ref = useRef<HTMLOListElement>(null);
  const [open, setOpen] = useState<string | null>(null);
  useSortable(ref, () => ({
    ...SORTABLE_BASE,
    group: 'cb-lessons',
    draggable: '.cb-lesson',
    handle: '.cb-lesson-handle',
    onEnd: props.onDrop,
  }));
  const setLesson = (j: number, changes: Partial<DraftLesson>) =>
    props.onChange(m.lessons.map((l, k) => (k === j ? { ...l, ...changes } : l)));
  return (
    <>
      <ol class="cb-lessons" ref={ref} data-module={m.key} data-testid="lessons">
        {m.lessons.map((l, j) => {
          const path = `modules.${i}.lessons.${j}`;
          const lessonError = Object.entries(props.errors).find(([k]) => k === path || k.startsWith(`${path}.`))?.[1];
          const invalid = lessonError !== undefined;
          return (
            <li key={l.key} class={`cb-lesson${invalid ? ' invalid' : ''}`} data-key={l.key} data-testid="lesson" data-title={l.title}>
              <div class="cb-row">
                <span
                  class="cb-handle cb-lesson-handle"
                  title={t('workspace:builder.dragLesson', { title: l.title })}
                  aria-hidden="true"
                  data-testid="lesson-handle"
                >
                  ⠿
                </span>
                <span class="cb-lesson-title">
                  <span class={`badge kind-${l.kind}`}>{t(`workspace:builder.kinds.${l.kind}`)}</span> {l.title}
                  {l.durationSeconds !== null && (
                    <span class="muted">
                      {' '}
                      · {t('workspace:builder.minutes', { count: Math.max(1, Math.round(l.durationSeconds / 60)) })}
                    </span>
                  )}
                </span>
                <span class="cb-buttons">
                  <button
                    type="button"
                    class="icon"
                    data-move="up"
                    aria-label={t('workspace:builder.lessonUp', { title: l.title })}
                    disabled={i === 0 && j === 0}
                    onClick={() => props.onStep({ module: i, index: j }, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="icon"
                    data-move="down"
                    aria-label={t('workspace:builder.lessonDown', { title: l.title })}
                    disabled={props.lastModule && j === m.lessons.length - 1}
                    onClick={() => props.onStep({ module: i, index: j }, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    class="icon"
                    data-testid="edit-lesson"
                    aria-expanded={open === l.key}
                    aria-label={t(open === l.key ? 'workspace:builder.closeLesson' : 'workspace:builder.editLesson', { title: l.title })}
                    onClick={() => setOpen(open === l.key ? null : l.key)}
                  >
                    ✎
                  </button>
                  <button
                    type="button"
                    class="icon danger"
                    aria-label={t('workspace:builder.removeLesson', { title: l.title })}
                    onClick={() => props.onChange(m.lessons.filter((_, k) => k !== j))}
                  >
                    ×
                  </button>
                </span>
              </div>
              {open !== l.key && invalid && <p class="field-error">{lessonError}</p>}
              {open === l.key && (
                <LessonEditor
                  courseId={props.courseId}
                  lesson={l}
                  onChange={(changes) => setLesson(j, changes)}
                  error={props.errors[`${path}.title`] ?? props.errors[`${path}.body`] ?? null}
                />
              )}
            </li>
          );
        })}
      </ol>
      {m.lessons.length === 0 && <p class="muted cb-empty">{t('workspace:builder.noLessons')}</p>}
    </>
  );
}

export function AddLesson({
  module: m,
  free,
  onAdd,
}: {
  module: DraftModule;
  free: AttachableRecordingView[];
  onAdd: (l: DraftLesson) => void;
}) {
  const [choice, setChoice] = useState('');
  const selectId = `cb-rec-${m.key}`;
  const addText = () =>
    onAdd({
      key: newKey(),
      kind: 'text',
      title: t('workspace:builder.newText'),
      seminarId: null,
      playlistPath: null,
      recordingId: null,
      body: '',
      durationSeconds: 300,
    });
  const addQuiz = () =>
    onAdd({
      key: newKey(),
      kind: 'quiz',
      title: t('workspace:builder.newQuiz'),
      seminarId: null,
      playlistPath: null,
      recordingId: null,
      body: '',
      durationSeconds: null,
    });
  const attach = () => {
    const r = free.find((x) => x.recordingId === choice);
    if (!r) return;
    // A seminar's recording is a lesson by its seminar (progress is kept per seminar); an upload by its recording.
    onAdd({
      key: newKey(),
      kind: r.kind === 'upload' ? 'upload' : 'recording',
      title: r.title,
      seminarId: r.kind === 'upload' ? null : r.seminarId,
      playlistPath: null,
      recordingId: r.kind === 'upload' ? r.recordingId : null,
      body: '',
      durationSeconds: r.durationSeconds,
    });
    setChoice('');
  };
  const option = (r: AttachableRecordingView) => (
    <option key={r.recordingId} value={r.recordingId} data-kind={r.kind}>
      {r.title}
      {r.durationSeconds ? ` (${t('workspace:builder.minutes', { count: Math.max(1, Math.round(r.durationSeconds / 60)) })})` : ''}
    </option>
  );
  const seminars = free.filter((r) => r.kind === 'seminar');
  const uploads = free.filter((r) => r.kind === 'upload');
  return (
    <div class="cb-add">
      <button type="button" data-testid="add-text" onClick={addText}>
        + {t('workspace:builder.addText')}
      </button>
      <button type="button" data-testid="add-quiz" onClick={addQuiz}>
        + {t('workspace:builder.addQuiz')}
      </button>
      {free.length > 0 && (
        <span class="cb-attach">
          <label for={selectId}>{t('workspace:builder.addRecording')}</label>
          <select id={selectId} data-testid="recording-choice" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
            <option value="">{t('workspace:builder.chooseRecording')}</option>
            {seminars.length > 0 && <optgroup label={t('workspace:builder.seminarRecordings')}>{seminars.map(option)}</optgroup>}
            {uploads.length > 0 && <optgroup label={t('workspace:builder.uploadedVideos')}>{uploads.map(option)}</optgroup>}
          </select>
          <button type="button" data-testid="attach" disabled={!choice} onClick={attach}>
            {t('workspace:builder.attach')}
          </button>
        </span>
      )}
    </div>
  );
}
