import { Controller, Get, Param, Query } from '@nestjs/common';
import { parseCandlesParams } from './candles.params';
import { CandlesQuery, type CandleView } from './candles.query';

/** `GET /v1/candles/:symbol?interval=1m&from=&to=` (docs/contract.md). */
@Controller('v1/candles')
export class CandlesController {
  constructor(private readonly query: CandlesQuery) {}

  /** The symbol's candles starting in [from, to] (default: the 24 h before now), oldest first. */
  @Get(':symbol')
  candles(
    @Param() path: Record<string, unknown>,
    @Query() query: Record<string, unknown>,
  ): Promise<CandleView[]> {
    const params = parseCandlesParams(path, query);
    return this.query.candles(params.symbol, params.from, params.to);
  }
}
