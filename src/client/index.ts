/**
 * `benchloop/client`: a TypeScript client for orchestrators (docs/orchestrator/).
 * Imports the protocol and the MQTT link, nothing of the node's runtime.
 */
export * from '../protocol/index.js';
export type { LinkStats } from '../sync/link-types.js';
export * from './address.js';
export { BenchloopClient, NodeHandle, type NodeRef, toAddress } from './client.js';
export type { SendOptions } from './commands.js';
export type { ClientOptions } from './connection.js';
export * from './data-stream.js';
export * from './errors.js';
export * from './models.js';
export * from './node-directory.js';
export * from './plans.js';
export * from './seq-tracker.js';
