import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local OTLP/HTTP endpoint that accepts and discards spans, counting what it was sent. */
export interface OtlpSink {
  /** The traces URL to give as OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  readonly url: string;
  readonly requests: number;
  readonly bytes: number;
  stop(): Promise<void>;
}

/** Starts an {@link OtlpSink} on 127.0.0.1: 200 to POST /v1/traces, 404 to anything else. */
export async function startOtlpSink(): Promise<OtlpSink> {
  let requests = 0;
  let bytes = 0;
  const server: Server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      const ok = request.method === 'POST' && request.url === '/v1/traces';
      if (ok) requests++;
      response.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    get requests() {
      return requests;
    },
    get bytes() {
      return bytes;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** True when BENCH_TRACING=on: the benchmark also measures the app with tracing exported. */
export function benchTracing(): boolean {
  return process.env.BENCH_TRACING === 'on';
}

/** The environment that turns an app's tracing on, exporting to `sink`. */
export function tracingEnv(sink: OtlpSink): Record<string, string> {
  return {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.url,
    OTEL_TRACES_SAMPLER: 'always_on',
  };
}
