/**
 * Model transfers in progress (protocol §Model transfer): `model.begin` opens one,
 * chunks arrive on `R/model/{transfer}/{index}`, `model.commit` takes the whole file.
 * Chunks are kept by index, so a QoS 1 duplicate replaces itself and a chunk that
 * overtakes another is still placed right; a chunk larger than the chunk size or
 * past the declared size poisons the transfer, and commit says why. A transfer idle
 * longer than `expireAfterMs` is dropped.
 */
import { randomBytes } from 'node:crypto';

export interface TransferRequest {
  name: string;
  version: string;
  sha256: string;
  size: number;
}

interface Transfer extends TransferRequest {
  id: string;
  chunks: Map<number, Uint8Array>;
  received: number;
  problem?: string;
  lastActivityMs: number;
  waiters: Set<() => void>;
}

export interface TransfersOptions {
  chunkSize: number;
  expireAfterMs: number;
  monoMs(): number;
}

export class Transfers {
  private readonly open = new Map<string, Transfer>();

  constructor(private readonly options: TransfersOptions) {}

  begin(request: TransferRequest): { transfer: string; chunkSize: number } {
    this.expire();
    const id = `t-${randomBytes(8).toString('hex')}`;
    this.open.set(id, {
      ...request,
      id,
      chunks: new Map(),
      received: 0,
      lastActivityMs: this.options.monoMs(),
      waiters: new Set(),
    });
    return { transfer: id, chunkSize: this.options.chunkSize };
  }

  /** Records one chunk; false when no such transfer is open (never begun, committed or expired). */
  chunk(transferId: string, index: number, payload: Uint8Array): boolean {
    const transfer = this.open.get(transferId);
    if (!transfer) return false;
    transfer.lastActivityMs = this.options.monoMs();
    if (transfer.problem) return true;
    const { chunkSize } = this.options;
    if (payload.byteLength > chunkSize) {
      transfer.problem = `chunk ${index} has ${payload.byteLength} bytes, more than the chunk size ${chunkSize}`;
    } else if (index >= Math.max(transfer.size, 1)) {
      transfer.problem = `chunk ${index} cannot belong to a file of ${transfer.size} bytes`;
    } else {
      const before = transfer.chunks.get(index);
      transfer.received += payload.byteLength - (before?.byteLength ?? 0);
      // Copied: the MQTT client may reuse the buffer once the handler returns.
      transfer.chunks.set(index, Uint8Array.from(payload));
      if (transfer.received > transfer.size)
        transfer.problem = `received ${transfer.received} bytes, more than the declared size of ${transfer.size}`;
    }
    for (const wake of transfer.waiters) wake();
    return true;
  }

  has(transferId: string): boolean {
    this.expire();
    return this.open.has(transferId);
  }

  request(transferId: string): TransferRequest | undefined {
    return this.open.get(transferId);
  }

  /**
   * Removes the transfer and returns the file, or why it cannot be had. Chunks still
   * on their way (a commit overtaking the last chunk) are awaited up to `waitMs`.
   */
  async take(
    transferId: string,
    waitMs: number,
  ): Promise<{ ok: true; request: TransferRequest; bytes: Uint8Array } | { ok: false; message: string }> {
    const transfer = this.open.get(transferId);
    if (!transfer) return { ok: false, message: `no open transfer "${transferId}"` };
    if (!transfer.problem && transfer.received < transfer.size) await this.arrival(transfer, waitMs);
    this.open.delete(transferId);
    const request: TransferRequest = {
      name: transfer.name,
      version: transfer.version,
      sha256: transfer.sha256,
      size: transfer.size,
    };
    if (transfer.problem) return { ok: false, message: transfer.problem };
    // Chunks may be smaller than the chunk size: the file is chunks 0…last, in order, with no gap.
    const count = Math.max(0, ...transfer.chunks.keys()) + (transfer.chunks.size > 0 ? 1 : 0);
    const missing = [...Array(count).keys()].filter((i) => !transfer.chunks.has(i));
    if (missing.length > 0 || transfer.received !== transfer.size)
      return {
        ok: false,
        message: `truncated: received ${transfer.received} of ${transfer.size} bytes${missing.length ? ` (chunks missing: ${summarise(missing)})` : ''}`,
      };
    const bytes = new Uint8Array(transfer.size);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const chunk = transfer.chunks.get(i)!;
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return { ok: true, request, bytes };
  }

  /** Drops transfers idle too long; returns them so the caller can log them. */
  expire(): TransferRequest[] {
    const now = this.options.monoMs();
    const expired: TransferRequest[] = [];
    for (const [id, transfer] of this.open) {
      if (now - transfer.lastActivityMs <= this.options.expireAfterMs) continue;
      this.open.delete(id);
      expired.push(transfer);
    }
    return expired;
  }

  private arrival(transfer: Transfer, waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        transfer.waiters.delete(check);
        resolve();
      };
      const check = () => {
        if (transfer.problem || transfer.received >= transfer.size) done();
      };
      const timer = setTimeout(done, waitMs);
      transfer.waiters.add(check);
    });
  }
}

function summarise(indexes: number[]): string {
  const shown = indexes.slice(0, 5).join(', ');
  return indexes.length > 5 ? `${shown} and ${indexes.length - 5} more` : shown;
}
