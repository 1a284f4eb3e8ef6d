import { HEADERS } from '@lib/contracts';
import { uniqueName } from '@test/support';
import { randomUUID } from 'node:crypto';
import { RmqConnection } from '../src/rabbitmq/rmq-connection';
import { RmqDeadLetterAdmin } from '../src/rabbitmq/rmq-dead-letters';
import { assertStreamTopology, rmqStreamTopology } from '../src/rabbitmq/rmq-topology';
import { quietLogger, RabbitProbe } from './rabbitmq-test-helpers';

describe('RmqDeadLetterAdmin (real broker)', () => {
  let probe: RabbitProbe;
  let connection: RmqConnection;
  let admin: RmqDeadLetterAdmin;
  let stream: string;

  beforeAll(async () => {
    probe = await RabbitProbe.open();
    connection = new RmqConnection({
      url: probe.urlVia(probe.target.port),
      name: 'dead-letter-test',
      logger: quietLogger,
    });
    await connection.connect();
    admin = new RmqDeadLetterAdmin(connection, 'g');
  });

  beforeEach(async () => {
    stream = uniqueName('dlq');
    await probe.withChannel(async (c) => {
      await assertStreamTopology(c, rmqStreamTopology('g', stream, []));
      await assertStreamTopology(c, rmqStreamTopology('other', stream, []));
    });
  });

  afterEach(async () => {
    await probe.deleteTopology('g', stream);
    await probe.deleteTopology('other', stream);
  });

  afterAll(async () => {
    await connection.close();
    await probe.close();
  });

  /** Puts `n` dead letters into g.S.failed as the transport's failure sink writes them; returns their ids. */
  async function deadLetters(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      ids.push(id);
      await probe.sendToQueue(
        `g.${stream}.failed`,
        Buffer.from(JSON.stringify({ eventId: `e${i}`, i })),
        {
          messageId: id,
          contentType: 'application/json',
          headers: {
            [HEADERS.eventId]: `e${i}`,
            [HEADERS.eventType]: stream,
            [HEADERS.attempt]: '3',
            [HEADERS.originalStream]: stream,
            [HEADERS.originalPartition]: '0',
            [HEADERS.originalOffset]: String(100 + i),
            [HEADERS.errorClass]: 'TimeoutError',
            [HEADERS.errorMessage]: `timed out ${i}`,
            [HEADERS.errorStack]: 'TimeoutError: timed out',
            [HEADERS.firstFailedAt]: '2026-01-01T00:00:00.000Z',
            [HEADERS.lastFailedAt]: '2026-01-01T00:01:00.000Z',
            'x-key': `key-${i}`,
            trace: `t${i}`,
          },
        },
      );
    }
    return ids;
  }

  it('lists without removing, in queue order, up to the limit', async () => {
    const ids = await deadLetters(5);
    const listed = await admin.list(stream, 3);
    expect(listed.map((d) => d.id)).toEqual(ids.slice(0, 3));
    expect(listed[1]).toEqual({
      id: ids[1],
      stream,
      attempts: 3,
      error: { class: 'TimeoutError', message: 'timed out 1' },
      firstFailedAt: '2026-01-01T00:00:00.000Z',
      lastFailedAt: '2026-01-01T00:01:00.000Z',
      payload: { eventId: 'e1', i: 1 },
      source: { topic: stream, partition: 0, offset: '101' },
      headers: expect.objectContaining({ [HEADERS.eventId]: 'e1', 'x-key': 'key-1', trace: 't1' }),
    });
    expect((await admin.list(stream, 100)).map((d) => d.id)).toEqual(ids);
    expect(await probe.count(`g.${stream}.failed`)).toBe(5);
    expect(await admin.list('no-such-stream', 10)).toEqual([]);
  });

  it('replays only the given ids, to this group’s queue only, with the failure history dropped', async () => {
    const ids = await deadLetters(4);
    expect(await admin.replay(stream, [ids[2], ids[0], 'unknown-id'])).toBe(2);

    const replayed = await probe.take(`g.${stream}`, 2);
    expect(replayed.map((m) => JSON.parse(m.content.toString()).i)).toEqual([0, 2]);
    expect(replayed[1].properties.headers).toEqual({
      [HEADERS.eventId]: 'e2',
      [HEADERS.eventType]: stream,
      'x-key': 'key-2',
      trace: 't2',
    });
    expect(replayed[1].properties.messageId).toBe('e2');
    expect(await probe.count(`other.${stream}`)).toBe(0);
    expect((await admin.list(stream, 10)).map((d) => d.id)).toEqual([ids[1], ids[3]]);

    expect(await admin.replay(stream)).toBe(2);
    expect(await probe.count(`g.${stream}`)).toBe(2);
    expect(await admin.list(stream, 10)).toEqual([]);
    expect(await admin.replay(stream)).toBe(0);
  });

  it('replays all of a backlog larger than what it holds unconfirmed at a time', async () => {
    const channel = await probe.model.createConfirmChannel();
    for (let i = 0; i < 1_200; i++) {
      const headers = { [HEADERS.eventId]: `e${i}`, [HEADERS.attempt]: '1' };
      channel.sendToQueue(`g.${stream}.failed`, Buffer.from(`{"i":${i}}`), {
        messageId: `id${i}`,
        headers,
      });
    }
    await channel.waitForConfirms();
    await channel.close();
    expect(await admin.replay(stream)).toBe(1_200);
    expect(await probe.count(`g.${stream}`)).toBe(1_200);
    expect(await probe.count(`g.${stream}.failed`)).toBe(0);
  });

  it('purges and says how many', async () => {
    await deadLetters(3);
    expect(await admin.purge(stream)).toBe(3);
    expect(await probe.count(`g.${stream}.failed`)).toBe(0);
    expect(await admin.purge(stream)).toBe(0);
    expect(await admin.purge('no-such-stream')).toBe(0);
  });
});
