import { Controller, Get, Query } from '@nestjs/common';
import { parseLogSearch, parseSlowQuerySearch } from './log-query.params';
import { LogQueryService, type LogPage, type SlowQueryItem } from './log-query.service';

/** `GET /v1/logs` and `GET /v1/logs/slow-queries` (docs/contract.md). */
@Controller('v1/logs')
export class LogsController {
  constructor(private readonly logs: LogQueryService) {}

  /** Stored records matching the filters, newest first, a page at a time. */
  @Get()
  search(@Query() query: Record<string, unknown>): Promise<LogPage> {
    return this.logs.search(parseLogSearch(query));
  }

  /** Slow statements grouped by normalised text, worst p95 first. */
  @Get('slow-queries')
  slowQueries(@Query() query: Record<string, unknown>): Promise<{ items: SlowQueryItem[] }> {
    return this.logs.slowQueries(parseSlowQuerySearch(query, new Date()));
  }
}
