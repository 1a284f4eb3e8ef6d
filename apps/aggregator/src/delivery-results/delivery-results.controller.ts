import { Controller, Get, Param, Query } from '@nestjs/common';
import { parseByRequestParams, parseMessageId } from './delivery-results.params';
import {
  DeliveryResultsQuery,
  type DeliveryResult,
  type DeliveryResultsPage,
} from './delivery-results.query';

/** `GET /v1/delivery-results/:messageId` and `GET /v1/delivery-results?requestId=` (docs/contract.md). */
@Controller('v1/delivery-results')
export class DeliveryResultsController {
  constructor(private readonly query: DeliveryResultsQuery) {}

  /** The deliveries of one request (`requestId` required), a page of `limit` messages. */
  @Get()
  ofRequest(@Query() query: Record<string, unknown>): Promise<DeliveryResultsPage> {
    return this.query.ofRequest(parseByRequestParams(query));
  }

  /**
   * One message's latest status and history. A wildcard rather than `:messageId`: Fastify answers
   * 414 for a route parameter over `maxParamLength`, and a 100-character message id may be far
   * longer once percent-encoded; its length is checked here instead.
   */
  @Get('*')
  ofMessage(@Param('*') messageId: unknown): Promise<DeliveryResult> {
    return this.query.ofMessage(parseMessageId({ messageId }));
  }
}
