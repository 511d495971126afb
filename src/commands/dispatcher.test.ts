import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { commandsConfigSchema } from '../config/commands-schema.js';
import type { ErrorReply, Reply } from '../protocol/messages.js';
import { StateStore } from '../store/state-store.js';
import { BUILTIN_COMMANDS } from './builtins.js';
import type { CommandDefinition } from './context.js';
import { CommandDispatcher, type CommandJournalPort, type DispatcherConfig } from './dispatcher.js';
import { type FakeNode, fakeNode, memoryJournal, T0 } from './fake-context.test-support.js';

const defaults = commandsConfigSchema.parse({});

function rig(
  options: {
    config?: Partial<DispatcherConfig>;
    journal?: CommandJournalPort;
    node?: FakeNode;
    commands?: CommandDefinition[];
  } = {},
) {
  const node = options.node ?? fakeNode();
  const events: Array<{ type: string; fields: Record<string, unknown> }> = [];
  const errors: Array<{ detail: object; message: string }> = [];
  const journal = options.journal ?? memoryJournal();
  const dispatcher = new CommandDispatcher({
    context: node.context,
    journal,
    config: { ...defaults, remoteSet: ['heater'], ...options.config },
    emit: (type, fields) => events.push({ type, fields }),
    log: { error: (detail, message) => errors.push({ detail, message }) },
    ...(options.commands ? { commands: options.commands } : {}),
  });
  const send = (payload: unknown, receivedAt = node.now.ms) =>
    dispatcher.handle(Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), {
      receivedAt,
    });
  return { node, events, errors, journal, dispatcher, send };
}

const nameOf = (payload: unknown) => {
  const name = (payload as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : null;
};

const errorOf = (reply: Reply) => {
  expect(reply.ok).toBe(false);
  return (reply as ErrorReply).error;
};

describe('built-in commands', () => {
  it('ping answers bootId and uptime', async () => {
    const { send } = rig();
    expect(await send({ id: 'c-1', name: 'ping' })).toEqual({
      id: 'c-1',
      ok: true,
      result: { bootId: 'boot-1', uptimeMs: 1234 },
      ts: T0,
    });
  });

  it('describe answers the birth document, keys in protocol order, plus configHash', async () => {
    const { send } = rig();
    const reply = await send({ id: 'c-1', name: 'describe', args: {} });
    expect(reply.ok).toBe(true);
    const result = (reply as { result: Record<string, unknown> }).result;
    expect(Object.keys(result)).toEqual([
      'online',
      'session',
      'bootId',
      'version',
      'ts',
      'clock',
      'devices',
      'actuators',
      'models',
      'configHash',
    ]);
    expect(result).toMatchObject({ online: true, session: 12, bootId: 'boot-1', configHash: 'sha256:abc' });
    expect(result.devices).toHaveLength(2);
  });

  it('read reads all devices, one device, one channel of a device, or one channel everywhere', async () => {
    const { send, node } = rig();
    const samples = async (args: object) =>
      ((await send({ id: `r-${JSON.stringify(args)}`, name: 'read', args })) as { result: { samples: [] } })
        .result.samples;
    expect(await samples({})).toHaveLength(3);
    expect(await samples({ device: 'chamber' })).toHaveLength(2);
    expect(await samples({ device: 'chamber', channel: 'humidity' })).toEqual([
      { d: 'chamber', c: 'humidity', t: T0, v: 21 },
    ]);
    expect(await samples({ channel: 'level' })).toEqual([{ d: 'door', c: 'level', t: T0, v: 20 }]);
    expect(node.readCalls).toEqual([undefined, 'chamber', 'chamber', undefined]);
  });

  it('set writes through the gate as a command and answers value and previous', async () => {
    const { send, node } = rig();
    expect(await send({ id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } })).toEqual({
      id: 'c-1',
      ok: true,
      result: { actuator: 'heater', value: 0.4, previous: 0 },
      ts: T0,
    });
    expect(node.setCalls).toEqual([{ id: 'heater', value: 0.4, source: { kind: 'command', id: 'c-1' } }]);
  });
});

/** Every rejection: its code, its message (naming the command id and the field), and what it must not touch. */
const rejections: Array<{
  what: string;
  payload: unknown;
  code: string;
  id?: string | null;
  message: RegExp;
  /** Rejected by the safety gate itself: the gate was asked, and refused. */
  reachesGate?: boolean;
  setup?: (node: FakeNode) => void;
}> = [
  {
    what: 'not JSON',
    payload: '{"id": "c-1",',
    code: 'bad_request',
    id: null,
    message: /^command \(no id\): payload: not JSON \(/,
  },
  {
    what: 'a JSON array',
    payload: [{ id: 'c-1', name: 'ping' }],
    code: 'bad_request',
    id: null,
    message: /payload: found an array; expected a JSON object/,
  },
  {
    what: 'a JSON number',
    payload: '42',
    code: 'bad_request',
    id: null,
    message: /payload: found 42; expected a JSON object/,
  },
  {
    what: 'JSON null',
    payload: 'null',
    code: 'bad_request',
    id: null,
    message: /payload: found null; expected a JSON object/,
  },
  {
    what: 'no id',
    payload: { name: 'ping' },
    code: 'bad_request',
    id: null,
    message: /^command \(no id\) \(ping\): id: missing; expected a string$/,
  },
  {
    what: 'a numeric id',
    payload: { id: 7, name: 'ping' },
    code: 'bad_request',
    id: null,
    message: /id: found 7 \(number\); expected a string/,
  },
  {
    what: 'an id of 129 characters',
    payload: { id: 'x'.repeat(129), name: 'ping' },
    code: 'bad_request',
    id: null,
    message: /id: found "x+…" \(string\); length must be ≤ 128/,
  },
  {
    what: 'no name',
    payload: { id: 'c-1' },
    code: 'bad_request',
    id: 'c-1',
    message: /^command c-1: name: missing; expected a string$/,
  },
  {
    what: 'args not an object',
    payload: { id: 'c-1', name: 'ping', args: [1] },
    code: 'bad_request',
    id: 'c-1',
    message: /^command c-1 \(ping\): args: found a list; expected a mapping$/,
  },
  {
    what: 'args null',
    payload: { id: 'c-1', name: 'ping', args: null },
    code: 'bad_request',
    id: 'c-1',
    message: /args: found null; expected a mapping/,
  },
  {
    what: 'expiresAt as text',
    payload: { id: 'c-1', name: 'ping', expiresAt: '1764300060000' },
    code: 'bad_request',
    id: 'c-1',
    message: /expiresAt: found "1764300060000" \(string\); expected a number/,
  },
  {
    what: 'expiresAt with a fraction',
    payload: { id: 'c-1', name: 'ping', expiresAt: 1764300060000.5 },
    code: 'bad_request',
    id: 'c-1',
    message: /expiresAt: found 1764300060000.5 \(number\); expected a whole number/,
  },
  {
    what: 'an unknown envelope key (a typo of expiresAt)',
    payload: { id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 }, expiresat: T0 - 1 },
    code: 'bad_request',
    id: 'c-1',
    message:
      /^command c-1 \(set\): expiresat: unknown key "expiresat" \(did you mean "expiresAt"\?\); allowed keys: id, name, args, expiresAt$/,
  },
  {
    what: 'an unknown command',
    payload: { id: 'c-1', name: 'pnig' },
    code: 'unknown_command',
    // Every built-in, in registration order (the list grows as commands are added).
    message: new RegExp(
      `^command c-1 \\(pnig\\): name: no command "pnig"; this node implements: ${BUILTIN_COMMANDS.map((c) => c.name.replaceAll('.', '\\.')).join(', ')}$`,
    ),
  },
  {
    what: 'a value of the wrong type and a missing actuator, both listed',
    payload: { id: 'c-1', name: 'set', args: { value: 'hot' } },
    code: 'invalid_args',
    message:
      /^command c-1 \(set\): args.actuator: missing; expected a string; args.value: found "hot" \(string\); expected a number$/,
  },
  {
    what: 'an unknown argument',
    payload: { id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4, rampS: 10 } },
    code: 'invalid_args',
    message: /args.rampS: unknown key "rampS"; allowed keys: actuator, value/,
  },
  {
    what: 'args to a command that takes none',
    payload: { id: 'c-1', name: 'ping', args: { x: 1 } },
    code: 'invalid_args',
    message: /^command c-1 \(ping\): args.x: unknown key "x"/,
  },
  {
    what: 'an actuator not in remoteSet',
    payload: { id: 'c-1', name: 'set', args: { actuator: 'fan', value: 1 } },
    code: 'forbidden',
    message:
      /^command c-1 \(set\): args.actuator: "fan" may not be set remotely on this node \(commands.remoteSet: heater\)$/,
  },
  {
    what: 'a forbidden actuator with bad args too (policy first)',
    payload: { id: 'c-1', name: 'set', args: { actuator: 'fan', value: 'on' } },
    code: 'forbidden',
    message: /args.actuator: "fan" may not be set remotely/,
  },
  {
    what: 'an out-of-envelope value',
    payload: { id: 'c-1', name: 'set', args: { actuator: 'heater', value: 1.7 } },
    code: 'out_of_range',
    reachesGate: true,
    message: /^command c-1 \(set\): args.value: heater: 1.7 is outside \[0, 1\]$/,
  },
  {
    what: 'an actuator held by an interlock',
    payload: { id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } },
    code: 'busy',
    reachesGate: true,
    setup: (node) => node.held.set('heater', 'door-open'),
    message: /^command c-1 \(set\): args.actuator: heater is held at 0 by interlock door-open$/,
  },
  {
    what: 'a hardware write that fails',
    payload: { id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } },
    code: 'failed',
    reachesGate: true,
    setup: (node) => node.failing.add('heater'),
    message: /args.actuator: heater: write failed: EIO/,
  },
  {
    what: 'an unknown device',
    payload: { id: 'c-1', name: 'read', args: { device: 'oven' } },
    code: 'not_found',
    message: /^command c-1 \(read\): args.device: no device "oven"; devices: chamber, door$/,
  },
  {
    what: 'an unknown channel',
    payload: { id: 'c-1', name: 'read', args: { device: 'door', channel: 'temperature' } },
    code: 'not_found',
    message: /args.channel: device "door" has no channel "temperature"; channels: level/,
  },
  {
    what: 'an expired command',
    payload: { id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 }, expiresAt: T0 - 5000 },
    code: 'expired',
    message:
      /^command c-1 \(set\): expiresAt: 1764299995000 \(2025-11-28T03:19:55.000Z\) passed 5000 ms before the command's turn/,
  },
  {
    what: 'a command whose handler throws',
    payload: { id: 'c-1', name: 'read' },
    code: 'internal',
    setup: (node) => {
      node.readImpl.fn = () => Promise.reject(new TypeError('boom'));
    },
    message: /^command c-1 \(read\): the command failed unexpectedly: boom$/,
  },
];

describe('rejections', () => {
  for (const r of rejections) {
    it(`${r.what} → ${r.code}, an event, and no actuator moved`, async () => {
      const { send, node, events } = rig();
      r.setup?.(node);
      const before = JSON.stringify([...node.actuators.values()]);
      const reply = await send(r.payload);
      const error = errorOf(reply);
      expect(error.code).toBe(r.code);
      expect(error.message).toMatch(r.message);
      expect(reply.id).toBe(r.id === undefined ? 'c-1' : r.id);
      expect(events).toEqual([
        {
          type: 'command.rejected',
          fields: { id: reply.id, name: nameOf(r.payload), code: r.code, message: error.message },
        },
      ]);
      expect(node.writes).toEqual([]);
      expect(JSON.stringify([...node.actuators.values()])).toBe(before);
      if (!r.reachesGate) expect(node.setCalls).toEqual([]);
    });
  }

  it('a protocol command this node does not implement is unknown_command, saying so', async () => {
    const { send } = rig({ commands: BUILTIN_COMMANDS.filter((c) => c.name !== 'plan.run') });
    const error = errorOf(await send({ id: 'c-1', name: 'plan.run', args: { plan: {} } }));
    expect(error.code).toBe('unknown_command');
    expect(error.message).toMatch(
      /name: "plan.run" is part of protocol v1 but not implemented by this node yet/,
    );
  });

  it('a command name this node does not allow is forbidden', async () => {
    const { send, node } = rig({ config: { allow: ['ping', 'describe', 'read'] } });
    const error = errorOf(await send({ id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } }));
    expect(error).toEqual({
      code: 'forbidden',
      message:
        'command c-1 (set): name: "set" is not allowed on this node (commands.allow: ping, describe, read)',
    });
    expect(node.setCalls).toEqual([]);
  });

  it('by default no actuator may be set remotely', async () => {
    const { send, node } = rig({ config: { remoteSet: defaults.remoteSet } });
    expect(
      errorOf(await send({ id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0 } })).message,
    ).toMatch(/commands.remoteSet: none/);
    expect(node.setCalls).toEqual([]);
  });

  it('lists each problem as an issue with its path, beside the message', async () => {
    const { send } = rig();
    const error = errorOf(await send({ id: 'c-1', name: 'set', args: { value: 'hot' } }));
    expect(error.issues).toEqual([
      { path: 'args.actuator', message: 'missing; expected a string' },
      { path: 'args.value', message: 'found "hot" (string); expected a number' },
    ]);
  });

  it('an error thrown by a command is logged, answered internal, and the next command runs', async () => {
    const { send, node, errors } = rig();
    node.readImpl.fn = () => Promise.reject(new Error('bus wedged'));
    expect(errorOf(await send({ id: 'c-1', name: 'read' })).code).toBe('internal');
    expect(errors).toMatchObject([{ message: 'command failed', detail: { command: 'c-1', name: 'read' } }]);
    expect((await send({ id: 'c-2', name: 'ping' })).ok).toBe(true);
  });

  it('invalid UTF-8 is a bad_request', async () => {
    const { dispatcher } = rig();
    const reply = await dispatcher.handle(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { receivedAt: T0 });
    expect(errorOf(reply).message).toBe('command (no id): payload: not UTF-8 text');
  });
});

describe('size limit', () => {
  it('refuses a 1 MiB payload without parsing it', async () => {
    const { send, node } = rig();
    const command = {
      id: 'c-1',
      name: 'set',
      args: { actuator: 'heater', value: 0.4, pad: 'x'.repeat(1 << 20) },
    };
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const reply = await send(command);
      expect(parse).not.toHaveBeenCalled();
      expect(reply.id).toBeNull();
      expect(errorOf(reply)).toEqual({
        code: 'bad_request',
        message: `command (no id): payload: ${JSON.stringify(command).length} bytes, above this node's limit of 65536 (commands.maxBytes)`,
      });
    } finally {
      parse.mockRestore();
    }
    expect(node.setCalls).toEqual([]);
  });

  it('accepts a payload of exactly maxBytes', async () => {
    const { send } = rig({ config: { maxBytes: 1024 } });
    const base = JSON.stringify({ id: 'c-1', name: 'ping', expiresAt: T0 + 60_000, args: {} });
    const payload = `${base.slice(0, -1)}${' '.repeat(1024 - base.length)}}`;
    expect(payload.length).toBe(1024);
    expect((await send(payload)).ok).toBe(true);
    expect(errorOf(await send(`${payload} `)).code).toBe('bad_request');
  });
});

describe('expiry', () => {
  const set = (id: string, expiresAt: number) => ({
    id,
    name: 'set',
    args: { actuator: 'heater', value: 0.4 },
    expiresAt,
  });

  it('runs a command up to and including its expiresAt millisecond', async () => {
    const { send, node } = rig();
    expect((await send(set('c-1', T0 + 1))).ok).toBe(true);
    expect((await send(set('c-2', T0))).ok).toBe(true);
    expect(node.setCalls).toHaveLength(2);
  });

  it('judges by the later of arrival and the command’s turn, so a command can expire in the queue', async () => {
    const { send, node } = rig();
    let finishRead!: () => void;
    node.readImpl.fn = () =>
      new Promise((resolve) => {
        finishRead = () => resolve([]);
      });
    const slow = send({ id: 'c-1', name: 'read' });
    const queued = send(set('c-2', T0 + 1000));
    await vi.waitFor(() => expect(node.readCalls).toHaveLength(1));
    node.now.ms = T0 + 1001;
    finishRead();
    await slow;
    expect(errorOf(await queued).code).toBe('expired');
    expect(node.setCalls).toEqual([]);
  });

  it('says when expiresAt looks like seconds, and when the node clock is not synchronised', async () => {
    const { send, node } = rig();
    node.synced.value = false;
    const message = errorOf(await send(set('c-1', Math.floor(T0 / 1000)))).message;
    expect(message).toMatch(/\(the node's clock is not synchronised\)/);
    expect(message).toMatch(/expiresAt is in milliseconds since the epoch, and this looks like seconds$/);
  });
});

describe('idempotency', () => {
  it('answers a duplicate id with the first reply, unchanged, and runs nothing', async () => {
    const { send, node, events } = rig();
    const first = await send({ id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } });
    node.now.ms += 5000;
    const again = await send({ id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } });
    expect(again).toEqual(first);
    expect(node.setCalls).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('a late duplicate of a refused command stays refused (it never runs later)', async () => {
    const { send, node } = rig();
    node.held.set('heater', 'door-open');
    const command = { id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } };
    const first = await send(command);
    node.held.clear();
    expect(await send(command)).toEqual(first);
    expect(node.writes).toEqual([]);
  });

  it('does not journal unreadable payloads: the same id with a fixed envelope runs', async () => {
    const { send, node } = rig();
    expect(errorOf(await send({ id: 'c-1', name: 'set', arg: {} })).code).toBe('bad_request');
    expect((await send({ id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } })).ok).toBe(true);
    expect(node.writes).toHaveLength(1);
  });

  it('replays the first reply after a restart of the store and the node', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'benchloop-commands-'));
    try {
      const command = { id: 'c-000123', name: 'set', args: { actuator: 'heater', value: 0.4 } };
      const before = rig({ journal: (await StateStore.open(dataDir)).journal });
      const first = await before.send(command);
      expect(first.ok).toBe(true);

      const after = rig({ journal: (await StateStore.open(dataDir)).journal });
      after.node.now.ms = T0 + 3_600_000;
      expect(await after.send(command)).toEqual(first);
      expect(after.node.setCalls).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('still answers truthfully when the journal cannot write, and logs it', async () => {
    const journal = memoryJournal();
    journal.failWrites = true;
    const { send, errors, node } = rig({ journal });
    const reply = await send({ id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } });
    expect(reply.ok).toBe(true);
    expect(errors[0]?.message).toMatch(/journal write failed/);
    expect(await send({ id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } })).toEqual(reply);
    expect(node.setCalls).toHaveLength(1);
  });
});

describe('ordering', () => {
  it('runs commands one at a time in arrival order, and replies in that order', async () => {
    let running = 0;
    let most = 0;
    const ran: string[] = [];
    const slow: CommandDefinition<{ ms: number }> = {
      name: 'slow',
      args: z.strictObject({ ms: z.number() }),
      async run({ ms }, _context, command) {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, ms));
        ran.push(command.id);
        running--;
        return { ok: true, result: { ms } };
      },
    };
    const { send } = rig({ commands: [slow], config: { allow: ['slow'] } });
    const replied: string[] = [];
    const delays = [30, 1, 20, 0, 10, 5, 0, 15];
    await Promise.all(
      delays.map((ms, i) =>
        send({ id: `c-${i}`, name: 'slow', args: { ms } }).then((r) => replied.push(r.id!)),
      ),
    );
    const order = delays.map((_, i) => `c-${i}`);
    expect(ran).toEqual(order);
    expect(replied).toEqual(order);
    expect(most).toBe(1);
  });

  it('a duplicate queued right behind its original is answered from the journal', async () => {
    const { send, node } = rig();
    const command = { id: 'c-1', name: 'set', args: { actuator: 'heater', value: 0.4 } };
    const [a, b] = await Promise.all([send(command), send(command)]);
    expect(b).toEqual(a);
    expect(node.setCalls).toHaveLength(1);
  });

  it('idle() resolves once every command handed in is answered', async () => {
    const { send, dispatcher } = rig();
    let answered = 0;
    for (let i = 0; i < 5; i++) void send({ id: `c-${i}`, name: 'ping' }).then(() => answered++);
    await dispatcher.idle();
    expect(answered).toBe(5);
  });
});
