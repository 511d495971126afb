import { describe, expect, it } from 'vitest';
import { AddressError, filterCovers, parseNodeAddress, parseNodeFilter } from './address.js';
import { DropLedger, SeqTracker } from './seq-tracker.js';

describe('SeqTracker', () => {
  it('takes the first seq as it comes, then each next one; repeats are duplicates', () => {
    const t = new SeqTracker();
    expect(t.accept(40, 'a')).toEqual({ kind: 'new' });
    expect(t.accept(41, 'a')).toEqual({ kind: 'new' });
    expect(t.accept(41, 'a')).toEqual({ kind: 'duplicate' });
    expect(t.accept(30, 'a')).toEqual({ kind: 'duplicate' });
    expect(t.highestSeq).toBe(41);
  });

  it('reports a jump as a gap; a late copy inside it shrinks it', () => {
    const t = new SeqTracker(10);
    expect(t.accept(15, 'a')).toEqual({ kind: 'new', gap: { firstSeq: 11, lastSeq: 14 } });
    expect(t.accept(12, 'a')).toEqual({ kind: 'late' });
    expect(t.openGaps()).toEqual([
      { firstSeq: 11, lastSeq: 11 },
      { firstSeq: 13, lastSeq: 14 },
    ]);
    expect(t.accept(12, 'a')).toEqual({ kind: 'duplicate' });
    t.close({ firstSeq: 11, lastSeq: 14 });
    expect(t.openGaps()).toEqual([]);
  });

  it('a restarted node resending its backlog (sealed by the earlier run) is not a reset', () => {
    const t = new SeqTracker();
    t.accept(500, 'run-b');
    expect(t.accept(490, 'run-a')).toEqual({ kind: 'duplicate' });
  });

  it('a run never seen, counting from 1 again (or far below), is a reset: the data directory was replaced', () => {
    const t = new SeqTracker();
    t.accept(500, 'run-a');
    expect(t.accept(1, 'run-b')).toEqual({ kind: 'reset', previousHighest: 500 });
    expect(t.accept(2, 'run-b')).toEqual({ kind: 'new' });
    const far = new SeqTracker();
    far.accept(50_000, 'run-a');
    expect(far.accept(7, 'run-c')).toEqual({ kind: 'reset', previousHighest: 50_000 });
  });
});

describe('DropLedger', () => {
  it('covers a gap only with the union of the reported ranges', () => {
    const ledger = new DropLedger();
    ledger.add({ firstSeq: 100, lastSeq: 150 });
    expect(ledger.covers({ firstSeq: 120, lastSeq: 180 })).toBe(false);
    ledger.add({ firstSeq: 151, lastSeq: 200 });
    expect(ledger.covers({ firstSeq: 120, lastSeq: 180 })).toBe(true);
    expect(ledger.covers({ firstSeq: 99, lastSeq: 120 })).toBe(false);
  });
});

describe('node addresses', () => {
  it('parses site/node and filters; refuses what the protocol would not route', () => {
    expect(parseNodeAddress('lab-1/incubator_01')).toEqual({ site: 'lab-1', node: 'incubator_01' });
    expect(parseNodeFilter('lab-1/+')).toEqual({ site: 'lab-1' });
    expect(parseNodeFilter('+/+')).toEqual({});
    expect(parseNodeFilter('')).toEqual({});
    expect(() => parseNodeAddress('lab-1/+')).toThrow(AddressError);
    expect(() => parseNodeAddress('lab.1/x')).toThrow(/site "lab.1" does not match/);
    expect(() => parseNodeFilter('a/b/c')).toThrow(AddressError);
    expect(filterCovers({ site: 'a' }, { site: 'a', node: 'n' })).toBe(true);
    expect(filterCovers({ site: 'a', node: 'n' }, { site: 'a' })).toBe(false);
  });
});
