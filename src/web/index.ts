/** The web layer's surface for the composition root. */
export type { WebDeps, WebNode } from './web-deps.js';
export { startWebServer, type WebServer } from './web-server.js';
