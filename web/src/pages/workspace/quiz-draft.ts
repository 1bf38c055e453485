import type { EditableQuizView, QuizBody } from '../../../../server/protocol/quizzes';

// The quiz editor's working copy: what the lecturer typed, as typed (numbers as text, the
// accepted answers one per line), turned into the body of PUT …/quiz only on save.

export type QuestionKind = 'single' | 'multiple' | 'number' | 'text';

export interface DraftQuestion {
  key: string;
  /** Absent until saved. */
  id?: string;
  kind: QuestionKind;
  text: string;
  /** Choice questions. */
  options: string[];
  /** The right options' indexes (one for a single-choice question). */
  correct: number[];
  /** Number questions, as typed ("4,5" or "4.5"). */
  answer: string;
  tolerance: string;
  /** Text questions: one accepted answer a line. */
  accepted: string;
}

export interface DraftQuiz {
  passPercent: string;
  /** '' for unlimited. */
  attemptsAllowed: string;
  showAnswers: boolean;
  questions: DraftQuestion[];
}

let counter = 0;
const newKey = () => `q-new-${++counter}`;

export function blankQuestion(kind: QuestionKind = 'single'): DraftQuestion {
  return { key: newKey(), kind, text: '', options: ['', ''], correct: [0], answer: '', tolerance: '0', accepted: '' };
}

export function draftOf(view: EditableQuizView): DraftQuiz {
  return {
    passPercent: String(view.passPercent),
    attemptsAllowed: view.attemptsAllowed === null ? '' : String(view.attemptsAllowed),
    showAnswers: view.showAnswers,
    questions: view.questions.map((q) => {
      const base = { ...blankQuestion(q.kind), key: q.id, id: q.id, text: q.text };
      switch (q.kind) {
        case 'single':
          return { ...base, options: q.options, correct: [q.correct] };
        case 'multiple':
          return { ...base, options: q.options, correct: q.correct };
        case 'number':
          return { ...base, answer: String(q.answer), tolerance: String(q.tolerance) };
        case 'text':
          return { ...base, accepted: q.accepted.join('\n') };
      }
    }),
  };
}

/** A number as typed, with a decimal comma allowed; what is no number is sent as typed, for the server to name. */
function number(s: string): number | string {
  const n = Number(s.trim().replace(',', '.'));
  return s.trim() !== '' && Number.isFinite(n) ? n : s;
}

/** The body of PUT …/quiz (cast: a field typed wrong is sent as is, and the server's refusal names it). */
export function quizBodyOf(d: DraftQuiz): QuizBody {
  return {
    passPercent: number(d.passPercent),
    attemptsAllowed: d.attemptsAllowed.trim() === '' ? null : number(d.attemptsAllowed),
    showAnswers: d.showAnswers,
    questions: d.questions.map((q) => {
      const id = q.id ? { id: q.id } : {};
      switch (q.kind) {
        case 'single':
          return { ...id, kind: q.kind, text: q.text, options: q.options, correct: q.correct[0] ?? 0 };
        case 'multiple':
          return { ...id, kind: q.kind, text: q.text, options: q.options, correct: q.correct };
        case 'number':
          return { ...id, kind: q.kind, text: q.text, answer: number(q.answer), tolerance: number(q.tolerance || '0') };
        case 'text':
          return { ...id, kind: q.kind, text: q.text, accepted: q.accepted.split('\n').filter((a) => a.trim() !== '') };
      }
    }),
  } as QuizBody;
}
