/**
 * The config's `web:` section: the local status page, `/healthz` and `/metrics`
 * (docs/status-page.md). Loopback by default, so a fresh node shows its page only
 * to someone at the machine; listening anywhere else needs a token file, checked
 * here so `benchloop check` reports it with the key path rather than the daemon
 * failing at start.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** 127.0.0.0/8, ::1 and `localhost`: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

const isListenAddress = (host: string) => host === 'localhost' || isIP(host) !== 0;

export const WEB_DEFAULTS = { enabled: true, host: '127.0.0.1', port: 8080, localControl: false } as const;

export const webConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(WEB_DEFAULTS.enabled),
    /** The address to listen on: 127.0.0.1 (this machine only), a LAN address, 0.0.0.0 or :: (everywhere). */
    host: z
      .string()
      .refine(isListenAddress, {
        error: 'an IP address to listen on (127.0.0.1, 0.0.0.0, ::, a LAN address) or localhost',
      })
      .default(WEB_DEFAULTS.host),
    /** 0 picks a free port (tests); the daemon logs the URL it got. */
    port: z.number().int().min(0).max(65_535).default(WEB_DEFAULTS.port),
    /**
     * A file holding the access token (at least 16 characters; surrounding whitespace
     * ignored). Required when `host` is not a loopback address: the page then asks for
     * it, and API clients send `Authorization: Bearer <token>`.
     */
    tokenFile: z.string().min(1).optional(),
    /** Lets the page read sensors now and set actuators, through the safety gate like remote commands. */
    localControl: z.boolean().default(WEB_DEFAULTS.localControl),
  })
  .superRefine((c, ctx) => {
    // A host that is no address at all has its own error; the token is about where a valid one reaches.
    if (c.enabled && c.tokenFile === undefined && isListenAddress(c.host) && !isLoopbackHost(c.host))
      ctx.addIssue({
        code: 'custom',
        path: ['tokenFile'],
        message: `missing; listening on ${c.host} (beyond this machine) needs a token: give tokenFile, or host: 127.0.0.1`,
      });
  });

export type WebConfig = z.output<typeof webConfigSchema>;
