/**
 * The field rules of docs/contract.md (ingest) as data: for each route a valid base event, variants
 * that must be accepted (boundaries) and variants that must be refused naming one field.
 * A patch value of `undefined` removes the field (JSON.stringify drops it).
 */

/** One variant of a route's base event. */
export interface FieldCase {
  readonly name: string;
  readonly patch: Record<string, unknown>;
}

/** A variant that must be answered 400 naming `field` in `details`. */
export interface BadFieldCase extends FieldCase {
  readonly field: string;
  /** Expected `problem` text when it matters (missing, unknown); otherwise any non-empty text. */
  readonly problem?: string | RegExp;
}

/** The rules of one intake route. */
export interface RouteRules {
  /** Path under the app's URL, e.g. `/v1/page-views`. */
  readonly path: string;
  /** The stream the route publishes to. */
  readonly stream: string;
  /** The payload field that is the message key (docs/contract.md, streams). */
  readonly keyField: string;
  readonly base: Record<string, unknown>;
  readonly valid: FieldCase[];
  readonly invalid: BadFieldCase[];
}

const MISSING = 'is required';
const CONTROL_CHARS = {
  bell: 'a\u0007b',
  nul: '\u0000x',
  del: 'x\u007f',
  c1: 'x\u0085',
  newline: 'a\nb',
  tab: 'a\tb',
};
const WRONG_TYPES: Array<[string, unknown]> = [
  ['number', 7],
  ['null', null],
  ['boolean', true],
  ['array', ['a']],
  ['object', { a: 1 }],
];

/** Refusals for a required identifier of 1–`max` characters without control characters. */
function identifierCases(field: string, max: number, required: boolean): BadFieldCase[] {
  const cases: BadFieldCase[] = [
    { name: `${field} empty`, patch: { [field]: '' }, field },
    { name: `${field} of ${max + 1} characters`, patch: { [field]: 'x'.repeat(max + 1) }, field },
    ...Object.entries(CONTROL_CHARS).map(([what, value]) => ({
      name: `${field} with a control character (${what})`,
      patch: { [field]: value },
      field,
    })),
    ...WRONG_TYPES.map(([what, value]) => ({
      name: `${field} as ${what}`,
      patch: { [field]: value },
      field,
    })),
  ];
  if (required)
    cases.push({
      name: `${field} missing`,
      patch: { [field]: undefined },
      field,
      problem: MISSING,
    });
  return cases;
}

/** Acceptances at an identifier's boundaries. */
function identifierBoundaries(field: string, max: number): FieldCase[] {
  return [
    { name: `${field} of 1 character`, patch: { [field]: 'x' } },
    { name: `${field} of ${max} characters`, patch: { [field]: 'y'.repeat(max) } },
    { name: `${field} with non-ASCII text`, patch: { [field]: 'страница-ü-😀' } },
  ];
}

/**
 * Refusals for a required enum field. A missing enum field is named, but its problem text is the
 * enum's ("must be one of …") rather than "is required": zod 4 reports it as `invalid_value`, which
 * libs/contracts' fieldIssues does not treat as missing (reported, not fixed here).
 */
function enumCases(field: string, wrong: string[]): BadFieldCase[] {
  return [
    ...wrong.map((value) => ({
      name: `${field} ${JSON.stringify(value)}`,
      patch: { [field]: value },
      field,
    })),
    { name: `${field} as number`, patch: { [field]: 1 }, field },
    { name: `${field} missing`, patch: { [field]: undefined }, field },
  ];
}

/** Rules every route shares: eventId, occurredAt and unknown fields. */
const COMMON_INVALID: BadFieldCase[] = [
  ...identifierCases('eventId', 100, false),
  {
    name: 'occurredAt without offset',
    patch: { occurredAt: '2026-01-31T12:00:00' },
    field: 'occurredAt',
  },
  { name: 'occurredAt date only', patch: { occurredAt: '2026-01-31' }, field: 'occurredAt' },
  { name: 'occurredAt as text', patch: { occurredAt: 'yesterday' }, field: 'occurredAt' },
  { name: 'occurredAt as epoch ms', patch: { occurredAt: 1769860800000 }, field: 'occurredAt' },
  {
    name: 'occurredAt with month 13',
    patch: { occurredAt: '2026-13-01T12:00:00Z' },
    field: 'occurredAt',
  },
  { name: 'occurredAt empty', patch: { occurredAt: '' }, field: 'occurredAt' },
  {
    name: 'an unknown field',
    patch: { colour: 'red' },
    field: 'colour',
    problem: 'is not a known field',
  },
];

const COMMON_VALID: FieldCase[] = [
  ...identifierBoundaries('eventId', 100),
  { name: 'occurredAt with Z', patch: { occurredAt: '2026-01-31T12:00:00Z' } },
  { name: 'occurredAt with +02:00', patch: { occurredAt: '2026-01-31T12:00:00+02:00' } },
  {
    name: 'occurredAt with -05:30 and milliseconds',
    patch: { occurredAt: '2026-01-31T12:00:00.123-05:30' },
  },
];

const PAGE_VIEWS: RouteRules = {
  path: '/v1/page-views',
  stream: 'page-views',
  keyField: 'pageId',
  base: { pageId: 'home' },
  valid: [...identifierBoundaries('pageId', 200), ...identifierBoundaries('visitorId', 200)],
  invalid: [...identifierCases('pageId', 200, true), ...identifierCases('visitorId', 200, false)],
};

const ORDERS: RouteRules = {
  path: '/v1/orders',
  stream: 'orders',
  keyField: 'storeId',
  base: { orderId: 'o-1', storeId: 's-1', productId: 'p-1', quantity: 1, amount: 0 },
  valid: [
    ...['orderId', 'storeId', 'productId'].flatMap((f) => identifierBoundaries(f, 100)),
    { name: 'quantity 1000000', patch: { quantity: 1_000_000 } },
    { name: 'amount 12.34', patch: { amount: 12.34 } },
    { name: 'amount 1e9', patch: { amount: 1e9 } },
  ],
  invalid: [
    ...['orderId', 'storeId', 'productId'].flatMap((f) => identifierCases(f, 100, true)),
    { name: 'quantity 0', patch: { quantity: 0 }, field: 'quantity' },
    { name: 'quantity -1', patch: { quantity: -1 }, field: 'quantity' },
    { name: 'quantity 1.5', patch: { quantity: 1.5 }, field: 'quantity' },
    { name: 'quantity as string', patch: { quantity: '3' }, field: 'quantity' },
    { name: 'quantity null', patch: { quantity: null }, field: 'quantity' },
    { name: 'quantity 1e300', patch: { quantity: 1e300 }, field: 'quantity' },
    {
      name: 'quantity missing',
      patch: { quantity: undefined },
      field: 'quantity',
      problem: MISSING,
    },
    { name: 'amount -0.01', patch: { amount: -0.01 }, field: 'amount' },
    { name: 'amount as string', patch: { amount: '3' }, field: 'amount' },
    { name: 'amount as boolean', patch: { amount: true }, field: 'amount' },
    { name: 'amount missing', patch: { amount: undefined }, field: 'amount', problem: MISSING },
  ],
};

const TICKS: RouteRules = {
  path: '/v1/ticks',
  stream: 'ticks',
  keyField: 'symbol',
  base: { symbol: 'AAPL', price: 1.5, volume: 0 },
  valid: [
    { name: 'symbol "BRK.B"', patch: { symbol: 'BRK.B' } },
    { name: 'symbol of 1 character', patch: { symbol: 'X' } },
    { name: 'symbol of 16 characters', patch: { symbol: 'A1.'.repeat(5) + 'Z' } },
    { name: 'price 0.0001', patch: { price: 0.0001 } },
    { name: 'volume 1000000000', patch: { volume: 1_000_000_000 } },
  ],
  invalid: [
    ...['', 'aapl', 'A'.repeat(17), 'A-B', 'A B', 'ÄPL', 'AAPL\n'].map((symbol) => ({
      name: `symbol ${JSON.stringify(symbol)}`,
      patch: { symbol },
      field: 'symbol',
    })),
    { name: 'symbol as number', patch: { symbol: 12 }, field: 'symbol' },
    { name: 'symbol missing', patch: { symbol: undefined }, field: 'symbol', problem: MISSING },
    { name: 'price 0', patch: { price: 0 }, field: 'price' },
    { name: 'price -1', patch: { price: -1 }, field: 'price' },
    { name: 'price as string', patch: { price: '1' }, field: 'price' },
    { name: 'price missing', patch: { price: undefined }, field: 'price', problem: MISSING },
    { name: 'volume -1', patch: { volume: -1 }, field: 'volume' },
    { name: 'volume 1.5', patch: { volume: 1.5 }, field: 'volume' },
    { name: 'volume as string', patch: { volume: '1' }, field: 'volume' },
    { name: 'volume missing', patch: { volume: undefined }, field: 'volume', problem: MISSING },
  ],
};

const LOGS: RouteRules = {
  path: '/v1/logs',
  stream: 'app-logs',
  keyField: 'service',
  base: { service: 'checkout', kind: 'request', level: 'info', message: 'GET /cart 200' },
  valid: [
    { name: 'kind error', patch: { kind: 'error' } },
    { name: 'kind query', patch: { kind: 'query', durationMs: 12.5 } },
    ...['debug', 'warn', 'error', 'fatal'].map((level) => ({
      name: `level ${level}`,
      patch: { level },
    })),
    { name: 'nested attributes', patch: { attributes: { a: { b: [1, 'x', null] } } } },
    { name: 'durationMs 0', patch: { durationMs: 0 } },
    { name: 'requestId', patch: { requestId: 'r-1' } },
  ],
  invalid: [
    ...identifierCases('service', 100, true),
    ...enumCases('kind', ['audit', 'REQUEST', '']),
    ...enumCases('level', ['verbose']),
    { name: 'message empty', patch: { message: '' }, field: 'message' },
    { name: 'message missing', patch: { message: undefined }, field: 'message', problem: MISSING },
    { name: 'message as number', patch: { message: 5 }, field: 'message' },
    { name: 'requestId empty', patch: { requestId: '' }, field: 'requestId' },
    { name: 'durationMs -1', patch: { durationMs: -1 }, field: 'durationMs' },
    { name: 'durationMs as string', patch: { durationMs: '5' }, field: 'durationMs' },
    { name: 'attributes as array', patch: { attributes: [1] }, field: 'attributes' },
    { name: 'attributes as string', patch: { attributes: 'x' }, field: 'attributes' },
  ],
};

const DELIVERY_RESULTS: RouteRules = {
  path: '/v1/delivery-results',
  stream: 'delivery-results',
  keyField: 'messageId',
  base: { messageId: 'm-1', channel: 'sms', status: 'sent' },
  valid: [
    ...['accepted', 'delivered', 'failed', 'expired'].map((status) => ({
      name: `status ${status}`,
      patch: { status },
    })),
    { name: 'detail and requestId', patch: { detail: 'handset off', requestId: 'req-1' } },
    ...identifierBoundaries('messageId', 100),
  ],
  invalid: [
    ...identifierCases('messageId', 100, true),
    ...enumCases('status', ['lost', 'SENT', '']),
    { name: 'channel empty', patch: { channel: '' }, field: 'channel' },
    { name: 'channel missing', patch: { channel: undefined }, field: 'channel', problem: MISSING },
    { name: 'requestId empty', patch: { requestId: '' }, field: 'requestId' },
    { name: 'detail as number', patch: { detail: 5 }, field: 'detail' },
  ],
};

/** The five routes with their own rules plus the shared ones. */
export const ROUTES: readonly RouteRules[] = [
  PAGE_VIEWS,
  ORDERS,
  TICKS,
  LOGS,
  DELIVERY_RESULTS,
].map((route) => ({
  ...route,
  valid: [...route.valid, ...COMMON_VALID],
  invalid: [...route.invalid, ...COMMON_INVALID],
}));
