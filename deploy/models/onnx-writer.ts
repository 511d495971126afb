/**
 * Writes ONNX files with the ONNX protobuf schema (`onnx-proto`): just enough to
 * describe small graphs — tensors in and out, constant initializers, nodes of the
 * default domain and of `ai.onnx.ml` with their attributes. The encoding is
 * deterministic, so the same weights give the same bytes (and sha256).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;
const AttributeType = onnx.AttributeProto.AttributeType;

export type ElementType = 'float32' | 'int64';
const ELEMENT: Record<ElementType, number> = { float32: DataType.FLOAT, int64: DataType.INT64 };

export interface ValueSpec {
  name: string;
  type: ElementType;
  /** A string is a free (symbolic) dimension. */
  shape: Array<number | string>;
}

export interface Initializer {
  name: string;
  dims: number[];
  values: number[];
}

export type AttributeValue = number | string | number[] | string[] | { int: number } | { ints: number[] };

export interface NodeSpec {
  op: string;
  domain?: '' | 'ai.onnx.ml';
  inputs: string[];
  outputs: string[];
  /** Numbers are floats unless wrapped as `{int}` / `{ints}`; strings and string lists are encoded as UTF-8. */
  attributes?: Record<string, AttributeValue>;
}

export interface GraphSpec {
  name: string;
  doc: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: Initializer[];
  nodes: NodeSpec[];
  /** Extra key/value pairs in the model's metadata (the fitted figures, the data it was fitted on). */
  metadata?: Record<string, string>;
}

function valueInfo(spec: ValueSpec) {
  return {
    name: spec.name,
    type: {
      tensorType: {
        elemType: ELEMENT[spec.type],
        shape: { dim: spec.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue) {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  if (typeof value === 'number') return { name, type: AttributeType.FLOAT, f: value };
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: utf8(value) };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string'))
      return { name, type: AttributeType.STRINGS, strings: (value as string[]).map(utf8) };
    return { name, type: AttributeType.FLOATS, floats: value as number[] };
  }
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  return { name, type: AttributeType.INTS, ints: value.ints };
}

export function encodeModel(graph: GraphSpec): Uint8Array {
  const domains = new Set(graph.nodes.map((n) => n.domain ?? ''));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'benchloop deploy/models',
    producerVersion: '1',
    docString: graph.doc,
    opsetImport: [
      { domain: '', version: 17 },
      ...(domains.has('ai.onnx.ml') ? [{ domain: 'ai.onnx.ml', version: 3 }] : []),
    ],
    metadataProps: Object.entries(graph.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: (graph.initializers ?? []).map((t) => ({
        name: t.name,
        dims: t.dims,
        dataType: DataType.FLOAT,
        floatData: t.values,
      })),
      node: graph.nodes.map((n, i) => ({
        name: `${n.op.toLowerCase()}_${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
