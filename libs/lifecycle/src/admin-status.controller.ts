import { Controller, Get, Inject } from '@nestjs/common';
import { APP_NAME } from '@lib/config';
import { ReadinessRegistry } from './readiness.registry';
import { StatusRegistry } from './status.registry';

/** Readiness outcomes younger than this are reused, so a console polling every 2 s costs no probes. */
const READINESS_MAX_AGE_MS = 2_000;

/**
 * `GET /admin/status` of docs/contract.md: the app, whether each dependency is ready, and the
 * sections the libs registered (streams and partitions, work queues, spool).
 */
@Controller('admin/status')
export class AdminStatusController {
  constructor(
    @Inject(APP_NAME) private readonly app: string,
    private readonly readiness: ReadinessRegistry,
    private readonly sections: StatusRegistry,
  ) {}

  @Get()
  async status(): Promise<Record<string, unknown>> {
    const [up, sections] = await Promise.all([
      this.readiness.current(READINESS_MAX_AGE_MS),
      this.sections.snapshot(),
    ]);
    return {
      app: this.app,
      at: new Date().toISOString(),
      ready: [...up.values()].every(Boolean),
      dependencies: Object.fromEntries(up),
      ...sections,
    };
  }
}
