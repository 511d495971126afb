/**
 * The local status page, `/healthz` and `/metrics`, on node:http (docs/status-page.md).
 * Order of checks for every request: Host (DNS rebinding) → path → token → method →
 * origin of a write → the handler. Without the token every unknown path is a 401
 * too, so an outsider learns nothing about what exists. Everything the server
 * subscribes to or starts is undone by `close()`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Access } from './access.js';
import { APP_CSS } from './assets/app-css.js';
import { APP_JS } from './assets/app-js.js';
import { loginPage, statusPage } from './assets/pages.js';
import { ChannelHistory } from './channel-history.js';
import { evaluateHealth } from './health.js';
import { HttpError, readBody, readJsonObject, send, sendError, sendJson } from './http-util.js';
import { LiveFeed, MAX_CLIENTS } from './live-feed.js';
import { LocalControl } from './local-control.js';
import { LoopLag } from './loop-lag.js';
import { createMetrics } from './metrics.js';
import { type StatusView, statusView } from './status-view.js';
import type { WebDeps } from './web-deps.js';

export interface WebServer {
  /** Where it listens, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void;

interface Route {
  path: string | RegExp;
  methods: Partial<Record<'GET' | 'POST', Handler>>;
  /** Served without the token: the login form and the stylesheet it uses. */
  public?: boolean;
}

const HTML = 'text/html; charset=utf-8';

export async function startWebServer(deps: WebDeps): Promise<WebServer> {
  const { config, node, log } = deps;
  const nowMs = deps.nowMs ?? Date.now;
  const access = await Access.create(config);
  const startedMono = performance.now();
  const history = new ChannelHistory();
  const lag = new LoopLag();

  const view = (): StatusView => {
    const status = node.status();
    const sync = node.sync?.stats();
    const health = evaluateHealth({
      status,
      sync,
      lag: lag.window(),
      lastSeen: (device) => history.lastSeen(device),
      sinceMs: startedMono,
      nowMonoMs: performance.now(),
    });
    const latest = (key: string) => history.latest(key);
    return statusView({
      node,
      status,
      sync,
      health,
      latest,
      nowMs: nowMs(),
      localControl: config.localControl,
    });
  };
  const feed = new LiveFeed(history, view, deps.tickMs ?? 1000);
  const metrics = createMetrics({
    node,
    lag,
    inferences: deps.inferences,
    sseClients: () => feed.clientCount,
  });
  const control = new LocalControl({ node, log, nowMs, reply: (r) => feed.onReply(r) });
  const unsubscribe = [
    node.samples.subscribe((samples) => {
      history.add(samples);
      feed.onSamples(samples);
    }),
    node.events.subscribe((event) => feed.onEvent(event)),
    ...(deps.replies
      ? [deps.replies.subscribe((reply) => feed.onReply({ ...reply, origin: 'remote' }))]
      : []),
  ];

  const requireLocalControl = () => {
    if (!config.localControl)
      throw new HttpError(403, 'forbidden', 'local control is off on this node (web.localControl: false)');
  };
  const answer = async (res: ServerResponse, work: Promise<{ status: number; body: unknown }>) => {
    const { status, body } = await work;
    sendJson(res, status, body);
  };
  const health = (res: ServerResponse, pick: 'live' | 'ready' | 'both') => {
    const h = view().health;
    const ok = pick === 'both' ? h.ready.ok : h[pick].ok;
    sendJson(res, ok ? 200 : 503, { status: h.state, live: h.live, ready: h.ready, warnings: h.warnings });
  };

  const routes: Route[] = [
    { path: '/', methods: { GET: (_q, res) => send(res, 200, statusPage(), HTML) } },
    {
      path: '/app.js',
      methods: { GET: (_q, res) => send(res, 200, APP_JS, 'text/javascript; charset=utf-8') },
    },
    {
      path: '/app.css',
      public: true,
      methods: { GET: (_q, res) => send(res, 200, APP_CSS, 'text/css; charset=utf-8') },
    },
    { path: '/api/status', methods: { GET: (_q, res) => sendJson(res, 200, view()) } },
    {
      path: '/api/stream',
      methods: {
        GET: (_q, res) => {
          if (feed.clientCount >= MAX_CLIENTS)
            throw new HttpError(503, 'busy', `${MAX_CLIENTS} pages are already watching; close one`);
          feed.attach(res);
        },
      },
    },
    {
      path: '/api/read',
      methods: {
        POST: async (req, res) => {
          requireLocalControl();
          await answer(res, control.read(await readJsonObject(req)));
        },
      },
    },
    {
      path: /^\/api\/actuators\/([A-Za-z0-9_.-]{1,64})$/,
      methods: {
        POST: async (req, res, [id]) => {
          requireLocalControl();
          await answer(res, control.set(id!, await readJsonObject(req)));
        },
      },
    },
    { path: '/healthz', methods: { GET: (_q, res) => health(res, 'both') } },
    { path: '/healthz/live', methods: { GET: (_q, res) => health(res, 'live') } },
    { path: '/healthz/ready', methods: { GET: (_q, res) => health(res, 'ready') } },
    {
      path: '/metrics',
      methods: { GET: async (_q, res) => send(res, 200, await metrics.render(), metrics.contentType) },
    },
  ];
  if (access.tokenRequired) {
    routes.push({
      path: '/login',
      public: true,
      methods: {
        GET: (_q, res) => send(res, 200, loginPage(), HTML),
        POST: async (req, res) => {
          const form = new URLSearchParams(await readBody(req));
          const cookie = access.login(form.get('token') ?? '');
          if (!cookie) return send(res, 401, loginPage('That token is wrong.'), HTML);
          send(res, 303, '', 'text/plain', { Location: './', 'Set-Cookie': cookie });
        },
      },
    });
  }

  const unauthorized = (req: IncomingMessage, res: ServerResponse, why: 'missing' | 'wrong') => {
    if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
      send(
        res,
        401,
        loginPage(why === 'wrong' ? 'Your session has ended: enter the token again.' : undefined),
        HTML,
      );
      return;
    }
    const bearer =
      why === 'wrong' ? 'Bearer realm="benchloop", error="invalid_token"' : 'Bearer realm="benchloop"';
    const message =
      why === 'wrong' ? 'the token is wrong' : 'a token is required: Authorization: Bearer <token>';
    sendError(res, new HttpError(401, 'unauthorized', message, { 'WWW-Authenticate': bearer }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    access.checkHost(req);
    if (!req.url?.startsWith('/'))
      throw new HttpError(400, 'bad_request', 'the request target must be a path');
    const path = new URL(req.url, 'http://localhost').pathname;
    let params: string[] = [];
    const route = routes.find((r) => {
      if (typeof r.path === 'string') return r.path === path;
      const match = r.path.exec(path);
      params = match ? match.slice(1) : [];
      return match !== null;
    });
    if (!route?.public) {
      const who = access.authenticate(req);
      if (who !== 'ok') return unauthorized(req, res, who);
    }
    if (!route) throw new HttpError(404, 'not_found', `no such page: ${path}`);
    const method = req.method === 'HEAD' && route.path !== '/api/stream' ? 'GET' : req.method;
    const handler = route.methods[method as 'GET' | 'POST'];
    if (!handler) {
      const allow = Object.keys(route.methods).join(', ');
      throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here; allowed: ${allow}`, {
        Allow: allow,
      });
    }
    if (method === 'POST') access.checkOrigin(req);
    await handler(req, res, params);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof HttpError) return sendError(res, error);
      log.error({ err: error, url: req.url }, 'web: request failed');
      sendError(res, new HttpError(500, 'internal', 'the node failed to answer; see its log'));
    });
  });
  // A Pi has few file descriptors to spare for a page.
  server.maxConnections = 64;
  const release = () => {
    for (const u of unsubscribe) u();
    feed.close();
    metrics.close();
    lag.stop();
  };
  try {
    await listen(server, config);
  } catch (error) {
    release();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/`;
  log.info({ url, token: access.tokenRequired, localControl: config.localControl }, `status page on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= (async () => {
        release();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

function listen(server: Server, config: WebDeps['config']): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `web: cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}${
            error.code === 'EADDRINUSE' ? ' (the port is taken: set web.port, or web.enabled: false)' : ''
          }`,
        ),
      ),
    );
    server.listen(config.port, config.host, resolve);
  });
}
