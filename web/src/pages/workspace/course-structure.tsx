import { useEffect, useRef, useState } from 'preact/hooks';
import Sortable from 'sortablejs';
import type { AttachableRecordingView } from '../../../../server/protocol/courses';
import { t } from '../../kit/i18n';
import { announce } from '../../kit/toast';
import { LessonEditor } from './lesson-editor';
import { lessonStep, moveLesson, moveModule, newKey, type DraftLesson, type DraftModule } from './course-draft';

// The modules and lessons of the course builder. Both are reordered by dragging their
// handle (SortableJS; lessons also into another module) or by the "up"/"down" buttons,
// which keep the focus on the moved item's button and say the new place in the live region.
// SortableJS moves DOM nodes itself: each drop is put back at once and replayed as a state
// change, so Preact stays the only owner of the elements.

type Change = (modules: DraftModule[]) => void;

interface Props {
  courseId: string;
  modules: DraftModule[];
  onChange: Change;
  recordings: AttachableRecordingView[];
  /** Field errors of the last save, by path (modules.0.lessons.1.title). */
  errors: Record<string, string>;
}

/** Puts an element SortableJS moved back where it was, so that the state change moves it. */
function undoDomMove(evt: Sortable.SortableEvent): void {
  const { item, from, oldIndex } = evt;
  item.remove();
  from.insertBefore(item, from.children[oldIndex ?? 0] ?? null);
}

function useSortable(ref: { current: HTMLElement | null }, options: () => Sortable.Options): void {
  const latest = useRef(options);
  latest.current = options;
  useEffect(() => {
    if (!ref.current) return;
    const sortable = Sortable.create(ref.current, {
      ...latest.current(),
      onEnd: (evt) => latest.current().onEnd?.(evt),
    });
    return () => sortable.destroy();
  }, []);
}

const SORTABLE_BASE: Sortable.Options = {
  animation: 150,
  // Drags start from a handle only (a pointer affordance; the buttons serve the keyboard).
  ghostClass: 'cb-ghost',
  chosenClass: 'cb-chosen',
  emptyInsertThreshold: 24,
  // The mouse-events fallback behaves the same with a mouse, a pen and a finger.
  forceFallback: true,
  fallbackOnBody: true,
};

export function CourseStructure({ courseId, modules, onChange, recordings, errors }: Props) {
  const listRef = useRef<HTMLOListElement>(null);
  const state = useRef({ modules, onChange });
  state.current = { modules, onChange };
  /** The button to focus once the moved item has re-rendered. */
  const [focus, setFocus] = useState<{ key: string; move: 'up' | 'down' } | null>(null);

  useEffect(() => {
    if (!focus) return;
    const item = document.querySelector(`[data-key="${focus.key}"]`);
    const button = item?.querySelector<HTMLButtonElement>(`:scope > .cb-row [data-move="${focus.move}"]`);
    const other = item?.querySelector<HTMLButtonElement>(`:scope > .cb-row [data-move="${focus.move === 'up' ? 'down' : 'up'}"]`);
    (button && !button.disabled ? button : other)?.focus();
    setFocus(null);
  }, [focus]);

  useSortable(listRef, () => ({
    ...SORTABLE_BASE,
    group: 'cb-modules',
    draggable: '.cb-module',
    handle: '.cb-module-handle',
    onEnd: (evt) => {
      undoDomMove(evt);
      const { modules: current, onChange: change } = state.current;
      if (evt.oldIndex === undefined || evt.newIndex === undefined || evt.oldIndex === evt.newIndex) return;
      const next = moveModule(current, evt.oldIndex, evt.newIndex);
      change(next);
      const moved = next[evt.newIndex]!;
      announce(t('workspace:builder.movedModule', { title: moved.title, position: evt.newIndex + 1, count: next.length }));
    },
  }));

  const announceLesson = (next: DraftModule[], at: { module: number; index: number }) => {
    const m = next[at.module]!;
    announce(
      t('workspace:builder.moved', { title: m.lessons[at.index]!.title, position: at.index + 1, count: m.lessons.length, module: m.title }),
    );
  };

  const dropLesson = (evt: Sortable.SortableEvent) => {
    undoDomMove(evt);
    const { modules: current, onChange: change } = state.current;
    const fromModule = current.findIndex((m) => m.key === evt.from.dataset.module);
    const toModule = current.findIndex((m) => m.key === evt.to.dataset.module);
    if (fromModule < 0 || toModule < 0 || evt.oldIndex === undefined || evt.newIndex === undefined) return;
    if (fromModule === toModule && evt.oldIndex === evt.newIndex) return;
    const to = { module: toModule, index: evt.newIndex };
    const next = moveLesson(current, { module: fromModule, index: evt.oldIndex }, to);
    change(next);
    announceLesson(next, to);
  };

  const stepModule = (i: number, dir: -1 | 1) => {
    const next = moveModule(modules, i, i + dir);
    onChange(next);
    setFocus({ key: modules[i]!.key, move: dir < 0 ? 'up' : 'down' });
    announce(t('workspace:builder.movedModule', { title: modules[i]!.title, position: i + dir + 1, count: next.length }));
  };

  const stepLesson = (at: { module: number; index: number }, dir: -1 | 1) => {
    const to = lessonStep(modules, at, dir);
    if (!to) return;
    const next = moveLesson(modules, at, to);
    onChange(next);
    setFocus({ key: modules[at.module]!.lessons[at.index]!.key, move: dir < 0 ? 'up' : 'down' });
    announceLesson(next, to);
  };

  const setModule = (i: number, changes: Partial<DraftModule>) => onChange(modules.map((m, j) => (j === i ? { ...m, ...changes } : m)));
  const setLessons = (i: number, lessons: DraftLesson[]) => setModule(i, { lessons });

  const removeModule = (i: number) => {
    const m = modules[i]!;
    if (m.lessons.length > 0 && !confirm(t('workspace:builder.confirmRemoveModule', { title: m.title, count: m.lessons.length }))) return;
    onChange(modules.filter((_, j) => j !== i));
  };

  const addModule = () => {
    const key = newKey();
    onChange([...modules, { key, title: t('workspace:builder.newModule', { n: modules.length + 1 }), lessons: [] }]);
    queueMicrotask(() => setTimeout(() => document.querySelector<HTMLInputElement>(`[data-key="${key}"] input.cb-module-title`)?.select()));
  };

  const used = new Set(modules.flatMap((m) => m.lessons.flatMap((l) => (l.seminarId ? [l.seminarId] : []))));
  const free = recordings.filter((r) => !used.has(r.seminarId));
  const total = modules.reduce((n, m) => n + m.lessons.length, 0);
  let ordinal = 0;

  return (
    <div class="cb-structure">
      {modules.length === 0 && <p class="muted">{t('workspace:builder.noModules')}</p>}
      {modules.length > 0 && free.length === 0 && <p class="muted">{t('workspace:builder.noRecordings')}</p>}
      <ol class="cb-modules" ref={listRef} data-testid="modules">
        {modules.map((m, i) => (
          <li key={m.key} class="cb-module" data-key={m.key} data-testid="module">
            <div class="cb-row">
              <span
                class="cb-handle cb-module-handle"
                title={t('workspace:builder.dragModule', { title: m.title })}
                aria-hidden="true"
                data-testid="module-handle"
              >
                ⠿
              </span>
              <label class="visually-hidden" for={`cb-m-${m.key}`}>
                {t('workspace:builder.moduleTitle', { n: i + 1 })}
              </label>
              <input
                id={`cb-m-${m.key}`}
                class="cb-module-title"
                data-testid="module-title"
                value={m.title}
                maxLength={200}
                aria-invalid={errors[`modules.${i}.title`] ? 'true' : undefined}
                aria-describedby={errors[`modules.${i}.title`] ? `cb-m-${m.key}-error` : undefined}
                onInput={(e) => setModule(i, { title: e.currentTarget.value })}
              />
              <span class="cb-buttons">
                <button
                  type="button"
                  class="icon"
                  data-move="up"
                  aria-label={t('workspace:builder.moduleUp', { title: m.title })}
                  disabled={i === 0}
                  onClick={() => stepModule(i, -1)}
                >
                  ↑
                </button>
                <button
                  type="button"
                  class="icon"
                  data-move="down"
                  aria-label={t('workspace:builder.moduleDown', { title: m.title })}
                  disabled={i === modules.length - 1}
                  onClick={() => stepModule(i, 1)}
                >
                  ↓
                </button>
                <button
                  type="button"
                  class="icon danger"
                  aria-label={t('workspace:builder.removeModule', { title: m.title })}
                  onClick={() => removeModule(i)}
                >
                  ×
                </button>
              </span>
            </div>
            {errors[`modules.${i}.title`] && (
              <p class="field-error" id={`cb-m-${m.key}-error`}>
                {errors[`modules.${i}.title`]}
              </p>
            )}
            <LessonList
              module={m}
              moduleIndex={i}
              firstOrdinal={(ordinal += m.lessons.length) - m.lessons.length}
              total={total}
              lastModule={i === modules.length - 1}
              onDrop={dropLesson}
              onStep={stepLesson}
              onChange={(lessons) => setLessons(i, lessons)}
              courseId={courseId}
              errors={errors}
            />
            <AddLesson module={m} free={free} onAdd={(lesson) => setLessons(i, [...m.lessons, lesson])} />
          </li>
        ))}
      </ol>
      <button type="button" data-testid="add-module" onClick={addModule}>
        + {t('workspace:builder.addModule')}
      </button>
    </div>
  );
}

function LessonList(props: {
  module: DraftModule;
  moduleIndex: number;
  firstOrdinal: number;
  total: number;
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
          const n = props.firstOrdinal + j;
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
                    disabled={n === 0}
                    onClick={() => props.onStep({ module: i, index: j }, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="icon"
                    data-move="down"
                    aria-label={t('workspace:builder.lessonDown', { title: l.title })}
                    disabled={n === props.total - 1 && props.lastModule}
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

function AddLesson({ module: m, free, onAdd }: { module: DraftModule; free: AttachableRecordingView[]; onAdd: (l: DraftLesson) => void }) {
  const [choice, setChoice] = useState('');
  const selectId = `cb-rec-${m.key}`;
  const addText = () =>
    onAdd({
      key: newKey(),
      kind: 'text',
      title: t('workspace:builder.newText'),
      seminarId: null,
      playlistPath: null,
      body: '',
      durationSeconds: 300,
    });
  const attach = () => {
    const r = free.find((x) => x.recordingId === choice);
    if (!r) return;
    onAdd({
      key: newKey(),
      kind: 'recording',
      title: r.title,
      seminarId: r.seminarId,
      playlistPath: null,
      body: '',
      durationSeconds: r.durationSeconds,
    });
    setChoice('');
  };
  return (
    <div class="cb-add">
      <button type="button" data-testid="add-text" onClick={addText}>
        + {t('workspace:builder.addText')}
      </button>
      {free.length > 0 && (
        <span class="cb-attach">
          <label for={selectId}>{t('workspace:builder.addRecording')}</label>
          <select id={selectId} data-testid="recording-choice" value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
            <option value="">{t('workspace:builder.chooseRecording')}</option>
            {free.map((r) => (
              <option key={r.recordingId} value={r.recordingId}>
                {r.title}
                {r.durationSeconds
                  ? ` (${t('workspace:builder.minutes', { count: Math.max(1, Math.round(r.durationSeconds / 60)) })})`
                  : ''}
              </option>
            ))}
          </select>
          <button type="button" data-testid="attach" disabled={!choice} onClick={attach}>
            {t('workspace:builder.attach')}
          </button>
        </span>
      )}
    </div>
  );
}
