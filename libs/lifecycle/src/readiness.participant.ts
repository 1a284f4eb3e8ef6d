import { Injectable, type OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ShutdownPhase } from './shutdown-phase';
import { ShutdownCoordinator } from './shutdown.coordinator';

/** The first shutdown step: readiness is already 503; wait the grace delay before intake stops. */
@Injectable()
export class ReadinessGraceParticipant implements OnModuleInit {
  constructor(private readonly coordinator: ShutdownCoordinator) {}

  onModuleInit(): void {
    this.coordinator.register({
      name: 'readiness grace delay',
      phase: ShutdownPhase.Readiness,
      run: () => sleep(this.coordinator.graceMs),
    });
  }
}
