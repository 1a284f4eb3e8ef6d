import { Controller, Get, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseQuoteSymbol, parseStreamParams } from './candles.params';
import { CandlesQuery } from './candles.query';
import type { Quote } from './quote-book';
import { QuoteStreamHub } from './quote-stream.hub';

/** `GET /v1/quotes/stream` (Server-Sent Events) and `GET /v1/quotes/:symbol` (docs/contract.md). */
@Controller('v1/quotes')
export class QuotesController {
  constructor(
    private readonly query: CandlesQuery,
    private readonly hub: QuoteStreamHub,
  ) {}

  /**
   * Live quotes: each event's data is an array of the latest quotes that changed since the
   * previous push (at most every PUSH_INTERVAL_MS), only for `symbols` when given.
   */
  @Get('stream')
  stream(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): void {
    const params = parseStreamParams(query);
    this.hub.open(request, reply, params.symbols);
  }

  /** The symbol's latest stored quote; 404 when no tick of it was stored. */
  @Get(':symbol')
  async quote(@Param() path: Record<string, unknown>): Promise<Quote> {
    const symbol = parseQuoteSymbol(path);
    const quote = await this.query.latestQuote(symbol);
    if (quote === undefined)
      throw new NotFoundException(`no quote for ${symbol}: no tick of this symbol has been stored`);
    return quote;
  }
}
