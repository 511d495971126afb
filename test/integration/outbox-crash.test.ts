/**
 * Real crashes: a child process appends without pause and prints what it knows is
 * committed; it is SIGKILLed at random moments, and the store it leaves is checked.
 * The child runs the compiled outbox (`npm test` builds first; alone: `npx tsc -p tsconfig.json`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DroppedRange, type Durability, Outbox, type StoreKind } from '../../src/outbox/index.js';
import { drainAll, itemsOf, type Sample } from '../contract/outbox-store.contract.js';

const root = join(import.meta.dirname, '../..');
const writer = join(root, 'dist/test/integration/fixtures/outbox-writer.js');
const ROUNDS = 4;

beforeAll(() => {
  if (!existsSync(writer)) throw new Error(`${writer} is missing: build first (npx tsc -p tsconfig.json)`);
  const built = statSync(writer).mtimeMs;
  const sources = [join(root, 'src/outbox'), join(root, 'test/integration/fixtures')];
  for (const dir of sources) {
    for (const name of readdirSync(dir)) {
      if (statSync(join(dir, name)).mtimeMs > built)
        throw new Error(`dist is older than ${name}: build again`);
    }
  }
});

/** mulberry32: seeded, so that a failing run can be replayed with OUTBOX_CRASH_SEED=<seed in its name>. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Round {
  lastCommitted: number;
  signal: NodeJS.Signals | null;
}

/** Runs the writer until `commits` committed lines were printed, then `delayMs` more, then SIGKILL. */
function crashWriter(args: string[], commits: number, delayMs: number): Promise<Round> {
  const child = spawn(process.execPath, [writer, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let lastCommitted = 0;
  let seen = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [word, value] = line.split(' ');
    if (word !== 'committed') return;
    lastCommitted = Number(value);
    // The delay is the randomness of the crash moment, not a wait for anything.
    if (++seen === commits) setTimeout(() => child.kill('SIGKILL'), delayMs);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (code ${code})`));
      else resolve({ lastCommitted, signal });
    });
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['segment-log', 'fsync'],
  ['segment-log', 'os'],
  ['sqlite', 'fsync'],
] as Array<[StoreKind, Durability]>)('outbox %s under %s, SIGKILLed while appending', (store, durability) => {
  const seed = Number(process.env.OUTBOX_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  it(`loses nothing committed, keeps seqs contiguous and items in order (seed ${seed})`, async () => {
    const next = random(seed);
    const dir = mkdtempSync(join(tmpdir(), `outbox-crash-${store}-`));
    dirs.push(dir);
    let nextItem = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const commits = 1 + Math.floor(next() * 6);
      const delayMs = Math.floor(next() * 40);
      const { lastCommitted } = await crashWriter(
        [dir, store, durability, String(nextItem), `boot-${round}`],
        commits,
        delayMs,
      );
      const dropped: DroppedRange[] = [];
      const outbox = await Outbox.open({
        dir,
        store,
        durability,
        onDropped: (r) => dropped.push(r),
        log: { warn: () => {} },
      });
      const messages = drainAll(outbox, 'telemetry');
      await outbox.close();
      const context = `round ${round}, killed ${delayMs} ms after commit ${commits}`;
      expect(dropped, context).toEqual([]);
      expect(messages.length, context).toBeGreaterThanOrEqual(lastCommitted);
      expect(
        messages.every((m, k) => m.seq === k + 1),
        `${context}: seqs 1..n`,
      ).toBe(true);
      const items = itemsOf(messages) as Sample[];
      expect(
        items.every((s, k) => s.i === k),
        `${context}: items 0..n in order, none twice`,
      ).toBe(true);
      // Each round's messages carry the bootId of the process that sealed them.
      expect(messages.at(-1)!.bootId).toBe(`boot-${round}`);
      nextItem = items.length;
    }
  });
});
