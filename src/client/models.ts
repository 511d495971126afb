/**
 * Model deployment (protocol §Model transfer): `model.begin` opens a transfer and
 * names the chunk size; the file goes out in order as chunks of at most that size
 * to `R/model/{transfer}/{index}`, each awaited to its PUBACK; `model.commit` makes
 * the node check size and sha256, load the model against its configuration and
 * activate it (or run it in shadow). The node keeps chunks by index, so a chunk
 * resent after a reconnect is harmless.
 */
import { createHash } from 'node:crypto';
import type { ModelDescription, NodeAddress } from '../protocol/index.js';
import { modelChunkTopic } from '../protocol/index.js';
import type { MqttLink } from '../sync/mqtt-link.js';
import type { CommandSender, SendOptions } from './commands.js';
import { TransferError } from './errors.js';

export interface TransferProgress {
  phase: 'begin' | 'chunks' | 'commit' | 'done';
  transfer?: string;
  sentBytes: number;
  totalBytes: number;
  sentChunks: number;
  chunks: number;
}

export interface DeployModelOptions {
  name: string;
  version: string;
  file: Uint8Array;
  /** Run beside the active version, publishing its decisions as events, until `promote`. */
  shadow?: boolean;
  onProgress?: (progress: TransferProgress) => void;
  /** Chunks awaiting their PUBACK at once. Default 8. */
  window?: number;
  /** For `model.commit`, which loads and checks the model on the node. Default 120 s. */
  commitTimeoutMs?: number;
  /** For `model.begin`. */
  send?: SendOptions;
}

export interface DeployResult {
  name: string;
  version: string;
  active: boolean;
  transfer: string;
  sha256: string;
  size: number;
  chunks: number;
}

/** A model as `model.list` and the birth show it; `shadow` is this node's extension. */
export type InstalledModel = ModelDescription & { shadow?: boolean };

/** How often one chunk is sent again after the link dropped under it. */
const CHUNK_ATTEMPTS = 3;

export class Models {
  constructor(
    private readonly link: MqttLink,
    private readonly commands: CommandSender,
  ) {}

  async deploy(address: NodeAddress, options: DeployModelOptions): Promise<DeployResult> {
    const { file, name, version } = options;
    if (file.byteLength === 0) throw new TransferError(`model ${name} ${version}: the file is empty`);
    const sha256 = createHash('sha256').update(file).digest('hex');
    const size = file.byteLength;
    const progress: TransferProgress = {
      phase: 'begin',
      sentBytes: 0,
      totalBytes: size,
      sentChunks: 0,
      chunks: 0,
    };
    const report = () => options.onProgress?.({ ...progress });
    report();
    const { transfer, chunkSize } = await this.commands.send<{ transfer: string; chunkSize: number }>(
      address,
      'model.begin',
      { name, version, sha256, size },
      options.send,
    );
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1)
      throw new TransferError(`model.begin answered a chunk size of ${chunkSize}`);
    progress.phase = 'chunks';
    progress.transfer = transfer;
    progress.chunks = Math.ceil(size / chunkSize);
    report();
    let next = 0;
    const worker = async () => {
      while (next < progress.chunks) {
        const index = next++;
        const chunk = file.subarray(index * chunkSize, Math.min(size, (index + 1) * chunkSize));
        await this.sendChunk(modelChunkTopic(address, transfer, index), chunk);
        progress.sentBytes += chunk.byteLength;
        progress.sentChunks++;
        report();
      }
    };
    const window = Math.max(1, Math.min(options.window ?? 8, progress.chunks));
    await Promise.all(Array.from({ length: window }, worker));
    progress.phase = 'commit';
    report();
    const committed = await this.commands.send<{ name: string; version: string; active: boolean }>(
      address,
      'model.commit',
      { transfer, ...(options.shadow ? { shadow: true } : {}) },
      { ...options.send, timeoutMs: options.commitTimeoutMs ?? 120_000 },
    );
    progress.phase = 'done';
    report();
    return { ...committed, transfer, sha256, size, chunks: progress.chunks };
  }

  /** The version in shadow mode starts driving. */
  promote(address: NodeAddress, name: string, options?: SendOptions) {
    return this.commands.send<{ name: string; version: string }>(address, 'model.promote', { name }, options);
  }

  /** The version active before the current one runs again. */
  rollback(address: NodeAddress, name: string, options?: SendOptions) {
    return this.commands.send<{ name: string; version: string }>(
      address,
      'model.rollback',
      { name },
      options,
    );
  }

  list(address: NodeAddress, options?: SendOptions) {
    return this.commands.send<{ models: InstalledModel[] }>(address, 'model.list', undefined, options);
  }

  /** A chunk whose connection dropped before its PUBACK goes again on the next connection. */
  private async sendChunk(topic: string, chunk: Uint8Array): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.link.publish(topic, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), {
          qos: 1,
        });
        return;
      } catch (error) {
        if (attempt >= CHUNK_ATTEMPTS)
          throw new TransferError(
            `${topic}: not delivered after ${attempt} attempts: ${(error as Error).message}`,
          );
        await this.link.whenConnected();
      }
    }
  }
}
