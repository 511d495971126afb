/**
 * `benchloop scan`: which addresses answer (the bus's own safe probing, as
 * i2cdetect does), and which known chips each is, by each definition's read-only
 * identify(). The snippet is ready to paste under `devices:`.
 */
import type { DeviceDefinition, I2cBus } from '../device-kit/index.js';
import { hex } from '../device-kit/index.js';

export interface ScanResult {
  address: number;
  types: string[];
}

export async function identifyChips(
  bus: I2cBus,
  definitions: readonly DeviceDefinition[],
): Promise<ScanResult[]> {
  const results: ScanResult[] = [];
  for (const address of await bus.scan()) {
    const types: string[] = [];
    for (const definition of definitions) {
      if (definition.transport !== 'i2c' || !definition.addresses.includes(address)) continue;
      if (await definition.identify(bus, address).catch(() => false)) types.push(definition.type);
    }
    results.push({ address, types });
  }
  return results;
}

export function scanSnippet(results: readonly ScanResult[], busNumber: number): string {
  return results
    .filter((r) => r.types.length > 0)
    .map(
      (r) =>
        `  - id: ${r.types[0]}-${r.address.toString(16)}\n    type: ${r.types[0]}\n    bus: ${busNumber}\n    address: ${hex(r.address)}\n    periodMs: 1000\n` +
        (r.types.length > 1 ? `    # could also be: ${r.types.slice(1).join(', ')}\n` : ''),
    )
    .join('');
}
