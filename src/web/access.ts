/**
 * Who may see the page. Bound to loopback, nobody but this machine can connect,
 * and the only outside way in is DNS rebinding (a web page the technician has open
 * resolving its own name to 127.0.0.1), so the Host header must name loopback too.
 * Bound anywhere else, every request needs the token: `Authorization: Bearer` for
 * tools (Prometheus, curl), or a session cookie the login form sets for a browser.
 * The cookie holds an HMAC of the token under a per-process secret, never the token,
 * and is SameSite=Strict; a write must also come from the page's own origin.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost, type WebConfig } from '../config/web-schema.js';
import { HttpError } from './http-util.js';

export const SESSION_COOKIE = 'benchloop_session';
export const MIN_TOKEN_LENGTH = 16;

export type Authentication = 'ok' | 'missing' | 'wrong';

const digest = (text: string) => createHash('sha256').update(text).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

export class Access {
  private readonly secret = randomBytes(32);

  private constructor(
    private readonly token: string | undefined,
    private readonly loopback: boolean,
  ) {}

  static async create(config: Pick<WebConfig, 'host' | 'tokenFile'>): Promise<Access> {
    const loopback = isLoopbackHost(config.host);
    if (config.tokenFile === undefined) {
      if (!loopback) throw new Error(`web: listening on ${config.host} needs web.tokenFile`);
      return new Access(undefined, loopback);
    }
    let token: string;
    try {
      token = (await readFile(config.tokenFile, 'utf8')).trim();
    } catch (error) {
      throw new Error(
        `web.tokenFile: cannot read ${config.tokenFile}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
    // The length only, never the content: this message is logged.
    if (token.length < MIN_TOKEN_LENGTH)
      throw new Error(
        `web.tokenFile: the token in ${config.tokenFile} has ${token.length} characters; use at least ${MIN_TOKEN_LENGTH} (openssl rand -hex 16)`,
      );
    return new Access(token, loopback);
  }

  get tokenRequired(): boolean {
    return this.token !== undefined;
  }

  /** 400 without a Host header; 403 when bound to loopback and the Host names something else. */
  checkHost(req: IncomingMessage): void {
    const host = req.headers.host;
    if (!host) throw new HttpError(400, 'bad_request', 'missing Host header');
    if (!this.loopback) return;
    const name = host.replace(/:\d+$/, '');
    if (!isLoopbackHost(name))
      throw new HttpError(
        403,
        'forbidden',
        `this page answers to 127.0.0.1 and localhost only, not "${name}" (the server listens on loopback)`,
      );
  }

  /** A write must come from this page: a browser always sends Origin with a POST, and it must be ours. */
  checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`)
      throw new HttpError(
        403,
        'forbidden',
        `a request from another site (${origin}) may not change anything here`,
      );
  }

  authenticate(req: IncomingMessage): Authentication {
    if (this.token === undefined) return 'ok';
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      return match && sameSecret(match[1]!, this.token) ? 'ok' : 'wrong';
    }
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (cookie === undefined) return 'missing';
    return sameSecret(cookie, this.sessionValue()) ? 'ok' : 'wrong';
  }

  /** The Set-Cookie value for a correct token, undefined for a wrong one. */
  login(candidate: string): string | undefined {
    if (this.token === undefined || !sameSecret(candidate.trim(), this.token)) return undefined;
    return `${SESSION_COOKIE}=${this.sessionValue()}; HttpOnly; SameSite=Strict; Path=/`;
  }

  private sessionValue(): string {
    return createHmac('sha256', this.secret)
      .update(this.token ?? '')
      .digest('hex');
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
