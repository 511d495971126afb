/**
 * The config's `mqtt:` section. Strict objects like the rest of the config; rules
 * that span keys are refinements here, so `benchloop check` reports them with the
 * key path. How it becomes a connection is src/sync/link-options.ts.
 */
import { z } from 'zod';

const filePath = z.string().min(1);

/**
 * Retry spacing after a failed attempt or a lost connection (AWS Architecture Blog,
 * "Exponential Backoff and Jitter", 2015). `full`: a uniform draw in
 * [0, min(maxMs, initialMs·2^(n−1))], so a fleet that lost its broker spreads over
 * the whole window instead of reconnecting in one storm. `decorrelated`:
 * min(maxMs, uniform(initialMs, 3·previous)), a little less spread, fewer very
 * short waits.
 */
export const reconnectSchema = z
  .strictObject({
    initialMs: z.number().int().min(10).default(1000),
    maxMs: z.number().int().min(10).default(60_000),
    jitter: z.enum(['full', 'decorrelated']).default('full'),
  })
  .refine((r) => r.maxMs >= r.initialMs, { error: 'maxMs must be ≥ initialMs', path: ['maxMs'] });

export type ReconnectPolicy = z.output<typeof reconnectSchema>;

const tlsSchema = z
  .strictObject({
    /** PEM file of the CA that signed the broker's certificate (default: Node's bundled CAs). */
    ca: filePath.optional(),
    /** Client certificate and its key (PEM), for brokers with `require_certificate true`. */
    cert: filePath.optional(),
    key: filePath.optional(),
    rejectUnauthorized: z.boolean().default(true),
  })
  .refine((t) => (t.cert === undefined) === (t.key === undefined), {
    error: 'cert and key go together: give both or neither',
  });

const DEFAULT_RECONNECT = { initialMs: 1000, maxMs: 60_000, jitter: 'full' } as const;

export const linkConfigSchema = z
  .strictObject({
    /** `mqtt://host:1883` or `mqtts://host:8883`; not with `embedded: true`. */
    url: z
      .string()
      .regex(/^mqtts?:\/\/[^/]/, { error: 'a broker URL: mqtt://host:port or mqtts://host:port' })
      .optional(),
    /** 4 is MQTT 3.1.1, 5 is MQTT 5. */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
    /** The broker keys the persistent session by it: default `benchloop-{site}-{node}`, stable across restarts. */
    clientId: z.string().min(1).max(256).optional(),
    username: z.string().min(1).optional(),
    /** Read at every connection attempt (so a rotated password is picked up); never logged. */
    passwordFile: filePath.optional(),
    tls: tlsSchema.optional(),
    keepaliveS: z.number().int().min(0).max(65_535).default(30),
    /** MQTT 5 Session Expiry Interval: how long the broker keeps queued commands for a node that is away. */
    sessionExpiryS: z
      .number()
      .int()
      .min(1)
      .max(4_294_967_295)
      .default(7 * 24 * 3600),
    /** From opening the socket to CONNACK (DNS, TCP, TLS and MQTT handshakes). */
    connectTimeoutMs: z.number().int().min(100).default(10_000),
    reconnect: reconnectSchema.default(DEFAULT_RECONNECT),
    /** Run an in-process broker (aedes) on 127.0.0.1:embeddedPort and connect to it: no broker to install. */
    embedded: z.boolean().default(false),
    embeddedPort: z.number().int().min(1).max(65_535).default(1883),
  })
  .superRefine((c, ctx) => {
    const issue = (message: string, path: string[]) => ctx.addIssue({ code: 'custom', message, path });
    if (c.embedded) {
      if (c.url !== undefined)
        issue('with embedded: true the node connects to mqtt://127.0.0.1:<embeddedPort>; remove url', [
          'url',
        ]);
      if (c.protocolVersion === 5)
        issue('the embedded broker (aedes) speaks MQTT 3.1.1 only: use protocolVersion: 4', [
          'protocolVersion',
        ]);
      if (c.tls) issue('the embedded broker listens on 127.0.0.1 without TLS: remove tls', ['tls']);
    } else if (c.url === undefined) {
      issue('missing; give the broker url (mqtt://host:1883), or embedded: true', ['url']);
    }
    if (c.url !== undefined) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(c.url);
      } catch {
        issue(`not a valid URL: ${c.url}`, ['url']);
      }
      if (parsed && (parsed.username || parsed.password))
        issue('credentials in the url would be logged: use username and passwordFile', ['url']);
      if (parsed && c.tls && parsed.protocol !== 'mqtts:') issue('tls needs an mqtts:// url', ['tls']);
    }
    // MQTT 3.1.1 §3.1.2.9 [MQTT-3.1.2-22]: no password flag without the user name flag.
    if (c.passwordFile !== undefined && c.username === undefined)
      issue('a password needs a username (MQTT 3.1.1 §3.1.2.9)', ['passwordFile']);
  });

export type LinkConfig = z.output<typeof linkConfigSchema>;
