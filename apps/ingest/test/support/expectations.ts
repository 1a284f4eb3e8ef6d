import { expect } from '@jest/globals';
import type { HttpAnswer } from './http';

/** The contract's error body (docs/contract.md, HTTP). */
export interface ErrorAnswer {
  statusCode: number;
  error: string;
  message: string;
  details?: Array<{ field: string; problem: string }>;
}

const ERROR_KEYS = new Set(['statusCode', 'error', 'message', 'details']);

/** Asserts an answer with `status` and the contract's error body, and returns the body. */
export function expectErrorAnswer(answer: HttpAnswer, status: number): ErrorAnswer {
  expect({ status: answer.status, body: answer.body }).toEqual({ status, body: expect.anything() });
  expect(answer.contentType).toMatch(/^application\/json/);
  const body = answer.body as ErrorAnswer;
  expect(Object.keys(body).filter((key) => !ERROR_KEYS.has(key))).toEqual([]);
  expect(body.statusCode).toBe(status);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(0);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  if (body.details !== undefined) {
    expect(Array.isArray(body.details)).toBe(true);
    for (const detail of body.details) {
      expect(Object.keys(detail).sort()).toEqual(['field', 'problem']);
      expect(typeof detail.field).toBe('string');
      expect(typeof detail.problem).toBe('string');
      expect(detail.problem.length).toBeGreaterThan(0);
    }
  }
  return body;
}

/** Asserts a 400 whose `details` name `field` (with `problem`, when given). */
export function expectFieldRefused(
  answer: HttpAnswer,
  field: string,
  problem?: string | RegExp,
): ErrorAnswer {
  const body = expectErrorAnswer(answer, 400);
  expect(body.error).toBe('Bad Request');
  const expected =
    problem === undefined
      ? expect.any(String)
      : problem instanceof RegExp
        ? expect.stringMatching(problem)
        : problem;
  expect(body.details).toEqual(expect.arrayContaining([{ field, problem: expected }]));
  return body;
}

/** The contract's 202 answer. */
export interface Receipt {
  accepted: number;
  eventIds: string[];
}

/** Asserts `202 { accepted: count, eventIds: [count ids] }` and returns the receipt. */
export function expectAccepted(answer: HttpAnswer, count: number): Receipt {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status: 202,
    body: { accepted: count, eventIds: expect.any(Array) },
  });
  const receipt = answer.body as Receipt;
  expect(receipt.eventIds).toHaveLength(count);
  for (const id of receipt.eventIds) expect(typeof id).toBe('string');
  return receipt;
}
