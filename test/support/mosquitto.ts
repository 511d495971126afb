/**
 * A real Mosquitto for tests: its own generated config in a temp folder, a free
 * port on 127.0.0.1, persistence on (queued QoS 1 messages and retained status
 * survive `restart()`), and readiness taken from its "running" log line, not a
 * sleep. Plus `mosquitto_sub`/`mosquitto_pub` as child processes, the way an
 * orchestrator written by someone else would talk to a node.
 *
 * Every broker and client started here is SIGKILLed when the test process exits,
 * should a test forget to stop it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const HOST = '127.0.0.1';
const MOSQUITTO = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';

const alive = new Set<ChildProcess>();
const tempDirs = new Set<string>();
function reap(): void {
  for (const child of alive) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
process.once('exit', reap);
// Vitest ends a fork with SIGTERM, which skips 'exit' handlers: reap, then die of the signal as before.
process.once('SIGTERM', () => {
  reap();
  process.kill(process.pid, 'SIGTERM');
});

function track(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  alive.add(child);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      alive.delete(child);
      resolve({ code, signal });
    }),
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface MosquittoOptions {
  /** Users for a password file made with `mosquitto_passwd -b`; anonymous clients are then refused unless allowAnonymous. */
  users?: Record<string, string>;
  allowAnonymous?: boolean;
  /** A TLS listener: PEM files of the CA that clients' certificates must chain to, and the server's certificate. */
  tls?: { caFile: string; certFile: string; keyFile: string; requireCertificate?: boolean };
  persistence?: boolean;
  /** Logs every packet (`log_type all`): for debugging a test, too slow for the benchmark. */
  verbose?: boolean;
}

export class Mosquitto {
  readonly log: string[] = [];
  private readonly logWaiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tls: boolean,
  ) {}

  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const dir = mkdtempSync(join(tmpdir(), 'benchloop-mosquitto-'));
    tempDirs.add(dir);
    const lines = [
      // Run as root, Mosquitto switches to the `mosquitto` user, which could not read this temp folder.
      `user ${userInfo().username}`,
      'log_dest stderr',
      // One type per line: Mosquitto takes only the first word of a log_type line.
      ...(options.verbose ? ['all'] : ['error', 'warning', 'notice', 'information']).map(
        (t) => `log_type ${t}`,
      ),
      `persistence ${options.persistence === false ? 'false' : 'true'}`,
      `persistence_location ${dir}/`,
      `allow_anonymous ${options.allowAnonymous ?? !options.users}`,
    ];
    if (options.users) {
      const file = join(dir, 'passwd');
      writeFileSync(file, '');
      for (const [user, password] of Object.entries(options.users))
        await run('mosquitto_passwd', ['-b', file, user, password]);
      lines.push(`password_file ${file}`);
    }
    if (options.tls) {
      const t = options.tls;
      lines.push(`cafile ${t.caFile}`, `certfile ${t.certFile}`, `keyfile ${t.keyFile}`);
      lines.push(`require_certificate ${t.requireCertificate ? 'true' : 'false'}`);
    }
    // The free port can be taken between freePort() and bind: try again on another.
    for (let tries = 1; ; tries++) {
      const port = await freePort();
      writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} ${HOST}\n${lines.join('\n')}\n`);
      const broker = new Mosquitto(dir, port, Boolean(options.tls));
      try {
        await broker.start();
        return broker;
      } catch (error) {
        if (tries >= 3 || !/Address already in use/.test(String(error))) {
          rmSync(dir, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  get url(): string {
    return `${this.tls ? 'mqtts' : 'mqtt'}://${HOST}:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts (again, after stop or kill) on the same port and config; resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.child) throw new Error('mosquitto is already running');
    const child = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = track(child).then(() => {
      if (this.child === child) this.child = undefined;
    });
    const from = this.log.length;
    const onLine = (line: string) => {
      this.log.push(line);
      for (const w of this.logWaiters) {
        if (!w.pattern.test(line)) continue;
        this.logWaiters.delete(w);
        w.resolve(line);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    const running = this.waitForLog(/mosquitto version \S+ running/, from);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        void running.then(() => resolve());
        child.once('error', reject);
        child.once('exit', (code, signal) =>
          reject(
            new Error(
              `mosquitto exited (${code ?? signal}) before running:\n${this.log.slice(from).join('\n')}`,
            ),
          ),
        );
        timer = setTimeout(
          () => reject(new Error(`mosquitto not running after 10 s:\n${this.log.slice(from).join('\n')}`)),
          10_000,
        );
      });
    } catch (error) {
      child.kill('SIGKILL');
      await this.exited;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM: Mosquitto saves its in-memory database (sessions, queued and retained messages) before exiting. */
  async stop(): Promise<void> {
    this.child?.kill('SIGTERM');
    await this.exited;
  }

  /** SIGKILL: nothing saved since the last autosave. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the broker holds its sockets but answers nothing, like a peer behind a dead link. `kill()` still works. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** The first log line from index `from` on (already seen or to come) that matches. */
  waitForLog(pattern: RegExp, from = 0): Promise<string> {
    const seen = this.log.slice(from).find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.logWaiters.add({ pattern, resolve }));
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    tempDirs.delete(this.dir);
  }
}

export interface ClientTarget {
  port: number;
  /** MQTT 5 (`-V mqttv5`) or 3.1.1 (default). */
  version?: 4 | 5;
  /** For a TLS broker: the CA, and optionally a client certificate. */
  tls?: { caFile: string; certFile?: string; keyFile?: string };
  username?: string;
  password?: string;
}

function connectArgs(target: ClientTarget): string[] {
  const args = ['-h', HOST, '-p', String(target.port), '-V', target.version === 5 ? 'mqttv5' : 'mqttv311'];
  if (target.tls) {
    args.push('--cafile', target.tls.caFile);
    if (target.tls.certFile) args.push('--cert', target.tls.certFile, '--key', target.tls.keyFile!);
  }
  if (target.username) args.push('-u', target.username);
  if (target.password) args.push('-P', target.password);
  return args;
}

/** One message as `mosquitto_sub -F %j` prints it; `properties` holds MQTT 5 properties by their mosquitto names. */
export interface SubMessage {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties?: Record<string, unknown>;
}

export class MosquittoSub {
  private static readonly running = new Set<MosquittoSub>();
  readonly messages: SubMessage[] = [];
  readonly output: string[] = [];
  private readonly waiters = new Set<{
    test: (m: SubMessage) => boolean;
    resolve: (m: SubMessage) => void;
  }>();
  private readonly exited: Promise<unknown>;
  private readonly subscribed: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    MosquittoSub.running.add(this);
    this.exited = track(child).finally(() => MosquittoSub.running.delete(this));
    let onSubscribed = () => {};
    this.subscribed = new Promise<void>((resolve, reject) => {
      onSubscribed = resolve;
      void this.exited.then(() => reject(new Error(`mosquitto_sub exited:\n${this.output.join('\n')}`)));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.output.push(line);
      if (/^Subscribed \(mid: \d+\)/.test(line)) onSubscribed();
      if (!line.startsWith('{')) return;
      const raw = JSON.parse(line) as Omit<SubMessage, 'retain'> & { retain: number };
      const message = { ...raw, retain: Boolean(raw.retain) };
      this.messages.push(message);
      for (const w of this.waiters) {
        if (!w.test(message)) continue;
        this.waiters.delete(w);
        w.resolve(message);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.output.push(line));
  }

  /** Resolves once the broker acknowledged the subscription (the `-d` SUBACK line), so nothing published after is missed. */
  static async start(
    target: ClientTarget,
    topics: string[],
    options: { qos?: 0 | 1; clientId?: string; persistentSession?: boolean } = {},
  ): Promise<MosquittoSub> {
    const args = [...connectArgs(target), '-d', '-F', '%j', '-q', String(options.qos ?? 1)];
    if (options.clientId) args.push('-i', options.clientId);
    if (options.persistentSession) args.push('-c');
    for (const topic of topics) args.push('-t', topic);
    // mosquitto_sub block-buffers its `-d` lines on a pipe (a message line flushes them): stdbuf makes it line-buffered.
    const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const sub = new MosquittoSub(child);
    await sub.subscribed;
    return sub;
  }

  /** The first message (already received or to come) that passes `test`. */
  waitFor(test: (m: SubMessage) => boolean, what = 'message'): Promise<SubMessage> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.waiters.add({ test, resolve });
      void this.exited.then(() =>
        reject(new Error(`mosquitto_sub exited before ${what}:\n${this.output.join('\n')}`)),
      );
    });
  }

  on(topic: string): SubMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
  }

  /** For an afterEach: stops the subscribers a failed test did not get to stop. */
  static async stopAll(): Promise<void> {
    await Promise.all([...MosquittoSub.running].map((s) => s.stop()));
  }
}

/**
 * `mosquitto_pub` once; resolves when it exited 0 (for QoS 1, after the PUBACK).
 * `properties` are `-D` triples, e.g. ['publish', 'response-topic', 'r/1'] (MQTT 5 only).
 */
export async function mosquittoPub(
  target: ClientTarget,
  topic: string,
  message: string,
  options: { qos?: 0 | 1; retain?: boolean; properties?: [string, string, string][]; clientId?: string } = {},
): Promise<void> {
  const args = [...connectArgs(target), '-t', topic, '-m', message, '-q', String(options.qos ?? 1)];
  if (options.retain) args.push('-r');
  if (options.clientId) args.push('-i', options.clientId);
  for (const property of options.properties ?? []) args.push('-D', ...property);
  const child = spawn('mosquitto_pub', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const { code } = await track(child);
  if (code !== 0) throw new Error(`mosquitto_pub -t ${topic} exited ${code}: ${stderr}`);
}

/**
 * `mosquitto_pub -f`: a payload from a file, for binary payloads (model chunks) and for
 * payloads larger than one command-line argument may be (Linux caps it at 128 KiB).
 */
export async function publishFile(
  target: ClientTarget,
  topic: string,
  payload: Uint8Array | string,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'benchloop-pub-'));
  const file = join(dir, 'payload');
  writeFileSync(file, payload);
  try {
    const child = spawn('mosquitto_pub', [...connectArgs(target), '-t', topic, '-f', file, '-q', '1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const { code } = await track(child);
    if (code !== 0) throw new Error(`mosquitto_pub -f (${topic}) exited ${code}: ${stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
