import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { APP_NAME, type ConfigOf } from '@lib/config';
import { lifecycleConfig } from './lifecycle.config';
import { ShutdownPhase } from './shutdown-phase';

/** Time a participant gets even when the overall timeout has already passed. */
const MIN_PARTICIPANT_MS = 1_000;

/** One step of the shutdown, run in its phase. */
export interface ShutdownParticipant {
  /** Shown in logs, in particular when it does not finish in time. */
  readonly name: string;
  readonly phase: ShutdownPhase;
  run(): Promise<void> | void;
}

/** How a shutdown went: clean when every participant finished in time without an error. */
export interface ShutdownOutcome {
  readonly clean: boolean;
  /** Participants that were still running at the shutdown timeout. */
  readonly unfinished: readonly string[];
  /** Participants that threw. */
  readonly failed: readonly string[];
  readonly durationMs: number;
}

/**
 * Runs registered participants phase by phase on shutdown. It runs from Nest's
 * `beforeApplicationShutdown`, and libs register here instead of using `onModuleDestroy`,
 * because Nest destroys modules in an order that has nothing to do with data flow.
 */
@Injectable()
export class ShutdownCoordinator implements BeforeApplicationShutdown {
  private readonly logger: Logger;
  private readonly participants: ShutdownParticipant[] = [];
  private running?: Promise<void>;
  private stopping = false;
  private readonly unfinished: string[] = [];
  private readonly failed: string[] = [];
  private result?: ShutdownOutcome;

  constructor(
    @Inject(lifecycleConfig.token) private readonly config: ConfigOf<typeof lifecycleConfig>,
    @Inject(APP_NAME) appName: string,
  ) {
    // Apps may share a process (npm start), and Nest's logger is process-wide: name the app here.
    this.logger = new Logger(`${appName} shutdown`);
  }

  /** Adds a participant; the returned function removes it again. */
  register(participant: ShutdownParticipant): () => void {
    this.participants.push(participant);
    return () => {
      const index = this.participants.indexOf(participant);
      if (index >= 0) this.participants.splice(index, 1);
    };
  }

  /** True from the moment shutdown begins; readiness reports 503 from then on. */
  get isShuttingDown(): boolean {
    return this.stopping;
  }

  /** The configured grace delay, for the readiness participant. */
  get graceMs(): number {
    return this.config.SHUTDOWN_GRACE_MS;
  }

  /** SHUTDOWN_TIMEOUT_MS, for a process-level hard limit. */
  get timeoutMs(): number {
    return this.config.SHUTDOWN_TIMEOUT_MS;
  }

  /** How the shutdown went, once it has finished; undefined before. */
  get outcome(): ShutdownOutcome | undefined {
    return this.result;
  }

  /** Runs every phase once; later calls wait for the first. */
  shutdown(reason = 'shutdown'): Promise<void> {
    this.running ??= this.runPhases(reason);
    return this.running;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    await this.shutdown(signal ?? 'close');
  }

  private async runPhases(reason: string): Promise<void> {
    this.stopping = true;
    const started = Date.now();
    const deadline = started + this.config.SHUTDOWN_TIMEOUT_MS;
    this.logger.log(`shutting down (${reason})`);
    const phases = [...new Set(this.participants.map((p) => p.phase))].sort((a, b) => a - b);
    for (const phase of phases) {
      const members = this.participants.filter((p) => p.phase === phase);
      await Promise.all(members.map((member) => this.runOne(member, deadline)));
    }
    const durationMs = Date.now() - started;
    this.result = {
      clean: this.unfinished.length === 0 && this.failed.length === 0,
      unfinished: [...this.unfinished],
      failed: [...this.failed],
      durationMs,
    };
    this.logger.log(`shut down in ${durationMs} ms`);
  }

  private async runOne(participant: ShutdownParticipant, deadline: number): Promise<void> {
    // Past the deadline each participant still gets a moment, so phases keep their order (a flush
    // must not race the database close just because an earlier step hung).
    const remaining = Math.max(MIN_PARTICIPANT_MS, deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), remaining);
    });
    try {
      const outcome = await Promise.race([
        Promise.resolve().then(() => participant.run()),
        timedOut,
      ]);
      if (outcome === 'timeout') {
        this.unfinished.push(participant.name);
        this.logger.error(
          `${participant.name} (${ShutdownPhase[participant.phase]}) did not finish before the shutdown timeout`,
        );
      }
    } catch (error) {
      this.failed.push(participant.name);
      this.logger.error(
        `${participant.name} (${ShutdownPhase[participant.phase]}) failed: ${String(error)}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
