/**
 * The queue contract: one suite, run unchanged against every transport.
 *
 * A runner calls `describeQueueContract(name, factory)` from `<broker>.contract.e2e-spec.ts`, where
 * `factory()` resolves to a {@link ContractBroker}:
 *
 * - `env()`: the app environment for the broker (`BROKER` and its address);
 * - `queueOptions?()`: extra `QueueModule.forRoot` options (the memory runner's shared broker);
 * - `publishRaw(stream, key, bytes, headers?)`: writes bytes as they are (malformed payloads);
 * - `cuttablePublisher()`: an EventPublisher plus `cut()` that makes its broker unreachable
 *   (Kafka and RabbitMQ: a TcpProxy in between);
 * - `close?()`: frees what the factory started.
 *
 * The suite builds real apps (createHttpApp + QueueModule + connectQueueConsumers) with a test
 * controller whose `@EventPattern` handlers use unique stream and group names per run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HEADERS } from '@lib/contracts';
import { ConsumerControl, EventPublisher, PublishError, type OutgoingMessage } from '@lib/queue';
import { uniqueName, waitFor } from '@test/support';
import { randomUUID } from 'node:crypto';
import type { ContractBroker } from './contract-broker';
import {
  contractController,
  Probe,
  restartController,
  startContractApp,
  type ContractApp,
  type ContractStreams,
} from './contract-app';

export type { ContractBroker, CuttablePublisher } from './contract-broker';

const WAIT = { timeoutMs: 30_000, intervalMs: 25 };

/** Every header of docs/contract.md a dead letter carries: not `x-due-at` (retries only) nor `x-key` (RabbitMQ's key carrier). */
const DEAD_LETTER_HEADERS = Object.values(HEADERS).filter(
  (h) => h !== HEADERS.dueAt && h !== HEADERS.key,
);

/** Declares the contract tests of one broker. */
export function describeQueueContract(name: string, factory: () => Promise<ContractBroker>): void {
  describe(`queue contract: ${name}`, () => {
    const run = uniqueName('qc');
    const streams: ContractStreams = {
      ordered: `${run}-ordered`,
      flaky: `${run}-flaky`,
      failing: `${run}-failing`,
      strict: `${run}-strict`,
      mixed: `${run}-mixed`,
      replay: `${run}-replay`,
      batched: `${run}-batched`,
      restart: `${run}-restart`,
      paused: `${run}-paused`,
      plain: `${run}-plain`,
    };
    const group = `${run}-app`;
    const probe = new Probe();
    let broker: ContractBroker;
    let app: ContractApp;
    let publisher: EventPublisher;

    const event = (
      stream: string,
      key: string,
      fields: Record<string, unknown> = {},
    ): OutgoingMessage => ({
      stream,
      key,
      value: { eventId: randomUUID(), key, ...fields },
    });
    /** An event as ingest stamps it: with the request's id and trace context. */
    const traced = (message: OutgoingMessage): OutgoingMessage => ({
      ...message,
      headers: {
        [HEADERS.requestId]: `req-${randomUUID()}`,
        [HEADERS.traceparent]: `00-${randomUUID().replace(/-/g, '')}-00f067aa0ba902b7-01`,
        [HEADERS.tracestate]: 'contract=1',
      },
    });
    const deadLetters = async (stream: string) => {
      const response = await app.request(
        'GET',
        `/admin/dead-letters?stream=${encodeURIComponent(stream)}`,
      );
      expect(response.status).toBe(200);
      return response.body.items as Array<Record<string, any>>;
    };

    const waitForDeadLetters = async (stream: string, count: number) => {
      let items: Array<Record<string, any>> = [];
      await waitFor(
        async () => {
          items = await deadLetters(stream);
          return items.length >= count;
        },
        { ...WAIT, description: `${count} dead letter(s) of ${stream}` },
      );
      return items;
    };

    beforeAll(async () => {
      broker = await factory();
      app = await startContractApp(broker, group, contractController(streams, probe));
      publisher = app.app.get(EventPublisher);
    }, 120_000);

    afterAll(async () => {
      await app?.close();
      await broker?.close?.();
    }, 60_000);

    it('keeps per-key order with several keys in parallel', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
      const messages = Array.from({ length: 300 }, (_, i) =>
        event(streams.ordered, keys[i % keys.length], { seq: Math.floor(i / keys.length) }),
      );
      await publisher.publish(messages);
      const distinct = () => new Set(probe.of(streams.ordered).map((c) => c.event.eventId)).size;
      await waitFor(() => distinct() >= messages.length, {
        ...WAIT,
        description: 'all ordered events',
      });
      // At-least-once: a duplicate (e.g. a producer retry) is removed by eventId, as consumers do.
      const seen = new Map<string, number[]>();
      const ids = new Set<string>();
      for (const { event: e, meta } of probe.of(streams.ordered)) {
        if (ids.has(e.eventId)) continue;
        ids.add(e.eventId);
        seen.set(meta.key!, [...(seen.get(meta.key!) ?? []), e.payload.seq as number]);
      }
      for (const key of keys)
        expect(seen.get(key)).toEqual(Array.from({ length: 15 }, (_, i) => i));
      expect(probe.maxRunning).toBeGreaterThan(1);
    });

    it('hands plain events, whose copies keep every field; the context gives each its metadata', async () => {
      const before = Date.now();
      const message: OutgoingMessage = {
        ...event(streams.plain, 'p1', { n: 1 }),
        headers: { 'x-custom': 'yes' },
      };
      const eventId = (message.value as { eventId: string }).eventId;
      await publisher.publish([message]);
      await waitFor(() => probe.of(streams.plain).length >= 1, {
        ...WAIT,
        description: 'the plain event',
      });
      const [{ event: e, meta, context }] = probe.of(streams.plain);
      expect(e).toEqual({
        stream: streams.plain,
        eventId,
        payload: message.value,
        position: {
          topic: streams.plain,
          partition: expect.any(Number),
          offset: expect.stringMatching(/^\d+$/),
        },
      });
      expect(Object.keys(e).sort()).toEqual(['eventId', 'payload', 'position', 'stream']);
      expect({ ...e }).toEqual(e);
      expect(structuredClone(e)).toEqual(e);
      expect(meta).toEqual({
        key: 'p1',
        headers: expect.objectContaining({
          'x-custom': 'yes',
          [HEADERS.eventId]: eventId,
          [HEADERS.eventType]: streams.plain,
        }),
        attempt: 0,
        source: e.position,
        position: e.position,
        timestamp: expect.any(Number),
      });
      // RabbitMQ's timestamp property has whole seconds.
      expect(meta.timestamp!).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(meta.timestamp!).toBeLessThanOrEqual(Date.now());
      expect(structuredClone(meta)).toEqual(meta);
      expect(context.metadataOf({ ...e, payload: { derived: true } })).toBe(meta);
      expect(context.metadataOf(structuredClone(e))).toBe(meta);
      expect(() =>
        context.metadataOf({ ...e, position: { ...e.position, offset: '999999999' } }),
      ).toThrow(/not delivered/);
    });

    it('retries a failing handler after the configured delays and succeeds once', async () => {
      const message = traced(event(streams.flaky, 'f1'));
      await publisher.publish([message]);
      await waitFor(() => probe.of(streams.flaky).length >= 3, {
        ...WAIT,
        description: 'three attempts',
      });
      await new Promise((r) => setTimeout(r, 600)); // nothing more may come
      const calls = probe.of(streams.flaky);
      expect(calls.map((c) => c.meta.attempt)).toEqual([0, 1, 2]);
      expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(200);
      expect(calls[2].at - calls[1].at).toBeGreaterThanOrEqual(400);
      const retried = calls[1].meta;
      expect(calls[1].event.eventId).toBe((message.value as { eventId: string }).eventId);
      expect(retried.headers[HEADERS.attempt]).toBe('1');
      expect(Number(retried.headers[HEADERS.dueAt])).toBeLessThanOrEqual(calls[1].at);
      expect(retried.headers[HEADERS.errorClass]).toBe('FlakyDependencyError');
      expect(retried.headers[HEADERS.originalStream]).toBe(streams.flaky);
      expect(retried.source).toEqual(calls[0].event.position);
      expect(retried.position).toBe(calls[1].event.position);
      expect(retried.key).toBe('f1');
      // The retry keeps the request's id and trace context: its process span is in the same trace.
      for (const name of [HEADERS.requestId, HEADERS.traceparent, HEADERS.tracestate])
        expect(retried.headers[name]).toBe(message.headers![name]);
      expect(await deadLetters(streams.flaky)).toEqual([]);
    });

    it('dead-letters an always-failing event with every contract header, lists and purges it', async () => {
      const message = traced(event(streams.failing, 'd1', { amount: 3 }));
      await publisher.publish([message]);
      const [letter] = await waitForDeadLetters(streams.failing, 1);
      expect(probe.of(streams.failing)).toHaveLength(2);
      expect(letter).toMatchObject({
        stream: streams.failing,
        attempts: 2,
        error: { class: 'FlakyDependencyError', message: 'always fails' },
        payload: message.value,
        source: probe.of(streams.failing)[0].event.position,
      });
      expect(Date.parse(letter.firstFailedAt)).toBeLessThanOrEqual(Date.parse(letter.lastFailedAt));
      for (const header of DEAD_LETTER_HEADERS) expect(letter.headers).toHaveProperty([header]);
      expect(letter.headers[HEADERS.eventId]).toBe((message.value as { eventId: string }).eventId);
      expect(letter.headers[HEADERS.errorStack]).toContain('FlakyDependencyError');
      for (const name of [HEADERS.requestId, HEADERS.traceparent, HEADERS.tracestate])
        expect(letter.headers[name]).toBe(message.headers![name]);

      expect(
        (await app.request('DELETE', `/admin/dead-letters?stream=${streams.failing}`)).body,
      ).toEqual({ purged: 1 });
      expect(await deadLetters(streams.failing)).toEqual([]);
    });

    it('dead-letters malformed payloads at once, without calling the handler', async () => {
      await broker.publishRaw(streams.strict, 'm1', Buffer.from('{not json'));
      await broker.publishRaw(
        streams.strict,
        'm2',
        Buffer.from(JSON.stringify({ noEventId: true })),
      );
      const items = await waitForDeadLetters(streams.strict, 2);
      expect(items.map((i) => [i.attempts, i.error.class])).toEqual([
        [1, 'MalformedPayloadError'],
        [1, 'MalformedPayloadError'],
      ]);
      expect(items.map((i) => i.payload)).toEqual(
        expect.arrayContaining(['{not json', { noEventId: true }]),
      );
      expect(probe.of(streams.strict)).toEqual([]);
    });

    it('does not hold back later records of the partition while one is retrying', async () => {
      const started = Date.now();
      await publisher.publish([
        event(streams.mixed, 'same', { fail: true }),
        ...Array.from({ length: 5 }, (_, i) => event(streams.mixed, 'same', { n: i })),
      ]);
      await waitFor(() => probe.of(streams.mixed).length >= 6, {
        ...WAIT,
        description: 'the healthy records',
      });
      const firstPass = probe.of(streams.mixed).slice(0, 6);
      expect(firstPass.map((c) => c.meta.attempt)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(Math.max(...firstPass.map((c) => c.at)) - started).toBeLessThan(1_500);
      await waitFor(() => probe.of(streams.mixed).length >= 7, {
        ...WAIT,
        description: 'the retry',
      });
      const retry = probe.of(streams.mixed)[6];
      expect(retry.meta.attempt).toBe(1);
      expect(retry.event.payload.fail).toBe(true);
    });

    it('replays a dead letter with attempts reset', async () => {
      await publisher.publish([event(streams.replay, 'r1')]);
      const [letter] = await waitForDeadLetters(streams.replay, 1);
      probe.replayBroken = false;
      const replayed = await app.request('POST', '/admin/dead-letters/replay', {
        stream: streams.replay,
        ids: [letter.id],
      });
      expect(replayed).toEqual({ status: 200, body: { replayed: 1 } });
      await waitFor(() => probe.of(streams.replay).length >= 3, {
        ...WAIT,
        description: 'the replayed event',
      });
      const again = probe.of(streams.replay)[2].meta;
      expect(again.attempt).toBe(0);
      expect(probe.of(streams.replay)[2].event.eventId).toBe(letter.headers[HEADERS.eventId]);
      expect(again.headers[HEADERS.errorClass]).toBeUndefined();
      expect(again.source).toEqual(again.position);
      expect(await deadLetters(streams.replay)).toEqual([]);
    });

    it('fails single events of a batch through BatchResult', async () => {
      const messages = Array.from({ length: 120 }, (_, i) =>
        event(streams.batched, `b${i % 7}`, { poison: i === 17 }),
      );
      await publisher.publish(messages);
      await waitFor(() => probe.of(streams.batched).length >= 121, {
        ...WAIT,
        description: 'all batched events and one retry',
      });
      await new Promise((r) => setTimeout(r, 300));
      const attempts = new Map<string, number[]>();
      for (const { event: e, meta } of probe.of(streams.batched))
        attempts.set(e.eventId, [...(attempts.get(e.eventId) ?? []), meta.attempt]);
      const poisonId = (messages[17].value as { eventId: string }).eventId;
      expect(attempts.get(poisonId)).toEqual([0, 1]);
      expect([...attempts.values()].filter((a) => a.length === 1)).toHaveLength(119);
      // Each event of a batch gets its own record's metadata (keyed b0…b6, as the payload says).
      for (const { event: e, meta } of probe.of(streams.batched)) {
        expect(meta.key).toBe(e.payload.key);
        expect(meta.position).toBe(e.position);
      }
      expect(Math.max(...probe.batchSizes)).toBeGreaterThan(1);
      expect(Math.max(...probe.batchSizes)).toBeLessThanOrEqual(50);
    });

    it('answers 400 with details for a missing or unknown stream and unknown fields', async () => {
      const missing = await app.request('GET', '/admin/dead-letters');
      expect(missing.status).toBe(400);
      expect(missing.body.details).toEqual([{ field: 'stream', problem: 'required' }]);
      const unknown = await app.request('DELETE', '/admin/dead-letters?stream=nope');
      expect(unknown.status).toBe(400);
      expect(unknown.body.details[0].field).toBe('stream');
      const extra = await app.request('POST', '/admin/dead-letters/replay', {
        stream: streams.replay,
        what: 1,
      });
      expect(extra.status).toBe(400);
      expect(extra.body.details).toEqual([{ field: 'what', problem: 'unknown field' }]);
      const limit = await app.request(
        'GET',
        `/admin/dead-letters?stream=${streams.replay}&limit=0`,
      );
      expect(limit.status).toBe(400);
      expect(limit.body.details[0].field).toBe('limit');
    });

    it("pauses and resumes a stream through ConsumerControl; backpressure never resumes an operator's pause", async () => {
      const control = app.app.get(ConsumerControl);
      control.pause(streams.paused, 'operator');
      control.pause(streams.paused, 'backpressure');
      control.resume(streams.paused, 'backpressure');
      expect(control.status().find((s) => s.stream === streams.paused)).toMatchObject({
        paused: true,
        pausedBy: ['operator'],
      });
      await new Promise((r) => setTimeout(r, 300)); // a fetch already on its way may still land
      await publisher.publish([event(streams.paused, 'p1'), event(streams.paused, 'p2')]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(probe.of(streams.paused)).toEqual([]);
      control.resume(streams.paused, 'operator');
      expect(control.status().find((s) => s.stream === streams.paused)).toMatchObject({
        paused: false,
        pausedBy: [],
      });
      await waitFor(() => probe.of(streams.paused).length === 2, {
        ...WAIT,
        description: 'the events after resume',
      });
    });

    it('reports the broker in readiness and counts events in /metrics', async () => {
      const ready = await app.request('GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.info[broker.env().BROKER as string]).toEqual({
        status: 'up',
        state: 'connected',
        publisher: 'connected',
        consumers: 'consuming',
      });
      const metrics = await app.request('GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(
        new RegExp(`queue_events_consumed_total\\{stream="${streams.ordered}"\\} 3\\d\\d`),
      );
      expect(metrics.body).toMatch(
        new RegExp(`queue_events_dead_lettered_total\\{stream="${streams.failing}"\\} 1`),
      );
      expect(metrics.body).toMatch(
        new RegExp(`queue_events_in_flight\\{stream="${streams.ordered}"\\} 0`),
      );
    });

    it('loses nothing when a consumer is restarted mid-stream', async () => {
      const restartGroup = `${run}-restart`;
      const restartProbe = new Probe();
      // A small in-flight window, so that on a broker read record by record (memory) most events
      // are still unread when the first consumer stops; on Kafka a whole fetch may be in flight.
      const env = { CONSUMER_MAX_IN_FLIGHT: '4' };
      const ids = (messages: OutgoingMessage[]) =>
        messages.map((m) => (m.value as { eventId: string }).eventId);
      const firstWave = Array.from({ length: 150 }, (_, i) => event(streams.restart, `s${i % 9}`));
      const secondWave = Array.from({ length: 100 }, (_, i) => event(streams.restart, `s${i % 9}`));
      let first: ContractApp | undefined = await startContractApp(
        broker,
        restartGroup,
        restartController(streams.restart, restartProbe, 10),
        env,
      );
      let second: ContractApp | undefined;
      try {
        await publisher.publish(firstWave);
        await waitFor(() => restartProbe.of(streams.restart).length >= 20, {
          ...WAIT,
          description: 'some events',
        });
        const closing = first.close();
        first = undefined;
        // The stream goes on while the consumer stops and is down.
        await publisher.publish(secondWave.slice(0, 50));
        await closing;
        const seenByFirst = restartProbe.of(streams.restart).length;
        expect(seenByFirst).toBeLessThan(250);
        await publisher.publish(secondWave.slice(50));
        second = await startContractApp(
          broker,
          restartGroup,
          restartController(streams.restart, restartProbe, 0),
          env,
        );
        const wanted = [...ids(firstWave), ...ids(secondWave)];
        await waitFor(
          () => {
            const seen = new Set(restartProbe.of(streams.restart).map((c) => c.event.eventId));
            return wanted.every((id) => seen.has(id));
          },
          { ...WAIT, description: 'every event after the restart' },
        );
        // The second consumer started at the offsets the first one committed when it stopped.
        const seenBySecond = restartProbe
          .of(streams.restart)
          .slice(seenByFirst)
          .map((c) => c.event.eventId);
        const firstSaw = new Set(
          restartProbe
            .of(streams.restart)
            .slice(0, seenByFirst)
            .map((c) => c.event.eventId),
        );
        expect(seenBySecond.filter((id) => firstSaw.has(id))).toEqual([]);
      } finally {
        await first?.close();
        await second?.close();
      }
    }, 90_000);

    it('reports a publish done only after the broker acknowledged it', async () => {
      const cuttable = await broker.cuttablePublisher();
      try {
        await expect(
          cuttable.publisher.publish([event(streams.strict, 'ack', {})]),
        ).resolves.toBeUndefined();
        await cuttable.cut();
        const started = Date.now();
        const outcome = await cuttable.publisher.publish([event(streams.strict, 'ack', {})]).then(
          () => 'resolved',
          (error: unknown) => error,
        );
        expect(outcome).toBeInstanceOf(PublishError);
        expect(Date.now() - started).toBeLessThan(15_000);
      } finally {
        await cuttable.close();
      }
    }, 30_000);
  });
}
