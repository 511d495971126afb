/**
 * Secrets in `config.get`. By design the configuration holds none: passwords, keys
 * and tokens live in files it names (`mqtt.passwordFile`, `mqtt.tls.key`,
 * `web.tokenFile`), and `config.get` never reads those files. Paths are not secrets
 * and stay, so a configuration read with `config.get` applies back unchanged.
 *
 * As a guard against a later section that holds a secret inline, any string under a
 * key that names one (password, secret, token, without a `File`/`Path` suffix) is
 * replaced by REDACTED, and `config.apply` puts the running value back wherever it
 * finds REDACTED at the same path, so redaction never leaks into a written file.
 */
export const REDACTED = '<redacted>';

const SECRET_KEY = /(password|passphrase|secret|token|privatekey)$/i;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function redactSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && SECRET_KEY.test(key)) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)]));
  return value;
}

/** `incoming` with every REDACTED replaced by the running value at the same path (left as is where there is none). */
export function restoreRedacted(incoming: unknown, running: unknown): unknown {
  if (incoming === REDACTED) return running === undefined ? incoming : running;
  if (Array.isArray(incoming))
    return incoming.map((v, i) => restoreRedacted(v, Array.isArray(running) ? running[i] : undefined));
  if (isObject(incoming))
    return Object.fromEntries(
      Object.entries(incoming).map(([k, v]) => [
        k,
        restoreRedacted(v, isObject(running) ? running[k] : undefined),
      ]),
    );
  return incoming;
}
