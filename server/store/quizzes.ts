import { Schema, type Connection, type Model } from 'mongoose';
import type { Attempt, Question, Quiz, QuizRepository } from '../quizzes/model';
import { isDuplicateKey } from './mongo-errors';
import type { WriteGate } from './write-gate';

// A quiz's questions are a document of their own under the lesson's id (never part of the course
// document that learners are served), and each attempt is one document.

interface QuizDoc extends Omit<Quiz, 'lessonId'> {
  _id: string;
}

const questionSchema = new Schema(
  {
    id: String,
    kind: String,
    text: String,
    options: { type: [String], default: undefined },
    // A number for a single-choice question, the indexes for a multiple-choice one.
    correct: Schema.Types.Mixed,
    answer: Number,
    tolerance: Number,
    accepted: { type: [String], default: undefined },
  },
  { _id: false },
);
const quizSchema = new Schema<QuizDoc>(
  {
    _id: String,
    courseId: String,
    questions: [questionSchema],
    passPercent: Number,
    attemptsAllowed: { type: Number, default: null },
    showAnswers: Boolean,
    updatedAt: Date,
  },
  { versionKey: false },
);

const attemptSchema = new Schema<Attempt>(
  {
    lessonId: String,
    courseId: String,
    userId: String,
    attemptNo: Number,
    results: [new Schema({ questionId: String, correct: Boolean }, { _id: false })],
    scorePercent: Number,
    passed: Boolean,
    submittedAt: Date,
  },
  { versionKey: false },
);
// One document per attempt number: the insert that loses a race for a number fails here, which
// is what keeps the attempt limit under concurrent submits (on MongoDB and FerretDB alike).
attemptSchema.index({ lessonId: 1, userId: 1, attemptNo: 1 }, { unique: true });
attemptSchema.index({ lessonId: 1, passed: 1 });

function model<T>(connection: Connection, name: string, schema: Schema<T>, collection: string): Model<T> {
  return (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema, collection);
}

/** The question as stored, with only the fields of its kind. */
function question(q: Record<string, unknown>): Question {
  const base = { id: String(q.id), text: String(q.text) };
  switch (q.kind) {
    case 'single':
      return { ...base, kind: 'single', options: q.options as string[], correct: Number(q.correct) };
    case 'multiple':
      return { ...base, kind: 'multiple', options: q.options as string[], correct: (q.correct as number[]).map(Number) };
    case 'number':
      return { ...base, kind: 'number', answer: Number(q.answer), tolerance: Number(q.tolerance ?? 0) };
    default:
      return { ...base, kind: 'text', accepted: q.accepted as string[] };
  }
}

export class MongoQuizRepository implements QuizRepository {
  private constructor(
    private readonly quizzes: Model<QuizDoc>,
    private readonly attempts: Model<Attempt>,
    private readonly gate: WriteGate,
  ) {}

  static create(connection: Connection, gate: WriteGate): MongoQuizRepository {
    return new MongoQuizRepository(
      model(connection, 'Quiz', quizSchema, 'course_quizzes'),
      model(connection, 'QuizAttempt', attemptSchema, 'course_quiz_attempts'),
      gate,
    );
  }

  ensureIndexes(): Promise<unknown> {
    return Promise.all([this.quizzes.createIndexes(), this.attempts.createIndexes()]);
  }

  async get(lessonId: string): Promise<Quiz | null> {
    const doc = await this.quizzes.findById(lessonId).lean();
    if (!doc) return null;
    const { _id, questions, ...rest } = doc;
    return { ...rest, lessonId: _id, attemptsAllowed: rest.attemptsAllowed ?? null, questions: questions.map((q) => question(q)) };
  }

  async put(quiz: Quiz): Promise<void> {
    const { lessonId, ...rest } = quiz;
    await this.gate.run(`quiz:${lessonId}`, () => this.quizzes.replaceOne({ _id: lessonId }, rest, { upsert: true }));
  }

  async attemptsOf(lessonId: string, userId: string): Promise<Attempt[]> {
    const docs = await this.attempts.find({ lessonId, userId }, { _id: 0 }).sort({ attemptNo: 1 }).lean();
    return docs.map((d) => ({ ...d, results: d.results.map((r) => ({ questionId: r.questionId, correct: r.correct })) }));
  }

  async addAttempt(attempt: Attempt): Promise<boolean> {
    try {
      await this.attempts.create(attempt);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async passed(lessonIds: string[], userIds: string[]): Promise<Array<{ userId: string; lessonId: string }>> {
    const docs = await this.attempts
      .find({ lessonId: { $in: lessonIds }, userId: { $in: userIds }, passed: true }, { _id: 0, userId: 1, lessonId: 1 })
      .lean();
    return docs.map((d) => ({ userId: d.userId, lessonId: d.lessonId }));
  }

  async *allAttempts(lessonId: string): AsyncIterable<Pick<Attempt, 'userId' | 'passed' | 'results'>> {
    // A cursor: a quiz of thousands of attempts is counted without holding them all.
    for await (const d of this.attempts.find({ lessonId }, { _id: 0, userId: 1, passed: 1, results: 1 }).lean().cursor()) {
      yield { userId: d.userId, passed: d.passed, results: d.results };
    }
  }
}
