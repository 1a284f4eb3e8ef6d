import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { installHttpMetricsHook } from './http-metrics.hook';

describe('installHttpMetricsHook', () => {
  let fastify: FastifyInstance;
  let registry: Registry;

  beforeEach(async () => {
    registry = new Registry();
    fastify = Fastify();
    installHttpMetricsHook(fastify, registry);
    fastify.get('/v1/things/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      if (id === 'missing') return reply.code(404).send({ statusCode: 404 });
      return { id };
    });
    await fastify.ready();
  });

  afterEach(() => fastify.close());

  it('labels requests by route pattern, method and status, never by the ids in the URL', async () => {
    await fastify.inject({ method: 'GET', url: '/v1/things/a1' });
    await fastify.inject({ method: 'GET', url: '/v1/things/b2?x=1' });
    await fastify.inject({ method: 'GET', url: '/v1/things/missing' });
    await fastify.inject({ method: 'POST', url: '/nowhere/42' });
    const text = await registry.metrics();
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/v1\/things\/:id",status="200"\} 2/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/v1\/things\/:id",status="404"\} 1/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\(unmatched\)",status="404"\} 1/,
    );
    expect(text).not.toMatch(/a1|b2|nowhere/);
  });

  it('shares one histogram between apps that install it on the same registry', async () => {
    const other = Fastify();
    installHttpMetricsHook(other, registry);
    other.get('/ping', async () => 'pong');
    await other.inject({ method: 'GET', url: '/ping' });
    await other.close();
    expect(await registry.metrics()).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/ping",status="200"\} 1/,
    );
  });
});
