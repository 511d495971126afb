/**
 * `mqtt: { embedded: true }`: an in-process MQTT 3.1.1 broker (aedes, imported only
 * here and only when asked for), so `npm start` needs no broker installed and a
 * user can watch with `mosquitto_sub -h 127.0.0.1 -p PORT -t 'benchloop/v1/#' -v`.
 *
 * Bound to 127.0.0.1 only: it has no authentication and no TLS, so it must not be
 * reachable from the network. aedes' default persistence (aedes-persistence) is in
 * memory: retained messages (the node's status), persistent sessions and the
 * commands queued in them are lost when the process exits. That is the demo's
 * trade-off; a field node points `mqtt.url` at a real broker.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Aedes } from 'aedes';

export const EMBEDDED_HOST = '127.0.0.1';

export interface EmbeddedBroker {
  readonly port: number;
  readonly url: string;
  /** Disconnects every client (no Will is sent for them: the broker itself goes away) and frees the port. */
  close(): Promise<void>;
}

export class EmbeddedBrokerError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'EmbeddedBrokerError';
  }
}

/** `port: 0` takes a free port (tests); the config's `embeddedPort` is 1–65535. */
export async function startEmbeddedBroker(options: { port: number }): Promise<EmbeddedBroker> {
  const { Aedes: AedesClass } = await import('aedes');
  const broker = await AedesClass.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  try {
    await listen(server, options.port);
  } catch (error) {
    await closeBroker(broker);
    throw describeListenError(error, options.port);
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `mqtt://${EMBEDDED_HOST}:${port}`,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await closeBroker(broker);
        for (const socket of sockets) socket.destroy();
        await stopped;
      })();
      return closing;
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: EMBEDDED_HOST, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeBroker(broker: Aedes): Promise<void> {
  return new Promise((resolve) => broker.close(() => resolve()));
}

function describeListenError(error: unknown, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const where = `${EMBEDDED_HOST}:${port}`;
  if (code === 'EADDRINUSE')
    return new EmbeddedBrokerError(
      `embedded MQTT broker: ${where} is already in use (another broker such as Mosquitto, or another benchloop?): ` +
        'set mqtt.embeddedPort to a free port, or use the running broker with mqtt.url and embedded: false',
      code,
    );
  if (code === 'EACCES')
    return new EmbeddedBrokerError(
      `embedded MQTT broker: no permission to listen on ${where} (ports below 1024 need privileges): set mqtt.embeddedPort ≥ 1024`,
      code,
    );
  return new EmbeddedBrokerError(`embedded MQTT broker: cannot listen on ${where}: ${String(error)}`, code);
}
