import type { AnswerInput } from '../protocol/quizzes';
import type { Question } from './model';

// Checking answers, on the server only: the browser never has what this compares against.

/** A short text answer as compared: trimmed, inner whitespace collapsed, lower case, ё as е. */
export function normalizeText(s: string): string {
  return s.normalize('NFC').trim().replace(/\s+/gu, ' ').toLocaleLowerCase('ru').replace(/ё/gu, 'е');
}

/**
 * Whether the answer is right. Unanswered or of another kind: wrong. A number within the
 * tolerance counts, both edges included; the tiny margin absorbs binary fractions (0.1 + 0.2).
 */
export function isCorrect(question: Question, answer: AnswerInput | undefined): boolean {
  if (!answer || answer.kind !== question.kind) return false;
  switch (question.kind) {
    case 'single':
      return answer.kind === 'single' && answer.choice === question.correct;
    case 'multiple': {
      if (answer.kind !== 'multiple') return false;
      const picked = new Set(answer.choices);
      return picked.size === question.correct.length && question.correct.every((c) => picked.has(c));
    }
    case 'number': {
      if (answer.kind !== 'number') return false;
      const margin = 1e-9 * Math.max(1, Math.abs(question.answer));
      return Math.abs(answer.value - question.answer) <= question.tolerance + margin;
    }
    case 'text': {
      if (answer.kind !== 'text') return false;
      const given = normalizeText(answer.text);
      return given !== '' && question.accepted.some((a) => normalizeText(a) === given);
    }
  }
}

export function scoreOf(correct: number, total: number): number {
  return total === 0 ? 0 : Math.round((1000 * correct) / total) / 10;
}
