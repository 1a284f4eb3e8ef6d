import { request as httpRequest } from 'node:http';

/** A finished HTTP exchange: status, content type and the body parsed as JSON when it is JSON. */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  readonly body: unknown;
}

/** Options of {@link send}. */
export interface SendOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Sent as is; objects and arrays go through {@link postJson}. */
  readonly body?: string | Buffer;
  /** Abort after this long (default 15 s: the machine is shared and may be slow). */
  readonly timeoutMs?: number;
}

/** Sends one request with Node's fetch and reads the whole answer. */
export async function send(url: string, options: SendOptions = {}): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: options.headers,
    body: options.body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  let body: unknown = text;
  if (contentType.includes('json') && text.length > 0) body = JSON.parse(text);
  return { status: response.status, contentType, body };
}

/** POSTs `body` serialised as JSON with `content-type: application/json`. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * Sends `size` bytes of a JSON string value with chunked transfer encoding (no content-length),
 * so the limit must be enforced while reading, not only from the header.
 */
export function postChunked(url: string, path: string, size: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type']),
          body: JSON.parse(text),
        }),
      );
    });
    // The server may answer and close before the whole body is written: the answer has settled
    // the promise by then, so the write error that follows changes nothing.
    req.on('error', reject);
    req.write('{"pageId":"');
    const chunk = 'x'.repeat(64 * 1024);
    let written = 0;
    const pump = () => {
      while (written < size) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end('"}');
    };
    pump();
  });
}
