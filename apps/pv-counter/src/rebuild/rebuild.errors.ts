import { PipelineError } from '@lib/contracts';

/** Base of the day rebuild's errors. */
export class RebuildError extends PipelineError {}

/** The broker keeps no log to replay (RabbitMQ, memory). */
export class RebuildUnavailableError extends RebuildError {
  constructor(broker: string) {
    super(
      `rebuilding a day replays the Kafka log and needs BROKER=kafka; this instance runs BROKER=${broker}`,
      false,
    );
  }
}

/** Another rebuild runs, in this instance or another one. */
export class RebuildInProgressError extends RebuildError {
  constructor(where: 'here' | 'elsewhere') {
    super(
      `a rebuild is already running${where === 'elsewhere' ? ' on another pv-counter instance' : ''}; try again when it has finished`,
      true,
    );
  }
}

/** The rebuild stopped part-way (log unreadable, database error); nothing was changed. */
export class RebuildFailedError extends RebuildError {
  constructor(date: string, reason: string, options?: { cause?: unknown }) {
    super(`rebuild of ${date} failed, nothing was changed: ${reason}`, true, options);
  }
}
