import { HttpException, HttpStatus } from '@nestjs/common';

/** One field-level problem in a request. */
export interface FieldProblem {
  readonly field: string;
  readonly problem: string;
}

/** The error body every route answers with (docs/contract.md). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: FieldProblem[];
}

/** 400 with the fields at fault; the filter turns it into the contract's error body. */
export class BadInputException extends HttpException {
  constructor(
    readonly details: FieldProblem[],
    message = details.map((d) => `${d.field}: ${d.problem}`).join('; '),
  ) {
    super(
      { statusCode: HttpStatus.BAD_REQUEST, error: 'Bad Request', message, details },
      HttpStatus.BAD_REQUEST,
    );
  }
}

/** Builds a contract error body. */
export function errorBody(
  statusCode: number,
  message: string,
  details?: FieldProblem[],
): ErrorBody {
  const error = (HttpStatus[statusCode] ?? 'Error')
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
  return details ? { statusCode, error, message, details } : { statusCode, error, message };
}
