/**
 * The status page in a real headless Chromium, against a real node (simulated
 * bench) and a real Mosquitto: what a technician sees. Waits are on the page's own
 * state (`waitForFunction`, `expect.poll`), never on sleeps.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Mosquitto } from '../support/mosquitto.js';
import { launchChromium, watchForErrors } from './browser.js';
import { benchYaml, type NodeWithWeb, startWebNode, writeToken } from './web-node.js';

/** The little of the DOM the page functions below use (they run in Chromium; the project compiles without the DOM lib). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  documentElement: { scrollWidth: number };
  body: { classList: { contains(name: string): boolean } };
};

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bench(web: Record<string, unknown> = {}) {
  const broker = await Mosquitto.start();
  cleanups.push(() => broker.cleanup());
  const running = await startWebNode(benchYaml({ url: broker.url }), web);
  cleanups.push(() => running.stop());
  return { broker, running };
}

async function open(running: NodeWithWeb, width = 1280, url = running.web.url) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  // Under the test's own timeout, so a wait that fails says which element it waited for.
  page.setDefaultTimeout(15_000);
  const errors = watchForErrors(page);
  const paths: string[] = [];
  page.on('request', (request) => paths.push(new URL(request.url()).pathname));
  const response = await page.goto(url);
  return { page, errors, paths, response };
}

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();
const waitForText = (page: Page, selector: string, test: string) =>
  page.waitForFunction(
    ([sel, want]) => new RegExp(want!).test(document.querySelector(sel!)?.textContent ?? ''),
    [selector, test],
  );

describe('status page in Chromium', () => {
  it('loads: identity, link, every section; models and plan say none; nothing fails', async () => {
    const { running } = await bench();
    const { page, errors, paths } = await open(running);
    await waitForText(page, '#link-state', '^online$');
    expect(await text(page, '#node-name')).toBe('test / web-node');
    expect(await text(page, '#node-meta')).toMatch(
      /^benchloop \d+\.\d+\.\d+ · up \d+ s · simulated hardware$/,
    );
    await waitForText(page, '#overall', '^(ALL OK|ATTENTION)$');
    expect(await page.locator('#devices .device').count()).toBe(2);
    expect(await text(page, '[data-actuator-card="heater"] .envelope')).toBe(
      'envelope: 0 … 1 · safe 0 · step ≤ 0.500',
    );
    expect(await text(page, '[data-interlock="door-open"]')).toContain('clear');
    expect(await text(page, '#models')).toBe('none configured');
    expect(await text(page, '#plan')).toBe('no plan running');
    // Pushed, not polled: the page asked for itself, its script and style, and one stream.
    expect([...new Set(paths)].sort()).toEqual(['/', '/api/stream', '/app.css', '/app.js']);
    expect(errors).toEqual([]);
  });

  it('a live value changes on screen, and its plot grows', async () => {
    const { running } = await bench();
    const { page } = await open(running);
    const value = '[data-channel="chamber/temperature"]';
    await waitForText(page, value, '^\\d+\\.\\d{2}$');
    const first = await text(page, value);
    await page.waitForFunction(
      ([sel, was]) => document.querySelector(sel!)?.textContent !== was,
      [value, first],
      { timeout: 15_000 },
    );
    const path = page.locator('[data-device="chamber"] .channel').first().locator('path.spark-line');
    // One point per 2 s bucket: a third point within a few seconds.
    await expect
      .poll(async () => ((await path.getAttribute('d')) ?? '').split('L').length, { timeout: 10_000 })
      .toBeGreaterThan(2);
  });

  it('stopping the broker shows the link down and a growing backlog; restarting brings it back', async () => {
    const { running, broker } = await bench();
    const { page } = await open(running);
    await waitForText(page, '#link-state', '^online$');
    await broker.stop();
    await waitForText(page, '#link-state', '^DOWN$');
    await waitForText(page, '#overall', '^FAULT$');
    expect(await text(page, '#reasons')).toContain(`broker link waiting (${broker.url})`);
    const backlog = async () => Number(await page.locator('#outbox-backlog').getAttribute('data-value'));
    const atDown = await backlog();
    await expect.poll(backlog, { timeout: 10_000 }).toBeGreaterThan(atDown + 3);
    expect(await page.locator('#tile-outbox').getAttribute('class')).toBe('tile warn');
    await broker.start();
    await waitForText(page, '#link-state', '^online$');
    expect(await text(page, '#tile-link')).toContain('1 reconnects');
  });

  it('shows a tripped interlock holding the heater, and the page stale when the node goes away', async () => {
    const { running } = await bench();
    const { page } = await open(running);
    await waitForText(page, '#interlocks-state', '^all clear$');
    running.node.bench!.setDoor(true);
    await waitForText(page, '#interlocks-state', '^1 TRIPPED$');
    await waitForText(page, '[data-actuator-card="heater"] .badge', '^held by door-open$');
    await waitForText(page, '#events', 'interlock\\.tripped');
    await running.web.close();
    await waitForText(page, '#feed-text', 'values are stale');
    expect(await page.evaluate(() => document.body.classList.contains('stale'))).toBe(true);
  });

  it('local control (when enabled) sets through the safety envelope and shows refusals', async () => {
    const { running } = await bench({ localControl: true });
    const { page } = await open(running);
    const card = page.locator('[data-actuator-card="heater"]');
    await card.locator('input').fill('0.3');
    await card.locator('button').click();
    await waitForText(page, '[data-result="heater"]', '^set to 0\\.300 \\(was 0\\)$');
    await waitForText(page, '[data-actuator="heater"]', '^0\\.300$');
    await card.locator('input').fill('0.9');
    await card.locator('button').click();
    await waitForText(
      page,
      '[data-result="heater"]',
      '^refused \\(out_of_range\\): heater: a step from 0.3 to 0.9',
    );
    await waitForText(page, '#replies', 'out_of_range');
    expect(await text(page, '[data-actuator="heater"]')).toBe('0.300');
  });

  it('a token is required when bound beyond localhost: login form, wrong token refused, right token opens', async () => {
    const token = 'e2e-token-5d1f0a9b7c3e2d41';
    const tokenFile = writeToken(token);
    const running = await startWebNode(benchYaml(), { host: '0.0.0.0', tokenFile });
    cleanups.push(() => running.stop());
    const url = `http://127.0.0.1:${running.web.port}/`;
    const { page, response } = await open(running, 1280, url);
    expect(response!.status()).toBe(401);
    await page.fill('#token', 'wrong-wrong-wrong-wrong');
    await page.click('button[type=submit]');
    await waitForText(page, '#login-error', '^That token is wrong\\.$');
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await waitForText(page, '[data-channel="chamber/temperature"]', '^\\d+\\.\\d{2}$');
    expect(await text(page, '#tile-link')).toContain('not configured');
    // Another browser, without the session: the token again.
    const stranger = await open(running, 1280, `${url}api/status`);
    expect(stranger.response!.status()).toBe(401);
  });

  it('fits a phone: nothing wider than 375 px', async () => {
    const { running } = await bench();
    const { page } = await open(running, 375);
    await waitForText(page, '[data-channel="chamber/temperature"]', '^\\d+\\.\\d{2}$');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });
});
