import { describe, expect, it } from 'vitest';
import { csvField, exportHead, exportRow, flatten } from './dataset-export.js';
import type { DatasetRow } from './dataset-rows.js';

const provenance = {
  format: 'benchloop.dataset/1',
  planId: 'p-1',
  plan: { name: 'warm, then hold', steps: [{ wait: { durationMs: 10 } }] },
  devices: [
    {
      id: 'chamber',
      address: '0x76',
      channels: [{ id: 'temperature', calibration: { offset: 0.5 }, filters: [] }],
    },
  ],
  clock: { start: { synced: false }, end: null },
};

const good: DatasetRow = {
  t: 1764300000000,
  d: 'chamber',
  c: 'temperature',
  v: 23.41,
  unit: 'Cel',
  q: 'good',
  step: 'steps[0]',
};
const bad: DatasetRow = {
  t: 1764300000100,
  d: 'chamber',
  c: 'humidity',
  v: null,
  unit: '%',
  q: 'bad',
  e: 'i2c read failed: "EIO", again',
  step: 'steps[1].repeat.steps[0]',
  iteration: [2, 3],
};

describe('dataset export', () => {
  it('CSV: the provenance as # key: value lines (the plan as one JSON line), a header, then rows', () => {
    expect(exportHead('csv', provenance)).toEqual([
      '# format: benchloop.dataset/1',
      '# planId: p-1',
      '# plan: {"name":"warm, then hold","steps":[{"wait":{"durationMs":10}}]}',
      '# devices[0].id: chamber',
      '# devices[0].address: 0x76',
      '# devices[0].channels[0].id: temperature',
      '# devices[0].channels[0].calibration.offset: 0.5',
      '# devices[0].channels[0].filters: []',
      '# clock.start.synced: false',
      '# clock.end: null',
      't,time,device,channel,value,unit,quality,error,step,iteration',
    ]);
    expect(exportRow('csv', good)).toBe(
      '1764300000000,2025-11-28T03:20:00.000Z,chamber,temperature,23.41,Cel,good,,steps[0],',
    );
    expect(exportRow('csv', bad)).toBe(
      '1764300000100,2025-11-28T03:20:00.100Z,chamber,humidity,,%,bad,"i2c read failed: ""EIO"", again",steps[1].repeat.steps[0],2.3',
    );
  });

  it('JSON Lines: {"provenance": …} first, then the rows as stored', () => {
    expect(exportHead('jsonl', provenance)).toEqual([JSON.stringify({ provenance })]);
    expect(JSON.parse(exportRow('jsonl', bad))).toEqual(bad);
  });

  it('quotes only what needs quoting and keeps line breaks out of comment lines', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(flatten({ note: 'two\nlines' })).toEqual([['note', '"two\\nlines"']]);
  });
});
