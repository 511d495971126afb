import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JournaledReply, StateFileError, StateStore } from './state-store.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'benchloop-state-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const reply = (id: string, value = 0.4): JournaledReply => ({
  id,
  ok: true,
  result: { actuator: 'heater', value, previous: 0 },
  ts: 1764300000321,
});
const stateFiles = () => readdirSync(join(dataDir, 'state')).sort();

describe('session counter', () => {
  it('starts at 1 on a new data directory and goes on from the persisted value after a reopen', async () => {
    const first = await StateStore.open(dataDir);
    expect(first.session).toBe(0);
    expect([await first.nextSession(), await first.nextSession(), await first.nextSession()]).toEqual([
      1, 2, 3,
    ]);
    const second = await StateStore.open(dataDir);
    expect(second.session).toBe(3);
    expect(await second.nextSession()).toBe(4);
  });

  it('never hands out a number twice, concurrent calls included, and each is on disk when returned', async () => {
    const store = await StateStore.open(dataDir);
    const sessions = await Promise.all(Array.from({ length: 20 }, () => store.nextSession()));
    expect(new Set(sessions).size).toBe(20);
    expect(Math.max(...sessions)).toBe(20);
    const onDisk = JSON.parse(readFileSync(join(dataDir, 'state', 'node.json'), 'utf8'));
    expect(onDisk).toEqual({ format: 1, session: 20 });
    expect((await StateStore.open(dataDir)).session).toBe(20);
  });

  it('leaves no temp file behind (the write is temp file, fsync, rename)', async () => {
    const store = await StateStore.open(dataDir);
    await store.nextSession();
    await store.journal.put(reply('c-1'));
    expect(stateFiles().filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('command journal', () => {
  it('remembers replies across a reopen, the first reply for an id winning', async () => {
    const store = await StateStore.open(dataDir);
    await store.journal.put(reply('c-1', 0.4));
    await store.journal.put(reply('c-1', 0.9));
    expect(store.journal.get('c-1')).toEqual(reply('c-1', 0.4));
    const reopened = await StateStore.open(dataDir);
    expect(reopened.journal.get('c-1')).toEqual(reply('c-1', 0.4));
    expect(reopened.journal.get('c-2')).toBeUndefined();
  });

  it('evicts oldest first, whole segments, and always keeps at least journalSize ids', async () => {
    // ~110 bytes per entry: two or three entries per segment.
    const options = { journalSize: 5, segmentBytes: 300 };
    const store = await StateStore.open(dataDir, options);
    const ids = Array.from({ length: 30 }, (_, i) => `c-${String(i).padStart(3, '0')}`);
    for (const [n, id] of ids.entries()) {
      await store.journal.put(reply(id));
      const held = ids.filter((i) => store.journal.get(i) !== undefined);
      // What is held is always the newest ids: a suffix of what was put, at least journalSize long.
      expect(held).toEqual(ids.slice(n + 1 - held.length, n + 1));
      expect(held.length).toBeGreaterThanOrEqual(Math.min(n + 1, options.journalSize));
      expect(held.length).toBeLessThanOrEqual(options.journalSize + 3);
    }
    const reopened = await StateStore.open(dataDir, options);
    const held = ids.filter((i) => reopened.journal.get(i) !== undefined);
    expect(held).toEqual(ids.slice(ids.length - held.length));
    expect(stateFiles().filter((f) => f.startsWith('journal-')).length).toBeLessThanOrEqual(4);
  });

  it('trims on open when journalSize shrank', async () => {
    const store = await StateStore.open(dataDir, { journalSize: 10, segmentBytes: 1 });
    for (let i = 0; i < 10; i++) await store.journal.put(reply(`c-${i}`));
    const smaller = await StateStore.open(dataDir, { journalSize: 3, segmentBytes: 1 });
    expect(smaller.journal.size).toBe(3);
    expect(smaller.journal.get('c-6')).toBeUndefined();
    expect(smaller.journal.get('c-7')).toBeDefined();
  });

  it('ignores temp files a crash left behind', async () => {
    const store = await StateStore.open(dataDir);
    await store.journal.put(reply('c-1'));
    writeFileSync(join(dataDir, 'state', '.journal-0000000001.json.tmp'), '{"format":1,"ent');
    writeFileSync(join(dataDir, 'state', '.node.json.tmp'), '');
    expect((await StateStore.open(dataDir)).journal.get('c-1')).toBeDefined();
  });
});

describe('damaged state files', () => {
  const cases = [
    {
      name: 'a truncated session file',
      file: 'node.json',
      text: '{"format":1,"sess',
      problem: /not valid JSON/,
    },
    { name: 'an empty session file', file: 'node.json', text: '', problem: /is empty/ },
    {
      name: 'a session file with a wrong value',
      file: 'node.json',
      text: '{"format":1,"session":"12"}',
      problem: /session: .*expected (int|number)/,
    },
    {
      name: 'a truncated journal segment',
      file: 'journal-0000000001.json',
      text: '{"format":1,"entries":[{"id":"c-1","ok":tr',
      problem: /not valid JSON/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: open fails with an error naming the file, and nothing is reset`, async () => {
      const store = await StateStore.open(dataDir);
      await store.nextSession();
      await store.journal.put(reply('c-1'));
      const path = join(dataDir, 'state', c.file);
      writeFileSync(path, c.text);
      const error = await StateStore.open(dataDir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateFileError);
      expect((error as StateFileError).file).toBe(path);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(c.problem);
      expect(readFileSync(path, 'utf8')).toBe(c.text);
    });
  }
});
