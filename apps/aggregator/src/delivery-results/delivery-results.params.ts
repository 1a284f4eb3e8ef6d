import { deliveryResultInput, fieldIssues } from '@lib/contracts';
import { BadInputException } from '@lib/platform';
import { z } from 'zod';
import { decodeMessageCursor } from './delivery-results.cursor';

/** Messages per page of `GET /v1/delivery-results?requestId=` when `limit` is absent, and the bounds. */
export const BY_REQUEST_LIMIT = { default: 100, min: 1, max: 500 } as const;

const limit = () => {
  const message = `must be an integer between ${BY_REQUEST_LIMIT.min} and ${BY_REQUEST_LIMIT.max}`;
  return z
    .string({ message })
    .regex(/^\d{1,9}$/, { message })
    .transform(Number)
    .pipe(z.number().min(BY_REQUEST_LIMIT.min, { message }).max(BY_REQUEST_LIMIT.max, { message }));
};

const cursor = () =>
  z.string({ message: 'must be a string' }).transform((value, context) => {
    const messageId = decodeMessageCursor(value);
    if (messageId === undefined)
      context.addIssue({ code: 'custom', message: 'is not a cursor returned by this service' });
    return messageId as string;
  });

const messagePath = z.object({ messageId: deliveryResultInput.shape.messageId });

const byRequestQuery = z.strictObject({
  requestId: deliveryResultInput.shape.requestId.unwrap(),
  limit: limit().default(BY_REQUEST_LIMIT.default),
  cursor: cursor().optional(),
});

/** `GET /v1/delivery-results?requestId=&limit=&cursor=`, validated. */
export interface ByRequestParams {
  readonly requestId: string;
  readonly limit: number;
  /** Messages after this id (the previous page's last). */
  readonly after?: string;
}

function parse<T extends z.ZodType>(schema: T, input: Record<string, unknown>): z.output<T> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new BadInputException(fieldIssues(result.error, input ?? {}));
  return result.data;
}

/** The message id of `GET /v1/delivery-results/:messageId`: throws {@link BadInputException} (400). */
export function parseMessageId(path: Record<string, unknown>): string {
  return parse(messagePath, path).messageId;
}

/** `GET /v1/delivery-results?requestId=`: throws {@link BadInputException} (400 with details). */
export function parseByRequestParams(query: Record<string, unknown>): ByRequestParams {
  const data = parse(byRequestQuery, query);
  return { requestId: data.requestId, limit: data.limit, after: data.cursor };
}
