import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { SpanRecord } from './span-record';

/** An attribute value of OTLP/JSON (`AnyValue`). */
interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}

/** The parts of an OTLP/JSON `ExportTraceServiceRequest` the tests read. */
interface OtlpTraceRequest {
  resourceSpans?: Array<{
    scopeSpans?: Array<{
      spans?: Array<{
        name: string;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        attributes?: Array<{ key: string; value: OtlpValue }>;
      }>;
    }>;
  }>;
}

/** A local OTLP/HTTP (JSON) endpoint that keeps the spans an app process exports to it. */
export interface OtlpCollector {
  /** The traces URL to give as OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  readonly url: string;
  /** Every span received so far, in arrival order. */
  spans(): SpanRecord[];
  stop(): Promise<void>;
}

function valueOf(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/**
 * Starts an {@link OtlpCollector} on 127.0.0.1 for apps exporting with the OTLP/HTTP JSON
 * exporter (the project's): 200 to POST /v1/traces, 404 to anything else.
 */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const received: SpanRecord[] = [];
  const server: Server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      response.writeHead(404).end();
      return;
    }
    bodyOf(request)
      .then((body) => {
        const parsed = JSON.parse(body.toString('utf8')) as OtlpTraceRequest;
        for (const resource of parsed.resourceSpans ?? [])
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              received.push({
                name: span.name,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId || undefined,
                attributes: Object.fromEntries(
                  (span.attributes ?? []).map((a) => [a.key, valueOf(a.value)]),
                ),
              });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      })
      .catch(() => response.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans: () => [...received],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
