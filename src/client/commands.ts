/**
 * Commands and their replies (protocol §Commands): a unique `id` per command, an
 * `expiresAt` so a command stuck in the broker's queue while the node is away cannot
 * run after the caller has given up, the reply matched by `id`, and a timeout that
 * tells "the node is offline" from "the node is silent".
 *
 * Replies come back on `R/reply` (subscribed per node, before the command is sent)
 * or, under MQTT 5, on this client's Response Topic: one subscription for a fleet.
 */
import { randomBytes } from 'node:crypto';
import type { Command, NodeAddress, Reply } from '../protocol/index.js';
import { cmdTopic, parseTopic, replyTopic } from '../protocol/index.js';
import type { MqttLink } from '../sync/mqtt-link.js';
import { nodeKey } from './address.js';
import { CommandError, CommandTimeoutError, NodeOfflineError } from './errors.js';
import type { NodeDirectory } from './node-directory.js';
import { readReply } from './wire.js';

export interface SendOptions {
  /** How long to wait for the reply. Default: the client's `commandTimeoutMs` (10 s). */
  timeoutMs?: number;
  /**
   * `expiresAt` is now + this. Default: `timeoutMs`, so the node refuses the command
   * (`expired`) once nobody waits for its reply. `null` sends none.
   */
  expiresInMs?: number | null;
  /** Resend a command whose reply was lost: the node answers with its first reply and does not run it again. */
  id?: string;
  /**
   * When the node's retained status says offline (or there is none): `fail` at once
   * with NodeOfflineError, or `send` anyway (the broker queues it for the node's
   * persistent session; `expiresAt` bounds when it may still run). Default `send`.
   */
  whenOffline?: 'fail' | 'send';
}

interface Pending {
  address: NodeAddress;
  name: string;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

export class CommandSender {
  private readonly prefix = `c-${randomBytes(5).toString('hex')}`;
  private counter = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly replySubscriptions = new Map<string, Promise<unknown>>();

  constructor(
    private readonly link: MqttLink,
    private readonly directory: NodeDirectory,
    private readonly defaults: { timeoutMs: number; responseTopic?: string },
  ) {
    link.onMessage((topic, payload) => {
      if (topic === defaults.responseTopic) this.onReply(payload);
      else {
        const parsed = parseTopic(topic);
        if (parsed?.kind === 'reply') this.onReply(payload, parsed);
      }
    });
  }

  /** A fresh command id: unique to this client (a random prefix) and ordered within it. */
  nextId(): string {
    return `${this.prefix}-${(++this.counter).toString(36)}`;
  }

  /** The reply as the node sent it, `ok: false` included; rejects on timeout or an offline node only. */
  async request<R = unknown>(
    address: NodeAddress,
    name: string,
    args?: Record<string, unknown>,
    options: SendOptions = {},
  ): Promise<Reply<R>> {
    const timeoutMs = options.timeoutMs ?? this.defaults.timeoutMs;
    await this.prepare(address);
    const status = this.directory.get(address);
    if ((options.whenOffline ?? 'send') === 'fail' && !status?.online)
      throw new NodeOfflineError(address, status !== undefined, status?.session);
    const id = options.id ?? this.nextId();
    const expiresIn = options.expiresInMs === undefined ? timeoutMs : options.expiresInMs;
    const command: Command = {
      id,
      name,
      ...(args === undefined ? {} : { args }),
      ...(expiresIn === null ? {} : { expiresAt: Date.now() + expiresIn }),
    };
    let timer: NodeJS.Timeout | undefined;
    const replied = new Promise<Reply>((resolve, reject) =>
      this.pending.set(id, { address, name, resolve, reject }),
    );
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const node = this.directory.get(address);
        reject(
          node?.online === false || node === undefined
            ? new NodeOfflineError(
                address,
                node !== undefined,
                node?.session,
                `; no reply to ${name} (id ${id}) within ${timeoutMs} ms`,
              )
            : new CommandTimeoutError(address, name, id, timeoutMs),
        );
      }, timeoutMs);
    });
    try {
      const { responseTopic } = this.defaults;
      await this.link.publish(cmdTopic(address), JSON.stringify(command), {
        qos: 1,
        properties: responseTopic ? { responseTopic, correlationData: Buffer.from(id) } : undefined,
      });
      return (await Promise.race([replied, timedOut])) as Reply<R>;
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  /** The result of an `ok` reply; a refusal becomes a CommandError carrying the protocol's code. */
  async send<R = unknown>(
    address: NodeAddress,
    name: string,
    args?: Record<string, unknown>,
    options?: SendOptions,
  ): Promise<R> {
    const reply = await this.request<R>(address, name, args, options);
    if (!reply.ok) throw new CommandError(address, name, reply);
    return reply.result;
  }

  /** Rejects what still waits (the client is closing). */
  abandon(error: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(error);
    }
  }

  /** The reply path and the node's status are subscribed before the first command goes out. */
  private async prepare(address: NodeAddress): Promise<void> {
    const key = nodeKey(address);
    let ready = this.replySubscriptions.get(key);
    if (!ready) {
      ready = Promise.all([
        this.defaults.responseTopic ? undefined : this.link.subscribe(replyTopic(address), 1),
        this.directory.isTracked(address) ? undefined : this.directory.track(address),
      ]);
      this.replySubscriptions.set(key, ready);
      ready.catch(() => this.replySubscriptions.delete(key));
    }
    await ready;
  }

  /** `from`: the node whose `R/reply` it came on; a reply on the Response Topic is matched by id alone. */
  private onReply(payload: Buffer, from?: NodeAddress): void {
    const reply = readReply(payload);
    if (!reply || reply.id === null) return;
    const pending = this.pending.get(reply.id);
    if (!pending || (from && nodeKey(from) !== nodeKey(pending.address))) return;
    pending.resolve(reply);
  }
}
