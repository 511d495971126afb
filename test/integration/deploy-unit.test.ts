/**
 * The deploy files as the tools that judge them see them: the systemd units through the
 * real `systemd-analyze verify`, every shell script in the repository through
 * `shellcheck` (both from Debian packages that .ci/run installs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/daemon.js';

const SKIP = new Set(['node_modules', 'dist', '.git', '.vm', 'data']);

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) return shellScripts(path);
    if (name.endsWith('.sh')) return [path];
    if (stat.size > 200_000) return [];
    const head = readFileSync(path, 'utf8').slice(0, 64);
    return /^#!.*\b(ba|da)?sh\b/.test(head) ? [path] : [];
  });
}

describe('deploy files', () => {
  it.each(['deploy/systemd/benchloop.service', 'deploy/firstboot/benchloop-firstboot.service'])(
    'systemd-analyze verify %s: no warning',
    (unit) => {
      // From an empty folder: verify also loads units it finds in the working directory.
      const result = spawnSync('systemd-analyze', ['verify', join(repoRoot, unit)], {
        cwd: mkdtempSync(join(tmpdir(), 'benchloop-verify-')),
        encoding: 'utf8',
      });
      expect(result.error).toBeUndefined();
      // Lines about the machine's own units are not ours: only lines naming this unit count.
      const ours = `${result.stdout}${result.stderr}`
        .split('\n')
        .filter((line) => line.includes(unit.split('/').pop()!));
      expect({ status: result.status, ours }).toEqual({ status: 0, ours: [] });
    },
  );

  it('the service runs as its own user with the bus groups, restarts on failure, and drives outputs safe on every stop', () => {
    const unit = readFileSync(join(repoRoot, 'deploy/systemd/benchloop.service'), 'utf8');
    expect(unit).toMatch(/^User=benchloop$/m);
    expect(unit).toMatch(/^SupplementaryGroups=gpio i2c$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^ExecStopPost=\S+node \S+main\.js safe --config \/etc\/benchloop\/node\.yaml$/m);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^DeviceAllow=char-i2c rw$/m);
  });

  it('every shell script passes shellcheck', () => {
    const scripts = shellScripts(repoRoot);
    expect(scripts.map((s) => relative(repoRoot, s))).toEqual(
      expect.arrayContaining(['.ci/run', 'deploy/install/install.sh', 'deploy/firstboot/firstboot.sh']),
    );
    const result = spawnSync('shellcheck', ['--format=gcc', ...scripts], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
