import { describe, expect, it } from 'vitest';
import { isLoopbackHost, webConfigSchema } from './web-schema.js';

const problems = (input: unknown) =>
  webConfigSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('web config', () => {
  it('defaults to the page on 127.0.0.1:8080, read-only, no token', () => {
    expect(webConfigSchema.parse({})).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 8080,
      localControl: false,
    });
  });

  it('requires a token file when listening beyond loopback', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20'])
      expect(problems({ host }), host).toEqual([
        `tokenFile: missing; listening on ${host} (beyond this machine) needs a token: give tokenFile, or host: 127.0.0.1`,
      ]);
    expect(problems({ host: '0.0.0.0', tokenFile: '/etc/benchloop/web-token' })).toEqual([]);
    expect(problems({ host: '0.0.0.0', enabled: false })).toEqual([]);
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost'])
      expect(problems({ host }), host).toEqual([]);
  });

  it('is strict: a host name to resolve, an unknown key and a bad port are errors', () => {
    expect(problems({ host: 'pi.local' })).toEqual([
      'host: an IP address to listen on (127.0.0.1, 0.0.0.0, ::, a LAN address) or localhost',
    ]);
    expect(problems({ prot: 8080 })[0]).toMatch(/prot/);
    expect(problems({ port: 70_000 })[0]).toMatch(/^port:/);
  });

  it('knows loopback addresses, bracketed IPv6 included', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com'].some(isLoopbackHost)).toBe(false);
  });
});
