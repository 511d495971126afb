/**
 * The orchestrator's MQTT connection: the node's own `MqttLink` (the one module that
 * imports MQTT.js), configured for a client. Defaults differ from the node's:
 * MQTT 5, and a session that ends with the connection (Session Expiry 0), so a CLI
 * run leaves nothing behind on the broker; an orchestrator that must not miss
 * telemetry while it restarts gives a stable `clientId` and a `sessionExpiryS`.
 */
import { randomBytes } from 'node:crypto';
import type { MqttLinkOptions } from '../sync/link-types.js';
import { MqttLink, type MqttLinkError } from '../sync/mqtt-link.js';

export interface ClientOptions {
  /** `mqtt://host:1883` or `mqtts://host:8883`. */
  url: string;
  /** Default `benchloop-client-<random>`. Give a stable one with `sessionExpiryS` for a session that outlives a restart. */
  clientId?: string;
  /** 5 (default) or 4 (MQTT 3.1.1). Under 4 the link's session is persistent (see docs/orchestrator/connect.md). */
  protocolVersion?: 4 | 5;
  username?: string;
  /** The password, read from this file at each connection attempt (a trailing newline is ignored). */
  passwordFile?: string;
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  keepaliveS?: number;
  /** MQTT 5: how long the broker keeps this client's session (subscriptions, queued QoS 1 messages) after it disconnects. Default 0. */
  sessionExpiryS?: number;
  /** Per attempt, from opening the socket to CONNACK. Default 10 s. */
  connectTimeoutMs?: number;
  reconnect?: MqttLinkOptions['reconnect'];
  /**
   * `connect()` rejects at the first failed attempt (a CLI's choice). Otherwise it
   * keeps retrying and rejects only on errors that retrying cannot mend: bad
   * credentials, not authorised, TLS, protocol version, unreadable files.
   */
  failFast?: boolean;
  /**
   * MQTT 5, opt-in: ask for replies on this topic (the command's Response Topic)
   * instead of subscribing to each node's `R/reply`: one subscription for a whole
   * fleet. Only nodes connected with MQTT 5 see a Response Topic (a broker strips
   * it for an MQTT 3.1.1 subscriber) and every node also answers on `R/reply`, so
   * use it only where every node runs `mqtt.protocolVersion: 5`. `true` picks
   * `benchloop/clients/{clientId}/reply`.
   */
  responseTopic?: string | boolean;
  /** Default for `send`: how long to wait for a reply. 10 s. */
  commandTimeoutMs?: number;
}

/** Errors after which another attempt would fail the same way. */
const FATAL_KINDS = new Set(['auth', 'not-authorized', 'tls', 'protocol', 'config']);

export function defaultClientId(): string {
  return `benchloop-client-${randomBytes(6).toString('hex')}`;
}

export function createLink(options: ClientOptions, clientId: string): MqttLink {
  const version = options.protocolVersion ?? 5;
  return new MqttLink({
    url: options.url,
    clientId,
    protocolVersion: version,
    username: options.username,
    passwordFile: options.passwordFile,
    tls: options.tls,
    keepaliveS: options.keepaliveS ?? 30,
    sessionExpiryS: options.sessionExpiryS ?? 0,
    connectTimeoutMs: options.connectTimeoutMs,
    reconnect: options.reconnect ?? { initialMs: 500, maxMs: 30_000, jitter: 'full' },
  });
}

/** Starts the link and resolves at its first connection; see `ClientOptions.failFast` for when it rejects. */
export async function startLink(link: MqttLink, failFast: boolean): Promise<void> {
  let stop = () => {};
  const failed = new Promise<never>((_, reject) => {
    stop = link.on('retry', ({ error }: { error: MqttLinkError }) => {
      if (failFast || FATAL_KINDS.has(error.kind)) reject(error);
    });
  });
  link.start();
  try {
    await Promise.race([link.whenConnected(), failed]);
  } catch (error) {
    await link.end({ timeoutMs: 1000 }).catch(() => {});
    throw error;
  } finally {
    stop();
  }
}
