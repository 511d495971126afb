/**
 * The device registry: one line per folder of devices/. A test fails when a folder
 * is not listed here, so a new chip is added by copying a folder and adding a line.
 */
import type { DeviceDefinition } from '../src/device-kit/index.js';

export const deviceDefinitions: readonly DeviceDefinition[] = [];
