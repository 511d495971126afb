/**
 * The files behind `config.apply`, written so that a power cut at any instant leaves
 * either the old or the new content, never a torn file: write a temp file beside the
 * target, fsync it, rename it over the target, fsync the folder (rename(2) is atomic;
 * the folder's fsync makes the rename itself durable, ext4 and FAT alike).
 *
 * Beside the configuration `FILE`:
 * - `FILE.prev`: the configuration before the last apply, for the rollback;
 * - `FILE.apply.json`: present only while an apply is being tried. A process that
 *   starts and finds it died mid-apply (crash, kill, power cut), so it rolls back.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const previousFile = (file: string) => `${file}.prev`;
export const pendingFile = (file: string) => `${file}.apply.json`;

export interface PendingApply {
  /** The `config.apply` command id: the reply is journaled under it. */
  id: string;
  startedAt: string;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `file` with `data` atomically and durably; the new file gets `mode`. */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  fsyncDir(dir);
}

export function copyFileAtomic(from: string, to: string): void {
  writeFileAtomic(to, readFileSync(from));
}

export function readPending(file: string): PendingApply | undefined {
  const path = pendingFile(file);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PendingApply;
  } catch {
    // Written atomically, so only outside damage gets here: still an apply that did not finish.
    return { id: '', startedAt: '' };
  }
}

export function writePending(file: string, pending: PendingApply): void {
  writeFileAtomic(pendingFile(file), `${JSON.stringify(pending)}\n`);
}

export function removePending(file: string): void {
  rmSync(pendingFile(file), { force: true });
  fsyncDir(dirname(file));
}
