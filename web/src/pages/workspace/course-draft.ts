import type { CourseStructureBody, CourseStructureView, CourseView } from '../../../../server/protocol/courses';

// The course builder's working copy of a course's modules and lessons: what the lecturer
// has arranged since the last save. Each module and lesson has a key of its own (its id
// once saved) so that Preact keeps its element, its focus and its open editor across moves.

export interface DraftLesson {
  key: string;
  /** Absent until the structure is saved. */
  id?: string;
  kind: 'text' | 'recording' | 'hls' | 'upload' | 'quiz';
  title: string;
  seminarId: string | null;
  playlistPath: string | null;
  /** An uploaded video's recording (upload lessons). */
  recordingId: string | null;
  /** A text lesson's Markdown ('' for other kinds). */
  body: string;
  durationSeconds: number | null;
}

export interface DraftModule {
  key: string;
  id?: string;
  title: string;
  lessons: DraftLesson[];
}

let counter = 0;
export const newKey = (): string => `new-${++counter}`;

export function draftOf(view: CourseStructureView): DraftModule[] {
  return view.modules.map((m) => ({
    key: m.id,
    id: m.id,
    title: m.title,
    lessons: m.lessons.map((l) => ({
      key: l.id,
      id: l.id,
      kind: l.kind,
      title: l.title,
      seminarId: l.seminarId,
      playlistPath: l.playlistPath,
      recordingId: l.recordingId,
      body: l.body ?? '',
      durationSeconds: l.durationSeconds,
    })),
  }));
}

/** The body of PUT /courses/:id/structure for the draft. */
export function structureBody(modules: DraftModule[]): CourseStructureBody {
  return {
    modules: modules.map((m) => ({
      ...(m.id ? { id: m.id } : {}),
      title: m.title,
      lessons: m.lessons.map((l) => {
        const id = l.id ? { id: l.id } : {};
        if (l.kind === 'recording') return { ...id, kind: 'recording' as const, title: l.title, seminarId: l.seminarId! };
        if (l.kind === 'upload') return { ...id, kind: 'upload' as const, title: l.title, recordingId: l.recordingId! };
        // A quiz's questions are saved apart (quiz-editor.tsx), once the lesson has its id.
        if (l.kind === 'quiz') return { ...id, kind: 'quiz' as const, title: l.title };
        if (l.kind === 'hls')
          return { ...id, kind: 'hls' as const, title: l.title, playlistPath: l.playlistPath!, durationSeconds: l.durationSeconds ?? 1 };
        return { ...id, kind: 'text' as const, title: l.title, body: l.body, durationSeconds: l.durationSeconds ?? 300 };
      }),
    })),
  };
}

/** The saved course's ids given to the draft that was saved (the server keeps the order it was sent). */
export function withSavedIds(modules: DraftModule[], saved: CourseView): DraftModule[] {
  return modules.map((m, i) => {
    const s = saved.modules[i];
    return { ...m, id: s?.id ?? m.id, lessons: m.lessons.map((l, j) => ({ ...l, id: s?.lessons[j]?.id ?? l.id })) };
  });
}

export function moveModule(modules: DraftModule[], from: number, to: number): DraftModule[] {
  if (from === to || to < 0 || to >= modules.length) return modules;
  const out = modules.slice();
  const [moved] = out.splice(from, 1);
  out.splice(to, 0, moved!);
  return out;
}

/** Moves a lesson to a place in the same or another module. */
export function moveLesson(
  modules: DraftModule[],
  from: { module: number; index: number },
  to: { module: number; index: number },
): DraftModule[] {
  const lesson = modules[from.module]?.lessons[from.index];
  if (!lesson || !modules[to.module]) return modules;
  const out = modules.map((m) => ({ ...m, lessons: m.lessons.slice() }));
  out[from.module]!.lessons.splice(from.index, 1);
  const target = out[to.module]!.lessons;
  target.splice(Math.min(to.index, target.length), 0, lesson);
  return out;
}

/**
 * One step up or down for the keyboard: within the module, and past its edge into the
 * end of the previous module or the start of the next. Null when there is nowhere to go.
 */
export function lessonStep(
  modules: DraftModule[],
  at: { module: number; index: number },
  dir: -1 | 1,
): { module: number; index: number } | null {
  const count = modules[at.module]?.lessons.length ?? 0;
  const index = at.index + dir;
  if (index >= 0 && index < count) return { module: at.module, index };
  const module = at.module + dir;
  if (module < 0 || module >= modules.length) return null;
  return { module, index: dir < 0 ? modules[module]!.lessons.length : 0 };
}

export function lessonCount(modules: Array<{ lessons: unknown[] }>): number {
  return modules.reduce((n, m) => n + m.lessons.length, 0);
}
