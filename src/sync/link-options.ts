/** How the `mqtt:` config becomes an MqttLink's options, and the reconnect spacing it asks for. */
import type { LinkConfig, ReconnectPolicy } from '../config/mqtt-schema.js';
import type { MqttLinkOptions } from './mqtt-link.js';

/** The wait before the next attempt after `failures` (≥ 1) in a row; `previousMs` is the last wait (decorrelated). */
export function backoffDelay(
  policy: ReconnectPolicy,
  failures: number,
  previousMs: number,
  random: () => number,
): number {
  if (policy.jitter === 'full') {
    const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(random() * ceiling);
  }
  const high = Math.max(policy.initialMs, previousMs * 3);
  return Math.min(policy.maxMs, Math.round(policy.initialMs + random() * (high - policy.initialMs)));
}

/** Stable, so the broker finds the node's persistent session again after a restart. */
export function defaultClientId(node: { site: string; id: string }): string {
  return `benchloop-${node.site}-${node.id}`;
}

export function embeddedBrokerUrl(port: number): string {
  return `mqtt://127.0.0.1:${port}`;
}

/** The link options a config asks for; `willFor` and the rest of the runtime wiring are the caller's. */
export function linkOptionsFromConfig(
  config: LinkConfig,
  node: { site: string; id: string },
): Omit<MqttLinkOptions, 'willFor'> {
  return {
    url: config.embedded ? embeddedBrokerUrl(config.embeddedPort) : config.url!,
    protocolVersion: config.protocolVersion,
    clientId: config.clientId ?? defaultClientId(node),
    username: config.username,
    passwordFile: config.passwordFile,
    tls: config.tls,
    keepaliveS: config.keepaliveS,
    sessionExpiryS: config.sessionExpiryS,
    connectTimeoutMs: config.connectTimeoutMs,
    reconnect: config.reconnect,
  };
}
