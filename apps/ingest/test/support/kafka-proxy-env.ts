import type { TcpProxy } from '@test/support';
import { join } from 'node:path';

/**
 * The environment that puts every Kafka connection of an app process behind `proxy` (a proxy to
 * the broker's PLAINTEXT port): the bootstrap address and, through redirect-port.js, the address
 * the broker advertises, so that cutting the proxy really cuts the process off the broker.
 */
export function kafkaBehindProxyEnv(proxy: TcpProxy): Record<string, string> {
  return {
    KAFKA_BROKERS: proxy.address,
    NODE_OPTIONS: `--require ${join(__dirname, 'redirect-port.js')}`,
    TEST_REDIRECT_PORT: `${proxy.targetPort}:${proxy.port}`,
  };
}
