import { z } from 'zod';

// Quizzes (issue 16): a quiz is a course lesson of kind 'quiz' whose questions live apart from
// the course, so that nothing a learner receives before submitting holds a correct answer.
// What lecturers edit (quizBody, editableQuizView) carries the answers; what learners get
// (learnerQuizView) never does; an attempt's result shows them only when the quiz allows.

/** A question's id: stable across edits, so that attempts and success rates follow it. */
export const quizQuestionId = z.string().regex(/^[A-Za-z0-9_-]{4,40}$/, 'must be a question id');
const questionText = z.string().trim().min(1).max(2000);
const option = z.string().trim().min(1).max(300);
const options = z.array(option).min(2).max(10);

/** At most this many questions in a quiz. */
export const QUESTIONS_MAX = 50;

const singleQuestion = z.object({
  id: quizQuestionId.optional(),
  kind: z.literal('single'),
  text: questionText,
  options,
  correct: z.number().int().min(0).max(9).meta({ description: 'The index of the one right option' }),
});
const multipleQuestion = z.object({
  id: quizQuestionId.optional(),
  kind: z.literal('multiple'),
  text: questionText,
  options,
  correct: z
    .array(z.number().int().min(0).max(9))
    .min(1)
    .max(10)
    .refine((c) => new Set(c).size === c.length, 'must not repeat an option')
    .meta({ description: 'The indexes of the right options: an answer is right when it picks exactly these' }),
});
const numberQuestion = z.object({
  id: quizQuestionId.optional(),
  kind: z.literal('number'),
  text: questionText,
  answer: z.number().min(-1e12).max(1e12),
  tolerance: z
    .number()
    .min(0)
    .max(1e12)
    .default(0)
    .meta({ description: 'An answer within ± this of `answer` is right (both edges included)' }),
});
const textQuestion = z.object({
  id: quizQuestionId.optional(),
  kind: z.literal('text'),
  text: questionText,
  accepted: z
    .array(z.string().trim().min(1).max(200))
    .min(1)
    .max(20)
    .meta({ description: 'Right answers; compared trimmed, case- and ё/е-insensitive, with inner whitespace collapsed' }),
});

export const questionInput = z
  .discriminatedUnion('kind', [singleQuestion, multipleQuestion, numberQuestion, textQuestion])
  .refine(
    (q) =>
      q.kind === 'number' || q.kind === 'text' || (Array.isArray(q.correct) ? q.correct : [q.correct]).every((i) => i < q.options.length),
    { message: 'must name one of the options', path: ['correct'] },
  );
export type QuestionInput = z.infer<typeof questionInput>;

const quizSettings = {
  passPercent: z.number().int().min(0).max(100).meta({ description: 'The score, in percent of the questions, that passes' }),
  attemptsAllowed: z.number().int().min(1).max(100).nullable().meta({ description: 'Null: unlimited' }),
  showAnswers: z.boolean().meta({ description: 'Whether an attempt’s result shows the right answers' }),
};

export const quizBody = z.object({
  ...quizSettings,
  questions: z
    .array(questionInput)
    .min(1)
    .max(QUESTIONS_MAX)
    .refine((qs) => {
      const ids = qs.flatMap((q) => (q.id ? [q.id] : []));
      return new Set(ids).size === ids.length;
    }, 'must not repeat a question id'),
});
export type QuizBody = z.infer<typeof quizBody>;

export const editableQuestionView = z.discriminatedUnion('kind', [
  singleQuestion.extend({ id: quizQuestionId }),
  multipleQuestion.extend({ id: quizQuestionId }),
  numberQuestion.extend({ id: quizQuestionId, tolerance: z.number() }),
  textQuestion.extend({ id: quizQuestionId }),
]);
export type EditableQuestionView = z.infer<typeof editableQuestionView>;
export const editableQuizView = z.object({
  lessonId: z.string(),
  ...quizSettings,
  questions: z.array(editableQuestionView).meta({ description: 'Empty until the quiz is first saved' }),
});
export type EditableQuizView = z.infer<typeof editableQuizView>;

/** A question as a learner sees it before answering: its text and options, nothing of the answer. */
export const learnerQuestionView = z.object({
  id: quizQuestionId,
  kind: z.enum(['single', 'multiple', 'number', 'text']),
  text: z.string(),
  options: z.array(z.string()).nullable().meta({ description: 'The options of a choice question; null for others' }),
});
export const attemptSummaryView = z.object({
  attemptNo: z.number().int(),
  scorePercent: z.number(),
  passed: z.boolean(),
  submittedAt: z.iso.datetime(),
});
export const learnerQuizView = z.object({
  lessonId: z.string(),
  title: z.string(),
  passPercent: z.number(),
  attemptsAllowed: z.number().nullable(),
  showAnswers: z.boolean(),
  attemptsUsed: z.number().int(),
  attemptsLeft: z.number().int().nullable().meta({ description: 'Null: unlimited' }),
  passed: z.boolean().meta({ description: 'Whether any of the caller’s attempts passed' }),
  attempts: z.array(attemptSummaryView),
  questions: z.array(learnerQuestionView).meta({ description: 'Empty while the lecturer has not written the quiz yet' }),
});
export type LearnerQuizView = z.infer<typeof learnerQuizView>;

/** One answer of an attempt; a question left unanswered counts as wrong. */
export const answerInput = z.discriminatedUnion('kind', [
  z.object({ questionId: quizQuestionId, kind: z.literal('single'), choice: z.number().int().min(0).max(9) }),
  z.object({
    questionId: quizQuestionId,
    kind: z.literal('multiple'),
    choices: z
      .array(z.number().int().min(0).max(9))
      .max(10)
      .refine((c) => new Set(c).size === c.length, 'must not repeat an option'),
  }),
  z.object({ questionId: quizQuestionId, kind: z.literal('number'), value: z.number().min(-1e15).max(1e15) }),
  z.object({ questionId: quizQuestionId, kind: z.literal('text'), text: z.string().max(200) }),
]);
export type AnswerInput = z.infer<typeof answerInput>;
export const attemptBody = z.object({
  answers: z
    .array(answerInput)
    .max(QUESTIONS_MAX)
    .refine((as) => new Set(as.map((a) => a.questionId)).size === as.length, 'must answer each question at most once'),
});
export type AttemptBody = z.infer<typeof attemptBody>;

/** The right answer, in an attempt's result where the quiz shows them. */
export const rightAnswerView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('single'), choice: z.number().int() }),
  z.object({ kind: z.literal('multiple'), choices: z.array(z.number().int()) }),
  z.object({ kind: z.literal('number'), answer: z.number(), tolerance: z.number() }),
  z.object({ kind: z.literal('text'), accepted: z.array(z.string()) }),
]);
export type RightAnswerView = z.infer<typeof rightAnswerView>;
export const attemptResultView = z.object({
  attemptNo: z.number().int(),
  scorePercent: z.number(),
  correctCount: z.number().int(),
  questionCount: z.number().int(),
  passed: z.boolean(),
  attemptsLeft: z.number().int().nullable().meta({ description: 'Null: unlimited' }),
  results: z.array(
    z.object({
      questionId: quizQuestionId,
      correct: z.boolean(),
      rightAnswer: rightAnswerView.nullable().meta({ description: 'Null unless the quiz shows the right answers after submitting' }),
    }),
  ),
});
export type AttemptResultView = z.infer<typeof attemptResultView>;

/** Each quiz's questions with their success rate: the share of attempts that answered them right. */
export const quizAnalyticsView = z.object({
  courseId: z.string(),
  quizzes: z.array(
    z.object({
      lessonId: z.string(),
      title: z.string(),
      attempts: z.number().int(),
      learners: z.number().int().meta({ description: 'Learners with at least one attempt' }),
      passedLearners: z.number().int(),
      questions: z.array(
        z.object({
          questionId: quizQuestionId,
          text: z.string(),
          kind: learnerQuestionView.shape.kind,
          attempts: z.number().int().meta({ description: 'Attempts that had this question' }),
          correct: z.number().int(),
          successRate: z.number().nullable().meta({ description: 'correct / attempts, 0–1; null with no attempt yet' }),
        }),
      ),
    }),
  ),
});
export type QuizAnalyticsView = z.infer<typeof quizAnalyticsView>;
