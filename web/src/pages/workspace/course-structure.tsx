import { useEffect, useRef, useState } from 'preact/hooks';
import type Sortable from 'sortablejs';
import type { AttachableRecordingView } from '../../../../server/protocol/courses';
import { t } from '../../kit/i18n';
import { announce } from '../../kit/toast';
import { AddLesson, LessonList } from './course-lessons';
import { lessonStep, moveLesson, moveModule, newKey, type DraftLesson, type DraftModule } from './course-draft';
import { SORTABLE_BASE, undoDomMove, useSortable } from './sortable';

// The modules and lessons of the course builder. Both are reordered by dragging their
// handle (SortableJS; lessons also into another module) or by the "up"/"down" buttons,
// which keep the focus on the moved item's button and say the new place in the live region.

type Change = (modules: DraftModule[]) => void;

interface Props {
  courseId: string;
  modules: DraftModule[];
  onChange: Change;
  recordings: AttachableRecordingView[];
  /** Field errors of the last save, by path (modules.0.lessons.1.title). */
  errors: Record<string, string>;
}

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

  // What the draft holds already is not offered again: a seminar by its id, an upload by its recording.
  const used = new Set(modules.flatMap((m) => m.lessons.flatMap((l) => [l.seminarId, l.recordingId].filter((x) => x !== null))));
  const free = recordings.filter((r) => !used.has(r.kind === 'upload' ? r.recordingId : r.seminarId!));

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
