/** Protocol v1 for both ends: the node's MQTT sync and orchestrator clients import from here. */
export * from './messages.js';
export * from './topics.js';
