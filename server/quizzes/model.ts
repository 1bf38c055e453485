// Quizzes as the domain sees them: no Express, no mongoose. A quiz belongs to a course lesson
// of kind 'quiz' and is stored under that lesson's id, apart from the course document, so that
// the course as learners receive it holds no answer.

export type Question =
  | { id: string; kind: 'single'; text: string; options: string[]; correct: number }
  | { id: string; kind: 'multiple'; text: string; options: string[]; correct: number[] }
  | { id: string; kind: 'number'; text: string; answer: number; tolerance: number }
  | { id: string; kind: 'text'; text: string; accepted: string[] };

export interface Quiz {
  lessonId: string;
  courseId: string;
  questions: Question[];
  passPercent: number;
  /** Null: unlimited. */
  attemptsAllowed: number | null;
  showAnswers: boolean;
  updatedAt: Date;
}

export interface Attempt {
  lessonId: string;
  courseId: string;
  userId: string;
  /** 1, 2, …: unique per (lesson, user), which is what holds the attempt limit under concurrent submits. */
  attemptNo: number;
  /** Per question, in the quiz's order when submitted. */
  results: Array<{ questionId: string; correct: boolean }>;
  scorePercent: number;
  passed: boolean;
  submittedAt: Date;
}

export interface QuizRepository {
  get(lessonId: string): Promise<Quiz | null>;
  put(quiz: Quiz): Promise<void>;
  /** The user's attempts at the quiz, by attempt number. */
  attemptsOf(lessonId: string, userId: string): Promise<Attempt[]>;
  /** False when this attempt number is taken already (a concurrent submit won it). */
  addAttempt(attempt: Attempt): Promise<boolean>;
  /** The (user, lesson) pairs with a passed attempt, among these lessons and users. */
  passed(lessonIds: string[], userIds: string[]): Promise<Array<{ userId: string; lessonId: string }>>;
  /** Every attempt at the quiz, results only, as they are read. */
  allAttempts(lessonId: string): AsyncIterable<Pick<Attempt, 'userId' | 'passed' | 'results'>>;
}
