import {
  ConflictException,
  Controller,
  HttpCode,
  Post,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { PublishError } from '@lib/queue';
import {
  ExportAbortedError,
  ExportFailedError,
  ExportInProgressError,
} from './popular-products.errors';
import { PopularProductsExport, type ExportResult } from './popular-products.export';
import { parseExportDate } from './popular-products.params';

/** `POST /admin/jobs/popular-products?date=` (docs/contract.md): runs the export now. */
@Controller('admin/jobs')
export class PopularProductsJobController {
  constructor(private readonly exporter: PopularProductsExport) {}

  /**
   * Runs the export for the day (default today, UTC) and answers when it is done: 200
   * `{ stores, published }`; 409 while a run is going; 503 when the broker or the database failed
   * part-way (a re-run resumes) or the app is shutting down.
   */
  @Post('popular-products')
  @HttpCode(200)
  async run(@Query() query: Record<string, unknown>): Promise<ExportResult> {
    const date = parseExportDate(query);
    try {
      return await this.exporter.run(date);
    } catch (error) {
      if (error instanceof ExportInProgressError) throw new ConflictException(error.message);
      if (error instanceof ExportAbortedError) throw new ServiceUnavailableException(error.message);
      if (error instanceof ExportFailedError) {
        // The cause's text may hold SQL or broker internals: name only the dependency.
        const dependency =
          error.cause instanceof PublishError
            ? 'the broker did not acknowledge a publish'
            : 'a database or broker error';
        throw new ServiceUnavailableException(
          `popular-products export for ${date} stopped after publishing ${error.published} messages (${dependency}); ` +
            'a re-run resumes without republishing what was recorded as published',
        );
      }
      throw error;
    }
  }
}
