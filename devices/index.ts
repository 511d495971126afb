/**
 * The device registry: one line per folder of devices/. A test fails when a folder
 * is not listed here, so a new chip is added by copying a folder and adding a line.
 */
import type { DeviceDefinition } from '../src/device-kit/index.js';
import { definition as ads1115 } from './ads1115/index.js';
import { definition as bme280 } from './bme280/index.js';
import { definition as ds18b20 } from './ds18b20/index.js';
import { definition as gpioInput } from './gpio-input/index.js';
import { definition as ina219 } from './ina219/index.js';
import { definition as mcp9808 } from './mcp9808/index.js';
import { definition as pwm } from './pwm/index.js';
import { definition as relay } from './relay/index.js';
import { definition as sht3x } from './sht3x/index.js';
import { definition as tmp117 } from './tmp117/index.js';

export const deviceDefinitions: readonly DeviceDefinition[] = [
  ads1115,
  ina219,
  bme280,
  sht3x,
  gpioInput,
  relay,
  pwm,
  ds18b20,
  tmp117,
  mcp9808,
];
