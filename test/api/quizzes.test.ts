import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import { normalizeText } from '../../server/quizzes/grading';
import { QuizService } from '../../server/quizzes/service';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';

// Quizzes (issue 16): each question type checked on the server (ё/е, case and whitespace in
// text answers, a tolerance's edges), no answer in what a learner receives before submitting,
// the attempt limit (also under concurrent submits), who may do what, the course's quiz rule
// in its completion, and each question's success rate.

let app: Lectern;
let api: Api;
let people: Awaited<ReturnType<typeof cast>>;

beforeAll(async () => {
  app = await startTestApp('quizzes', { PROGRESS_FLUSH_MS: '60000' });
  api = Api.of(app);
  people = await cast(api);
});
afterAll(() => app.stop());

const QUESTIONS = [
  { kind: 'single', text: 'Какой налоговый режим у самозанятых?', options: ['УСН', 'НПД', 'ОСНО'], correct: 1 },
  { kind: 'multiple', text: 'Что входит в юнит-экономику?', options: ['CAC', 'LTV', 'ОКВЭД', 'Маржа'], correct: [3, 0, 1] },
  { kind: 'number', text: 'Ставка НПД с физлиц, %', answer: 4, tolerance: 0.5 },
  { kind: 'text', text: 'Как называется план бизнеса?', accepted: ['Бизнес-план', 'ТЭО'] },
  { kind: 'text', text: 'Главный документ компании?', accepted: ['Устав  ёмкий'] },
];

interface Fixture {
  courseId: string;
  textLessonId: string;
  quizLessonId: string;
  questionIds: string[];
  /** Enrolled; a fresh one per course unless told, so that no test spends another's submits (10 a minute). */
  learner: TestUser;
}

/** A published course of `lecturer`: a short text lesson, then a quiz; `learner` enrolled. */
async function course(
  settings: { passPercent?: number; attemptsAllowed?: number | null; showAnswers?: boolean; quizRule?: 'none' | 'all_passed' } = {},
  given?: TestUser,
): Promise<Fixture> {
  const learner = given ?? (await registerUser(api));
  const token = people.lecturer.token;
  const created = await api.call('POST', '/courses', {
    token,
    body: { title: 'Налоги для ИП', track: 'finance', ...(settings.quizRule ? { quizRule: settings.quizRule } : {}) },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const structured = await api.call('PUT', `/courses/${id}/structure`, {
    token,
    body: {
      modules: [
        {
          title: 'Модуль',
          lessons: [
            { kind: 'text', title: 'Введение', body: 'Текст', durationSeconds: 60 },
            { kind: 'quiz', title: 'Проверка' },
          ],
        },
      ],
    },
  });
  expect(structured.status, structured.text).toBe(200);
  const [text, quiz] = structured.body.modules[0].lessons;
  expect(quiz).toMatchObject({ kind: 'quiz', durationSeconds: null });
  const put = await api.call('PUT', `/courses/${id}/lessons/${quiz.id}/quiz`, {
    token,
    body: {
      passPercent: settings.passPercent ?? 80,
      attemptsAllowed: settings.attemptsAllowed === undefined ? 3 : settings.attemptsAllowed,
      showAnswers: settings.showAnswers ?? true,
      questions: QUESTIONS,
    },
  });
  expect(put.status, put.text).toBe(200);
  expect((await api.call('PUT', `/courses/${id}/publication`, { token, body: { published: true } })).status).toBe(200);
  expect((await api.call('PUT', `/courses/${id}/enrolment`, { token: learner.token })).status).toBe(204);
  return {
    courseId: id,
    textLessonId: text.id,
    quizLessonId: quiz.id,
    questionIds: put.body.questions.map((q: { id: string }) => q.id),
    learner,
  };
}

type Answers = Array<Record<string, unknown>>;
const right = (f: Fixture): Answers => [
  { questionId: f.questionIds[0], kind: 'single', choice: 1 },
  { questionId: f.questionIds[1], kind: 'multiple', choices: [1, 0, 3] },
  { questionId: f.questionIds[2], kind: 'number', value: 4.5 },
  { questionId: f.questionIds[3], kind: 'text', text: '  бизнес-ПЛАН ' },
  { questionId: f.questionIds[4], kind: 'text', text: 'УСТАВ емкий' },
];
const submit = (f: Fixture, answers: Answers, user: TestUser = f.learner) =>
  api.call('POST', `/courses/${f.courseId}/lessons/${f.quizLessonId}/quiz/attempts`, { token: user.token, body: { answers } });
const attemptsIn = (f: Fixture) => app.db.connection.db!.collection('course_quiz_attempts').find({ lessonId: f.quizLessonId }).toArray();

describe('text answers', () => {
  it('compare trimmed, with inner whitespace collapsed, case- and ё/е-insensitively', () => {
    expect(normalizeText('  Ёлка   зелёная\t')).toBe('елка зеленая');
    expect(normalizeText('ЁЖ')).toBe(normalizeText('еж'));
    expect(normalizeText('бизнес план')).not.toBe(normalizeText('бизнес-план'));
  });
});

describe('taking a quiz', () => {
  it('sends the learner no right answer, no tolerance and no accepted text before submitting', async () => {
    const f = await course();
    const res = await api.call('GET', `/courses/${f.courseId}/lessons/${f.quizLessonId}/quiz`, { token: f.learner.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ passPercent: 80, attemptsAllowed: 3, attemptsLeft: 3, attemptsUsed: 0, passed: false, attempts: [] });
    expect(res.body.questions).toHaveLength(5);
    for (const q of res.body.questions) expect(Object.keys(q).sort()).toEqual(['id', 'kind', 'options', 'text']);
    const json = res.text;
    for (const leak of ['correct', 'accepted', 'tolerance', '"answer"', 'Бизнес-план', 'ТЭО', 'Устав']) expect(json).not.toContain(leak);
    // Nor does the course, or the lesson's page.
    for (const path of [`/courses/${f.courseId}`, `/courses/${f.courseId}/lessons/${f.quizLessonId}`, '/me/learning']) {
      const other = await api.call('GET', path, { token: f.learner.token });
      expect(other.status).toBe(200);
      for (const leak of ['Бизнес-план', 'ТЭО', 'accepted', 'tolerance']) expect(other.text).not.toContain(leak);
    }
  });

  it('checks each question type on the server and stores the attempt with per-question correctness', async () => {
    const f = await course({ passPercent: 100 });
    const res = await submit(f, right(f));
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ attemptNo: 1, correctCount: 5, questionCount: 5, scorePercent: 100, passed: true, attemptsLeft: 2 });
    expect(res.body.results.map((r: { correct: boolean }) => r.correct)).toEqual([true, true, true, true, true]);
    expect(res.body.results[2].rightAnswer).toEqual({ kind: 'number', answer: 4, tolerance: 0.5 });
    expect(res.body.results[4].rightAnswer).toEqual({ kind: 'text', accepted: ['Устав  ёмкий'] });
    const [stored] = await attemptsIn(f);
    expect(stored).toMatchObject({ userId: f.learner.id, attemptNo: 1, passed: true, scorePercent: 100 });
    expect(stored!.results).toEqual(f.questionIds.map((questionId) => ({ questionId, correct: true })));
  });

  it.each([
    ['the lower edge of the tolerance', 3.5, true],
    ['the upper edge', 4.5, true],
    ['just past the upper edge', 4.5001, false],
    ['just below the lower edge', 3.4999, false],
  ])('a number at %s (%d) is right: %s', async (_name, value, ok) => {
    const f = await course({ attemptsAllowed: null });
    const res = await submit(f, [{ questionId: f.questionIds[2], kind: 'number', value }]);
    expect(res.status).toBe(201);
    expect(res.body.results[2].correct).toBe(ok);
  });

  it('counts a choice question right only with exactly the right options, and an unanswered one wrong', async () => {
    const f = await course({ attemptsAllowed: null, showAnswers: false });
    const res = await submit(f, [
      { questionId: f.questionIds[0], kind: 'single', choice: 0 },
      { questionId: f.questionIds[1], kind: 'multiple', choices: [0, 1] },
      { questionId: f.questionIds[3], kind: 'text', text: 'бизнес план' },
      { questionId: f.questionIds[4], kind: 'text', text: '   ' },
    ]);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ correctCount: 0, scorePercent: 0, passed: false });
    // The quiz does not show the answers: none in the result either.
    expect(res.body.results.every((r: { rightAnswer: unknown }) => r.rightAnswer === null)).toBe(true);
    expect(res.text).not.toContain('Бизнес-план');
  });

  it('passes at exactly the pass mark (4 of 5 = 80 %)', async () => {
    const f = await course({ passPercent: 80 });
    const answers = right(f);
    answers[0] = { questionId: f.questionIds[0], kind: 'single', choice: 2 };
    expect((await submit(f, answers)).body).toMatchObject({ correctCount: 4, scorePercent: 80, passed: true });
  });

  it('refuses an answer to a question or option the quiz does not have, storing nothing', async () => {
    const f = await course();
    for (const answers of [
      [{ questionId: 'nosuchquestion', kind: 'single', choice: 0 }],
      [{ questionId: f.questionIds[0], kind: 'single', choice: 5 }],
      [{ questionId: f.questionIds[0], kind: 'text', text: 'НПД' }],
    ]) {
      const res = await submit(f, answers);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('answer_not_in_quiz');
    }
    expect(await attemptsIn(f)).toEqual([]);
  });

  it('holds the attempt limit, also when attempts are submitted at once', async () => {
    const f = await course({ attemptsAllowed: 2 });
    const wrong = [{ questionId: f.questionIds[0], kind: 'single', choice: 0 }];
    const all = await Promise.all([submit(f, wrong), submit(f, wrong), submit(f, wrong), submit(f, wrong)]);
    expect(all.map((r) => r.status).sort()).toEqual([201, 201, 409, 409]);
    for (const r of all.filter((r) => r.status === 409)) expect(['attempts_exhausted', 'attempt_conflict']).toContain(r.body.error.code);
    const stored = await attemptsIn(f);
    expect(stored.map((a) => a.attemptNo).sort()).toEqual([1, 2]);
    const late = await submit(f, right(f));
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('attempts_exhausted');
    const view = await api.call('GET', `/courses/${f.courseId}/lessons/${f.quizLessonId}/quiz`, { token: f.learner.token });
    expect(view.body).toMatchObject({ attemptsUsed: 2, attemptsLeft: 0, passed: false });
  });

  it('limits submits to 10 a minute per learner (429), storing nothing past it', async () => {
    const f = await course({ attemptsAllowed: null });
    for (let i = 0; i < 10; i++) expect((await submit(f, [])).status).toBe(201);
    const res = await submit(f, right(f));
    expect([res.status, res.body.error.code]).toEqual([429, 'rate_limited']);
    expect(await attemptsIn(f)).toHaveLength(10);
  });
});

describe('who may', () => {
  it('take a quiz: its enrolled learners; its lecturers may open it but not submit; others nothing', async () => {
    const f = await course();
    const outsider = await registerUser(api);
    const path = `/courses/${f.courseId}/lessons/${f.quizLessonId}/quiz`;
    expect((await api.call('GET', path)).status).toBe(401);
    const notEnrolled = await api.call('GET', path, { token: outsider.token });
    expect([notEnrolled.status, notEnrolled.body.error.code]).toEqual([403, 'not_enrolled']);
    expect((await api.call('GET', path, { token: people.lecturer.token })).status).toBe(200);
    expect((await api.call('GET', path, { token: people.admin.token })).status).toBe(200);
    const other = await api.call('GET', path, { token: people.otherLecturer.token });
    expect([other.status, other.body.error.code]).toEqual([403, 'not_enrolled']);
    const owner = await submit(f, right(f), people.lecturer);
    expect([owner.status, owner.body.error.code]).toEqual([403, 'not_enrolled']);
    const stranger = await submit(f, right(f), outsider);
    expect([stranger.status, stranger.body.error.code]).toEqual([403, 'not_enrolled']);
    expect(await attemptsIn(f)).toEqual([]);
    // A text lesson is no quiz.
    const text = await api.call('GET', `/courses/${f.courseId}/lessons/${f.textLessonId}/quiz`, { token: f.learner.token });
    expect([text.status, text.body.error.code]).toEqual([404, 'quiz_not_found']);
  });

  it('read or change the answers: the course’s lecturers and admins only', async () => {
    const f = await course();
    const edit = `/courses/${f.courseId}/lessons/${f.quizLessonId}/quiz/edit`;
    expect((await api.call('GET', edit, { token: people.lecturer.token })).body.questions[3].accepted).toEqual(['Бизнес-план', 'ТЭО']);
    expect((await api.call('GET', edit, { token: people.admin.token })).status).toBe(200);
    const learner = await api.call('GET', edit, { token: f.learner.token });
    expect([learner.status, learner.body.error.code]).toEqual([403, 'missing_grant']);
    const other = await api.call('PUT', `/courses/${f.courseId}/lessons/${f.quizLessonId}/quiz`, {
      token: people.otherLecturer.token,
      body: { passPercent: 0, attemptsAllowed: null, showAnswers: true, questions: QUESTIONS },
    });
    expect([other.status, other.body.error.code]).toEqual([403, 'not_own_course']);
    expect(
      (await app.domain.quizzes.editable(app.domain.tokens.verifyAccess(people.lecturer.token), f.courseId, f.quizLessonId)).passPercent,
    ).toBe(80);
    const analytics = await api.call('GET', `/courses/${f.courseId}/quiz-analytics`, { token: people.otherLecturer.token });
    expect([analytics.status, analytics.body.error.code]).toEqual([403, 'not_own_course']);
  });
});

describe('course completion and analytics', () => {
  const myCourse = async (f: Fixture, user = people.learner) =>
    (
      (await api.call('GET', '/me/learning', { token: user.token })).body as Array<{
        course: { id: string };
        percent: number;
        completedLessons: number;
        totalLessons: number;
      }>
    ).find((c) => c.course.id === f.courseId)!;
  const read = async (f: Fixture, user = people.learner) => {
    const res = await api.call('POST', '/progress/heartbeats', {
      token: user.token,
      body: { contentId: f.textLessonId, intervals: [[0, 60]], position: 60, durationSeconds: 60, sentAt: Date.now() },
    });
    expect(res.status).toBe(202);
  };

  it('under "all passed" the course completes only once the quiz is passed; under "none" the quiz does not count', async () => {
    const learner = await registerUser(api);
    const f = await course({}, learner);
    await read(f, learner);
    expect(await myCourse(f, learner)).toMatchObject({ completedLessons: 1, totalLessons: 2, percent: 50 });
    expect((await submit(f, [], learner)).body.passed).toBe(false);
    expect(await myCourse(f, learner)).toMatchObject({ completedLessons: 1, totalLessons: 2 });
    expect((await submit(f, right(f), learner)).body.passed).toBe(true);
    expect(await myCourse(f, learner)).toMatchObject({ completedLessons: 2, totalLessons: 2, percent: 100 });
    // The figures for lecturers read what is written, not the heartbeat buffer.
    await app.domain.progress.flush();
    const stats = await api.call('GET', `/courses/${f.courseId}/stats`, { token: people.lecturer.token });
    expect(stats.body).toMatchObject({ enrolled: 1, completedCourse: 1 });

    const practice = await course({ quizRule: 'none' }, learner);
    await read(practice, learner);
    expect(await myCourse(practice, learner)).toMatchObject({ completedLessons: 1, totalLessons: 1, percent: 100 });
  });

  it('calls the quiz-passed hook after a passing attempt only', async () => {
    const calls: Array<[string, string]> = [];
    const hooked = new QuizService({
      courses: app.repos.courses,
      enrolments: app.repos.enrolments,
      quizzes: app.repos.quizzes,
      logger: app.logger,
      onQuizPassed: async (userId, courseId) => {
        calls.push([userId, courseId]);
      },
    });
    const f = await course({ attemptsAllowed: null });
    const actor = app.domain.tokens.verifyAccess(f.learner.token);
    await hooked.submit(actor, f.courseId, f.quizLessonId, { answers: [] });
    expect(calls).toEqual([]);
    await hooked.submit(actor, f.courseId, f.quizLessonId, { answers: right(f) as never });
    expect(calls).toEqual([[f.learner.id, f.courseId]]);
  });

  it('shows each question’s success rate over all attempts', async () => {
    const f = await course({ attemptsAllowed: null }, people.otherLearner);
    const learner = await registerUser(api);
    expect((await api.call('PUT', `/courses/${f.courseId}/enrolment`, { token: learner.token })).status).toBe(204);
    await submit(f, right(f), learner);
    await submit(f, [{ questionId: f.questionIds[0], kind: 'single', choice: 1 }], people.otherLearner);
    await submit(f, [], people.otherLearner);
    const res = await api.call('GET', `/courses/${f.courseId}/quiz-analytics`, { token: people.lecturer.token });
    expect(res.status).toBe(200);
    const [quiz] = res.body.quizzes;
    expect(quiz).toMatchObject({ lessonId: f.quizLessonId, attempts: 3, learners: 2, passedLearners: 1 });
    expect(quiz.questions.map((q: { successRate: number }) => q.successRate)).toEqual([0.6667, 0.3333, 0.3333, 0.3333, 0.3333]);
    expect(quiz.questions[0]).toMatchObject({ attempts: 3, correct: 2 });
  });
});
