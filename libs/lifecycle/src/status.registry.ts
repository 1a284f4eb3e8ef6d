import { Injectable } from '@nestjs/common';

/** One section of `GET /admin/status`: a JSON-serialisable snapshot, read on every request. */
export type StatusSection = () => unknown;

/**
 * Collects the sections that libs contribute to `GET /admin/status` (docs/contract.md): the queue
 * lib its streams, work queues their buffers, the spool its depth and breaker. A section that
 * throws is reported as `{ error }` so one broken dependency does not hide the others.
 */
@Injectable()
export class StatusRegistry {
  private readonly sections = new Map<string, StatusSection>();

  /** Adds (or replaces) the section `name`; `group.key` puts it under `key` in the object `group`. */
  register(name: string, section: StatusSection): void {
    this.sections.set(name, section);
  }

  /** Every section's current snapshot, by name, in registration order. */
  async snapshot(): Promise<Record<string, unknown>> {
    const entries = await Promise.all(
      [...this.sections].map(async ([name, section]) => {
        try {
          return [name, await section()] as const;
        } catch (error) {
          return [name, { error: (error as Error).message }] as const;
        }
      }),
    );
    const result: Record<string, unknown> = {};
    for (const [name, value] of entries) {
      const dot = name.indexOf('.');
      if (dot < 0) result[name] = value;
      else {
        const group = (result[name.slice(0, dot)] ??= {}) as Record<string, unknown>;
        group[name.slice(dot + 1)] = value;
      }
    }
    return result;
  }
}
