import { Module } from '@nestjs/common';
import { EventIntakeService } from './event-intake.service';
import { IntakeController } from './intake.controller';

/** HTTP intake: validation and publishing of the five event kinds. */
@Module({
  controllers: [IntakeController],
  providers: [EventIntakeService],
})
export class IntakeModule {}
