import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { EventIntakeService, type IntakeReceipt } from './event-intake.service';

/** The five intake routes of CONTRACT.md; each takes one event or an array of 1–1000. */
@Controller('v1')
export class IntakeController {
  constructor(private readonly intake: EventIntakeService) {}

  @Post('page-views')
  @HttpCode(HttpStatus.ACCEPTED)
  pageViews(@Body() body: unknown): Promise<IntakeReceipt> {
    return this.intake.accept('page-views', body);
  }

  @Post('orders')
  @HttpCode(HttpStatus.ACCEPTED)
  orders(@Body() body: unknown): Promise<IntakeReceipt> {
    return this.intake.accept('orders', body);
  }

  @Post('ticks')
  @HttpCode(HttpStatus.ACCEPTED)
  ticks(@Body() body: unknown): Promise<IntakeReceipt> {
    return this.intake.accept('ticks', body);
  }

  @Post('logs')
  @HttpCode(HttpStatus.ACCEPTED)
  logs(@Body() body: unknown): Promise<IntakeReceipt> {
    return this.intake.accept('app-logs', body);
  }

  @Post('delivery-results')
  @HttpCode(HttpStatus.ACCEPTED)
  deliveryResults(@Body() body: unknown): Promise<IntakeReceipt> {
    return this.intake.accept('delivery-results', body);
  }
}
