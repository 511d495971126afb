import { describe, expect, it } from 'vitest';
import { modelsConfigSchema } from '../config/models-schema.js';
import { checkModelIo } from './model-spec.js';

const config = modelsConfigSchema.parse({
  list: [
    {
      name: 'door',
      inputs: [
        {
          name: 'window',
          shape: [1, 4],
          features: [{ channel: 'chamber/temperature', window: 4, valid: [0, 60] }],
        },
      ],
      outputs: [{ name: 'probabilities', index: 1, drive: { event: 'door-open', above: 0.8 } }],
    },
  ],
}).list[0]!;

const fits = {
  inputs: [{ name: 'window', type: 'float32', shape: [1, 4] }],
  outputs: [
    { name: 'label', type: 'int64', shape: [1] },
    { name: 'probabilities', type: 'float32', shape: [1, 2] },
  ],
  loadMs: 1,
};

describe('checkModelIo', () => {
  it('accepts a model whose inputs and outputs match, free dimensions included', () => {
    expect(checkModelIo(fits, config, 'models.list[0]')).toEqual([]);
    expect(
      checkModelIo({ ...fits, inputs: [{ name: 'window', type: 'float32', shape: ['N', 4] }] }, config, 'm'),
    ).toEqual([]);
  });

  it('lists every mismatch with the config key to look at', () => {
    const problems = checkModelIo(
      {
        inputs: [
          { name: 'window', type: 'float64', shape: [1, 8] },
          { name: 'extra', type: 'float32', shape: [1] },
        ],
        outputs: [{ name: 'probabilities', type: undefined, shape: [] }],
        loadMs: 1,
      },
      config,
      'models.list[0]',
    );
    expect(problems).toEqual([
      'models.list[0].inputs[0].type: input "window" is float64, the config says float32',
      'models.list[0].inputs[0].shape: input "window": the model has shape [1, 8], the config says [1, 4]',
      'models.list[0].inputs: the model needs input extra (float32 [1]), which the config does not feed',
      'models.list[0].outputs[0].name: output "probabilities" is not a tensor (a map or sequence, such as scikit-learn\'s ZipMap: export without it)',
    ]);
  });

  it('names what the model has when a name is wrong, and an index past the output', () => {
    const problems = checkModelIo(
      {
        ...fits,
        inputs: [{ name: 'X', type: 'float32', shape: [1, 4] }],
        outputs: [{ name: 'probabilities', type: 'float32', shape: [1, 1] }],
      },
      config,
      'm',
    );
    expect(problems).toEqual([
      'm.inputs[0].name: the model has no input "window"; its inputs: X (float32 [1, 4])',
      'm.inputs: the model needs input X (float32 [1, 4]), which the config does not feed',
      'm.outputs[0].index: output "probabilities" holds 1 values; there is no element 1',
    ]);
  });
});
