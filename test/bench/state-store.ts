/**
 * What the command journal costs each command once it holds 10,000 replies: the
 * state store (segmented journal, every write fsynced) against the baseline of one
 * lowdb JSON file holding the whole journal, written by lowdb's own adapter (steno:
 * temp file and rename, no fsync), which every command would rewrite in full.
 * Alone: `npx tsc -p tsconfig.json && node dist/test/bench/state-store.js`.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import type { Reply } from '../../src/protocol/messages.js';
import { type JournaledReply, StateStore } from '../../src/store/state-store.js';
import { type Benchmark, type BenchResult, formatResults, percentile } from './harness.js';

const HELD = 10_000;

/** A `set` reply as the protocol shows it: what most commands journal. */
const setReply = (i: number): JournaledReply => ({
  id: `c-${String(i).padStart(6, '0')}`,
  ok: true,
  result: { actuator: 'heater', value: 0.4, previous: 0 },
  ts: 1764300000321 + i,
});

/** A `describe` reply of a mid-size node (~2 KiB): the largest built-in reply. */
const describeReply = (i: number): JournaledReply => ({
  id: `d-${String(i).padStart(6, '0')}`,
  ok: true,
  result: {
    online: true,
    session: 12,
    bootId: '5b0c6d1e-8f4a-4b8e-9a43-1f2e3d4c5b6a',
    version: '0.1.0',
    ts: 1764300000321 + i,
    clock: { synced: true },
    devices: Array.from({ length: 6 }, (_, d) => ({
      id: `device-${d}`,
      type: 'bme280',
      channels: ['temperature', 'pressure', 'humidity'].map((id) => ({ id, unit: 'Cel' })),
    })),
    actuators: Array.from({ length: 4 }, (_, a) => ({
      id: `actuator-${a}`,
      type: 'pwm',
      min: 0,
      max: 1,
      safe: 0,
      value: 0,
    })),
    models: [],
    configHash: 'sha256:9f2c4e7a1b3d5f6e8a0c2e4f6a8b0d2f4e6a8c0e2f4a6b8d0f2e4a6c8e0a2c4',
  },
  ts: 1764300000321 + i,
});

function timings(count: number, step: (i: number) => Promise<void>): Promise<number[]> {
  return (async () => {
    const ms: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await step(i);
      ms.push(performance.now() - start);
    }
    return ms;
  })();
}

/** Per-put times into a store that already holds HELD replies. */
async function storePuts(dir: string, reply: (i: number) => JournaledReply, count: number) {
  const store = await StateStore.open(dir);
  for (let i = 0; i < HELD; i++) await store.journal.put(reply(i));
  const ms = await timings(count, (i) => store.journal.put(reply(HELD + i)));
  const files = readdirSync(join(dir, 'state')).filter((f) => f.startsWith('journal-'));
  const sizes = files.map((f) => statSync(join(dir, 'state', f)).size);
  const openStart = performance.now();
  await StateStore.open(dir);
  return {
    ms,
    openMs: performance.now() - openStart,
    largestFileKiB: Math.max(...sizes) / 1024,
    totalKiB: sizes.reduce((a, b) => a + b, 0) / 1024,
  };
}

/** The same puts into one lowdb file that holds the whole journal. */
async function singleFilePuts(dir: string, reply: (i: number) => JournaledReply, count: number) {
  const db = new Low<{ entries: Reply[] }>(
    new DataFile(join(dir, 'journal.json'), { parse: JSON.parse, stringify: JSON.stringify }),
    { entries: [] },
  );
  for (let i = 0; i < HELD; i++) db.data.entries.push(reply(i));
  await db.write();
  return timings(count, async (i) => {
    db.data.entries.push(reply(HELD + i));
    db.data.entries.shift();
    await db.write();
  });
}

async function compare(label: string, reply: (i: number) => JournaledReply, count: number) {
  const dir = mkdtempSync(join(tmpdir(), 'benchloop-state-bench-'));
  try {
    const store = await storePuts(join(dir, 'store'), reply, count);
    const single = await singleFilePuts(dir, reply, count);
    const baseline = (p: number) => ({ name: 'one lowdb file', value: percentile(single, p) });
    const results: BenchResult[] = [
      { name: `${label}: put p50`, value: percentile(store.ms, 50), unit: 'ms', baseline: baseline(50) },
      { name: `${label}: put p99`, value: percentile(store.ms, 99), unit: 'ms', baseline: baseline(99) },
      { name: `${label}: largest file rewritten`, value: store.largestFileKiB, unit: 'KiB' },
      { name: `${label}: journal on disk`, value: store.totalKiB, unit: 'KiB' },
      { name: `${label}: open with ${HELD} held`, value: store.openMs, unit: 'ms' },
    ];
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'benchloop-state-bench-'));
  try {
    const store = await StateStore.open(dir);
    const sessions = await timings(200, () => store.nextSession().then(() => undefined));
    return [
      ...(await compare('set replies (~110 B)', setReply, 300)),
      ...(await compare('describe replies (~2 KiB)', describeReply, 30)),
      { name: 'nextSession p50 (fsynced)', value: percentile(sessions, 50), unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const stateStore: Benchmark = {
  name: 'state-store',
  description: `command journal cost per command with ${HELD} replies held, vs one lowdb file`,
  run,
};

if (process.argv[1] === fileURLToPath(import.meta.url))
  process.stdout.write(formatResults(stateStore.name, await run()));
