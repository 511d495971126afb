import { createConnection, createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { MosquittoSub } from '../../test/support/mosquitto.js';
import { type EmbeddedBroker, EmbeddedBrokerError, startEmbeddedBroker } from './embedded-broker.js';
import { MqttLink } from './mqtt-link.js';

const started: (EmbeddedBroker | MqttLink)[] = [];
afterEach(async () => {
  await MosquittoSub.stopAll();
  for (const item of started.splice(0).reverse())
    await (item instanceof MqttLink ? item.end({ timeoutMs: 1000 }) : item.close());
});

async function broker(): Promise<EmbeddedBroker> {
  const b = await startEmbeddedBroker({ port: 0 });
  started.push(b);
  return b;
}

describe('startEmbeddedBroker', () => {
  it('lets a real mosquitto_sub watch what the link publishes, and keeps the status retained', async () => {
    const embedded = await broker();
    const sub = await MosquittoSub.start({ port: embedded.port }, ['benchloop/v1/#']);
    const link = new MqttLink({ url: embedded.url, clientId: 'benchloop-lab-incubator-01' });
    started.push(link);
    link.start();
    await link.whenConnected();
    const status = 'benchloop/v1/lab/incubator-01/status';
    await link.publish(status, '{"online":true,"session":1}', { retain: true });
    await link.publish('benchloop/v1/lab/incubator-01/telemetry', '{"seq":1}');
    await sub.waitFor((m) => m.topic.endsWith('/telemetry'));
    expect(sub.messages.map((m) => [m.topic, m.payload])).toEqual([
      [status, '{"online":true,"session":1}'],
      ['benchloop/v1/lab/incubator-01/telemetry', '{"seq":1}'],
    ]);
    const late = await MosquittoSub.start({ port: embedded.port }, ['benchloop/v1/+/+/status']);
    expect(await late.waitFor((m) => m.topic === status)).toMatchObject({ retain: true });
  });

  it('listens on 127.0.0.1 only', async () => {
    const embedded = await broker();
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) return;
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const socket = createConnection({ host: external.address, port: embedded.port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('error', resolve);
    });
    expect(error?.code).toBe('ECONNREFUSED');
  });

  it('names the taken port and the key to change', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as { port: number };
    try {
      const failure = await startEmbeddedBroker({ port }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(EmbeddedBrokerError);
      expect((failure as EmbeddedBrokerError).code).toBe('EADDRINUSE');
      expect((failure as Error).message).toContain(`127.0.0.1:${port} is already in use`);
      expect((failure as Error).message).toContain('mqtt.embeddedPort');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('frees its port on close', async () => {
    const embedded = await startEmbeddedBroker({ port: 0 });
    await embedded.close();
    const again = await startEmbeddedBroker({ port: embedded.port });
    await again.close();
  });
});
