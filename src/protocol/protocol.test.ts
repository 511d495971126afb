import { describe, expect, it } from 'vitest';
import { commandEnvelopeSchema, ERROR_CODES } from './messages.js';
import {
  cmdTopic,
  eventsTopic,
  ITEM_ID_PATTERN,
  modelChunkTopic,
  NODE_ID_PATTERN,
  parseTopic,
  replyTopic,
  statusTopic,
  TopicError,
  telemetryTopic,
  topicFilter,
} from './topics.js';

const at = { site: 'demo-lab', node: 'incubator-01' };

describe('topics', () => {
  it('builds every topic under R = benchloop/v1/{site}/{node}', () => {
    expect([statusTopic, telemetryTopic, eventsTopic, cmdTopic, replyTopic].map((t) => t(at))).toEqual([
      'benchloop/v1/demo-lab/incubator-01/status',
      'benchloop/v1/demo-lab/incubator-01/telemetry',
      'benchloop/v1/demo-lab/incubator-01/events',
      'benchloop/v1/demo-lab/incubator-01/cmd',
      'benchloop/v1/demo-lab/incubator-01/reply',
    ]);
    expect(modelChunkTopic(at, 't-7', 12)).toBe('benchloop/v1/demo-lab/incubator-01/model/t-7/12');
  });

  it('parses what it builds', () => {
    expect(parseTopic(statusTopic(at))).toEqual({ ...at, kind: 'status' });
    expect(parseTopic(cmdTopic(at))).toEqual({ ...at, kind: 'cmd' });
    expect(parseTopic(modelChunkTopic(at, 't-7', 0))).toEqual({
      ...at,
      kind: 'model',
      transfer: 't-7',
      index: 0,
    });
  });

  it('refuses to build a topic from an id the protocol does not allow', () => {
    for (const site of ['', 'a/b', '+', '#', 'lab.1', 'x'.repeat(65)])
      expect(() => statusTopic({ site, node: 'n' })).toThrow(TopicError);
    expect(() => modelChunkTopic(at, 't/1', 0)).toThrow(TopicError);
    expect(() => modelChunkTopic(at, 't', -1)).toThrow(TopicError);
    expect(() => modelChunkTopic(at, 't', 1.5)).toThrow(TopicError);
  });

  it('parses anything else to undefined', () => {
    for (const topic of [
      'benchloop/v2/demo-lab/incubator-01/status',
      'other/v1/demo-lab/incubator-01/status',
      'benchloop/v1/demo-lab/incubator-01',
      'benchloop/v1/demo-lab/incubator-01/state',
      'benchloop/v1/demo-lab/incubator-01/status/x',
      'benchloop/v1/demo lab/incubator-01/status',
      'benchloop/v1/demo-lab/incubator-01/model/t-7',
      'benchloop/v1/demo-lab/incubator-01/model/t-7/01',
      'benchloop/v1/demo-lab/incubator-01/model/t-7/-1',
      'benchloop/v1/demo-lab/incubator-01/model/t.7/1',
    ])
      expect(parseTopic(topic), topic).toBeUndefined();
  });

  it('makes subscription filters for one node or all', () => {
    expect(topicFilter('status')).toBe('benchloop/v1/+/+/status');
    expect(topicFilter('telemetry', { site: 'demo-lab' })).toBe('benchloop/v1/demo-lab/+/telemetry');
    expect(topicFilter('model', at)).toBe('benchloop/v1/demo-lab/incubator-01/model/+/+');
  });

  it('has the id patterns of the protocol', () => {
    expect(NODE_ID_PATTERN.test('demo-lab_1')).toBe(true);
    expect(NODE_ID_PATTERN.test('lab.1')).toBe(false);
    expect(ITEM_ID_PATTERN.test('chamber.temp-1')).toBe(true);
    expect(ITEM_ID_PATTERN.test('a/b')).toBe(false);
  });
});

describe('command envelope', () => {
  it('accepts the protocol example, and every optional part left out', () => {
    const example = {
      id: 'c-000123',
      name: 'set',
      args: { actuator: 'heater', value: 0.4 },
      expiresAt: 1764300060000,
    };
    expect(commandEnvelopeSchema.parse(example)).toEqual(example);
    expect(commandEnvelopeSchema.parse({ id: 'c', name: 'ping' })).toEqual({ id: 'c', name: 'ping' });
  });

  it('rejects unknown keys, ids of the wrong length, and non-integer times', () => {
    for (const bad of [
      { id: 'c', name: 'ping', extra: 1 },
      { id: '', name: 'ping' },
      { id: 'x'.repeat(129), name: 'ping' },
      { id: 'c', name: 'ping', expiresAt: 1.5 },
      { id: 'c', name: 'ping', expiresAt: -1 },
      { id: 'c', name: 'ping', args: [] },
    ])
      expect(commandEnvelopeSchema.safeParse(bad).success, JSON.stringify(bad).slice(0, 60)).toBe(false);
    expect(commandEnvelopeSchema.safeParse({ id: 'x'.repeat(128), name: 'ping' }).success).toBe(true);
  });

  it('lists the ten error codes of the protocol', () => {
    expect(ERROR_CODES).toHaveLength(10);
  });
});
