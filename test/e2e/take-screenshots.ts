/**
 * Makes the README's screenshots of the status page: the demo bench (the example
 * config, its embedded broker on a free port, a temp data directory) runs for a
 * while so the plots have minutes of history, then Chromium shoots a laptop-wide
 * and a phone-wide page.
 *
 *     npm run build && node dist/test/e2e/take-screenshots.js [seconds=150]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../support/mosquitto.js';
import { launchChromium } from './browser.js';
import { startWebNode } from './web-node.js';

const seconds = Number(process.argv[2] ?? 150);
// Run from dist/test/e2e: the repository is one level above dist/.
const here = join(import.meta.dirname, '../..');
const repoRoot = existsSync(join(here, 'package.json')) ? here : join(here, '..');
const examples = join(repoRoot, 'deploy/examples');
const example = readFileSync(join(examples, 'incubator.yaml'), 'utf8')
  // The config is written to a temp folder: files it names relative to itself, absolute.
  .replace(/^(\s+file: )(\S+)$/gm, (_, key: string, path: string) => `${key}${resolve(examples, path)}`)
  .replace(/^dataDir: .*$/m, 'dataDir: DATA_DIR')
  .replace(/embeddedPort: \d+/, `embeddedPort: ${await freePort()}`)
  // The example's own page settings: this script serves the page itself, on a free port.
  .replace(/^web:[\s\S]*?(?=^\S|(?![\s\S]))/m, '')
  // This machine's clock is its host's, kept by NTP, but it has no systemd-timesyncd marker file:
  // point the check at a file that exists so the shot shows what a synchronised Pi shows.
  .concat(`\nclock: { syncMarkers: [${JSON.stringify(join(repoRoot, 'package.json'))}] }\n`);
const running = await startWebNode(example);
console.log(`demo bench with its status page on ${running.web.url}; shooting in ${seconds} s`);
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
const browser = await launchChromium();
try {
  for (const [name, width, height] of [
    ['status-page.png', 1280, 900],
    ['status-page-phone.png', 375, 812],
  ] as const) {
    const page = await browser.newPage({
      viewport: { width, height },
      deviceScaleFactor: width < 500 ? 2 : 1,
    });
    await page.goto(running.web.url);
    await page.waitForSelector('#tile-link .tile-value');
    // Two ticks: the backlog plot has points.
    await page.waitForTimeout(2500);
    // The laptop shot shows the whole page; the phone shot its first screen, what a glance gets.
    await page.screenshot({ path: join(repoRoot, 'docs', name), fullPage: width > 500 });
    console.log(`docs/${name}`);
    await page.close();
  }
} finally {
  await browser.close();
  await running.stop();
}
