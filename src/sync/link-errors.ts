/**
 * The link's error vocabulary: what failed (DNS, refusal, TLS, CONNACK codes of
 * MQTT 3.1.1 §3.2.2.3 and MQTT 5 §3.2.2.2) in words a technician can act on, with
 * the broker named and credentials removed.
 */
export type LinkErrorKind =
  | 'dns'
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'auth'
  | 'not-authorized'
  | 'protocol'
  | 'unavailable'
  | 'rejected'
  | 'closed'
  | 'offline'
  | 'config'
  | 'other';

/** Names the broker (credentials removed) and what to check; never carries the password. */
export class MqttLinkError extends Error {
  constructor(
    readonly kind: LinkErrorKind,
    message: string,
    readonly url: string,
    readonly reasonCode?: number,
  ) {
    super(message);
    this.name = 'MqttLinkError';
  }
}

export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1').replace(/\/$/, '');
}

const PROTOCOL_HINT = 'set mqtt.protocolVersion to one the broker speaks (4 = MQTT 3.1.1, 5 = MQTT 5)';
const CLIENT_ID_HINT = 'check mqtt.clientId (length, characters) against the broker';
const AUTH_HINT = 'check mqtt.username and the password in mqtt.passwordFile';
const ACL_HINT = "check the broker's ACL for this user, client id or client certificate";

/** CONNACK return codes (3.1.1 §3.2.2.3, 1–5) and MQTT 5 reason codes (§2.4, ≥ 0x80): the ranges do not overlap. */
const REASONS: Record<number, [LinkErrorKind, string, string?]> = {
  1: ['protocol', 'unacceptable protocol version', PROTOCOL_HINT],
  2: ['protocol', 'identifier rejected', CLIENT_ID_HINT],
  3: ['unavailable', 'server unavailable'],
  4: ['auth', 'bad user name or password', AUTH_HINT],
  // Mosquitto answers a wrong password with 5, not 4, on 3.1.1.
  5: ['not-authorized', 'not authorized', `${AUTH_HINT}; or ${ACL_HINT}`],
  128: ['other', 'unspecified error'],
  129: ['protocol', 'malformed packet'],
  130: ['protocol', 'protocol error'],
  131: ['other', 'implementation specific error'],
  132: ['protocol', 'unsupported protocol version', PROTOCOL_HINT],
  133: ['protocol', 'client identifier not valid', CLIENT_ID_HINT],
  134: ['auth', 'bad user name or password', AUTH_HINT],
  135: ['not-authorized', 'not authorized', ACL_HINT],
  136: ['unavailable', 'server unavailable'],
  137: ['unavailable', 'server busy'],
  138: ['not-authorized', 'banned', ACL_HINT],
  139: ['unavailable', 'server shutting down'],
  140: ['auth', 'bad authentication method', AUTH_HINT],
  141: ['timeout', 'keep alive timeout'],
  142: [
    'closed',
    'session taken over',
    'another client connected with this mqtt.clientId: it must be unique per node',
  ],
  144: ['protocol', 'topic name invalid'],
  149: ['protocol', 'packet too large', "the broker's maximum packet size is smaller than this message"],
  151: ['unavailable', 'quota exceeded'],
  153: ['protocol', 'payload format invalid'],
  154: ['protocol', 'retain not supported'],
  155: ['protocol', 'QoS not supported'],
  156: ['unavailable', 'use another server'],
  157: ['unavailable', 'server moved'],
  159: ['unavailable', 'connection rate exceeded'],
};

export function reasonText(code: number): string {
  return REASONS[code]?.[1] ?? `reason code 0x${code.toString(16)}`;
}

const NETWORK: Record<string, [LinkErrorKind, string]> = {
  ENOTFOUND: ['dns', 'host name not found: check the host in mqtt.url and this machine’s DNS'],
  EAI_AGAIN: ['dns', 'DNS lookup failed: check the network and the DNS server'],
  ECONNREFUSED: ['refused', 'connection refused: is the broker running and listening on that port?'],
  ETIMEDOUT: ['unreachable', 'timed out: check the network path and firewalls'],
  EHOSTUNREACH: ['unreachable', 'host unreachable: check the network link and routes'],
  ENETUNREACH: ['unreachable', 'network unreachable: check the network link and routes'],
  ECONNRESET: ['closed', 'connection reset by the broker or the network'],
  EPIPE: ['closed', 'connection closed while writing'],
};

/** Node/OpenSSL verification codes that mean "not signed by a CA we trust". */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** What an MQTT.js, socket or TLS error means for this broker, in words a technician can act on. */
export function describeError(error: unknown, url: string, operation = 'connect'): MqttLinkError {
  if (error instanceof MqttLinkError) return error;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: string };
  const text = message ?? String(error);
  const make = (kind: LinkErrorKind, what: string, reasonCode?: number) =>
    new MqttLinkError(kind, `MQTT broker ${url}: ${what}`, url, reasonCode);
  if (typeof code === 'number') {
    const [kind, words, hint] = REASONS[code] ?? ['other', reasonText(code)];
    const what = operation === 'connect' ? 'connection refused' : `${operation} refused`;
    return make(kind, `${what} (${words})${hint ? `: ${hint}` : ''}`, code);
  }
  if (typeof code === 'string') {
    const network = NETWORK[code];
    if (network) return make(network[0], `${network[1]} (${code})`);
    if (UNTRUSTED.has(code))
      return make(
        'tls',
        `TLS: the broker's certificate is not trusted (${code}): check that mqtt.tls.ca is the CA that signed it`,
      );
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
      return make(
        'tls',
        `TLS: certificate outside its validity dates (${code}): check it, and this machine's clock`,
      );
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
      return make(
        'tls',
        `TLS: ${text}: use a host name or address from the certificate's subjectAltName in mqtt.url`,
      );
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER')
      return make(
        'tls',
        `TLS: that port does not speak TLS (${code}): mqtts:// needs the broker's TLS listener (usually 8883)`,
      );
    if (/^ERR_SSL_.*ALERT/.test(code))
      return make(
        'tls',
        `TLS: the broker refused the handshake (${code}): check mqtt.tls.cert and mqtt.tls.key`,
      );
    if (/^ERR_(SSL|TLS)_/.test(code) || code === 'EPROTO')
      return make('tls', `TLS handshake failed (${code}: ${text}): check mqtt.tls`);
  }
  if (text === 'connack timeout')
    return make(
      'timeout',
      'no CONNACK within connectTimeoutMs: check that this is an MQTT port and the link is alive',
    );
  if (text === 'Keepalive timeout')
    return make('timeout', 'no answer to keepalive pings: the link or the broker stalled');
  if (text === 'TLS not authorized')
    return make(
      'tls',
      "TLS: the broker's certificate is not trusted: check that mqtt.tls.ca is the CA that signed it",
    );
  return make('other', `${operation} failed: ${text}`);
}
