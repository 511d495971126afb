import { readFileSync } from 'node:fs';

/** The package's version, read once from package.json (two levels up in dist/, one in src/). */
function readVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8'));
      if (pkg.name === 'benchloop') return pkg.version as string;
    } catch {
      // Not at this level: try the next.
    }
  }
  return '0.0.0';
}

export const version = readVersion();
