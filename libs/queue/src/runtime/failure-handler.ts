import { Logger, type LoggerService } from '@nestjs/common';
import type { MessageHeaders } from '@lib/contracts';
import { decideRetry, errorClassOf, failureHeaders, type RetryPolicy } from '@lib/retry';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerMetrics } from './consumer-metrics';
import { NO_METRICS } from './consumer-metrics';
import { attemptOf, sourceOf, type RawMessage } from './envelope';

/**
 * The broker-specific half of failure handling: it only publishes. Both methods resolve once the
 * broker holds the message durably (Kafka acks, RabbitMQ confirms); only then is the original
 * record finished and its offset committable (or the delivery acked).
 */
export interface FailureSink {
  /** Publishes the message for another attempt; `headers` carry `x-due-at` = now + `delayMs`. */
  retry(message: RawMessage, delayMs: number, headers: MessageHeaders): Promise<void>;
  /** Publishes the message to the stream's dead letters with the failure headers. */
  deadLetter(message: RawMessage, headers: MessageHeaders): Promise<void>;
}

/** What happened to a failed message. */
export type FailureOutcome = 'retried' | 'dead-lettered';

/** Options of {@link FailureHandler}. */
export interface FailureHandlerOptions {
  readonly logger?: LoggerService;
  readonly metrics?: ConsumerMetrics;
  /** The clock, for tests. */
  readonly now?: () => number;
  /** First pause before publishing to the sink again after it failed (doubles up to 5 s). */
  readonly sinkBackoffMs?: number;
}

const MAX_SINK_BACKOFF_MS = 5_000;

/**
 * Decides, with the stream's retry policy, whether a failed message is retried (and after which
 * delay) or dead-lettered, builds the failure headers of docs/contract.md and hands the message to the
 * broker's {@link FailureSink}. Malformed payloads and `EventValidationError`s are not retriable
 * and go to dead letters at once. A sink that fails (broker down) is tried again with backoff until
 * it succeeds or {@link stop} is called; the message stays unfinished meanwhile.
 */
export class FailureHandler {
  private readonly logger: LoggerService;
  private readonly metrics: ConsumerMetrics;
  private readonly now: () => number;
  private readonly backoffMs: number;
  private stopped = false;

  constructor(
    private readonly stream: string,
    private readonly policy: RetryPolicy,
    private readonly sink: FailureSink,
    options: FailureHandlerOptions = {},
  ) {
    this.logger = options.logger ?? new Logger(`queue ${stream}`);
    this.metrics = options.metrics ?? NO_METRICS;
    this.now = options.now ?? Date.now;
    this.backoffMs = options.sinkBackoffMs ?? 100;
  }

  /** Makes pending sink retries give up (shutdown); their messages stay unfinished and are read again. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Retries or dead-letters `message` after its handler failed with `error`; resolves once the
   * broker holds it. Rejects only after {@link stop}.
   */
  async handle(message: RawMessage, error: unknown): Promise<FailureOutcome> {
    this.metrics.failed(this.stream);
    const failed = attemptOf(message.headers) + 1;
    const decision = decideRetry(this.policy, failed, error);
    const origin = sourceOf(message.headers, message.position);
    const source = { stream: origin.topic, partition: origin.partition, offset: origin.offset };
    const now = this.now();
    const where = `${message.position.topic}/${message.position.partition}@${message.position.offset}`;
    if (decision.action === 'retry') {
      const headers = failureHeaders(
        message.headers,
        error,
        failed,
        source,
        now,
        now + decision.delayMs,
      );
      this.logger.warn?.(
        `${where} failed (attempt ${failed}, ${describe(error)}); retrying in ${decision.delayMs} ms`,
      );
      await this.persist(() => this.sink.retry(message, decision.delayMs, headers), where);
      this.metrics.retried(this.stream);
      return 'retried';
    }
    const headers = failureHeaders(message.headers, error, failed, source, now);
    this.logger.error(
      `${where} failed (attempt ${failed}, ${describe(error)}); dead-lettered (${decision.reason})`,
    );
    await this.persist(() => this.sink.deadLetter(message, headers), where);
    this.metrics.deadLettered(this.stream);
    return 'dead-lettered';
  }

  private async persist(publish: () => Promise<void>, where: string): Promise<void> {
    let pause = this.backoffMs;
    for (;;) {
      try {
        await publish();
        return;
      } catch (error) {
        if (this.stopped) throw error;
        this.logger.warn?.(
          `${where}: could not publish the failed message (${describe(error)}); trying again in ${pause} ms`,
        );
        await sleep(pause);
        if (this.stopped) throw error;
        pause = Math.min(pause * 2, MAX_SINK_BACKOFF_MS);
      }
    }
  }
}

function describe(error: unknown): string {
  return `${errorClassOf(error)}: ${error instanceof Error ? error.message : String(error)}`;
}
