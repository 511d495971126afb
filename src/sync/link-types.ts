/** What the MQTT link takes and tells: options, publish properties, connection events and stats. */
import type { ReconnectPolicy } from '../config/mqtt-schema.js';
import type { MqttLinkError } from './link-errors.js';
import type { MqttLink } from './mqtt-link.js';

export type Qos = 0 | 1;

export interface LinkWill {
  topic: string;
  payload: string | Buffer;
  /** Default 1. */
  qos?: Qos;
  retain?: boolean;
}

export interface AttemptInfo {
  /** 1 for the first attempt of this link, counting every attempt, failed or not. */
  attempt: number;
  /** Successful connections so far. */
  connects: number;
}

export interface MqttLinkOptions {
  url: string;
  protocolVersion?: 4 | 5;
  clientId: string;
  username?: string;
  passwordFile?: string;
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  keepaliveS?: number;
  /** MQTT 5 Session Expiry Interval (§3.1.2.11.2): 0 would end the session at every disconnect. */
  sessionExpiryS?: number;
  connectTimeoutMs?: number;
  reconnect?: ReconnectPolicy;
  /** The Last Will of one attempt, called before each (protocol §Status: the Will carries that attempt's session). */
  willFor?: (attempt: AttemptInfo) => LinkWill | undefined | Promise<LinkWill | undefined>;
  /** Uniform in [0, 1): injectable so tests can pin the jitter. */
  random?: () => number;
}

/** MQTT 5 PUBLISH properties (§3.3.2.3); dropped on 3.1.1. */
export interface PublishProperties {
  responseTopic?: string;
  correlationData?: Buffer;
  messageExpiryInterval?: number;
  contentType?: string;
  payloadFormatIndicator?: boolean;
  userProperties?: Record<string, string | string[]>;
}

export interface PublishOptions {
  qos?: Qos;
  retain?: boolean;
  properties?: PublishProperties;
}

/** Protocol §Commands: a reply also goes to `responseTopic`, with `correlationData`. */
export interface InboundPacket extends Omit<PublishProperties, 'payloadFormatIndicator'> {
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
}

export type MessageHandler = (topic: string, payload: Buffer, packet: InboundPacket) => void;

export interface ConnectedInfo {
  attempt: number;
  /** False after an outage the broker's session did not survive: commands queued for the node are gone. */
  sessionPresent: boolean;
  reconnect: boolean;
  /** MQTT 5 CONNACK (§3.2.2.3): the broker's bounds on the caller's in-flight window and packet size. */
  receiveMaximum?: number;
  maximumPacketSize?: number;
}

export interface DisconnectedInfo {
  reason: string;
  error?: MqttLinkError;
  connectedMs: number;
}

export interface RetryInfo {
  /** The attempt that will run after the delay. */
  attempt: number;
  delayMs: number;
  error: MqttLinkError;
}

export type LinkState = 'idle' | 'connecting' | 'online' | 'waiting' | 'closing' | 'closed';

export interface LinkStats {
  state: LinkState;
  url: string;
  clientId: string;
  attempts: number;
  connects: number;
  reconnects: number;
  lastConnectAt?: number;
  lastDisconnectAt?: number;
  lastError?: string;
  sessionPresent?: boolean;
  inFlight: number;
}

export interface LinkEvents {
  connected: ConnectedInfo;
  disconnected: DisconnectedInfo;
  retry: RetryInfo;
  error: MqttLinkError;
}

export interface EndOptions {
  /** Runs while still connected, before DISCONNECT: publish the death message here and await its PUBACK. */
  beforeClose?: (link: MqttLink) => Promise<void>;
  /** Bound on beforeClose and on the DISCONNECT handshake; then the socket is destroyed. */
  timeoutMs?: number;
}
