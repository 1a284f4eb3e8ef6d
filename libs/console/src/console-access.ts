import { Inject, Injectable } from '@nestjs/common';
import { ENV, type Env } from '@lib/config';
import { createApiKeyCheck, httpConfig, type ErrorBody } from '@lib/platform';

/** Admits the console's operator calls by the same rule as `/admin/*`: an admin key once keys are set. */
@Injectable()
export class ConsoleAccess {
  private readonly check: (url: string, given: unknown) => ErrorBody | undefined;

  constructor(@Inject(ENV) env: Env) {
    const http = httpConfig.load(env);
    this.check = createApiKeyCheck({ client: http.API_KEYS, admin: http.ADMIN_API_KEYS });
  }

  /** The refusal for this `x-api-key`, or undefined when it opens admin routes. */
  refusal(given: unknown): ErrorBody | undefined {
    return this.check('/admin/console', given);
  }
}
