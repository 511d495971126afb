import { describe, expect, it } from 'vitest';
import { Transfers } from './transfers.js';

function rig(chunkSize = 4) {
  const clock = { ms: 0 };
  const transfers = new Transfers({ chunkSize, expireAfterMs: 1000, monoMs: () => clock.ms });
  return { clock, transfers };
}

const request = (size: number) => ({ name: 'm', version: '2', sha256: 'a'.repeat(64), size });
const bytes = (...values: number[]) => Uint8Array.from(values);

describe('Transfers', () => {
  it('assembles chunks by index, whatever their order and duplicates', async () => {
    const { transfers } = rig();
    const { transfer, chunkSize } = transfers.begin(request(6));
    expect(chunkSize).toBe(4);
    expect(transfer).toMatch(/^t-[0-9a-f]{16}$/);
    transfers.chunk(transfer, 1, bytes(5, 6));
    transfers.chunk(transfer, 0, bytes(1, 2, 3, 4));
    transfers.chunk(transfer, 1, bytes(5, 6));
    expect(await transfers.take(transfer, 0)).toMatchObject({ ok: true, bytes: bytes(1, 2, 3, 4, 5, 6) });
    expect(transfers.has(transfer)).toBe(false);
  });

  it('accepts chunks smaller than the chunk size', async () => {
    const { transfers } = rig();
    const { transfer } = transfers.begin(request(3));
    for (const [i, v] of [1, 2, 3].entries()) transfers.chunk(transfer, i, bytes(v));
    expect(await transfers.take(transfer, 0)).toMatchObject({ ok: true, bytes: bytes(1, 2, 3) });
  });

  it('waits for a chunk still on its way, then calls a short file truncated', async () => {
    const { transfers } = rig();
    const { transfer } = transfers.begin(request(6));
    transfers.chunk(transfer, 0, bytes(1, 2, 3, 4));
    const late = transfers.take(transfer, 5000);
    transfers.chunk(transfer, 1, bytes(5, 6));
    expect((await late).ok).toBe(true);

    const second = transfers.begin(request(10)).transfer;
    transfers.chunk(second, 0, bytes(1, 2, 3, 4));
    transfers.chunk(second, 2, bytes(9, 10));
    expect(await transfers.take(second, 10)).toEqual({
      ok: false,
      message: 'truncated: received 6 of 10 bytes (chunks missing: 1)',
    });
  });

  it.each([
    [[0, 5], 'chunk 0 has 5 bytes, more than the chunk size 4'],
    [[0, 4, 1, 4, 2, 4], 'received 12 bytes, more than the declared size of 10'],
  ])('refuses oversize data: %j', async (plan, message) => {
    const { transfers } = rig();
    const { transfer } = transfers.begin(request(10));
    for (let i = 0; i < plan.length; i += 2)
      transfers.chunk(transfer, plan[i]!, new Uint8Array(plan[i + 1]!));
    expect(await transfers.take(transfer, 0)).toEqual({ ok: false, message });
  });

  it('expires a transfer idle past its limit, and drops its late chunks', () => {
    const { transfers, clock } = rig();
    const { transfer } = transfers.begin(request(6));
    clock.ms = 900;
    transfers.chunk(transfer, 0, bytes(1));
    clock.ms = 1800;
    expect(transfers.has(transfer)).toBe(true);
    clock.ms = 2000;
    expect(transfers.expire()).toMatchObject([{ name: 'm', version: '2' }]);
    expect(transfers.chunk(transfer, 1, bytes(2))).toBe(false);
  });
});
