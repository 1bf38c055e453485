import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Types } from 'mongoose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lectern } from '../../server/main';
import ruLearning from '../../web/src/locales/ru/learning';
import ruWorkspace from '../../web/src/locales/ru/workspace';
import { Api, cast, registerUser, type TestUser } from '../support/api';
import { startTestApp } from '../support/app';
import { artifacts, launchChromium, reportCspViolations, signInPage } from '../support/browser';
import { pageProblems } from '../support/page-checks';

// Quizzes in Chromium (issue 16). The lecturer adds a quiz lesson in the course builder from
// the keyboard and writes three questions (single choice, a number with a tolerance, a short
// text answer), which land in their own collection. A learner reads the course's short text
// lesson, takes the quiz wrong (failed, with the right answers shown), then right (a decimal
// comma at the tolerance's edge, "УЧЕТ" for "учёт"), and the course shows complete, in the
// page, the API and the database. Then the pages at 360 and 1280 px, in Russian and English.

const shots = path.join(artifacts, 'quizzes');
const poll = { timeout: 45_000, interval: 200 };

let app: Lectern;
let api: Api;
let browser: Browser;
let people: Awaited<ReturnType<typeof cast>>;
let learner: TestUser;
let course: { id: string; textLesson: string; quizLesson: string };

async function open(token: string, route: string, width = 1280, lang: 'ru' | 'en' = 'ru'): Promise<Page & { problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = Object.assign(await context.newPage(), { problems: [] as string[] });
  page.on('pageerror', (err) => page.problems.push(err.message));
  await reportCspViolations(page, route, page.problems);
  await signInPage(page, token);
  await page.goto(`${app.url}${route}${lang === 'en' ? '?lang=en' : ''}`);
  return page;
}

const attempts = () =>
  app.db.connection.db!.collection('course_quiz_attempts').find({ lessonId: course.quizLesson }).sort({ attemptNo: 1 }).toArray();
const myCourse = async () => {
  const res = await api.call('GET', '/me/learning', { token: learner.token });
  return (res.body as Array<{ course: { id: string }; completedLessons: number; totalLessons: number; percent: number }>).find(
    (c) => c.course.id === course.id,
  );
};

beforeAll(async () => {
  await mkdir(shots, { recursive: true });
  [app, browser] = await Promise.all([startTestApp('e2e_quizzes'), launchChromium('playback')]);
  api = Api.of(app);
  people = await cast(api);
  learner = await registerUser(api, { displayName: 'Пётр Учащийся' });
  const created = await api.call('POST', '/courses', {
    token: people.lecturer.token,
    body: { title: 'Налоги для самозанятых', track: 'finance' },
  });
  expect(created.status).toBe(201);
  const structured = await api.call('PUT', `/courses/${created.body.id}/structure`, {
    token: people.lecturer.token,
    body: {
      modules: [
        {
          title: 'Основы',
          lessons: [{ kind: 'text', title: 'Что такое НПД', body: 'Налог на профессиональный доход.', durationSeconds: 30 }],
        },
      ],
    },
  });
  expect(structured.status).toBe(200);
  course = { id: created.body.id, textLesson: structured.body.modules[0].lessons[0].id, quizLesson: '' };
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('quizzes in the browser', () => {
  it('the lecturer adds a quiz lesson from the keyboard and writes its questions', async () => {
    const page = await open(people.lecturer.token, `/workspace/courses/${course.id}`);
    try {
      const addQuiz = page.getByTestId('add-quiz');
      await addQuiz.waitFor();
      await addQuiz.focus();
      await page.keyboard.press('Enter');
      const quizRow = page.locator(`[data-testid=lesson][data-title="${ruWorkspace.builder.newQuiz}"]`);
      await quizRow.waitFor();
      // The questions wait for the lesson's id: saved first.
      await quizRow.getByTestId('edit-lesson').focus();
      await page.keyboard.press('Enter');
      await quizRow.getByTestId('quiz-unsaved').waitFor();
      await quizRow.getByTestId('lesson-title').fill('Итоговый тест');
      await page.getByTestId('save-structure').focus();
      await page.keyboard.press('Enter');
      const editor = page.getByTestId('quiz-editor');
      await editor.waitFor({ timeout: 30_000 });
      const structure = await app.repos.courses.get(course.id);
      const quizLesson = structure!.modules[0]!.lessons[1]!;
      expect(quizLesson).toMatchObject({ kind: 'quiz', title: 'Итоговый тест' });
      course.quizLesson = quizLesson.id;

      await editor.getByTestId('quiz-pass').fill('100');
      await editor.getByTestId('quiz-attempts').fill('3');
      expect(await editor.getByTestId('quiz-show-answers').isChecked()).toBe(true);
      // 1: single choice; the right option marked from the keyboard (Space on its radio).
      const q1 = editor.getByTestId('quiz-question').nth(0);
      await q1.getByTestId('question-text').fill('Какая ставка НПД при работе с физлицами?');
      await q1.getByTestId('option-text').nth(0).fill('13 %');
      await q1.getByTestId('option-text').nth(1).fill('4 %');
      await q1.getByTestId('add-option').click();
      await q1.getByTestId('option-text').nth(2).fill('6 %');
      await q1.getByTestId('option-correct').nth(1).focus();
      await page.keyboard.press('Space');
      // 2: a number with a tolerance.
      await editor.getByTestId('add-question').focus();
      await page.keyboard.press('Enter');
      const q2 = editor.getByTestId('quiz-question').nth(1);
      await q2.getByTestId('question-kind').selectOption('number');
      await q2.getByTestId('question-text').fill('Лимит дохода самозанятого, млн ₽ в год');
      await q2.getByTestId('question-answer').fill('2,4');
      await q2.getByTestId('question-tolerance').fill('0,1');
      // 3: a short text answer.
      await editor.getByTestId('add-question').click();
      const q3 = editor.getByTestId('quiz-question').nth(2);
      await q3.getByTestId('question-kind').selectOption('text');
      await q3.getByTestId('question-text').fill('Что ведёт самозанятый в приложении «Мой налог»?');
      await q3.getByTestId('question-accepted').fill('Учёт доходов\nучёт');
      await editor.getByTestId('save-quiz').focus();
      await page.keyboard.press('Enter');
      await expect
        .poll(() => app.db.connection.db!.collection('course_quizzes').findOne({ _id: course.quizLesson as never }), poll)
        .toMatchObject({
          passPercent: 100,
          attemptsAllowed: 3,
          showAnswers: true,
          questions: [
            { kind: 'single', options: ['13 %', '4 %', '6 %'], correct: 1 },
            { kind: 'number', answer: 2.4, tolerance: 0.1 },
            { kind: 'text', accepted: ['Учёт доходов', 'учёт'] },
          ],
        });
      expect(page.problems).toEqual([]);
    } finally {
      await page.context().close();
    }
    // Published; the course holds no answer.
    expect(
      (await api.call('PUT', `/courses/${course.id}/publication`, { token: people.lecturer.token, body: { published: true } })).status,
    ).toBe(200);
    const doc = await app.db.connection.db!.collection('courses').findOne({ _id: new Types.ObjectId(course.id) });
    expect(JSON.stringify(doc)).not.toContain('Учёт доходов');
  }, 180_000);

  it('a learner fails the quiz, passes it, and the course completes', async () => {
    expect(course.quizLesson).not.toBe('');
    expect((await api.call('PUT', `/courses/${course.id}/enrolment`, { token: learner.token })).status).toBe(204);
    const page = await open(learner.token, `/courses/${course.id}/lessons/${course.textLesson}`);
    try {
      // The short text lesson, read to its end.
      await page.getByTestId('mark-read').click();
      await page.getByTestId('lesson-read').waitFor();
      await page.getByTestId('next').click();
      const quiz = page.getByTestId('quiz');
      await quiz.waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('quiz-rules').textContent()).toContain('100%');
      // Nothing of the answers is in the page before submitting.
      expect(await page.content()).not.toContain('Учёт доходов');

      // Wrong: 13 %, 3, "бухгалтерия".
      const questions = quiz.getByTestId('quiz-question');
      await questions.nth(0).getByLabel('13 %').check();
      await questions.nth(1).locator('input').fill('3');
      await questions.nth(2).locator('input').fill('бухгалтерия');
      await page.getByTestId('quiz-submit').click();
      const result = page.getByTestId('quiz-result');
      await result.waitFor({ timeout: 30_000 });
      expect(await result.getAttribute('data-passed')).toBe('false');
      expect(await result.locator('h2').textContent()).toBe(ruLearning.quiz.failed);
      expect(await page.getByTestId('quiz-score').textContent()).toBe('Верно 0 из 3 (0%).');
      expect(await page.getByTestId('quiz-attempts-left').textContent()).toBe('Осталось попыток: 2.');
      // The quiz shows the right answers after submitting.
      expect(await page.getByTestId('quiz-right-answer').allTextContents()).toEqual([
        ' Правильный ответ: 4 %',
        ' Правильный ответ: 2.4 ± 0.1',
        ' Правильный ответ: Учёт доходов; учёт',
      ]);
      expect((await attempts()).map((a) => [a.attemptNo, a.passed])).toEqual([[1, false]]);
      expect(await myCourse()).toMatchObject({ completedLessons: 1, totalLessons: 2 });

      // Right: 4 %, "2,5" (a decimal comma, at the tolerance's edge), "  УЧЕТ " (ё as е, case, spaces); sent with Enter.
      await page.getByTestId('quiz-retry').click();
      await questions.nth(0).getByLabel('4 %').check();
      await questions.nth(1).locator('input').fill('2,5');
      await questions.nth(2).locator('input').fill('  УЧЕТ ');
      await questions.nth(2).locator('input').press('Enter');
      await expect.poll(() => result.getAttribute('data-passed'), poll).toBe('true');
      expect(await result.locator('h2').textContent()).toBe(ruLearning.quiz.passed);
      expect(await page.getByTestId('quiz-score').textContent()).toBe('Верно 3 из 3 (100%).');
      expect(await page.getByTestId('quiz-mark').evaluateAll((els) => els.map((el) => el.getAttribute('data-correct')))).toEqual([
        'true',
        'true',
        'true',
      ]);
      const stored = await attempts();
      expect(stored.map((a) => [a.attemptNo, a.passed, a.scorePercent])).toEqual([
        [1, false, 0],
        [2, true, 100],
      ]);
      expect(stored[1]!.results.map((r: { correct: boolean }) => r.correct)).toEqual([true, true, true]);

      // The course is complete: in "My learning", and in the API.
      await page.getByRole('link', { name: 'Моё обучение' }).click();
      const card = page.locator(`[data-testid=learning-course][data-course="${course.id}"]`);
      await card.waitFor({ timeout: 30_000 });
      expect(await card.getAttribute('data-done')).toBe('2');
      expect(await card.getAttribute('data-total')).toBe('2');
      await card.getByTestId('course-done').waitFor();
      expect(await myCourse()).toMatchObject({ completedLessons: 2, totalLessons: 2, percent: 100 });
      await app.domain.progress.flush();
      const stats = await api.call('GET', `/courses/${course.id}/stats`, { token: people.lecturer.token });
      expect(stats.body).toMatchObject({ enrolled: 1, completedCourse: 1 });
      expect(page.problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 180_000);

  it('the course analytics show each question’s success rate', async () => {
    expect(course.quizLesson).not.toBe('');
    const page = await open(people.lecturer.token, `/workspace/courses/${course.id}/analytics`);
    try {
      const rates = page.getByTestId('quiz-rates');
      await rates.waitFor({ timeout: 30_000 });
      // Two attempts, each question right once.
      expect(await rates.getByTestId('success-rate').allTextContents()).toEqual(['50\u00a0%', '50\u00a0%', '50\u00a0%']);
      expect(await rates.getByTestId('quiz-summary').textContent()).toBe('Попыток: 2, учащихся: 1, сдали: 1');
      expect(page.problems).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 120_000);
});

describe('the quiz pages at 360 and 1280 px, in Russian and English', () => {
  const pages = [
    {
      name: 'quiz',
      who: () => learner.token,
      route: () => `/courses/${course.id}/lessons/${course.quizLesson}`,
      ready: (p: Page) => p.getByTestId('quiz-question').first().waitFor({ timeout: 30_000 }),
    },
    {
      name: 'quiz-editor',
      who: () => people.lecturer.token,
      route: () => `/workspace/courses/${course.id}`,
      ready: async (p: Page) => {
        const row = p.locator(`[data-testid=lesson][data-key="${course.quizLesson}"]`);
        await row.getByTestId('edit-lesson').click({ timeout: 30_000 });
        await p.getByTestId('quiz-question').first().waitFor({ timeout: 30_000 });
      },
    },
    {
      name: 'quiz-analytics',
      who: () => people.lecturer.token,
      route: () => `/workspace/courses/${course.id}/analytics`,
      ready: (p: Page) => p.getByTestId('quiz-rates').waitFor({ timeout: 30_000 }),
    },
  ];
  for (const lang of ['ru', 'en'] as const) {
    for (const width of [360, 1280]) {
      for (const p of pages) {
        it(`${p.name}, ${lang}, ${width} px`, async () => {
          expect(course.quizLesson).not.toBe('');
          const page = await open(p.who(), p.route(), width, lang);
          try {
            await p.ready(page);
            expect(await page.getAttribute('html', 'lang')).toBe(lang);
            await page.screenshot({ path: path.join(shots, `${p.name}-${lang}-${width}.png`), fullPage: true });
            expect(await pageProblems(page)).toEqual([]);
            expect(page.problems).toEqual([]);
          } finally {
            await page.context().close();
          }
        }, 90_000);
      }
    }
  }
});
