/**
 * The node's connection to its broker, and the only module that imports `mqtt`
 * (MQTT.js 5), loaded at the first connection attempt.
 *
 * One MqttClient per connection attempt, with MQTT.js' own reconnect off
 * (`reconnectPeriod: 0`): its reconnect reuses the options, so the Last Will would
 * keep the session of the first attempt, and it retries at a fixed period. Here
 * every attempt asks the caller for its Will (`willFor`, where the caller takes
 * and persists the next session number) and waits a jittered exponential backoff.
 *
 * Durability is the caller's outbox, not MQTT.js' in-memory outgoing store:
 * - that store dies with the process (MQTT.js #398, #607: even a persistent store
 *   was not replayed after a restart);
 * - a QoS 1 publish made while MQTT.js replays its store after a reconnect waits in
 *   `_storeProcessingQueue`; if the connection drops during the replay it is
 *   dropped with a "Connection closed" error instead of joining the store (#2015,
 *   5.13.2, closed as stale): only a caller that resends keeps it;
 * - a QoS 1 publish callback is not called when the connection closes (the entry
 *   is not "volatile"; only `clean: true` with `reconnectPeriod: 0` flushes it), so
 *   `publishAsync` hangs until a reconnect acks it (#1974).
 * So `publish()` rejects as soon as its connection closes, and the old client and
 * its store are dropped. MQTT 3.1.1 §4.4 and MQTT 5 §4.4 ask a client resuming a
 * session to resend unacknowledged PUBLISHes with their Packet Identifiers;
 * MQTT.js' own reconnect does (`_onConnect` replays its store, even when the
 * session was not resumed), and the outbox would resend the same messages too.
 * With a fresh client the outbox's resend is the only one, under new identifiers,
 * which QoS 1 does not mind: a receiver that sent PUBACK treats any later PUBLISH,
 * same identifier or not, as a new publication (3.1.1 §4.3.2 [MQTT-4.3.2-2]).
 * Receivers may see duplicates after a reconnect, as QoS 1 allows (`seq` tells
 * them apart); nothing is lost. The broker's half of the session is untouched:
 * commands it queued, and PUBLISHes it sent us without getting our PUBACK, arrive
 * after the CONNACK (maybe twice: command ids make them idempotent).
 *
 * An inbound QoS 1 message is PUBACKed by MQTT.js once the message handlers have
 * returned, so a handler must take what it needs synchronously.
 */
import { readFile } from 'node:fs/promises';
import type { IClientOptions, MqttClient, OnConnectCallback, OnMessageCallback } from 'mqtt';
import type { ReconnectPolicy } from '../config/mqtt-schema.js';
import { describeError, MqttLinkError, reasonText, redactUrl } from './link-errors.js';
import { backoffDelay } from './link-options.js';
import type {
  ConnectedInfo,
  EndOptions,
  InboundPacket,
  LinkEvents,
  LinkState,
  LinkStats,
  MessageHandler,
  MqttLinkOptions,
  PublishOptions,
  Qos,
} from './link-types.js';

export * from './link-errors.js';
export type * from './link-types.js';

let library: Promise<typeof import('mqtt')> | undefined;

function loadMqtt(): Promise<typeof import('mqtt')> {
  library ??= import('mqtt');
  return library;
}

async function readConfigFile(path: string, key: string, url: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new MqttLinkError('config', `MQTT broker ${url}: cannot read ${key} ${path} (${code})`, url);
  }
}

interface Connection {
  client: MqttClient;
  attempt: number;
  online: boolean;
  connectedAt: number;
  /** Rejecters of this connection's publishes still waiting for their PUBACK. */
  pending: Set<(error: Error) => void>;
  /** Set once subscribed and announced as connected. */
  info?: ConnectedInfo;
  error?: MqttLinkError;
  serverReason?: string;
}

interface Subscription {
  qos: Qos;
  acked: boolean;
  waiters: { resolve: (qos: number) => void; reject: (error: Error) => void }[];
}

export class MqttLink {
  readonly url: string;
  private state: LinkState = 'idle';
  private conn: Connection | undefined;
  private attempts = 0;
  private connects = 0;
  private failures = 0;
  private previousDelayMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastConnectAt: number | undefined;
  private lastDisconnectAt: number | undefined;
  private lastError: MqttLinkError | undefined;
  private sessionPresent: boolean | undefined;
  private ending: Promise<void> | undefined;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly handlers = new Set<MessageHandler>();
  private readonly connectWaiters = new Set<{
    resolve: (info: ConnectedInfo) => void;
    reject: (error: Error) => void;
  }>();
  private readonly listeners: { [K in keyof LinkEvents]: Set<(info: LinkEvents[K]) => void> } = {
    connected: new Set(),
    disconnected: new Set(),
    retry: new Set(),
    error: new Set(),
  };
  private readonly reconnect: ReconnectPolicy;
  private readonly version: 4 | 5;

  constructor(private readonly options: MqttLinkOptions) {
    this.url = redactUrl(options.url);
    this.reconnect = options.reconnect ?? { initialMs: 1000, maxMs: 60_000, jitter: 'full' };
    this.version = options.protocolVersion ?? 4;
  }

  /** Starts connecting, and keeps the link up until `end()`. */
  start(): void {
    if (this.state !== 'idle') throw new Error(`MqttLink.start: already ${this.state}`);
    void this.attempt();
  }

  on<K extends keyof LinkEvents>(event: K, listener: (info: LinkEvents[K]) => void): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  onMessage(handler: MessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Resolves at the next `connected` (now, if online); rejects if the link ends first. */
  whenConnected(): Promise<ConnectedInfo> {
    if (this.state === 'closing' || this.state === 'closed') return Promise.reject(this.closedError());
    if (this.conn?.info) return Promise.resolve(this.conn.info);
    return new Promise((resolve, reject) => this.connectWaiters.add({ resolve, reject }));
  }

  get connected(): boolean {
    return this.conn?.online === true && this.conn.client.connected;
  }

  stats(): LinkStats {
    return {
      state: this.state,
      url: this.url,
      clientId: this.options.clientId,
      attempts: this.attempts,
      connects: this.connects,
      reconnects: Math.max(0, this.connects - 1),
      lastConnectAt: this.lastConnectAt,
      lastDisconnectAt: this.lastDisconnectAt,
      lastError: this.lastError?.message,
      sessionPresent: this.sessionPresent,
      inFlight: this.conn?.pending.size ?? 0,
    };
  }

  /**
   * Resolves on PUBACK (QoS 1) or once written (QoS 0); rejects at once when not
   * connected, and when the connection drops before the PUBACK: the caller resends.
   */
  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const conn = this.conn;
    if (!conn?.online || !conn.client.connected)
      return Promise.reject(new MqttLinkError('offline', `MQTT broker ${this.url}: not connected`, this.url));
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        conn.pending.delete(fail);
        reject(error);
      };
      conn.pending.add(fail);
      const properties = this.version === 5 ? options.properties : undefined;
      conn.client.publish(
        topic,
        payload,
        { qos: options.qos ?? 1, retain: options.retain ?? false, properties },
        (error) => {
          if (!error) {
            if (settled) return;
            settled = true;
            conn.pending.delete(fail);
            resolve();
          } else fail(describeError(error, this.url, `publish to ${topic}`));
        },
      );
    });
  }

  /**
   * Subscribes now if online and again after every connection whose session the
   * broker did not keep; resolves with the granted QoS at the first SUBACK.
   */
  subscribe(topic: string, qos: Qos = 1): Promise<number> {
    if (this.state === 'closing' || this.state === 'closed') return Promise.reject(this.closedError());
    const sub = this.subscriptions.get(topic) ?? { qos, acked: false, waiters: [] };
    sub.qos = qos;
    sub.acked = false;
    this.subscriptions.set(topic, sub);
    const granted = new Promise<number>((resolve, reject) => sub.waiters.push({ resolve, reject }));
    if (this.conn?.online) void this.sendSubscribe(this.conn, topic, sub);
    return granted;
  }

  /** Clean shutdown: `beforeClose` (the death message) while connected, then DISCONNECT, which discards the Will (3.1.1 §3.14.4, 5 §3.14.4). */
  end(options: EndOptions = {}): Promise<void> {
    this.ending ??= this.shutdown(options);
    return this.ending;
  }

  private async shutdown({ beforeClose, timeoutMs = 5000 }: EndOptions): Promise<void> {
    this.state = 'closing';
    clearTimeout(this.retryTimer);
    const conn = this.conn;
    let failure: unknown;
    if (conn?.online && beforeClose) {
      try {
        await withTimeout(beforeClose(this), timeoutMs, `beforeClose took longer than ${timeoutMs} ms`);
      } catch (error) {
        failure = error;
      }
    }
    if (conn) {
      const closed = new Promise<void>((resolve) => conn.client.once('close', () => resolve()));
      if (conn.online && conn.client.connected) {
        conn.client.end(false);
        await withTimeout(closed, timeoutMs, '').catch(() => conn.client.end(true));
      } else {
        conn.client.end(true);
      }
    }
    for (const sub of this.subscriptions.values())
      for (const w of sub.waiters.splice(0)) w.reject(this.closedError());
    for (const w of this.connectWaiters) w.reject(this.closedError());
    this.connectWaiters.clear();
    this.state = 'closed';
    if (failure) throw failure;
  }

  private async attempt(): Promise<void> {
    const attempt = ++this.attempts;
    this.state = 'connecting';
    let client: MqttClient;
    try {
      const [mqtt, connectOptions] = await Promise.all([loadMqtt(), this.connectOptions(attempt)]);
      if (this.state !== 'connecting') return;
      client = mqtt.connect(this.options.url, connectOptions);
    } catch (error) {
      if (this.state === 'connecting') this.scheduleRetry(describeError(error, this.url), false, 0);
      return;
    }
    const conn: Connection = { client, attempt, online: false, connectedAt: 0, pending: new Set() };
    this.conn = conn;
    client.on('error', (error) => {
      conn.error = describeError(error, this.url);
    });
    client.on('disconnect', (packet) => {
      conn.serverReason = `the broker disconnected: ${reasonText(packet.reasonCode ?? 0)}`;
    });
    client.on('message', this.deliver);
    client.on('connect', (connack) => void this.onConnect(conn, connack));
    client.once('close', () => this.onClose(conn));
  }

  private async connectOptions(attempt: number): Promise<IClientOptions> {
    const { options } = this;
    const will = await options.willFor?.({ attempt, connects: this.connects });
    const tls = options.tls ?? {};
    const read = (path: string | undefined, key: string) =>
      path === undefined ? undefined : readConfigFile(path, key, this.url);
    const [password, ca, cert, key] = await Promise.all([
      read(options.passwordFile, 'mqtt.passwordFile'),
      read(tls.ca, 'mqtt.tls.ca'),
      read(tls.cert, 'mqtt.tls.cert'),
      read(tls.key, 'mqtt.tls.key'),
    ]);
    return {
      protocolVersion: this.version,
      clientId: options.clientId,
      username: options.username,
      // A trailing newline is how editors and `echo` save a one-line file, never part of the password.
      password: password?.toString('utf8').replace(/\r?\n$/, ''),
      clean: false,
      properties:
        this.version === 5 ? { sessionExpiryInterval: options.sessionExpiryS ?? 604_800 } : undefined,
      keepalive: options.keepaliveS ?? 30,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      will: will && {
        topic: will.topic,
        payload: Buffer.from(will.payload),
        qos: will.qos ?? 1,
        retain: will.retain ?? false,
      },
      ca,
      cert,
      key,
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
    };
  }

  private async onConnect(conn: Connection, connack: Parameters<OnConnectCallback>[0]): Promise<void> {
    if (this.conn !== conn || this.state !== 'connecting') {
      conn.client.end(true);
      return;
    }
    conn.online = true;
    conn.connectedAt = Date.now();
    this.state = 'online';
    this.connects++;
    this.lastConnectAt = conn.connectedAt;
    this.sessionPresent = connack.sessionPresent;
    // 3.1.1 §3.2.2.2: without a session present the broker has no subscriptions for us.
    if (!connack.sessionPresent) for (const sub of this.subscriptions.values()) sub.acked = false;
    // Subscribed before `connected` fires, so an orchestrator that reacts to the birth finds the node listening.
    await Promise.all(
      [...this.subscriptions].filter(([, s]) => !s.acked).map(([t, s]) => this.sendSubscribe(conn, t, s)),
    );
    if (this.conn !== conn || !conn.online) return;
    conn.info = {
      attempt: conn.attempt,
      sessionPresent: connack.sessionPresent,
      reconnect: this.connects > 1,
      receiveMaximum: connack.properties?.receiveMaximum,
      maximumPacketSize: connack.properties?.maximumPacketSize,
    };
    for (const w of this.connectWaiters) w.resolve(conn.info);
    this.connectWaiters.clear();
    this.emit('connected', conn.info);
  }

  private sendSubscribe(conn: Connection, topic: string, sub: Subscription): Promise<void> {
    return new Promise((resolve) => {
      conn.client.subscribe(topic, { qos: sub.qos }, (error, granted, packet) => {
        const code = packet?.granted?.[0];
        if (!error && granted?.[0]) {
          sub.acked = true;
          for (const w of sub.waiters.splice(0)) w.resolve(granted[0].qos);
        } else if (typeof code === 'number' && code >= 0x80) {
          const refused = new MqttLinkError(
            'rejected',
            `MQTT broker ${this.url}: subscription to ${topic} refused (${reasonText(code)}): check the broker's ACL for this client`,
            this.url,
            code,
          );
          for (const w of sub.waiters.splice(0)) w.reject(refused);
          this.emit('error', refused);
        }
        // Otherwise the connection closed first: the next connection subscribes again.
        resolve();
      });
    });
  }

  private readonly deliver: OnMessageCallback = (topic, payload, packet) => {
    const p = packet.properties;
    const inbound: InboundPacket = {
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      responseTopic: p?.responseTopic,
      correlationData: p?.correlationData,
      messageExpiryInterval: p?.messageExpiryInterval,
      contentType: p?.contentType,
      userProperties: p?.userProperties,
    };
    for (const handler of this.handlers) {
      try {
        handler(topic, payload, inbound);
      } catch (error) {
        this.emit(
          'error',
          new MqttLinkError('other', `message handler for ${topic} threw: ${error}`, this.url),
        );
      }
    }
  };

  private onClose(conn: Connection): void {
    const error =
      conn.error ??
      new MqttLinkError(
        'closed',
        conn.online
          ? `MQTT broker ${this.url}: connection closed`
          : `MQTT broker ${this.url}: connection closed before CONNACK: is it an MQTT broker, and does the scheme (mqtt:// or mqtts://) match the port?`,
        this.url,
      );
    const lost = new MqttLinkError(
      'closed',
      `MQTT broker ${this.url}: connection lost before PUBACK (${conn.serverReason ?? error.message}); send again`,
      this.url,
    );
    for (const fail of [...conn.pending]) fail(lost);
    conn.client.end(true);
    if (this.conn === conn) this.conn = undefined;
    const ended = this.state === 'closing' || this.state === 'closed';
    if (!ended) this.lastError = error;
    if (conn.online) {
      this.lastDisconnectAt = Date.now();
      conn.online = false;
      const reason = ended ? 'closed by end()' : (conn.serverReason ?? error.message);
      this.emit('disconnected', {
        reason,
        error: ended ? undefined : error,
        connectedMs: Date.now() - conn.connectedAt,
      });
    }
    if (!ended) this.scheduleRetry(error, conn.connectedAt > 0, Date.now() - conn.connectedAt);
  }

  /**
   * A connection that outlived the backoff ceiling (`maxMs`) restarts the backoff;
   * a shorter one (a broker that accepts and then drops us) keeps climbing, so a
   * flapping link retries at most once per `maxMs`.
   */
  private scheduleRetry(error: MqttLinkError, wasOnline: boolean, upMs: number): void {
    if (wasOnline && upMs >= this.reconnect.maxMs) {
      this.failures = 0;
      this.previousDelayMs = 0;
    }
    this.failures++;
    const delayMs = backoffDelay(
      this.reconnect,
      this.failures,
      this.previousDelayMs,
      this.options.random ?? Math.random,
    );
    this.previousDelayMs = delayMs;
    this.state = 'waiting';
    this.emit('retry', { attempt: this.attempts + 1, delayMs, error });
    this.retryTimer = setTimeout(() => void this.attempt(), delayMs);
  }

  private emit<K extends keyof LinkEvents>(event: K, info: LinkEvents[K]): void {
    for (const listener of this.listeners[event]) {
      try {
        listener(info);
      } catch (error) {
        if (event !== 'error')
          this.emit('error', new MqttLinkError('other', `${event} listener threw: ${error}`, this.url));
      }
    }
  }

  private closedError(): MqttLinkError {
    return new MqttLinkError('closed', `MQTT broker ${this.url}: the link was ended`, this.url);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
