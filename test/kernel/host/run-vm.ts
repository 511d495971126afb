/**
 * The host's half of the kernel tier: starts a Mosquitto on 127.0.0.1 (the guest
 * reaches it at 10.0.2.2 through QEMU's user network), boots the VM with
 * test/kernel/boot.sh, echoes the guest's result lines from the serial console,
 * checks from the host's side that the guest node's messages crossed its broker,
 * and ends with one `N passed, N failed` line. Exits non-zero on any failure, on a
 * guest that never reported, and on a VM that outlived its time.
 *
 *   node dist/test/kernel/host/run-vm.js INITRD [--filter TEXT]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Mosquitto, MosquittoSub } from '../../support/mosquitto.js';

const repoRoot = join(import.meta.dirname, '../../../..');
/** The same node, site and topic root as guest/daemon-checks.ts. */
const ROOT = 'benchloop/v1/kernel-tier/qemu-node';
/** A guest run takes about a minute here; software emulation on a loaded machine, several. */
const VM_TIMEOUT_MS = 8 * 60_000;

const args = process.argv.slice(2);
const initrd = args[0];
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? (args[filterAt + 1] ?? '') : '';
if (!initrd) {
  process.stderr.write('usage: run-vm.js INITRD [--filter TEXT]\n');
  process.exit(64);
}
for (const [what, value] of [
  ['repository path', repoRoot],
  ['node path', process.execPath],
  ['filter', filter],
] as const) {
  // Kernel command-line values end at whitespace.
  if (/\s/.test(value)) {
    process.stderr.write(
      `kernel tier: the ${what} "${value}" contains whitespace, which the kernel command line cannot carry\n`,
    );
    process.exit(1);
  }
}

interface Result {
  name: string;
  passed: boolean;
}

const results: Result[] = [];
const record = (name: string, passed: boolean, detail = '') => {
  results.push({ name, passed });
  process.stdout.write(`${passed ? 'PASS' : 'FAIL'} ${name}${detail ? ` -- ${detail}` : ''}\n`);
};

const broker = await Mosquitto.start({ persistence: false });
const watcher = await MosquittoSub.start({ port: broker.port }, [`${ROOT}/#`]);
const serial: string[] = [];
let guestDone: { passed: number; failed: number } | undefined;
let guestExit: number | undefined;
let setupFailure: string | undefined;

const startedAt = performance.now();
const vm = spawn(
  'bash',
  [
    join(repoRoot, 'test/kernel/boot.sh'),
    initrd,
    `bl_repo=${repoRoot}`,
    `bl_node=${process.execPath}`,
    `bl_port=${broker.port}`,
    ...(filter ? [`bl_filter=${filter}`] : []),
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
/** What the guest's `@@` lines say (guest/harness.ts, init.sh). */
const SERIAL_LINES: Array<[RegExp, (m: RegExpExecArray) => void]> = [
  [
    /^(PASS|FAIL) (.*?)(?: \(\d+ ms\))?(?: -- .*)?$/,
    (m) => results.push({ name: m[2]!, passed: m[1] === 'PASS' }),
  ],
  [/^DONE (\d+) passed, (\d+) failed$/, (m) => (guestDone = { passed: Number(m[1]), failed: Number(m[2]) })],
  [/^EXIT (\d+)$/, (m) => (guestExit = Number(m[1]))],
  [/^SETUP-FAILED (.*)$/, (m) => (setupFailure = m[1])],
];
const onSerial = (line: string) => {
  serial.push(line);
  const at = line.indexOf('@@ ');
  if (at < 0) return;
  const text = line.slice(at + 3);
  for (const [pattern, take] of SERIAL_LINES) {
    const match = pattern.exec(text);
    if (match) {
      take(match);
      break;
    }
  }
  process.stdout.write(`${text}\n`);
};
createInterface({ input: vm.stdout! }).on('line', onSerial);
createInterface({ input: vm.stderr! }).on('line', (line) => serial.push(`stderr: ${line}`));

let timedOut = false;
const timer = setTimeout(() => {
  timedOut = true;
  vm.kill('SIGKILL');
}, VM_TIMEOUT_MS);
const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
  vm.once('exit', (code, signal) => resolve({ code, signal })),
);
clearTimeout(timer);
const vmSeconds = (performance.now() - startedAt) / 1000;

// Every line the VM printed, for when something went wrong.
const logFile = join(repoRoot, '.vm', 'last-run.log');
writeFileSync(logFile, `${serial.join('\n')}\n`);

if (timedOut) record('the VM finished in time', false, `killed after ${VM_TIMEOUT_MS / 1000} s`);
else if (exit.code !== 0) record('QEMU exited cleanly', false, `exit ${exit.code ?? exit.signal}`);
if (setupFailure) record('guest setup', false, setupFailure);
if (!guestDone) {
  record('the guest reported its results', false, `no DONE line (guest exit ${guestExit ?? 'unknown'})`);
} else {
  const counted = results.filter((r) => r.passed).length;
  if (guestDone.passed !== counted || guestDone.failed !== results.length - counted) {
    record('the guest summary matches its result lines', false, JSON.stringify(guestDone));
  }
  if (guestExit !== (guestDone.failed > 0 ? 1 : 0)) {
    record('the guest program exited as its results say', false, `exit ${guestExit}`);
  }
}

// From the host's side: what the guest's daemon published went through this broker.
if (!filter || filter.startsWith('daemon')) {
  const statuses = watcher
    .on(`${ROOT}/status`)
    .map((m) => JSON.parse(m.payload) as { online: boolean; session: number });
  const birth = statuses.some((s) => s.online && s.session === 1);
  const death = statuses.some((s) => !s.online && s.session === 1);
  const seqs = [
    ...new Set(watcher.on(`${ROOT}/telemetry`).map((m) => (JSON.parse(m.payload) as { seq: number }).seq)),
  ];
  seqs.sort((a, b) => a - b);
  const contiguous = seqs.length > 0 && seqs[0] === 1 && seqs.at(-1) === seqs.length;
  record(
    "host: the guest node's birth, telemetry (seq 1.. contiguous) and death crossed the host's Mosquitto",
    birth && death && contiguous,
    `${statuses.length} status messages, telemetry seq ${seqs[0] ?? '-'}..${seqs.at(-1) ?? '-'} (${seqs.length} batches)`,
  );
  const late = await MosquittoSub.start({ port: broker.port }, [`${ROOT}/status`]);
  const retained = await Promise.race([
    late.waitFor(() => true),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000)),
  ]);
  await late.stop();
  const retainedDeath =
    retained?.retain === true && (JSON.parse(retained.payload) as { online: boolean }).online === false;
  record("host: the broker keeps the guest node's death as its retained status", retainedDeath);
}

await watcher.stop();
await broker.cleanup();

const passed = results.filter((r) => r.passed).length;
const failed = results.length - passed;
process.stdout.write(`\nkernel tier: VM ran ${vmSeconds.toFixed(1)} s; serial log in .vm/last-run.log\n`);
if (failed > 0) {
  process.stdout.write('failed:\n');
  for (const r of results.filter((each) => !each.passed)) process.stdout.write(`  ${r.name}\n`);
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || !guestDone ? 1 : 0);
