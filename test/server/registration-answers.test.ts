import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../server/errors';
import { checkAnswers } from '../../server/seminars/answers';

const question = (id: string, required: boolean) => ({ id, label: 'Компания', kind: 'text' as const, required, options: [] });

describe('registration answers', () => {
  it('reads only the answers given: a question id that names an Object property is no answer', () => {
    for (const id of ['constructor', 'tostring', 'valueof']) {
      expect(checkAnswers([question(id, false)], {})).toEqual({});
      let refused: unknown;
      try {
        checkAnswers([question(id, true)], {});
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(BadRequestError);
      expect((refused as BadRequestError).code).toBe('invalid_answers');
    }
    expect(checkAnswers([question('constructor', true)], { constructor: ' ООО «Ромашка» ' })).toEqual({ constructor: 'ООО «Ромашка»' });
  });
});
