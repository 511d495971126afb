/**
 * The lab's side of the protocol, from inside the guest: an MQTT client on the
 * host's Mosquitto (through QEMU's user network) that records everything under the
 * node's root and lets checks await messages instead of sleeping, and publishes
 * commands the way an orchestrator would.
 */
import { connectAsync, type MqttClient } from 'mqtt';

export interface Message {
  topic: string;
  payload: string;
  retain: boolean;
}

export class Orchestrator {
  readonly messages: Message[] = [];
  private readonly waiters = new Set<{ test: (m: Message) => boolean; resolve: (m: Message) => void }>();

  private constructor(
    private readonly client: MqttClient,
    readonly root: string,
  ) {
    client.on('message', (topic, payload, packet) => {
      const message = { topic, payload: payload.toString(), retain: packet.retain };
      this.messages.push(message);
      for (const w of this.waiters) {
        if (!w.test(message)) continue;
        this.waiters.delete(w);
        w.resolve(message);
      }
    });
  }

  /** Connected and subscribed (SUBACK received) to `topics` under `root`, so nothing published after is missed. */
  static async connect(url: string, root: string, topics = ['#'], clientId?: string): Promise<Orchestrator> {
    const client = await connectAsync(url, {
      clientId: clientId ?? `kernel-tier-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    const orchestrator = new Orchestrator(client, root);
    await client.subscribeAsync(
      topics.map((t) => `${root}/${t}`),
      { qos: 1 },
    );
    return orchestrator;
  }

  /** The first message (already received or to come) that passes `test`. */
  waitFor(test: (m: Message) => boolean): Promise<Message> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.add({ test, resolve }));
  }

  on(kind: string): Message[] {
    return this.messages.filter((m) => m.topic === `${this.root}/${kind}`);
  }

  async command(payload: string | object): Promise<void> {
    await this.client.publishAsync(
      `${this.root}/cmd`,
      typeof payload === 'string' ? payload : JSON.stringify(payload),
      { qos: 1 },
    );
  }

  /** The `nth` reply with this id. */
  async reply(id: string | null, nth = 1): Promise<Record<string, unknown>> {
    let seen = 0;
    const message = await this.waitFor(
      (m) => m.topic === `${this.root}/reply` && json(m).id === id && ++seen >= nth,
    );
    return json(message);
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

export const json = <T = Record<string, unknown>>(m: Message): T => JSON.parse(m.payload) as T;
