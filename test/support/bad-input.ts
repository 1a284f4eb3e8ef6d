import { BadInputException, type FieldProblem } from '@lib/platform';

/**
 * The field problems a parameter parser reports: runs `parse` and returns the details of the
 * BadInputException it throws. Any other outcome (another error, or no error) fails the test.
 */
export function badInputProblems(parse: () => unknown): FieldProblem[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof BadInputException) return error.details;
    throw error;
  }
  throw new Error('expected a BadInputException');
}
