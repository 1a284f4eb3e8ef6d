import { ServiceUnavailableException } from '@nestjs/common';
import { EventPublisher, type OutgoingMessage } from '@lib/queue';
import { SpoolClosedError, SpoolFullError } from '@lib/spool';
import { EventIntakeService } from './event-intake.service';

/** A publisher that fails every publish with `error` and records what it was given. */
class FailingPublisher extends EventPublisher {
  readonly given: OutgoingMessage[][] = [];

  constructor(private readonly error: Error) {
    super();
  }

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.given.push([...messages]);
    return Promise.reject(this.error);
  }

  isConnected(): boolean {
    return true;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function refusal(error: Error): Promise<unknown> {
  const intake = new EventIntakeService(new FailingPublisher(error));
  return intake.accept('page-views', { pageId: 'home' }).then(
    () => undefined,
    (refused: unknown) => refused,
  );
}

describe('EventIntakeService: what a client is told when the events cannot be kept', () => {
  it('a full spool is a 503 that names the spool, not only an unreachable broker', async () => {
    const refused = await refusal(new SpoolFullError('no room'));
    expect(refused).toBeInstanceOf(ServiceUnavailableException);
    expect((refused as ServiceUnavailableException).message).toBe(
      'the local spool is full: the broker is unreachable or slower than intake; retry later',
    );
  });

  it('a closing spool is a 503 saying the app is shutting down', async () => {
    const refused = await refusal(new SpoolClosedError());
    expect(refused).toBeInstanceOf(ServiceUnavailableException);
    expect((refused as ServiceUnavailableException).message).toBe('shutting down; retry later');
  });

  it('any other failure reaches the error handler as it is', async () => {
    const failure = new Error('unexpected');
    expect(await refusal(failure)).toBe(failure);
  });
});
