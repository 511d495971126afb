/**
 * `benchloop doctor`'s checks of the machine: the configuration file, the credential
 * files it names, the clock (a Pi has no real-time clock: until NTP syncs it starts
 * at the last shutdown's time), and room on disk for the outbox.
 */
import { constants } from 'node:fs';
import { access, readdir, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NodeConfig } from '../config/schema.js';
import { type CheckResult, fail, ok, warn } from './doctor-report.js';

export async function credentialChecks(config: NodeConfig): Promise<CheckResult[]> {
  const files: Array<[string, string | undefined, boolean]> = [
    ['mqtt.passwordFile', config.mqtt?.passwordFile, true],
    ['mqtt.tls.ca', config.mqtt?.tls?.ca, false],
    ['mqtt.tls.cert', config.mqtt?.tls?.cert, false],
    ['mqtt.tls.key', config.mqtt?.tls?.key, true],
  ];
  const results: CheckResult[] = [];
  for (const [key, path, secret] of files) {
    if (!path) continue;
    try {
      await access(path, constants.R_OK);
      const mode = (await stat(path)).mode & 0o777;
      if (secret && (mode & 0o077) !== 0)
        results.push(
          warn(
            `file.${key}`,
            `${path} is readable by others (mode ${mode.toString(8)})`,
            `chmod 600 ${path}`,
          ),
        );
      else results.push(ok(`file.${key}`, `${path} readable${secret ? ', mode 600' : ''}`));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      results.push(
        fail(
          `file.${key}`,
          `${path}: ${code === 'ENOENT' ? 'does not exist' : 'not readable by this user'}`,
          code === 'ENOENT'
            ? `put the file there (benchloop provision writes it), or fix ${key} in the configuration`
            : `chown benchloop ${path} && chmod 600 ${path}`,
        ),
      );
    }
  }
  return results;
}

/** Earlier than this, the clock cannot be right: this version did not exist yet. */
const EARLIEST_PLAUSIBLE = Date.UTC(2025, 0, 1);

export async function clockCheck(config: NodeConfig, now = Date.now()): Promise<CheckResult> {
  const shown = new Date(now).toISOString();
  if (now < EARLIEST_PLAUSIBLE)
    return fail(
      'clock',
      `the clock reads ${shown}: it has never been set`,
      'connect the network and enable NTP: sudo timedatectl set-ntp true; the lab firewall must let NTP (UDP 123) out, or set NTP= in /etc/systemd/timesyncd.conf to the lab’s server',
    );
  for (const marker of config.clock.syncMarkers) {
    try {
      await access(marker);
      return ok('clock', `synchronised (${marker}); now ${shown}`);
    } catch {
      // Not this marker; try the next.
    }
  }
  return fail(
    'clock',
    `not synchronised (none of ${config.clock.syncMarkers.join(', ') || '(no clock.syncMarkers)'} exists); now ${shown}`,
    'sudo timedatectl set-ntp true, then timedatectl timesync-status; the lab firewall must let NTP (UDP 123) out, or set NTP= in /etc/systemd/timesyncd.conf to the lab’s server. A Pi has no battery clock: timestamps are wrong until this passes',
  );
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirBytes(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

const MiB = 1024 * 1024;

/** The outbox may grow to `outbox.maxStoredBytes`: that much, less what it holds now, must be free. */
export async function diskCheck(config: NodeConfig): Promise<CheckResult> {
  let dir = config.dataDir;
  while (!(await stat(dir).catch(() => undefined)) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    await access(dir, constants.W_OK);
  } catch {
    return fail('disk', `${dir} is not writable by this user`, `sudo chown -R benchloop ${config.dataDir}`);
  }
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  const used = config.mqtt ? await dirBytes(join(config.dataDir, 'outbox')) : 0;
  const needed = config.mqtt ? Math.max(0, config.outbox.maxStoredBytes - used) : 0;
  const text = `${Math.round(free / MiB)} MiB free in ${dir}; the outbox holds ${Math.round(used / MiB)} MiB of at most ${Math.round(config.outbox.maxStoredBytes / MiB)} MiB`;
  if (free < needed + 64 * MiB)
    return fail(
      'disk',
      text,
      'free space (sudo journalctl --vacuum-size=100M; apt clean), or lower outbox.maxStoredBytes in the configuration',
    );
  if (free < 2 * needed + 256 * MiB)
    return warn('disk', text, 'little room beyond the outbox: logs and upgrades need space too');
  return ok('disk', text);
}
