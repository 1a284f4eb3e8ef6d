import { HttpException, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import { ShutdownCoordinator, ShutdownPhase } from '@lib/lifecycle';
import { LogRecorder, METRICS_REGISTRY, requestLogInput } from '@lib/observability';
import { errorBody } from '@lib/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { pushConfig } from './push.config';
import { QuoteBook } from './quote-book';
import { createQuoteStreamMetrics, type QuoteStreamMetrics } from './quote-stream.metrics';
import { SseSubscriber } from './sse-subscriber';

/** A comment goes to a subscriber that got nothing for this long, so idle proxies keep the stream. */
const KEEP_ALIVE_MS = 15_000;

/**
 * The quote stream's subscribers and its one push timer. Changed quotes (from the QuoteBook,
 * i.e. committed) are marked on every subscriber that follows the symbol; every
 * `PUSH_INTERVAL_MS` each subscriber with pending quotes gets one event holding them, unless its
 * socket has not drained (then they stay pending, coalesced). The timer runs only while there
 * are subscribers and never keeps the process alive.
 *
 * Responses are written on the raw socket rather than through Nest's `@Sse()`, whose Observable
 * pipeline buffers every event for a client that does not read.
 */
@Injectable()
export class QuoteStreamHub implements OnModuleInit {
  private readonly subscribers = new Set<SseSubscriber>();
  private readonly intervalMs: number;
  private readonly metrics: QuoteStreamMetrics;
  private readonly logger = new Logger('quote stream');
  private timer?: NodeJS.Timeout;
  private lastKeepAlive = Date.now();
  private closing = false;

  constructor(
    private readonly book: QuoteBook,
    @Inject(pushConfig.token) config: ConfigOf<typeof pushConfig>,
    private readonly coordinator: ShutdownCoordinator,
    private readonly recorder: LogRecorder,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.intervalMs = config.PUSH_INTERVAL_MS;
    this.metrics = createQuoteStreamMetrics(registry, {
      subscribers: () => this.subscribers.size,
      pending: () => this.pending(),
      symbols: () => this.book.size,
      bufferedBytes: () => {
        let sum = 0;
        for (const subscriber of this.subscribers) sum += subscriber.buffered;
        return sum;
      },
    });
  }

  onModuleInit(): void {
    this.book.onChange((quotes) => {
      for (const subscriber of this.subscribers) subscriber.mark(quotes);
    });
    // Open streams never finish on their own: end them with HTTP intake, or the server's close
    // would wait for them.
    this.coordinator.register({
      name: 'quote streams',
      phase: ShutdownPhase.StopIntake,
      run: () => this.closeAll(),
    });
  }

  /** Quotes pending over all subscribers. */
  pending(): number {
    let sum = 0;
    for (const subscriber of this.subscribers) sum += subscriber.pending;
    return sum;
  }

  /**
   * Takes over the request's response as an event stream for `symbols` (undefined: every
   * symbol). The first event holds the symbols' current quotes, if any.
   */
  open(
    request: FastifyRequest,
    reply: FastifyReply,
    symbols: ReadonlySet<string> | undefined,
  ): void {
    if (this.closing) throw new HttpException(errorBody(503, 'shutting down'), 503);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    request.raw.socket.setNoDelay(true);
    const subscriber = new SseSubscriber(res, symbols);
    this.subscribers.add(subscriber);
    subscriber.mark(this.book.snapshot(symbols));
    res.write('retry: 1000\n\n');
    res.once('close', () => {
      subscriber.closed();
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stopTimer();
      // An ended stream was logged by the request-log hook on 'finish'; a client that went away
      // never finishes the response, so its request record is written here.
      if (!res.writableFinished) this.recordRequest(request, reply);
    });
    this.startTimer();
  }

  /** One push round (the timer's tick; tests call it directly). */
  pushAll(): void {
    let sent = 0;
    let blocked = 0;
    for (const subscriber of this.subscribers) {
      const outcome = subscriber.push();
      if (outcome === 'sent') sent++;
      else if (outcome === 'blocked') blocked++;
    }
    if (sent > 0) this.metrics.events.inc(sent);
    if (blocked > 0) this.metrics.blockedPushes.inc(blocked);
    const now = Date.now();
    if (now - this.lastKeepAlive >= KEEP_ALIVE_MS) {
      this.lastKeepAlive = now;
      for (const subscriber of this.subscribers) subscriber.keepAlive(now, KEEP_ALIVE_MS);
    }
  }

  /** Ends every stream and refuses new ones; the shutdown's StopIntake phase calls it. */
  closeAll(): void {
    this.closing = true;
    this.stopTimer();
    const open = this.subscribers.size;
    for (const subscriber of this.subscribers) subscriber.end();
    this.subscribers.clear();
    if (open > 0) this.logger.log(`closed ${open} quote streams`);
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.pushAll(), this.intervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private recordRequest(request: FastifyRequest, reply: FastifyReply): void {
    try {
      const input = requestLogInput(request, reply);
      if (input) this.recorder.record(input);
    } catch {
      // Logging must never fail anything.
    }
  }
}
