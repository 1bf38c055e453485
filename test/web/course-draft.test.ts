import { describe, expect, it } from 'vitest';
import { courseStructureBody } from '../../server/protocol';
import {
  lessonStep,
  moveLesson,
  moveModule,
  structureBody,
  withSavedIds,
  type DraftModule,
} from '../../web/src/pages/workspace/course-draft';

// The course builder's working copy: moves by drag and drop and by keyboard, and the
// body it sends, which the server's schema must accept as it is.

const lesson = (key: string) => ({
  key,
  id: key,
  kind: 'text' as const,
  title: key,
  seminarId: null,
  playlistPath: null,
  recordingId: null,
  body: `# ${key}`,
  durationSeconds: 300,
});
const draft = (): DraftModule[] => [
  { key: 'm1', id: 'module1', title: 'Первый', lessons: [lesson('a11111'), lesson('b22222')] },
  { key: 'm2', id: 'module2', title: 'Второй', lessons: [lesson('c33333')] },
  { key: 'm3', title: 'Новый', lessons: [] },
];
const keys = (modules: DraftModule[]) => modules.map((m) => m.lessons.map((l) => l.key));

describe('the course draft', () => {
  it('moves a lesson within a module and into another, at the place dropped', () => {
    expect(keys(moveLesson(draft(), { module: 0, index: 0 }, { module: 0, index: 1 }))).toEqual([['b22222', 'a11111'], ['c33333'], []]);
    expect(keys(moveLesson(draft(), { module: 0, index: 1 }, { module: 2, index: 0 }))).toEqual([['a11111'], ['c33333'], ['b22222']]);
    expect(keys(moveLesson(draft(), { module: 1, index: 0 }, { module: 0, index: 1 }))).toEqual([['a11111', 'c33333', 'b22222'], [], []]);
  });

  it('steps a lesson by keyboard past its module’s edges, and nowhere past the course’s', () => {
    const d = draft();
    expect(lessonStep(d, { module: 0, index: 0 }, -1)).toBeNull();
    expect(lessonStep(d, { module: 0, index: 0 }, 1)).toEqual({ module: 0, index: 1 });
    expect(lessonStep(d, { module: 0, index: 1 }, 1)).toEqual({ module: 1, index: 0 });
    expect(lessonStep(d, { module: 1, index: 0 }, -1)).toEqual({ module: 0, index: 2 });
    expect(lessonStep(d, { module: 1, index: 0 }, 1)).toEqual({ module: 2, index: 0 });
    expect(keys(moveLesson(d, { module: 1, index: 0 }, lessonStep(d, { module: 1, index: 0 }, -1)!))).toEqual([
      ['a11111', 'b22222', 'c33333'],
      [],
      [],
    ]);
  });

  it('moves modules, and leaves them be for a move to nowhere', () => {
    expect(moveModule(draft(), 2, 0).map((m) => m.key)).toEqual(['m3', 'm1', 'm2']);
    expect(moveModule(draft(), 0, 3).map((m) => m.key)).toEqual(['m1', 'm2', 'm3']);
  });

  it('sends what the server’s schema accepts, ids only where saved, and takes the saved ids back in order', () => {
    const body = structureBody(draft());
    expect(courseStructureBody.parse(body)).toEqual(body);
    expect(body.modules[2]).toEqual({ title: 'Новый', lessons: [] });
    const saved = withSavedIds(draft(), {
      modules: [
        { id: 'module1', lessons: [{ id: 'a11111' }, { id: 'b22222' }] },
        { id: 'module2', lessons: [{ id: 'c33333' }] },
        { id: 'module3', lessons: [] },
      ],
    } as never);
    expect(saved[2]).toMatchObject({ key: 'm3', id: 'module3' });
  });
});
