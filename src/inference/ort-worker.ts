/**
 * ONNX Runtime on its own thread, and the only module that loads `onnxruntime-node`.
 *
 * `session.run` in onnxruntime-node is a synchronous native call: on the main thread
 * it would hold the event loop (sampling, interlocks, the watchdog's heartbeat) for
 * the whole inference. So every session lives in one worker thread and the main
 * thread only posts tensors to it. One worker for all models: on a 2-core board the
 * other core is the main thread's; with one intra-op thread and spinning off, ONNX
 * Runtime adds no threads of its own that would busy-wait on it.
 *
 * The worker runs from source text (`eval: true`), like the watchdog, so the same
 * code runs from `dist/` and under vitest (which has no `.js` file beside the `.ts`).
 * It may use only what it requires itself. The library is required by absolute path,
 * resolved here, because an eval'd worker resolves bare names from the working
 * directory, which under systemd is not the install.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface TensorInfo {
  name: string;
  /** Element type as ONNX Runtime names it (`float32`, `int64`…); `undefined` for a non-tensor (a map, a sequence). */
  type: string | undefined;
  /** Dimensions; a string or -1 is a free dimension. */
  shape: ReadonlyArray<number | string>;
}

export interface SessionInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  loadMs: number;
}

export interface Feed {
  type: string;
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array;
}

export interface RunResult {
  outputs: Record<string, { type: string; dims: number[]; data: ArrayLike<number | bigint> }>;
  /** Time inside `session.run`, measured on the inference thread. */
  runMs: number;
}

export class InferenceTimeout extends Error {
  override name = 'InferenceTimeout';
}

// Runs in the worker, from source text.
function inferenceThread(): void {
  const { workerData, parentPort } = require('node:worker_threads');
  const ort = workerData.ortPath ? require(workerData.ortPath) : require('onnxruntime-node');
  // The few shapes of the library used here (the worker cannot import its types).
  type Meta = { name: string; isTensor: boolean; type?: string; shape?: Array<number | string> };
  type Tensor = { type: string; dims: readonly number[]; data: ArrayLike<number | bigint> };
  type Session = {
    inputMetadata: Meta[];
    outputMetadata: Meta[];
    run(feeds: unknown, fetches: string[]): Promise<Record<string, Tensor>>;
    release(): Promise<void>;
  };
  type Request = {
    id: number;
    op: 'load' | 'run' | 'release';
    key: string;
    bytes?: ArrayBuffer;
    feeds?: Record<string, { type: string; dims: number[]; data: unknown }>;
    fetches?: string[];
  };
  const sessions = new Map<string, Session>();
  const options = {
    intraOpNumThreads: workerData.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Spinning threads would keep a core busy between decisions; with one thread there is no pool, but say so.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  const info = (meta: Meta) => ({
    name: meta.name,
    type: meta.isTensor ? meta.type : undefined,
    shape: meta.isTensor ? meta.shape : [],
  });
  const answer = (id: number, body: object, transfer: ArrayBuffer[] = []) =>
    parentPort.postMessage({ id, ...body }, transfer);
  parentPort.on('message', async (message: Request) => {
    const { id, op, key } = message;
    try {
      if (op === 'load') {
        const started = performance.now();
        const session: Session = await ort.InferenceSession.create(new Uint8Array(message.bytes!), options);
        const loadMs = performance.now() - started;
        const previous = sessions.get(key);
        sessions.set(key, session);
        await previous?.release();
        answer(id, {
          ok: true,
          info: {
            inputs: session.inputMetadata.map(info),
            outputs: session.outputMetadata.map(info),
            loadMs,
          },
        });
      } else if (op === 'run') {
        const session = sessions.get(key);
        if (!session) throw new Error(`no session "${key}" on the inference thread`);
        const feeds: Record<string, unknown> = {};
        for (const [name, feed] of Object.entries(message.feeds ?? {}))
          feeds[name] = new ort.Tensor(feed.type, feed.data, feed.dims);
        const started = performance.now();
        const results = await session.run(feeds, message.fetches ?? []);
        const runMs = performance.now() - started;
        const outputs: Record<string, object> = {};
        for (const [name, tensor] of Object.entries(results))
          outputs[name] = { type: tensor.type, dims: [...tensor.dims], data: tensor.data };
        answer(id, { ok: true, result: { outputs, runMs } });
      } else if (op === 'release') {
        const session = sessions.get(key);
        sessions.delete(key);
        await session?.release();
        answer(id, { ok: true });
      }
    } catch (error) {
      answer(id, { ok: false, error: String((error as Error)?.message ?? error) });
    }
  });
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

export interface InferenceHostOptions {
  threads: number;
  /** Called when the thread dies unexpectedly; its sessions are reloaded on the next load or run. */
  onCrash?(error: Error): void;
}

/** The main thread's side: sessions by key, loaded, run and released on the inference thread. */
export class InferenceHost {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Model bytes by session key, to reload them if the thread has to be restarted. */
  private readonly loaded = new Map<string, Uint8Array>();
  private closed = false;

  constructor(private readonly options: InferenceHostOptions) {}

  /** Loads (or replaces) a session; rejects with ONNX Runtime's reason for a file it cannot load. */
  async load(key: string, bytes: Uint8Array): Promise<SessionInfo> {
    const info = (await this.call({ op: 'load', key, bytes: copy(bytes) }, undefined)) as SessionInfo;
    this.loaded.set(key, bytes);
    return info;
  }

  /** Runs a loaded session; rejects with `InferenceTimeout` after `timeoutMs` (the late result is dropped). */
  async run(
    key: string,
    feeds: Record<string, Feed>,
    fetches: string[],
    timeoutMs: number,
  ): Promise<RunResult> {
    return (await this.call({ op: 'run', key, feeds, fetches }, timeoutMs)) as RunResult;
  }

  async release(key: string): Promise<void> {
    if (!this.loaded.delete(key) || !this.worker) return;
    await this.call({ op: 'release', key }, undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('the inference thread was stopped'));
    await worker?.terminate();
  }

  private async thread(): Promise<Worker> {
    if (this.closed) throw new Error('the inference thread was stopped');
    if (this.worker) return this.worker;
    const worker = new Worker(`(${inferenceThread.toString()})()`, {
      eval: true,
      workerData: { threads: this.options.threads, ortPath: resolveOrt() },
    });
    this.worker = worker;
    worker.unref();
    worker.on(
      'message',
      (message: { id: number; ok: boolean; error?: string; info?: unknown; result?: unknown }) => {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.info ?? message.result);
        else pending.reject(new Error(message.error));
      },
    );
    const onDeath = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(error);
      if (!this.closed) this.options.onCrash?.(error);
    };
    worker.on('error', onDeath);
    worker.on('exit', (code) => onDeath(new Error(`the inference thread exited (${code})`)));
    // Sessions of a thread that died come back on the new one.
    for (const [key, bytes] of this.loaded)
      await this.callOn(worker, { op: 'load', key, bytes: copy(bytes) }, undefined);
    return worker;
  }

  private async call(message: Record<string, unknown>, timeoutMs: number | undefined): Promise<unknown> {
    return this.callOn(await this.thread(), message, timeoutMs);
  }

  private callOn(
    worker: Worker,
    message: Record<string, unknown>,
    timeoutMs: number | undefined,
  ): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      if (timeoutMs !== undefined)
        pending.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new InferenceTimeout(`no result within ${timeoutMs} ms`));
        }, timeoutMs);
      this.pending.set(id, pending);
      const transfer = message.bytes instanceof ArrayBuffer ? [message.bytes] : [];
      worker.postMessage({ id, ...message }, transfer);
    });
  }

  private failAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(error);
    }
  }
}

/** A copy in an ArrayBuffer of its own, to transfer (a Node Buffer is often a view into a shared pool). */
function copy(bytes: Uint8Array): ArrayBuffer {
  const own = new Uint8Array(bytes.byteLength);
  own.set(bytes);
  return own.buffer;
}

function resolveOrt(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch {
    return undefined;
  }
}
