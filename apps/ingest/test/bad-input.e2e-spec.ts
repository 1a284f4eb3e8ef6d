/**
 * Ingest against bad input, over real HTTP (BROKER=memory): every field rule of docs/contract.md on
 * the five routes, wrong types, unknown fields, array sizes, oversized, non-JSON and wrongly typed
 * bodies, and API keys. Every refusal is a 4xx with the contract's error body, never a 5xx, and
 * publishes nothing; valid events are published as body + eventId + receivedAt (+ occurredAt).
 */
import type { HttpApp } from '@lib/platform';
import { MemoryBroker } from '@lib/queue';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectAccepted, expectErrorAnswer, expectFieldRefused } from './support/expectations';
import { ROUTES } from './support/field-cases';
import { postChunked, postJson, send, type HttpAnswer } from './support/http';
import { publishedRecords, startMemoryIngest as startIngest } from './support/memory-ingest';

const MiB = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('ingest: bad input', () => {
  let dataDir: string;
  let broker: MemoryBroker;
  let created: HttpApp;
  let url: string;
  /** How often each eventId was answered 202 so far, to compare with what the broker holds at the end. */
  const acceptedIds = new Map<string, number>();
  const noteAccepted = (answer: HttpAnswer) => {
    if (answer.status !== 202) return;
    for (const id of (answer.body as { eventIds: string[] }).eventIds) {
      acceptedIds.set(id, (acceptedIds.get(id) ?? 0) + 1);
    }
  };

  const post = async (path: string, body: unknown, headers?: Record<string, string>) => {
    const answer = await postJson(`${url}${path}`, body, headers);
    noteAccepted(answer);
    return answer;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ep-ingest-bad-input-'));
    broker = new MemoryBroker();
    ({ created, url } = await startIngest(dataDir, broker));
  });

  afterAll(async () => {
    await created?.app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe.each(ROUTES.map((route) => [route.path, route] as const))('%s', (path, route) => {
    it.each(route.valid.map((c) => [c.name, c] as const))(
      'accepts %s',
      async (_name, fieldCase) => {
        expectAccepted(await post(path, { ...route.base, ...fieldCase.patch }), 1);
      },
    );

    it.each(route.invalid.map((c) => [c.name, c] as const))(
      'refuses %s',
      async (_name, fieldCase) => {
        expectFieldRefused(
          await post(path, { ...route.base, ...fieldCase.patch }),
          fieldCase.field,
          fieldCase.problem,
        );
      },
    );

    it('names the index of a bad event in an array, and accepts none of the array', async () => {
      const body = [
        route.base,
        { ...route.base, colour: 'red' },
        route.base,
        { ...route.base, eventId: '' },
      ];
      const error = expectFieldRefused(
        await post(path, body),
        '[1].colour',
        'is not a known field',
      );
      expect(error.details).toEqual(
        expect.arrayContaining([{ field: '[3].eventId', problem: expect.any(String) }]),
      );
    });

    it('refuses an empty array and an array of 1001, accepts an array of 1000', async () => {
      expectFieldRefused(await post(path, []), '(body)');
      const events = (n: number) => Array.from({ length: n }, () => route.base);
      expectFieldRefused(await post(path, events(1001)), '(body)', /1000/);
      expectAccepted(await post(path, events(1000)), 1000);
    });

    it('refuses bodies that are not an object or an array of objects', async () => {
      for (const body of ['text', 42, null, true])
        expectFieldRefused(await post(path, body), '(body)');
      expectFieldRefused(await post(path, [route.base, 'x']), '[1]');
      expectFieldRefused(await post(path, [[route.base]]), '[0]');
    });

    it('publishes the body with eventId and receivedAt, occurredAt defaulting to receipt, and echoes client eventIds', async () => {
      const before = Date.now();
      const clientId = `client-${route.stream}-${before}`;
      const minimal: Record<string, unknown> = route.base;
      const full: Record<string, unknown> = {
        ...route.base,
        eventId: clientId,
        occurredAt: '2026-01-31T12:00:00.000+02:00',
      };
      const receipt = expectAccepted(await post(path, [minimal, full]), 2);
      const after = Date.now();
      expect(receipt.eventIds[0]).toMatch(UUID);
      expect(receipt.eventIds[1]).toBe(clientId);

      const records = publishedRecords(broker, route.stream);
      for (const [index, body] of [minimal, full].entries()) {
        const eventId = receipt.eventIds[index];
        const found = records.filter((r) => r.value.eventId === eventId);
        expect(found).toHaveLength(1);
        const [record] = found;
        const receivedAt = record.value.receivedAt as string;
        expect(Date.parse(receivedAt)).toBeGreaterThanOrEqual(before);
        expect(Date.parse(receivedAt)).toBeLessThanOrEqual(after);
        const occurredAt = 'occurredAt' in body ? body.occurredAt : receivedAt;
        expect(record.value).toEqual({ ...body, eventId, receivedAt, occurredAt });
        expect(record.key).toBe(String(body[route.keyField]));
        expect(record.headers).toEqual(
          expect.objectContaining({ 'x-event-id': eventId, 'x-event-type': route.stream }),
        );
      }
    });
  });

  describe('bodies that are not acceptable JSON', () => {
    const path = '/v1/page-views';

    it.each([
      ['a truncated object', '{"pageId":'],
      ['unquoted keys', '{pageId: "home"}'],
      ['trailing garbage', '{"pageId":"home"} x'],
      ['a lone bracket', '['],
    ])('answers 400 to invalid JSON: %s', async (_name, text) => {
      const answer = await send(`${url}${path}`, {
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      expect(expectErrorAnswer(answer, 400).error).toBe('Bad Request');
    });

    it('answers 400 to an empty JSON body', async () => {
      expectErrorAnswer(
        await send(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '',
        }),
        400,
      );
    });

    it('answers 400 to prototype pollution attempts', async () => {
      const headers = { 'content-type': 'application/json' };
      for (const text of [
        '{"pageId":"p","__proto__":{"admin":true}}',
        '{"pageId":"p","constructor":{"prototype":{"x":1}}}',
      ]) {
        expectErrorAnswer(await send(`${url}${path}`, { headers, body: text }), 400);
      }
    });

    it.each([
      ['text/plain', '{"pageId":"home"}'],
      ['application/x-www-form-urlencoded', 'pageId=home'],
      ['multipart/form-data; boundary=x', '--x\r\n\r\nhome\r\n--x--'],
      ['application/xml', '<pageId>home</pageId>'],
    ])('answers 415 to content type %s', async (contentType, text) => {
      const answer = await send(`${url}${path}`, {
        headers: { 'content-type': contentType },
        body: text,
      });
      expect(expectErrorAnswer(answer, 415).error).toBe('Unsupported Media Type');
    });

    it('answers 415 to a body without a content type', async () => {
      expectErrorAnswer(
        await send(`${url}${path}`, { method: 'POST', body: Buffer.from('{"pageId":"home"}') }),
        415,
      );
    });

    it('accepts application/json with a charset', async () => {
      const answer = await send(`${url}${path}`, {
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{"pageId":"home"}',
      });
      expectAccepted(answer, 1);
      noteAccepted(answer);
    });

    it('answers 413 to a 2 MiB string', async () => {
      const answer = await postJson(`${url}${path}`, { pageId: 'x'.repeat(2 * MiB) });
      expect(expectErrorAnswer(answer, 413).error).toBe('Payload Too Large');
    });

    it('answers 413 to a 2 MiB body sent without content-length', async () => {
      expectErrorAnswer(await postChunked(url, path, 2 * MiB), 413);
    });

    it('takes 1000 events just under 1 MiB and refuses the same over 1 MiB', async () => {
      const events = (messageBytes: number) =>
        Array.from({ length: 1000 }, () => ({
          service: 's',
          kind: 'request',
          level: 'info',
          message: 'm'.repeat(messageBytes),
        }));
      const overhead = JSON.stringify(events(0)).length;
      const under = events(Math.floor((MiB - overhead) / 1000));
      expect(JSON.stringify(under).length).toBeLessThanOrEqual(MiB);
      expectAccepted(await post('/v1/logs', under), 1000);
      const over = events(Math.ceil((MiB - overhead) / 1000) + 1);
      expect(JSON.stringify(over).length).toBeGreaterThan(MiB);
      expectErrorAnswer(await post('/v1/logs', over), 413);
    });
  });

  describe('unknown routes and methods', () => {
    it.each([
      ['POST', '/v1/unknown'],
      ['GET', '/v1/page-views'],
      ['PUT', '/v1/orders'],
    ])('answers %s %s with a 4xx error body', async (method, path) => {
      const answer = await send(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expectErrorAnswer(answer, answer.status);
    });
  });

  describe('with API_KEYS set', () => {
    let keyed: { created: HttpApp; url: string };
    let keyedDir: string;

    beforeAll(async () => {
      keyedDir = await mkdtemp(join(tmpdir(), 'ep-ingest-keys-'));
      keyed = await startIngest(keyedDir, new MemoryBroker(), { API_KEYS: 'key-one,key-two' });
    });

    afterAll(async () => {
      await keyed?.created.app.close();
      await rm(keyedDir, { recursive: true, force: true });
    });

    it.each(ROUTES.map((r) => [r.path, r] as const))(
      '%s answers 401 without a key or with a wrong one',
      async (path, route) => {
        const missing = expectErrorAnswer(await postJson(`${keyed.url}${path}`, route.base), 401);
        expect(missing.error).toBe('Unauthorized');
        // (Surrounding whitespace is not part of a header value in HTTP, so 'key-one ' would be valid.)
        for (const key of ['nope', 'key-on', 'key-one1', 'KEY-ONE', 'key-one,key-two', '']) {
          expectErrorAnswer(
            await postJson(`${keyed.url}${path}`, route.base, { 'x-api-key': key }),
            401,
          );
        }
        expectAccepted(
          await postJson(`${keyed.url}${path}`, route.base, { 'x-api-key': 'key-two' }),
          1,
        );
      },
    );

    it('checks the key before the body: invalid JSON without a key is 401', async () => {
      const answer = await send(`${keyed.url}/v1/page-views`, {
        headers: { 'content-type': 'application/json' },
        body: '{',
      });
      expectErrorAnswer(answer, 401);
    });

    it('needs the key on /admin, not on /health and /metrics', async () => {
      expectErrorAnswer(await send(`${keyed.url}/admin/dead-letters?stream=page-views`), 401);
      expect((await send(`${keyed.url}/health/live`)).status).toBe(200);
      expect((await send(`${keyed.url}/metrics`)).status).toBe(200);
    });
  });

  it('is still alive and ready after all of that, and published exactly the accepted events', async () => {
    expect((await send(`${url}/health/live`)).status).toBe(200);
    expect((await send(`${url}/health/ready`)).status).toBe(200);
    const published = new Map<string, number>();
    for (const route of ROUTES) {
      for (const record of publishedRecords(broker, route.stream)) {
        const id = String(record.value.eventId);
        // Ingest ships its own request and error log records to app-logs (service "ingest");
        // the test's log events use other service names.
        if (
          route.stream === 'app-logs' &&
          record.value.service === 'ingest' &&
          !acceptedIds.has(id)
        )
          continue;
        published.set(id, (published.get(id) ?? 0) + 1);
      }
    }
    expect(published.size).toBe(acceptedIds.size);
    expect(published).toEqual(acceptedIds);
  });
});
