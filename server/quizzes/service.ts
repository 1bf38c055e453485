import { randomBytes } from 'node:crypto';
import { has, isAdmin, type Actor } from '../accounts/grants';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { Logger } from '../logger';
import type {
  AttemptBody,
  AttemptResultView,
  EditableQuizView,
  LearnerQuizView,
  QuizAnalyticsView,
  QuizBody,
  RightAnswerView,
} from '../protocol/quizzes';
import type { Course, CourseRepository, EnrolmentRepository, Lesson } from '../courses/model';
import { isCorrect, scoreOf } from './grading';
import type { Attempt, Question, Quiz, QuizRepository } from './model';

export interface QuizDeps {
  courses: Pick<CourseRepository, 'get'>;
  enrolments: Pick<EnrolmentRepository, 'isEnrolled'>;
  quizzes: QuizRepository;
  logger: Logger;
  /**
   * After an attempt that passes (every one, not only the first): what hangs on completing a
   * course (a certificate) checks there whether the course is complete now. A failure is logged;
   * the attempt stands.
   */
  onQuizPassed?(userId: string, courseId: string): Promise<void>;
}

/** What a quiz lesson holds before its lecturer first saves it. */
const DEFAULT_SETTINGS = { passPercent: 70, attemptsAllowed: null, showAnswers: true } as const;
/** Concurrent submits of one learner take turns for the next attempt number; past this many, the caller is told to retry. */
const ATTEMPT_TRIES = 5;

export class QuizService {
  constructor(private readonly deps: QuizDeps) {}

  /** The quiz as a learner takes it: no right answer, no tolerance, no accepted text. */
  async forLearner(actor: Actor, courseId: string, lessonId: string): Promise<LearnerQuizView> {
    const { lesson, userId } = await this.reader(actor, courseId, lessonId);
    const quiz = await this.deps.quizzes.get(lessonId);
    const settings = quiz ?? DEFAULT_SETTINGS;
    const attempts = await this.deps.quizzes.attemptsOf(lessonId, userId);
    return {
      lessonId,
      title: lesson.title,
      passPercent: settings.passPercent,
      attemptsAllowed: settings.attemptsAllowed,
      showAnswers: settings.showAnswers,
      attemptsUsed: attempts.length,
      attemptsLeft: attemptsLeft(settings.attemptsAllowed, attempts.length),
      passed: attempts.some((a) => a.passed),
      attempts: attempts.map((a) => ({
        attemptNo: a.attemptNo,
        scorePercent: a.scorePercent,
        passed: a.passed,
        submittedAt: a.submittedAt.toISOString(),
      })),
      questions: (quiz?.questions ?? []).map((q) => ({
        id: q.id,
        kind: q.kind,
        text: q.text,
        options: q.kind === 'single' || q.kind === 'multiple' ? q.options : null,
      })),
    };
  }

  /** Checks the answers, stores the attempt, and says how it went. Only the course's enrolled learners submit. */
  async submit(actor: Actor, courseId: string, lessonId: string, body: AttemptBody): Promise<AttemptResultView> {
    const { userId, enrolled } = await this.reader(actor, courseId, lessonId);
    if (!enrolled) throw new ForbiddenError('not_enrolled', 'Enrol in the course to take its quizzes');
    const quiz = await this.deps.quizzes.get(lessonId);
    if (!quiz || quiz.questions.length === 0) throw new ConflictError('quiz_not_ready', 'This quiz has no questions yet');
    const answers = new Map(body.answers.map((a) => [a.questionId, a]));
    const byId = new Map(quiz.questions.map((q) => [q.id, q]));
    body.answers.forEach((a, i) => {
      const q = byId.get(a.questionId);
      const fits =
        q?.kind === a.kind &&
        (a.kind === 'single' ? a.choice < optionCount(q) : a.kind === 'multiple' ? a.choices.every((c) => c < optionCount(q)) : true);
      if (!fits)
        throw new BadRequestError('answer_not_in_quiz', 'An answer names a question or option this quiz does not have; reload the quiz', [
          { path: `answers.${i}`, message: 'not a question or option of this quiz' },
        ]);
    });
    const results = quiz.questions.map((q) => ({ questionId: q.id, correct: isCorrect(q, answers.get(q.id)) }));
    const correctCount = results.filter((r) => r.correct).length;
    // Integers, so a pass mark of exactly the score passes.
    const passed = correctCount * 100 >= quiz.passPercent * quiz.questions.length;
    const attempt = await this.store(quiz, userId, courseId, {
      results,
      scorePercent: scoreOf(correctCount, quiz.questions.length),
      passed,
      submittedAt: new Date(),
    });
    if (passed && this.deps.onQuizPassed) {
      await this.deps.onQuizPassed(userId, courseId).catch((err: unknown) => {
        this.deps.logger.error({ err, courseId, lessonId, userId }, 'the quiz-passed hook failed; the attempt stands');
      });
    }
    return {
      attemptNo: attempt.attemptNo,
      scorePercent: attempt.scorePercent,
      correctCount,
      questionCount: quiz.questions.length,
      passed,
      attemptsLeft: attemptsLeft(quiz.attemptsAllowed, attempt.attemptNo),
      results: quiz.questions.map((q, i) => ({
        questionId: q.id,
        correct: results[i]!.correct,
        rightAnswer: quiz.showAnswers ? rightAnswer(q) : null,
      })),
    };
  }

  /**
   * The next attempt number is taken by an insert under a unique index on (lesson, user,
   * attemptNo): of two concurrent submits one wins it, and the other counts again, so the
   * limit holds without a lock.
   */
  private async store(
    quiz: Quiz,
    userId: string,
    courseId: string,
    outcome: Omit<Attempt, 'lessonId' | 'courseId' | 'userId' | 'attemptNo'>,
  ) {
    for (let i = 0; i < ATTEMPT_TRIES; i++) {
      const previous = await this.deps.quizzes.attemptsOf(quiz.lessonId, userId);
      if (quiz.attemptsAllowed !== null && previous.length >= quiz.attemptsAllowed)
        throw new ConflictError('attempts_exhausted', 'No attempts left at this quiz');
      const attempt: Attempt = {
        ...outcome,
        lessonId: quiz.lessonId,
        courseId,
        userId,
        attemptNo: Math.max(0, ...previous.map((a) => a.attemptNo)) + 1,
      };
      if (await this.deps.quizzes.addAttempt(attempt)) return attempt;
    }
    throw new ConflictError('attempt_conflict', 'Another attempt was being submitted at the same time; try again');
  }

  /** The quiz with its answers, for the course's lecturers and admins. */
  async editable(actor: Actor, courseId: string, lessonId: string): Promise<EditableQuizView> {
    await this.managedQuizLesson(actor, courseId, lessonId);
    return editableView(lessonId, await this.deps.quizzes.get(lessonId));
  }

  /** Replaces the questions and settings; questions sent with their id keep it (and their statistics). */
  async put(actor: Actor, courseId: string, lessonId: string, body: QuizBody): Promise<EditableQuizView> {
    await this.managedQuizLesson(actor, courseId, lessonId);
    const questions: Question[] = body.questions.map((q) => {
      const id = q.id ?? newId();
      switch (q.kind) {
        case 'single':
          return { id, kind: q.kind, text: q.text, options: q.options, correct: q.correct };
        case 'multiple':
          return { id, kind: q.kind, text: q.text, options: q.options, correct: [...q.correct].sort((a, b) => a - b) };
        case 'number':
          return { id, kind: q.kind, text: q.text, answer: q.answer, tolerance: q.tolerance };
        case 'text':
          return { id, kind: q.kind, text: q.text, accepted: q.accepted };
      }
    });
    const quiz: Quiz = {
      lessonId,
      courseId,
      questions,
      passPercent: body.passPercent,
      attemptsAllowed: body.attemptsAllowed,
      showAnswers: body.showAnswers,
      updatedAt: new Date(),
    };
    await this.deps.quizzes.put(quiz);
    return editableView(lessonId, quiz);
  }

  /** Each quiz of the course, each question's success rate over all attempts. */
  async analytics(actor: Actor, courseId: string): Promise<QuizAnalyticsView> {
    if (!has(actor, 'stats:read')) throw new ForbiddenError();
    const course = await this.managed(actor, courseId);
    const quizzes: QuizAnalyticsView['quizzes'] = [];
    for (const lesson of quizLessons(course)) {
      const quiz = await this.deps.quizzes.get(lesson.id);
      const tally = new Map<string, { attempts: number; correct: number }>();
      const learners = new Set<string>();
      const passedLearners = new Set<string>();
      let attempts = 0;
      for await (const a of this.deps.quizzes.allAttempts(lesson.id)) {
        attempts++;
        learners.add(a.userId);
        if (a.passed) passedLearners.add(a.userId);
        for (const r of a.results) {
          const t = tally.get(r.questionId) ?? { attempts: 0, correct: 0 };
          t.attempts++;
          if (r.correct) t.correct++;
          tally.set(r.questionId, t);
        }
      }
      quizzes.push({
        lessonId: lesson.id,
        title: lesson.title,
        attempts,
        learners: learners.size,
        passedLearners: passedLearners.size,
        questions: (quiz?.questions ?? []).map((q) => {
          const t = tally.get(q.id) ?? { attempts: 0, correct: 0 };
          return {
            questionId: q.id,
            text: q.text,
            kind: q.kind,
            attempts: t.attempts,
            correct: t.correct,
            successRate: t.attempts ? Math.round((10000 * t.correct) / t.attempts) / 10000 : null,
          };
        }),
      });
    }
    return { courseId, quizzes };
  }

  /** As the course's lesson page: its enrolled learners, and its lecturers and admins. */
  private async reader(actor: Actor, courseId: string, lessonId: string) {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    const course = await this.visible(actor, courseId);
    const enrolled = await this.deps.enrolments.isEnrolled(courseId, actor.userId);
    if (!manages(actor, course) && !enrolled) throw new ForbiddenError('not_enrolled', 'Enrol in the course to take its quizzes');
    return { course, lesson: quizLessonOf(course, lessonId), userId: actor.userId, enrolled };
  }

  private async managedQuizLesson(actor: Actor, courseId: string, lessonId: string): Promise<Lesson> {
    return quizLessonOf(await this.managed(actor, courseId), lessonId);
  }

  private async visible(actor: Actor, id: string): Promise<Course> {
    const course = await this.deps.courses.get(id);
    if (!course || (!course.published && !manages(actor, course))) throw new NotFoundError('course_not_found', 'No such course');
    return course;
  }

  // The course rules of CourseService.managed, which keeps its own private.
  private async managed(actor: Actor, id: string): Promise<Course> {
    if (actor.kind !== 'user') throw new UnauthorizedError();
    if (!has(actor, 'courses:manage')) throw new ForbiddenError();
    const course = await this.visible(actor, id);
    if (!manages(actor, course)) throw new ForbiddenError('not_own_course', 'Only the course’s lecturers or an admin may do this');
    return course;
  }
}

function manages(actor: Actor, course: Course): boolean {
  return isAdmin(actor) || (has(actor, 'courses:manage') && actor.kind === 'user' && course.ownerIds.includes(actor.userId));
}

export function quizLessons(course: Course): Lesson[] {
  return course.modules.flatMap((m) => m.lessons.filter((l) => l.kind === 'quiz'));
}

function quizLessonOf(course: Course, lessonId: string): Lesson {
  const lesson = quizLessons(course).find((l) => l.id === lessonId);
  if (!lesson) throw new NotFoundError('quiz_not_found', 'No such quiz in this course');
  return lesson;
}

function optionCount(q: Question): number {
  return q.kind === 'single' || q.kind === 'multiple' ? q.options.length : 0;
}

function attemptsLeft(allowed: number | null, used: number): number | null {
  return allowed === null ? null : Math.max(0, allowed - used);
}

function rightAnswer(q: Question): RightAnswerView {
  switch (q.kind) {
    case 'single':
      return { kind: 'single', choice: q.correct };
    case 'multiple':
      return { kind: 'multiple', choices: q.correct };
    case 'number':
      return { kind: 'number', answer: q.answer, tolerance: q.tolerance };
    case 'text':
      return { kind: 'text', accepted: q.accepted };
  }
}

function editableView(lessonId: string, quiz: Quiz | null): EditableQuizView {
  const settings = quiz ?? DEFAULT_SETTINGS;
  return {
    lessonId,
    passPercent: settings.passPercent,
    attemptsAllowed: settings.attemptsAllowed,
    showAnswers: settings.showAnswers,
    questions: quiz?.questions ?? [],
  };
}

function newId(): string {
  return randomBytes(9).toString('base64url');
}
