import { Controller, Get, Param, Query } from '@nestjs/common';
import { parsePageViewsParams, parseTopPagesParams } from './page-views.params';
import { PageViewsQuery, type PageViewsOfDay, type TopPages } from '../storage';

/** `GET /v1/page-views/:pageId` and `GET /v1/page-views` (docs/contract.md). */
@Controller('v1/page-views')
export class PageViewsController {
  constructor(private readonly query: PageViewsQuery) {}

  /** The day's most viewed pages, most viewed first. */
  @Get()
  top(@Query() query: Record<string, unknown>): Promise<TopPages> {
    const params = parseTopPagesParams(query);
    return this.query.top(params.date, params.limit);
  }

  /**
   * Views and unique visitors of one page on one UTC day (default today); zeros when none.
   * A wildcard rather than `:pageId`: Fastify answers 414 for a route parameter over its
   * `maxParamLength` (100 by default, which createHttpApp keeps), but page ids may have 200
   * characters (more once percent-encoded). The wildcard is not limited; its length is checked here.
   */
  @Get('*')
  ofPage(
    @Param('*') pageId: unknown,
    @Query() query: Record<string, unknown>,
  ): Promise<PageViewsOfDay> {
    const params = parsePageViewsParams({ pageId }, query);
    return this.query.ofPage(params.pageId, params.date);
  }
}
