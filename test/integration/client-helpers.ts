/**
 * What the client tests share: a real Mosquitto, real daemons, clients of the
 * library connected to it, and `benchloop ctl` as a child process. Everything
 * started is registered and stopped by `stopAll()` (an afterEach), so a failing
 * test leaves nothing running.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BenchloopClient, type ClientOptions } from '../../src/client/index.js';
import { cliPath, repoRoot } from '../support/daemon.js';
import { Mosquitto, type MosquittoOptions, MosquittoSub } from '../support/mosquitto.js';
import { type SyncNode, startSyncNode } from '../support/sync-node.js';

/** The node of test/support/sync-node.ts's config. */
export const NODE = { site: 'test', node: 'it-node' } as const;
export const NODE_KEY = 'test/it-node';

const stops: Array<() => Promise<unknown> | unknown> = [];

export async function stopAll(): Promise<void> {
  for (const stop of stops.splice(0).reverse()) await stop();
  await MosquittoSub.stopAll();
}

export async function startBroker(options?: MosquittoOptions): Promise<Mosquitto> {
  const broker = await Mosquitto.start(options);
  stops.push(() => broker.cleanup());
  return broker;
}

export function startNode(config: string): SyncNode {
  const node = startSyncNode(config);
  stops.push(() => node.daemon.kill('SIGKILL'));
  return node;
}

/** Also registers a node started otherwise (a restart). */
export function track(node: SyncNode): SyncNode {
  stops.push(() => node.daemon.kill('SIGKILL'));
  return node;
}

export async function connectClient(
  broker: Mosquitto,
  options: Partial<ClientOptions> = {},
): Promise<BenchloopClient> {
  const client = await BenchloopClient.connect({
    url: broker.url,
    reconnect: { initialMs: 100, maxMs: 1000, jitter: 'full' },
    ...options,
  });
  stops.push(() => client.close());
  return client;
}

/** Resolves with the first value `on` hands over that passes `test`. */
export function next<T>(
  on: (listener: (value: T) => void) => () => void,
  test: (value: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const off = on((value) => {
      if (!test(value)) return;
      off();
      resolve(value);
    });
  });
}

/** A long-running `benchloop ctl` (watch): its stdout lines as they come, and SIGINT to end it. */
export class CtlProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(args: string[]) {
    const child = spawn(process.execPath, [cliPath, 'ctl', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stops.push(() => child.exitCode === null && child.kill('SIGKILL'));
    const collect = (into: string[]) => (line: string) => {
      into.push(line);
      for (const w of [...this.waiters]) w();
    };
    createInterface({ input: child.stdout }).on('line', collect(this.stdout));
    createInterface({ input: child.stderr }).on('line', collect(this.stderr));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.interrupt = () => child.kill('SIGINT');
  }

  readonly interrupt: () => void;

  /** Resolves once `test` holds over what was printed so far. */
  until(test: (p: CtlProcess) => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!test(this)) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      void this.exited.then(() => reject(new Error(`ctl exited before ${what}:\n${this.stderr.join('\n')}`)));
      check();
    });
  }
}

export interface CtlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `benchloop ctl ARGS` from dist/ (so build first), to its exit. */
export function ctl(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<CtlRun> {
  const child = spawn(process.execPath, [cliPath, 'ctl', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  stops.push(() => child.exitCode === null && child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
