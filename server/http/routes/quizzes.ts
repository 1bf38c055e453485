import { z } from 'zod';
import type { QuizService } from '../../quizzes/service';
import { attemptBody, attemptResultView, editableQuizView, idParams, learnerQuizView, quizAnalyticsView, quizBody } from '../../protocol';
import { route, type RouteSpec } from '../route';

const lessonParams = idParams.extend({ lessonId: z.string().regex(/^[A-Za-z0-9_-]{6,40}$/, 'must be a lesson id') });

/** Quiz reads per user: a learner opens a quiz a few times a minute; a script is cut off. */
const QUIZ_READS = { name: 'quiz-read', points: 60, durationSeconds: 60 };
/** Submits per user: a person answers in minutes; this stops guessing answers by brute force. */
const QUIZ_SUBMITS = { name: 'quiz-submit', points: 10, durationSeconds: 60 };
/** The builder's quiz calls per lecturer. */
const QUIZ_EDITS = { name: 'quiz-edit', points: 120, durationSeconds: 60 };

const readerErrors = { 403: ['not_enrolled'], 404: ['course_not_found', 'quiz_not_found'], 429: ['rate_limited'] } as const;
const ownerErrors = { 403: ['not_own_course'], 404: ['course_not_found', 'quiz_not_found'], 429: ['rate_limited'] } as const;

/** Quizzes (issue 16): learners take them; the course's lecturers and admins write them and read their success rates. */
export function quizRoutes(quizzes: QuizService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/courses/:id/lessons/:lessonId/quiz',
      tag: 'quizzes',
      access: 'user',
      summary: 'A quiz as its learner takes it: questions and options without any answer, the settings and the caller’s attempts',
      params: lessonParams,
      response: learnerQuizView,
      errors: readerErrors,
      rateLimit: QUIZ_READS,
      handler: ({ actor, params }) => quizzes.forLearner(actor, params.id, params.lessonId),
    }),
    route({
      method: 'post',
      path: '/courses/:id/lessons/:lessonId/quiz/attempts',
      tag: 'quizzes',
      access: 'user',
      status: 201,
      summary:
        'Submit answers: checked here and stored as an attempt; the result has the score, pass or fail, the attempts left and, where the quiz shows them, the right answers',
      params: lessonParams,
      body: attemptBody,
      response: attemptResultView,
      errors: {
        ...readerErrors,
        400: ['answer_not_in_quiz'],
        409: ['quiz_not_ready', 'attempts_exhausted', 'attempt_conflict'],
      },
      rateLimit: QUIZ_SUBMITS,
      handler: ({ actor, params, body }) => quizzes.submit(actor, params.id, params.lessonId, body),
    }),
    route({
      method: 'get',
      path: '/courses/:id/lessons/:lessonId/quiz/edit',
      tag: 'quizzes',
      access: 'courses:manage',
      summary: 'A quiz with its right answers, as the course builder edits it',
      params: lessonParams,
      response: editableQuizView,
      errors: ownerErrors,
      rateLimit: QUIZ_EDITS,
      handler: ({ actor, params }) => quizzes.editable(actor, params.id, params.lessonId),
    }),
    route({
      method: 'put',
      path: '/courses/:id/lessons/:lessonId/quiz',
      tag: 'quizzes',
      access: 'courses:manage',
      summary: 'Replace a quiz lesson’s questions and settings; questions sent with their id keep it and their success rates',
      params: lessonParams,
      body: quizBody,
      response: editableQuizView,
      errors: ownerErrors,
      rateLimit: QUIZ_EDITS,
      handler: ({ actor, params, body }) => quizzes.put(actor, params.id, params.lessonId, body),
    }),
    route({
      method: 'get',
      path: '/courses/:id/quiz-analytics',
      tag: 'analytics',
      access: 'stats:read',
      summary: 'Each quiz of the course: attempts, learners who passed, and each question’s success rate (share of attempts right)',
      params: idParams,
      response: quizAnalyticsView,
      errors: { 403: ['not_own_course'], 404: ['course_not_found'], 429: ['rate_limited'] },
      rateLimit: { name: 'quiz-analytics', points: 60, durationSeconds: 60 },
      handler: ({ actor, params }) => quizzes.analytics(actor, params.id),
    }),
  ];
}
