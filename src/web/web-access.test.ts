import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeNode, json, postJson, type RawResponse, request, serve } from './fake-node.test-support.js';
import type { WebServer } from './web-server.js';

const TOKEN = 'c0ffee-token-0123456789abcdef';
const servers: WebServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function tokenFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'benchloop-web-')), 'token');
  writeFileSync(file, content);
  return file;
}

/** Bound beyond loopback (all interfaces), as on a Pi the technician reaches over the LAN; tests talk to it on 127.0.0.1. */
async function exposed(extra: Record<string, unknown> = {}) {
  const fake = await fakeNode();
  const server = await serve(fake, { host: '0.0.0.0', tokenFile: tokenFile(`${TOKEN}\n`), ...extra });
  servers.push(server);
  return { fake, server };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const everything = (responses: RawResponse[]) =>
  responses.map((r) => `${JSON.stringify(r.headers)}\n${r.body}`).join('\n');

describe('web access: a token beyond loopback', () => {
  it('401 without a token, 401 invalid_token with a wrong one, 200 with the right one', async () => {
    const { server } = await exposed();
    expect(server.url).toBe(`http://0.0.0.0:${server.port}/`);
    const missing = await request(server, '/api/status');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="benchloop"');
    expect(json(missing).error.message).toBe('a token is required: Authorization: Bearer <token>');
    const wrong = await request(server, '/api/status', { headers: bearer('not-the-token-at-all') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await request(server, '/api/status', { headers: bearer(TOKEN) })).status).toBe(200);
    // Every endpoint, metrics and health included: a Prometheus scrape sends the bearer token.
    for (const path of ['/metrics', '/healthz', '/api/stream', '/app.js'])
      expect((await request(server, path, { method: 'HEAD' })).status, path).toBe(401);
    // Any Host is fine beyond loopback: the Pi is reached by its LAN name or address.
    const byName = await request(server, '/healthz', {
      headers: { ...bearer(TOKEN), host: 'incubator-01.lab:80' },
    });
    expect(byName.status).toBe(200);
  });

  it('does not tell an outsider which paths exist: 401 before 404', async () => {
    const { server } = await exposed();
    expect((await request(server, '/secret-admin')).status).toBe(401);
    expect((await request(server, '/secret-admin', { headers: bearer(TOKEN) })).status).toBe(404);
  });

  it('a browser gets the login form (401), and after the right token a session cookie that is not the token', async () => {
    const { server } = await exposed();
    const html = { accept: 'text/html,application/xhtml+xml' };
    const page = await request(server, '/', { headers: html });
    expect(page.status).toBe(401);
    expect(page.body).toContain('<form method="post" action="login">');
    const form = (token: string) =>
      request(server, '/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
    const wrong = await form('guess-guess-guess-guess');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That token is wrong.');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const right = await form(TOKEN);
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('./');
    const cookie = right.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/^benchloop_session=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/);
    const session = cookie.split(';')[0]!;
    expect((await request(server, '/', { headers: { ...html, cookie: session } })).status).toBe(200);
    const forged = await request(server, '/', { headers: { ...html, cookie: 'benchloop_session=00' } });
    expect(forged.status).toBe(401);
    expect(forged.body).toContain('Your session has ended');
    expect(everything([page, wrong, right, forged])).not.toContain(TOKEN);
  });

  it('the stylesheet and the login form are served without the token; nothing else is', async () => {
    const { server } = await exposed();
    expect((await request(server, '/app.css')).status).toBe(200);
    expect((await request(server, '/login')).status).toBe(200);
    expect((await request(server, '/app.js')).status).toBe(401);
  });

  it('refuses to start with a token file that is missing or too short, naming the file but not its content', async () => {
    const fake = await fakeNode();
    await expect(serve(fake, { host: '0.0.0.0', tokenFile: '/nonexistent/token' })).rejects.toThrow(
      'web.tokenFile: cannot read /nonexistent/token: ENOENT',
    );
    const short = tokenFile('hunter2\n');
    const error = await serve(fake, { host: '0.0.0.0', tokenFile: short }).catch((e: Error) => e);
    expect(String(error)).toContain(`the token in ${short} has 7 characters; use at least 16`);
    expect(String(error)).not.toContain('hunter2');
  });
});

describe('web access: writes come only from the page itself', () => {
  it('403 for a POST from another origin (CSRF), even with local control on', async () => {
    const fake = await fakeNode();
    const server = await serve(fake, { localControl: true });
    servers.push(server);
    const foreign = await postJson(
      server,
      '/api/actuators/heater',
      { value: 0.2 },
      { origin: 'http://evil.example' },
    );
    expect(foreign.status).toBe(403);
    expect(json(foreign).error.message).toContain('another site (http://evil.example)');
    expect(fake.rig.actuators.get('heater')!.value).toBe(0);
    const own = await postJson(
      server,
      '/api/actuators/heater',
      { value: 0.2 },
      { origin: `http://127.0.0.1:${server.port}` },
    );
    expect(own.status).toBe(200);
  });
});
