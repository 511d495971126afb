/** The device contract: everything a device folder may import from the runtime. */
export { z } from 'zod';
export * from './bits.js';
export * from './bus.js';
export * from './crc.js';
export * from './definition.js';
export * from './identity.js';
export * from './poll.js';
export * from './registers.js';
export * from './sim.js';
export * from './units.js';
