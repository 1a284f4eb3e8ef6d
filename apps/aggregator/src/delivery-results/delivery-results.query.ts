import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { encodeMessageCursor } from './delivery-results.cursor';
import type { ByRequestParams } from './delivery-results.params';
import { DELIVERY_RESULTS_TABLE } from './delivery-results.writer';
import { lifecycleRankSql, type DeliveryStatus } from './delivery-status';

/** One status change of a message. */
export interface DeliveryHistoryEntry {
  readonly status: DeliveryStatus;
  readonly detail: string | null;
  readonly occurredAt: string;
}

/** A message's delivery: its latest status and every status change, oldest first. */
export interface DeliveryResult {
  readonly messageId: string;
  readonly requestId: string | null;
  readonly channel: string;
  readonly status: DeliveryStatus;
  readonly history: DeliveryHistoryEntry[];
}

/** A page of the messages of one request, by message id; `nextCursor` is null on the last page. */
export interface DeliveryResultsPage {
  readonly items: DeliveryResult[];
  readonly nextCursor: string | null;
}

interface Row {
  message_id: string;
  request_id: string | null;
  channel: string;
  status: DeliveryStatus;
  detail: string | null;
  occurred_at: Date;
}

// History order: occurrence time, then lifecycle rank, then receipt order (the identity column).
// The index (message_id, occurred_at, id) serves the lookup; the rank only reorders equal times.
const HISTORY =
  `SELECT message_id, request_id, channel, status, detail, occurred_at FROM ${DELIVERY_RESULTS_TABLE} ` +
  `WHERE message_id = ANY($1::text[]) ` +
  `ORDER BY message_id, occurred_at, ${lifecycleRankSql('status')}, id`;

const MESSAGES_OF_REQUEST =
  `SELECT DISTINCT message_id FROM ${DELIVERY_RESULTS_TABLE} ` +
  'WHERE request_id = $1 AND ($2::text IS NULL OR message_id > $2) ' +
  'ORDER BY message_id LIMIT $3';

/** Reads `delivery_results` as the routes of docs/contract.md answer it. */
@Injectable()
export class DeliveryResultsQuery {
  constructor(private readonly dataSource: DataSource) {}

  /** One message's delivery; 404 when no status of it has been stored. */
  async ofMessage(messageId: string): Promise<DeliveryResult> {
    const [result] = await this.histories([messageId]);
    if (result === undefined)
      throw new NotFoundException(`no delivery result for messageId ${JSON.stringify(messageId)}`);
    return result;
  }

  /** The messages of a request, ordered by message id, one page (keyset on the message id). */
  async ofRequest(params: ByRequestParams): Promise<DeliveryResultsPage> {
    const rows = (await this.dataSource.query(MESSAGES_OF_REQUEST, [
      params.requestId,
      params.after ?? null,
      params.limit + 1,
    ])) as Array<{ message_id: string }>;
    const more = rows.length > params.limit;
    const ids = rows.slice(0, params.limit).map((row) => row.message_id);
    const items = ids.length > 0 ? await this.histories(ids) : [];
    return { items, nextCursor: more ? encodeMessageCursor(ids[ids.length - 1]) : null };
  }

  /** The deliveries of `messageIds` that have any row, in the order of their ids. */
  private async histories(messageIds: readonly string[]): Promise<DeliveryResult[]> {
    const rows = (await this.dataSource.query(HISTORY, [messageIds])) as Row[];
    const results: DeliveryResult[] = [];
    for (let start = 0; start < rows.length;) {
      let end = start;
      while (end < rows.length && rows[end].message_id === rows[start].message_id) end++;
      results.push(toResult(rows.slice(start, end)));
      start = end;
    }
    return results;
  }
}

/** One message's rows, already in history order, as the route's body. */
function toResult(rows: readonly Row[]): DeliveryResult {
  const latest = rows[rows.length - 1];
  // A status change may omit requestId (e.g. one reported by the carrier): take the latest given.
  let requestId: string | null = null;
  for (const row of rows) if (row.request_id !== null) requestId = row.request_id;
  return {
    messageId: latest.message_id,
    requestId,
    channel: latest.channel,
    status: latest.status,
    history: rows.map((row) => ({
      status: row.status,
      detail: row.detail,
      occurredAt: row.occurred_at.toISOString(),
    })),
  };
}
