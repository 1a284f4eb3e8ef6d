import { Inject, Injectable } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import { consoleConfig, type ConsoleApp } from './console.config';
import { CONSOLE_UPSTREAM_TIMEOUT_MS } from './console.constants';

/** One app's answer to `/admin/status`, or why there is none. */
export interface AppStatus {
  readonly name: string;
  readonly url: string;
  readonly reachable: boolean;
  /** The HTTP status when the app answered. */
  readonly code?: number;
  readonly status?: unknown;
  readonly error?: string;
}

/** An upstream answer to pass on to the operator. */
export interface Forwarded {
  readonly code: number;
  readonly body: unknown;
}

/** Calls the watched apps' `/admin/*` routes with the operator's admin key. */
@Injectable()
export class ConsoleAppsClient {
  constructor(
    @Inject(consoleConfig.token) private readonly config: ConfigOf<typeof consoleConfig>,
  ) {}

  /** The watched apps, in the configured order. */
  apps(): readonly ConsoleApp[] {
    return this.config.CONSOLE_APPS;
  }

  /** The app with this name, or undefined. */
  app(name: string): ConsoleApp | undefined {
    return this.config.CONSOLE_APPS.find((app) => app.name === name);
  }

  /** Every app's `/admin/status`, fetched in parallel. */
  async statuses(key: string | undefined): Promise<AppStatus[]> {
    return Promise.all(
      this.config.CONSOLE_APPS.map(async (app): Promise<AppStatus> => {
        try {
          const { code, body } = await this.forward(app, 'GET', '/admin/status', key);
          return code === 200
            ? { name: app.name, url: app.url, reachable: true, code, status: body }
            : { name: app.name, url: app.url, reachable: true, code, error: messageOf(body) };
        } catch (error) {
          return { name: app.name, url: app.url, reachable: false, error: reasonOf(error) };
        }
      }),
    );
  }

  /** Sends one request to an app's admin route; throws when the app cannot be reached. */
  async forward(
    app: ConsoleApp,
    method: string,
    path: string,
    key: string | undefined,
    body?: unknown,
  ): Promise<Forwarded> {
    const headers: Record<string, string> = {};
    if (key !== undefined) headers['x-api-key'] = key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${app.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(CONSOLE_UPSTREAM_TIMEOUT_MS),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: passed on as text.
    }
    return { code: response.status, body: parsed };
  }
}

function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'unexpected answer';
}

function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ? `unreachable (${cause.code})` : 'unreachable';
}
