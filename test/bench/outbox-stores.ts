/**
 * The outbox's two stores side by side, to choose the default: each segment-log figure
 * is reported with the SQLite one as its baseline. Every scenario runs in a fresh child
 * process (this file, with `--scenario`), so RSS and caches do not leak between them.
 * fsync counts come from strace when it is installed (SQLite's own fsyncs are invisible
 * from inside the process). Alone: `npx tsc -p tsconfig.json && node dist/test/bench/outbox-stores.js`.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type Durability, Outbox, type StoreKind } from '../../src/outbox/index.js';
import { type Benchmark, type BenchResult, formatResults } from './harness.js';

const self = fileURLToPath(import.meta.url);
const BACKLOG = 1_000_000;
const SAMPLE = { d: 'chamber', c: 'temperature', t: 1764300000000, v: 23.41 };
const sample = (i: number) => ({ ...SAMPLE, t: SAMPLE.t + i });

interface Scenario {
  kind: 'append' | 'paced' | 'backlog-write' | 'backlog-read';
  store: StoreKind;
  durability: Durability;
  dir: string;
}

type Figures = Record<string, number>;

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;

/** Appends as fast as the event loop allows for 3 s, yielding so that group commits run. */
async function appendFlat(outbox: Outbox): Promise<Figures> {
  const start = performance.now();
  let i = 0;
  while (performance.now() - start < 3000) {
    for (let n = 0; n < 500; n++) outbox.append('telemetry', sample(i++));
    await tick();
  }
  await outbox.flush();
  const seconds = (performance.now() - start) / 1000;
  return { samplesPerSecond: i / seconds, seconds };
}

/** A realistic load, 1,000 samples/s for 5 s: what the SD card and the event loop see in service. */
async function appendPaced(outbox: Outbox): Promise<Figures> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let i = 0;
  const timer = setInterval(() => {
    for (let n = 0; n < 10; n++) outbox.append('telemetry', sample(i++));
  }, 10);
  await new Promise((resolve) => setTimeout(resolve, 5000));
  clearInterval(timer);
  await outbox.flush();
  delay.disable();
  return { seconds: 5, loopDelayP99Ms: delay.percentile(99) / 1e6, loopDelayMaxMs: delay.max / 1e6 };
}

async function writeBacklog(outbox: Outbox): Promise<Figures> {
  const start = performance.now();
  for (let i = 0; i < BACKLOG; i++) {
    outbox.append('telemetry', sample(i));
    if (i % 1000 === 999) await tick();
  }
  await outbox.flush();
  return { seconds: (performance.now() - start) / 1000 };
}

async function drain(outbox: Outbox): Promise<Figures> {
  const start = performance.now();
  let items = 0;
  for (let after = 0; ; ) {
    const batch = outbox.next('telemetry', after, 20);
    if (batch.length === 0) break;
    for (const m of batch) {
      items += (JSON.parse(m.body) as unknown[]).length;
      outbox.ack('telemetry', m.seq);
    }
    after = batch.at(-1)!.seq;
    await tick();
  }
  await outbox.flush();
  if (items !== BACKLOG) throw new Error(`drained ${items} samples, expected ${BACKLOG}`);
  return { samplesPerSecond: items / ((performance.now() - start) / 1000) };
}

/** One scenario, in this (child) process. */
async function runScenario(s: Scenario): Promise<Figures> {
  const openStart = performance.now();
  const outbox = await Outbox.open({ dir: s.dir, store: s.store, durability: s.durability });
  const openMs = performance.now() - openStart;
  const rssAfterOpenMiB = process.memoryUsage().rss / 2 ** 20;
  const work = {
    append: appendFlat,
    paced: appendPaced,
    'backlog-write': writeBacklog,
    'backlog-read': drain,
  }[s.kind];
  const figures = await work(outbox);
  await outbox.close();
  return { ...figures, openMs, rssAfterOpenMiB, maxRssMiB: maxRssMiB() };
}

function diskBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).blocks * 512, 0);
}

const hasStrace = (() => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs a scenario in a child; under strace, also counts its fsync-family calls. */
async function inChild(s: Scenario, countSyncs = false): Promise<Figures> {
  const straceOut = join(s.dir, '..', `strace-${process.pid}-${Date.now()}.txt`);
  const node = [self, '--scenario', JSON.stringify(s)];
  const [command, args] =
    countSyncs && hasStrace
      ? ['strace', ['-f', '-c', '-e', 'trace=fsync,fdatasync', '-o', straceOut, process.execPath, ...node]]
      : [process.execPath, node];
  const child = spawn(command, args as string[], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`scenario ${JSON.stringify(s)} failed (exit ${code})`);
  const figures = JSON.parse(out.trim().split('\n').at(-1)!) as Figures;
  if (countSyncs && hasStrace) {
    let syncs = 0;
    for (const line of readFileSync(straceOut, 'utf8').split('\n')) {
      const cols = line.trim().split(/\s+/);
      if (cols.at(-1) === 'fsync' || cols.at(-1) === 'fdatasync') syncs += Number(cols[3]);
    }
    rmSync(straceOut, { force: true });
    figures.syncs = syncs;
  }
  return figures;
}

async function measureStore(store: StoreKind): Promise<Record<string, number>> {
  const root = mkdtempSync(join(tmpdir(), `outbox-bench-${store}-`));
  const fresh = (name: string) => join(root, name);
  const out: Record<string, number> = {};
  try {
    for (const durability of ['fsync', 'os', 'strict'] as const) {
      const scenario = (kind: Scenario['kind'], countSyncs = false) =>
        inChild({ kind, store, durability, dir: fresh(`${kind}-${durability}-${countSyncs}`) }, countSyncs);
      out[`append ${durability}`] = (await scenario('append')).samplesPerSecond!;
      const paced = await scenario('paced');
      out[`loop delay max ${durability}`] = paced.loopDelayMaxMs!;
      if (durability === 'fsync') out['rss at 1k samples/s'] = paced.maxRssMiB!;
      if (hasStrace) {
        const counted = await scenario('paced', true);
        out[`fsyncs/s at 1k samples/s ${durability}`] = counted.syncs! / counted.seconds!;
        // Per sample, not per second: strace slows the process, and with it the rate.
        const flat = await scenario('append', true);
        out[`fsyncs per 1M samples at full speed ${durability}`] =
          (flat.syncs! / (flat.samplesPerSecond! * flat.seconds!)) * 1e6;
      }
    }
    const dir = fresh('backlog');
    const written = await inChild({ kind: 'backlog-write', store, durability: 'fsync', dir });
    out['backlog write'] = BACKLOG / written.seconds!;
    out['disk bytes/sample'] = diskBytes(dir) / BACKLOG;
    const read = await inChild({ kind: 'backlog-read', store, durability: 'fsync', dir });
    out['recovery open'] = read.openMs!;
    out['rss after open'] = read.rssAfterOpenMiB!;
    out.drain = read.samplesPerSecond!;
    out['rss draining'] = read.maxRssMiB!;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return out;
}

const UNITS: Record<string, [string, 'higher' | 'lower']> = {
  append: ['samples/s', 'higher'],
  'backlog write': ['samples/s', 'higher'],
  drain: ['samples/s', 'higher'],
  'fsyncs/s': ['1/s', 'lower'],
  'fsyncs per': ['fsyncs', 'lower'],
  'loop delay': ['ms', 'lower'],
  'recovery open': ['ms', 'lower'],
  'disk bytes': ['B', 'lower'],
  rss: ['MiB', 'lower'],
};

/** What one small append + fdatasync costs on this disk: the unit every durability figure is made of. */
function fdatasyncLatencyMs(): number {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-bench-disk-'));
  const fd = openSync(join(dir, 'probe'), 'a');
  const page = Buffer.alloc(4096, 1);
  const rounds = 200;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    writeSync(fd, page);
    fdatasyncSync(fd);
  }
  const ms = (performance.now() - start) / rounds;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

export async function run(): Promise<BenchResult[]> {
  const disk: BenchResult = {
    name: 'disk: 4 KiB append + fdatasync',
    value: fdatasyncLatencyMs(),
    unit: 'ms',
  };
  const segmentLog = await measureStore('segment-log');
  const sqlite = await measureStore('sqlite');
  return [
    disk,
    ...Object.entries(segmentLog).map(([metric, value]): BenchResult => {
      const [unit, better] = Object.entries(UNITS).find(([prefix]) => metric.startsWith(prefix))![1];
      return {
        name: `segment-log ${metric}`,
        value,
        unit,
        better,
        baseline: { name: `sqlite ${metric}`, value: sqlite[metric]! },
      };
    }),
  ];
}

export const outboxStores: Benchmark = {
  name: 'outbox-stores',
  description: 'outbox segment log vs SQLite: append per durability, fsyncs/s, 1M-sample backlog',
  run,
};

if (process.argv[1] === self) {
  const at = process.argv.indexOf('--scenario');
  if (at >= 0) {
    process.stdout.write(
      `${JSON.stringify(await runScenario(JSON.parse(process.argv[at + 1]!) as Scenario))}\n`,
    );
  } else {
    process.stdout.write(formatResults(outboxStores.name, await run()));
  }
}
