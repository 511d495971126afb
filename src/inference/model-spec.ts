/**
 * Does a loaded model fit its description in the config? Input and output names,
 * element types and shapes, compared with what ONNX Runtime reports for the
 * session. Pure; every mismatch is listed, each naming the config key to look at.
 */
import type { ModelConfig } from '../config/models-schema.js';
import type { SessionInfo, TensorInfo } from './ort-worker.js';

const describe = (t: TensorInfo) => `${t.name} (${t.type ?? 'not a tensor'} [${t.shape.join(', ')}])`;

const isFree = (dim: number | string) => typeof dim === 'string' || dim < 0;

function shapeProblem(
  actual: ReadonlyArray<number | string>,
  expected: readonly number[],
): string | undefined {
  const fits =
    actual.length === expected.length &&
    actual.every((dim, i) => isFree(dim) || expected[i] === -1 || dim === expected[i]);
  return fits
    ? undefined
    : `the model has shape [${actual.join(', ')}], the config says [${expected.join(', ')}]`;
}

/** Problems, each `models.list[i].…: …`; empty when the model fits. */
export function checkModelIo(info: SessionInfo, model: ModelConfig, at: string): string[] {
  const problems: string[] = [];
  const inputs = new Map(info.inputs.map((t) => [t.name, t]));
  const outputs = new Map(info.outputs.map((t) => [t.name, t]));
  model.inputs.forEach((input, i) => {
    const key = `${at}.inputs[${i}]`;
    const actual = inputs.get(input.name);
    if (!actual) {
      problems.push(
        `${key}.name: the model has no input "${input.name}"; its inputs: ${info.inputs.map(describe).join(', ')}`,
      );
      return;
    }
    if (actual.type !== input.type)
      problems.push(
        `${key}.type: input "${input.name}" is ${actual.type ?? 'not a tensor'}, the config says ${input.type}`,
      );
    const shape = shapeProblem(actual.shape, input.shape);
    if (shape) problems.push(`${key}.shape: input "${input.name}": ${shape}`);
  });
  const fed = new Set(model.inputs.map((i) => i.name));
  for (const input of info.inputs)
    if (!fed.has(input.name))
      problems.push(`${at}.inputs: the model needs input ${describe(input)}, which the config does not feed`);
  model.outputs.forEach((output, o) => {
    const key = `${at}.outputs[${o}]`;
    const actual = outputs.get(output.name);
    if (!actual) {
      problems.push(
        `${key}.name: the model has no output "${output.name}"; its outputs: ${info.outputs.map(describe).join(', ')}`,
      );
      return;
    }
    if (actual.type === undefined) {
      problems.push(
        `${key}.name: output "${output.name}" is not a tensor (a map or sequence, such as scikit-learn's ZipMap: export without it)`,
      );
      return;
    }
    if (actual.type !== output.type)
      problems.push(`${key}.type: output "${output.name}" is ${actual.type}, the config says ${output.type}`);
    if (output.shape) {
      const shape = shapeProblem(actual.shape, output.shape);
      if (shape) problems.push(`${key}.shape: output "${output.name}": ${shape}`);
    }
    if (actual.shape.every((d) => typeof d === 'number' && d >= 0)) {
      const size = (actual.shape as number[]).reduce((a, b) => a * b, 1);
      if (output.index >= size)
        problems.push(
          `${key}.index: output "${output.name}" holds ${size} values; there is no element ${output.index}`,
        );
    }
  });
  return problems;
}
