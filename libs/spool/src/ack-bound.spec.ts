import { withinAckBound } from './ack-bound';

const after = <T>(ms: number, settle: () => T): Promise<T> =>
  new Promise((resolve) => setTimeout(() => resolve(settle()), ms));

describe('withinAckBound', () => {
  it("is 'acked' when the publish resolves within the bound", async () => {
    await expect(
      withinAckBound(
        after(5, () => undefined),
        200,
      ),
    ).resolves.toBe('acked');
  });

  it("is 'late' when the publish has not settled by the bound, and keeps its later failure quiet", async () => {
    let fail!: (error: Error) => void;
    const publish = new Promise<void>((_resolve, reject) => (fail = reject));
    await expect(withinAckBound(publish, 10)).resolves.toBe('late');
    fail(new Error('refused after the bound')); // handled: no unhandled rejection
    await expect(publish).rejects.toThrow('refused after the bound');
  });

  it('rejects with the publish error when it fails within the bound', async () => {
    const publish = after(5, () => Promise.reject(new Error('broker down'))).then((p) => p);
    await expect(withinAckBound(publish, 200)).rejects.toThrow('broker down');
  });
});
