import * as net from 'node:net';

type Mode = 'open' | 'cut' | 'hang';

/** One client connection and its upstream twin. */
interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/** Destroys a socket with a TCP RST where Node supports it, like a crashed peer would. */
function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'opening') {
    socket.resetAndDestroy();
  } else {
    socket.destroy();
  }
}

/**
 * A TCP proxy on 127.0.0.1 that a test puts between a client and a real service (Kafka,
 * RabbitMQ, PostgreSQL) to simulate outages without touching the shared service.
 *
 * ```ts
 * const proxy = await TcpProxy.start('127.0.0.1', 5432);
 * // connect to 127.0.0.1:proxy.port …
 * proxy.cut();     // service "down": open connections reset, new ones closed at once
 * proxy.restore(); // service "up" again
 * await proxy.close();
 * ```
 */
export class TcpProxy {
  private mode: Mode = 'open';
  private delayMs = 0;
  private readonly pairs = new Set<Pair>();
  private readonly held = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    /** Port the proxy listens on (127.0.0.1). */
    readonly port: number,
    /** Where connections are forwarded to. */
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  /** Starts a proxy to `targetHost:targetPort` on a free port of 127.0.0.1. */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new TcpProxy(
      server,
      (server.address() as net.AddressInfo).port,
      targetHost,
      targetPort,
    );
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** `127.0.0.1:<port>`, ready for a broker list. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Connections currently forwarded. */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** Resets every open connection and closes new ones at once, like a service that went down. */
  cut(): void {
    this.mode = 'cut';
    this.dropAll();
  }

  /**
   * Keeps connections open but forwards nothing, in either direction, and accepts new
   * connections without ever answering: a hung service or a network partition, where only
   * client timeouts help. restore() resets the connections that hung.
   */
  hang(): void {
    this.mode = 'hang';
  }

  /** Forwards again; connections opened from now on reach the service. */
  restore(): void {
    if (this.mode === 'hang') this.dropAll(); // bytes were swallowed, those streams are corrupt
    this.mode = 'open';
  }

  /** Adds `ms` of latency to every chunk forwarded in either direction (0 turns it off). */
  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    this.mode = 'cut';
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dropAll(): void {
    for (const { client, upstream } of this.pairs) {
      reset(client);
      reset(upstream);
    }
    this.pairs.clear();
    for (const socket of this.held) reset(socket);
    this.held.clear();
  }

  private accept(client: net.Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'cut') return reset(client);
    if (this.mode === 'hang') {
      this.held.add(client);
      client.on('close', () => this.held.delete(client));
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    upstream.on('error', () => undefined);
    const pair = { client, upstream };
    this.pairs.add(pair);
    // A graceful close on one side closes the other gracefully; only cut() sends resets.
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    this.forward(client, upstream);
    this.forward(upstream, client);
  }

  /** Copies `from` to `to` in order, honouring backpressure, the delay and hang mode. */
  private forward(from: net.Socket, to: net.Socket): void {
    const queue: Array<{ due: number; chunk: Buffer }> = [];
    let timer: NodeJS.Timeout | undefined;
    const write = (chunk: Buffer) => {
      if (to.destroyed) return;
      // While the upstream is still connecting, write() buffers; that is fine for a test proxy.
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    };
    const pump = () => {
      timer = undefined;
      while (queue.length > 0 && queue[0].due <= Date.now()) write(queue.shift()!.chunk);
      if (queue.length > 0) timer = setTimeout(pump, queue[0].due - Date.now());
    };
    from.on('data', (chunk: Buffer) => {
      if (this.mode === 'hang') return;
      if (this.delayMs === 0 && queue.length === 0) return write(chunk);
      // A queue rather than one timer per chunk: chunks must never overtake each other.
      const last = queue.length > 0 ? queue[queue.length - 1].due : 0;
      queue.push({ due: Math.max(Date.now() + this.delayMs, last), chunk });
      if (!timer) pump();
    });
    from.on('end', () => to.end());
    from.on('close', () => timer && clearTimeout(timer));
  }
}
