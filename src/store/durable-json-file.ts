/**
 * A lowdb adapter (it matches lowdb's `Adapter<T>` by shape) that survives power loss.
 * lowdb's own JSONFile writes through steno 4, which writes a temp file and renames it
 * over the target (atomic against a crashed process) but never fsyncs: after a power
 * cut the rename can be lost and the old file come back, and a session number handed
 * out before the cut would then be handed out again. Here every write is temp file →
 * fsync → rename → fsync of the directory, the same sequence the outbox uses.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A state file that exists but cannot be used. Names the file: the fix is an operator's. */
export class StateFileError extends Error {
  override name = 'StateFileError';

  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

export class DurableJsonFile<T> {
  private readonly tempFile: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    /** Checks the parsed JSON; returns the data or a description of what is wrong. */
    private readonly check: (data: unknown) => { ok: true; data: T } | { ok: false; problem: string },
  ) {
    this.tempFile = join(dirname(file), `.${basename(file)}.tmp`);
  }

  /** null when the file does not exist; a `StateFileError` when it exists and is not valid. */
  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StateFileError(this.file, `cannot be read: ${(error as Error).message}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      const what = text.length === 0 ? 'is empty' : `is not valid JSON (${(error as Error).message})`;
      throw new StateFileError(this.file, what);
    }
    const checked = this.check(data);
    if (!checked.ok) throw new StateFileError(this.file, `unexpected content: ${checked.problem}`);
    return checked.data;
  }

  /**
   * Serialised at call time (later changes to `data` are not picked up) and written
   * in call order, so two writes never share the temp file.
   */
  write(data: T): Promise<void> {
    const text = JSON.stringify(data);
    const next = this.queue.then(() => this.replace(text));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async replace(text: string): Promise<void> {
    const temp = await open(this.tempFile, 'w');
    try {
      await temp.writeFile(text, 'utf8');
      await temp.sync();
    } finally {
      await temp.close();
    }
    await rename(this.tempFile, this.file);
    const dir = await open(dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
