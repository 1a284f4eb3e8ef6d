import {
  ConflictException,
  Controller,
  HttpCode,
  Post,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  RebuildFailedError,
  RebuildInProgressError,
  RebuildUnavailableError,
} from './rebuild.errors';
import { parseRebuildParams } from './rebuild.params';
import { RebuildService, type RebuildResult } from './rebuild.service';

/** `POST /admin/rebuild?date=YYYY-MM-DD`: recomputes a day's counts from the Kafka log. */
@Controller('admin')
export class RebuildController {
  constructor(private readonly rebuilds: RebuildService) {}

  /**
   * Runs the rebuild and answers when the day has been replaced (200 {@link RebuildResult}).
   * 400 for a missing, malformed or future date; 409 when the broker is not Kafka or a rebuild
   * is already running; 503 when it failed part-way (nothing was changed; run it again).
   */
  @Post('rebuild')
  @HttpCode(200)
  async rebuild(@Query() query: Record<string, unknown>): Promise<RebuildResult> {
    const { date } = parseRebuildParams(query);
    try {
      return await this.rebuilds.rebuild(date);
    } catch (error) {
      if (error instanceof RebuildUnavailableError || error instanceof RebuildInProgressError)
        throw new ConflictException(error.message);
      if (error instanceof RebuildFailedError) throw new ServiceUnavailableException(error.message);
      throw error;
    }
  }
}
