import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definition as pwm } from '../../devices/pwm/index.js';
import { definition as relay } from '../../devices/relay/index.js';
import type { ActuatorEntry, Envelope } from '../../src/config/schema.js';
import { EventHub, type NodeEvent } from '../../src/events/event-hub.js';
import { SimGpio } from '../../src/hal/sim/sim-gpio.js';
import { Actuators } from '../../src/safety/actuators.js';

/** Real actuator drivers on simulated lines, with the events they cause. */
export async function safetyRig(
  envelopes: { heater: Envelope; fan?: Envelope },
  monoMs: () => number = () => performance.now(),
) {
  const gpio = new SimGpio({ stateDir: mkdtempSync(join(tmpdir(), 'benchloop-safety-')) });
  const events: NodeEvent[] = [];
  const hub = new EventHub(
    () => Date.now(),
    (error) => {
      throw error;
    },
  );
  hub.subscribe((e) => events.push(e));
  const actuators = new Actuators(hub, monoMs);
  const timing = { sleep: async () => undefined, nowMs: () => performance.now() };
  const heater: ActuatorEntry = { id: 'heater', type: 'pwm', pin: 18, envelope: envelopes.heater };
  actuators.add(heater, pwm.create({ gpio, pin: 18, timing }, pwm.options.parse({})), false);
  if (envelopes.fan) {
    const fan: ActuatorEntry = { id: 'fan', type: 'relay', pin: 23, envelope: envelopes.fan };
    actuators.add(fan, relay.create({ gpio, pin: 23, timing }, relay.options.parse({})), true);
  }
  await actuators.initSafe();
  return { gpio, hub, events, actuators };
}
