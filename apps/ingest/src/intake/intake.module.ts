import { Module, type DynamicModule } from '@nestjs/common';
import { EventPublisher } from '@lib/queue';
import { SPOOLING_PUBLISHER } from '@lib/spool';
import { EventIntakeService } from './event-intake.service';
import { IntakeRoutes } from './intake.routes';

/** HTTP intake: validation, and publishing through the circuit breaker and local spool. */
@Module({})
export class IntakeModule {
  /** `spool` is the SpoolModule that provides the spooling publisher over the broker's. */
  static register(spool: DynamicModule): DynamicModule {
    return {
      module: IntakeModule,
      imports: [spool],
      providers: [
        EventIntakeService,
        IntakeRoutes,
        { provide: EventPublisher, useExisting: SPOOLING_PUBLISHER },
      ],
    };
  }
}
