/**
 * How `benchloop provision` gets what its flags did not say: a prompt on a terminal
 * (the password without echo), nothing otherwise, so a script that forgot a flag gets
 * an error naming it instead of hanging on a prompt nobody sees.
 */
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';

export const interactive = () => process.stdin.isTTY === true && process.stdout.isTTY === true;

export async function ask(question: string, options: { secret?: boolean } = {}): Promise<string> {
  const output = process.stdout as Writable;
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  if (options.secret) {
    // readline echoes through _writeToOutput; after the question is shown, echo nothing.
    const shown = rl as unknown as { _writeToOutput(text: string): void };
    let asked = false;
    shown._writeToOutput = (text: string) => {
      if (!asked) {
        output.write(text);
        asked = true;
      }
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    if (options.secret) output.write('\n');
  }
}

/** All of standard input, less one trailing newline (`echo` and editors add it; it is never part of a password). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
