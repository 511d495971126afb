/**
 * The status page served by the daemon itself (the built CLI, a real child
 * process): up with the node, gone with it, and refused by `benchloop check` where
 * it would be reachable from the network without a token.
 *
 * Runs once the config schema mounts the `web:` section (the composition root's
 * wiring); until then it is skipped, and test/integration/web-status.test.ts covers
 * the same server beside an in-process node.
 */
import { describe, expect, it } from 'vitest';
import { benchYaml, webMounted } from '../e2e/web-node.js';
import { startDaemon, writeConfig } from '../support/daemon.js';
import { freePort, Mosquitto, mosquittoPub } from '../support/mosquitto.js';

/** The snapshot the page gets first on its live feed. */
async function firstSnapshot(
  url: string,
): Promise<{ replies: Array<{ id: string; ok: boolean; origin: string }> }> {
  const res = await fetch(`${url}api/stream`);
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('\n\n', text.indexOf('event: snapshot'))) {
    const { value } = await reader.read();
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return JSON.parse(/^event: snapshot\ndata: (.*)$/m.exec(text)![1]!);
}

describe.skipIf(!webMounted)('the daemon serves its status page', () => {
  it('serves the page, /healthz and /metrics while it runs, and stops serving when it stops', async () => {
    const port = await freePort();
    const { file } = writeConfig(`${benchYaml()}web: { port: ${port} }\n`);
    const daemon = startDaemon(['run', '--config', file, '--no-pretty', '--summary-every', '0']);
    try {
      const url = `http://127.0.0.1:${port}/`;
      const line = await daemon.waitFor((l) => l.msg.startsWith('status page on'), 'status page');
      expect(line.msg).toBe(`status page on ${url}`);
      expect((await fetch(url)).status).toBe(200);
      await expect.poll(async () => (await fetch(`${url}healthz`)).status, { timeout: 10_000 }).toBe(200);
      const metrics = await (await fetch(`${url}metrics`)).text();
      expect(metrics).toContain('benchloop_info{site="test",node="web-node"');
      daemon.kill('SIGTERM');
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      daemon.kill('SIGKILL');
    }
  });

  it("lists a remote command's reply among the page's recent command replies", async () => {
    const broker = await Mosquitto.start();
    const port = await freePort();
    const { file } = writeConfig(`${benchYaml({ url: broker.url })}web: { port: ${port} }\n`);
    const daemon = startDaemon(['run', '--config', file, '--no-pretty', '--summary-every', '0']);
    try {
      await daemon.waitFor((l) => l.msg.startsWith('connected to the broker'), 'connected');
      const ping = JSON.stringify({ id: 'web-ping-1', name: 'ping' });
      await mosquittoPub({ port: broker.port }, 'benchloop/v1/test/web-node/cmd', ping);
      const url = `http://127.0.0.1:${port}/`;
      await expect
        .poll(async () => (await firstSnapshot(url)).replies.map((r) => [r.id, r.ok, r.origin]), {
          timeout: 10_000,
        })
        .toEqual([['web-ping-1', true, 'remote']]);
    } finally {
      daemon.kill('SIGKILL');
      await broker.cleanup();
    }
  });

  it('benchloop check refuses a page beyond loopback without a token file', async () => {
    const { file } = writeConfig(`${benchYaml()}web: { host: 0.0.0.0 }\n`);
    const check = startDaemon(['check', file]);
    const { code } = await check.exited;
    expect(code).toBe(78);
    expect([...check.stderr, ...check.lines.map((l) => l.msg)].join('\n')).toContain(
      'web.tokenFile: missing; listening on 0.0.0.0 (beyond this machine) needs a token',
    );
  });
});
