import { BadRequestError } from '../errors';
import type { RegistrationAnswers, RegistrationQuestion } from '../protocol/workspace';

/**
 * A registrant's answers checked against the seminar's own questions: every required
 * one answered, a choice one of its options, nothing that was not asked. Returns the
 * answers to store (blank ones left out); throws 400 `invalid_answers` with one detail
 * per refused answer, at `answers.<question id>`, so a form can show each in place.
 */
export function checkAnswers(questions: readonly RegistrationQuestion[], answers: RegistrationAnswers): RegistrationAnswers {
  const problems: Array<{ path: string; message: string }> = [];
  const asked = new Map(questions.map((q) => [q.id, q]));
  for (const id of Object.keys(answers)) {
    if (!asked.has(id)) problems.push({ path: `answers.${id}`, message: 'is not a question of this seminar' });
  }
  const kept: RegistrationAnswers = {};
  for (const q of questions) {
    // Own keys only: a question id such as "constructor" must not read the object's prototype.
    const answer = Object.hasOwn(answers, q.id) ? (answers[q.id]?.trim() ?? '') : '';
    if (answer === '') {
      if (q.required) problems.push({ path: `answers.${q.id}`, message: 'is required' });
      continue;
    }
    if (q.kind === 'choice' && !q.options.includes(answer)) {
      problems.push({ path: `answers.${q.id}`, message: 'must be one of the question’s options' });
      continue;
    }
    kept[q.id] = answer;
  }
  if (problems.length > 0) throw new BadRequestError('invalid_answers', 'Some answers are missing or not valid', problems);
  return kept;
}
