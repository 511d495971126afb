/**
 * Can this node reach its broker and log in? One step at a time, so the answer names
 * the layer that failed: DNS, TCP, TLS (certificate chain, client certificate), then
 * MQTT (CONNACK: user name, password, ACL). `benchloop doctor` and `benchloop
 * provision` both use it.
 *
 * The MQTT step connects under its own client id (`…-probe`), never the node's: the
 * broker would otherwise hand the probe the node's persistent session (and its queued
 * commands) and disconnect a running daemon.
 */
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { LinkConfig } from '../config/mqtt-schema.js';
import { defaultClientId, linkOptionsFromConfig } from '../sync/link-options.js';
import { describeError, MqttLink, redactUrl } from '../sync/mqtt-link.js';
import { type CheckResult, fail, ok, skip } from './doctor-report.js';

const NETWORK_FIX: Record<string, string> = {
  ECONNREFUSED:
    'is the broker running and listening on that port? Check the port in mqtt.url (1883 for mqtt://, 8883 for mqtts://)',
  ETIMEDOUT: 'check the network path and firewalls between this machine and the broker',
  EHOSTUNREACH: 'check the network link (cable, Wi-Fi) and routes: ip route',
  ENETUNREACH: 'check the network link (cable, Wi-Fi) and routes: ip route',
  ECONNRESET:
    'something on the path closed the connection: check firewalls and that this is the broker’s port',
};

export async function probeBroker(
  link: LinkConfig,
  node: { site: string; id: string },
): Promise<CheckResult[]> {
  if (link.embedded)
    return [skip('broker', `embedded broker on 127.0.0.1:${link.embeddedPort}: it starts with the daemon`)];
  const url = new URL(link.url!);
  const shown = redactUrl(link.url!);
  const tls = url.protocol === 'mqtts:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (tls ? 8883 : 1883));
  const results: CheckResult[] = [];

  let address = host;
  if (isIP(host) === 0) {
    try {
      address = (await lookup(host)).address;
      results.push(ok('broker.dns', `${host} is ${address}`));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      results.push(
        fail(
          'broker.dns',
          `cannot resolve ${host} (${code})`,
          'check the host name in mqtt.url, and this machine’s DNS (resolvectl status; /etc/resolv.conf)',
        ),
      );
      return results;
    }
  }

  const tcp = await tcpConnect(address, port, link.connectTimeoutMs);
  if (tcp) {
    results.push(
      fail(
        'broker.tcp',
        `${host}:${port}: ${tcp === 'timeout' ? `no answer within ${link.connectTimeoutMs} ms` : tcp}`,
        NETWORK_FIX[tcp === 'timeout' ? 'ETIMEDOUT' : tcp] ?? 'check the network and the broker address',
      ),
    );
    return results;
  }
  results.push(ok('broker.tcp', `${host}:${port} accepts connections`));

  if (tls) {
    const problem = await tlsHandshake(link, host, address, port, shown);
    if (problem) {
      results.push(problem);
      return results;
    }
    results.push(
      ok('broker.tls', `certificate verified${link.tls?.ca ? ` against ${link.tls.ca}` : ' (system CAs)'}`),
    );
  }

  results.push(await mqttLogin(link, node));
  return results;
}

/** undefined when connected; else the error code or `timeout`. */
function tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (result: string | undefined) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    socket.connect(port, host, () => done(undefined));
  });
}

async function tlsHandshake(
  link: LinkConfig,
  host: string,
  address: string,
  port: number,
  url: string,
): Promise<CheckResult | undefined> {
  const files: Record<string, Buffer | undefined> = {};
  for (const key of ['ca', 'cert', 'key'] as const) {
    const path = link.tls?.[key];
    if (!path) continue;
    try {
      files[key] = await readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return fail(
        'broker.tls',
        `cannot read mqtt.tls.${key} ${path} (${code})`,
        code === 'EACCES'
          ? `make it readable by the user benchloop runs as: chown benchloop ${path}`
          : 'check the path in the configuration',
      );
    }
  }
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: address,
      port,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ca: files.ca,
      cert: files.cert,
      key: files.key,
      rejectUnauthorized: link.tls?.rejectUnauthorized ?? true,
      timeout: link.connectTimeoutMs,
    });
    const done = (result: CheckResult | undefined) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => done(undefined));
    socket.once('timeout', () =>
      done(
        fail(
          'broker.tls',
          `no TLS handshake within ${link.connectTimeoutMs} ms`,
          'check that the port is the broker’s TLS listener',
        ),
      ),
    );
    socket.once('error', (error) => {
      const described = describeError(error, url);
      const [what, fix] = splitFix(described.message.replace(`MQTT broker ${url}: `, ''));
      done(fail('broker.tls', what, fix ?? 'check mqtt.tls in the configuration'));
    });
  });
}

/** One connection attempt under a probe client id: the CONNACK says whether the credentials are accepted. */
async function mqttLogin(link: LinkConfig, node: { site: string; id: string }): Promise<CheckResult> {
  const options = linkOptionsFromConfig(link, node);
  const probe = new MqttLink({
    ...options,
    clientId: `${(link.clientId ?? defaultClientId(node)).slice(0, 200)}-probe`,
    // MQTT 5: the broker forgets the probe's session a second after it leaves.
    sessionExpiryS: 1,
    random: () => 1,
  });
  const outcome = await new Promise<CheckResult>((resolve) => {
    probe.on('connected', () =>
      resolve(
        ok(
          'broker.login',
          `logged in${link.username ? ` as ${link.username}` : ''}; the broker accepts this node`,
        ),
      ),
    );
    probe.on('retry', ({ error }) => {
      const [what, fix] = splitFix(error.message.replace(/^MQTT broker \S+: /, ''));
      resolve(fail('broker.login', what, fix ?? 'check the mqtt section of the configuration'));
    });
    probe.start();
  });
  await probe.end({ timeoutMs: 2000 }).catch(() => undefined);
  return outcome;
}

/** Link error texts read "what happened: what to do"; a report shows them on two lines. */
function splitFix(text: string): [string, string | undefined] {
  const at = text.indexOf(': ');
  if (at < 0) return [text, undefined];
  const [what, fix] = [text.slice(0, at), text.slice(at + 2)];
  // "TLS: the broker's certificate is not trusted (…): check …" has its fix after the second colon.
  if (what === 'TLS') {
    const [inner, innerFix] = splitFix(fix);
    return [`TLS: ${inner}`, innerFix];
  }
  return [what, fix];
}
