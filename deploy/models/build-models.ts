/**
 * Fits the example models on data from the simulated bench and writes them as ONNX
 * files beside this script (`npm run models`):
 *
 * - heater-policy.onnx — standard ONNX ops (MatMul, Add, Clip). A control law
 *   derived from the chamber's thermal model, T[k+1] = a·T[k] + b·u[k] + c, fitted
 *   by least squares: the duty that moves the temperature a fraction α of the way
 *   to 37 °C each second.
 * - door-anomaly.onnx — ai.onnx.ml LinearClassifier (logistic regression, as
 *   scikit-learn exports it) on the last 6 s of temperature and heater duty: is the
 *   door open (the chamber cooling far faster than its duty explains)?
 * - heater-fault.onnx — standard ops computing two features (the residual of the
 *   thermal model over 10 s, the mean duty) feeding an ai.onnx.ml
 *   TreeEnsembleClassifier (a CART tree): is the heater delivering less than asked?
 *
 * The fitting is deterministic (fixed seeds), so the committed files are exactly what
 * this script writes; test/integration/inference-models.test.ts checks that.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEMO_BENCH, type Record, simulate, windows } from './bench-data.js';
import { fitTree, leastSquares, logisticRegression, sigmoid, type TreeNode, treePredict } from './fit.js';
import { encodeModel } from './onnx-writer.js';

export const SETPOINT_C = 37;
/** Fraction of the remaining error the heater policy asks to close per second. */
const ALPHA = 0.05;
const DOOR_WINDOW = 6;
const FAULT_WINDOW = 10;

export interface ThermalModel {
  a: number;
  b: number;
  c: number;
}

/** T[k+1] = a·T[k] + b·u[k] + c on the stretches with the door shut and the heater sound. */
export function fitThermalModel(records: readonly Record[]): ThermalModel {
  const x: number[][] = [];
  const y: number[] = [];
  for (let k = 0; k + 1 < records.length; k++) {
    const now = records[k]!;
    const next = records[k + 1]!;
    if (now.doorOpen || now.heaterFault || next.doorOpen) continue;
    x.push([now.temperatureC, now.duty, 1]);
    y.push(next.temperatureC);
  }
  const [a, b, c] = leastSquares(x, y);
  return { a: a!, b: b!, c: c! };
}

/** Duty = gain · (T − 37) + bias, clipped to [0, 1]. */
export function heaterPolicy(thermal: ThermalModel) {
  const { a, b, c } = thermal;
  return { gain: (1 - ALPHA - a) / b, bias: ((1 - a) * SETPOINT_C - c) / b };
}

export function doorFeatures(window: readonly Record[]): number[] {
  return [...window.map((r) => (r.temperatureC - 30) / 10), ...window.map((r) => r.duty)];
}

/** The linear map from the raw 10 s window (temperatures, then duties) to [residual, mean duty]. */
export function faultFeatureMap(thermal: ThermalModel): { matrix: number[][]; bias: number[] } {
  const n = FAULT_WINDOW;
  const matrix = Array.from({ length: 2 * n }, () => [0, 0]);
  for (let k = 0; k < n; k++) {
    matrix[k]![0] = -(thermal.a - 1) / n + (k === n - 1 ? 1 / (n - 1) : k === 0 ? -1 / (n - 1) : 0);
    matrix[n + k]![0] = -thermal.b / n;
    matrix[n + k]![1] = 1 / n;
  }
  return { matrix, bias: [-thermal.c, 0] };
}

export function applyMap(map: { matrix: number[][]; bias: number[] }, input: readonly number[]): number[] {
  return map.bias.map((b, j) => input.reduce((s, v, i) => s + v * map.matrix[i]![j]!, b));
}

export const faultInput = (window: readonly Record[]) => [
  ...window.map((r) => r.temperatureC),
  ...window.map((r) => r.duty),
];

function treeAttributes(tree: TreeNode) {
  const nodes: Array<{ id: number; node: TreeNode }> = [];
  const visit = (node: TreeNode) => {
    nodes.push({ id: nodes.length, node });
    if (!node.leaf) {
      visit(node.left);
      visit(node.right);
    }
  };
  visit(tree);
  const idOf = new Map(nodes.map((n) => [n.node, n.id]));
  const leaves = nodes.filter((n) => n.node.leaf) as Array<{ id: number; node: { leaf: true; p1: number } }>;
  return {
    nodes_treeids: { ints: nodes.map(() => 0) },
    nodes_nodeids: { ints: nodes.map((n) => n.id) },
    nodes_featureids: { ints: nodes.map((n) => (n.node.leaf ? 0 : n.node.feature)) },
    nodes_values: nodes.map((n) => (n.node.leaf ? 0 : n.node.threshold)),
    nodes_modes: nodes.map((n) => (n.node.leaf ? 'LEAF' : 'BRANCH_LEQ')),
    nodes_truenodeids: { ints: nodes.map((n) => (n.node.leaf ? 0 : idOf.get(n.node.left)!)) },
    nodes_falsenodeids: { ints: nodes.map((n) => (n.node.leaf ? 0 : idOf.get(n.node.right)!)) },
    class_treeids: { ints: leaves.flatMap(() => [0, 0]) },
    class_nodeids: { ints: leaves.flatMap((l) => [l.id, l.id]) },
    class_ids: { ints: leaves.flatMap(() => [0, 1]) },
    class_weights: leaves.flatMap((l) => [1 - l.node.p1, l.node.p1]),
    classlabels_int64s: { ints: [0, 1] },
    post_transform: 'NONE',
  };
}

const classifierOutputs = [
  { name: 'label', type: 'int64' as const, shape: [1] },
  { name: 'probabilities', type: 'float32' as const, shape: [1, 2] },
];

export interface ExampleModels {
  files: { [name: string]: Uint8Array };
  thermal: ThermalModel;
  policy: { gain: number; bias: number };
  door: { weights: number[]; intercept: number };
  fault: { tree: TreeNode; map: { matrix: number[][]; bias: number[] } };
  report: string[];
}

export function buildExampleModels(): ExampleModels {
  const train = simulate(12 * 3600, 7);
  const thermal = fitThermalModel(train);
  const policy = heaterPolicy(thermal);
  const meta = (extra: { [k: string]: number }) =>
    Object.fromEntries(Object.entries({ ...thermal, ...extra }).map(([k, v]) => [k, String(v)]));

  const heaterPolicyFile = encodeModel({
    name: 'heater-policy',
    doc: `Duty toward ${SETPOINT_C} °C from the last 3 temperatures minus ${SETPOINT_C}; fitted on the simulated incubator.`,
    inputs: [{ name: 'temperature', type: 'float32', shape: [1, 3] }],
    outputs: [{ name: 'duty', type: 'float32', shape: [1, 1] }],
    initializers: [
      { name: 'w', dims: [3, 1], values: [policy.gain / 3, policy.gain / 3, policy.gain / 3] },
      { name: 'b', dims: [1], values: [policy.bias] },
      { name: 'lo', dims: [], values: [0] },
      { name: 'hi', dims: [], values: [1] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['temperature', 'w'], outputs: ['wx'] },
      { op: 'Add', inputs: ['wx', 'b'], outputs: ['raw'] },
      { op: 'Clip', inputs: ['raw', 'lo', 'hi'], outputs: ['duty'] },
    ],
    metadata: meta({ alpha: ALPHA, ...policy }),
  });

  const doorRows = windows(train, DOOR_WINDOW);
  const door = logisticRegression(
    doorRows.map((r) => doorFeatures(r.window)),
    doorRows.map((r) => (r.last.doorOpen ? 1 : 0)),
    { l2: 1, iterations: 30 },
  );
  const doorAccuracy = accuracy(
    doorRows,
    (r) => sigmoid(dot(door.weights, doorFeatures(r.window)) + door.intercept),
    (r) => r.last.doorOpen,
  );
  const doorAnomalyFile = encodeModel({
    name: 'door-anomaly',
    doc: 'Is the door open? Logistic regression on 6 s of (temperature − 30)/10 and heater duty.',
    inputs: [{ name: 'window', type: 'float32', shape: [1, 2 * DOOR_WINDOW] }],
    outputs: classifierOutputs,
    nodes: [
      {
        op: 'LinearClassifier',
        domain: 'ai.onnx.ml',
        inputs: ['window'],
        outputs: ['label', 'probabilities'],
        attributes: {
          coefficients: [...door.weights.map((w) => -w), ...door.weights],
          intercepts: [-door.intercept, door.intercept],
          classlabels_ints: { ints: [0, 1] },
          post_transform: 'LOGISTIC',
        },
      },
    ],
    metadata: { accuracy: String(doorAccuracy) },
  });

  const map = faultFeatureMap(thermal);
  const faultRows = windows(train, FAULT_WINDOW);
  const faultX = faultRows.map((r) => applyMap(map, faultInput(r.window)));
  const tree = fitTree(
    faultX,
    faultRows.map((r) => (r.last.heaterFault ? 1 : 0)),
    { depth: 3, minLeaf: 50 },
  );
  const faultAccuracy = accuracy(
    faultRows,
    (_r, i) => treePredict(tree, faultX[i]!),
    (r) => r.last.heaterFault,
  );
  const heaterFaultFile = encodeModel({
    name: 'heater-fault',
    doc: 'Is the heater delivering less than asked? Thermal-model residual and mean duty over 10 s, then a decision tree.',
    inputs: [{ name: 'window', type: 'float32', shape: [1, 2 * FAULT_WINDOW] }],
    outputs: classifierOutputs,
    initializers: [
      { name: 'features_matrix', dims: [2 * FAULT_WINDOW, 2], values: map.matrix.flat() },
      { name: 'features_bias', dims: [2], values: map.bias },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['window', 'features_matrix'], outputs: ['mapped'] },
      { op: 'Add', inputs: ['mapped', 'features_bias'], outputs: ['features'] },
      {
        op: 'TreeEnsembleClassifier',
        domain: 'ai.onnx.ml',
        inputs: ['features'],
        outputs: ['label', 'probabilities'],
        attributes: treeAttributes(tree),
      },
    ],
    metadata: meta({ accuracy: faultAccuracy }),
  });

  return {
    files: {
      'heater-policy.onnx': heaterPolicyFile,
      'door-anomaly.onnx': doorAnomalyFile,
      'heater-fault.onnx': heaterFaultFile,
    },
    thermal,
    policy,
    door,
    fault: { tree, map },
    report: [
      `thermal model: T[k+1] = ${thermal.a.toFixed(6)}·T[k] + ${thermal.b.toFixed(6)}·u[k] + ${thermal.c.toFixed(6)} (bench: ${DEMO_BENCH.heatCapacityJPerK} J/K, ${DEMO_BENCH.lossWPerK} W/K)`,
      `heater policy: duty = ${policy.gain.toFixed(4)}·(T − ${SETPOINT_C}) + ${policy.bias.toFixed(4)}, clipped to [0, 1]`,
      `door anomaly: training accuracy ${(doorAccuracy * 100).toFixed(2)} % on ${doorRows.length} windows`,
      `heater fault: training accuracy ${(faultAccuracy * 100).toFixed(2)} % on ${faultRows.length} windows`,
    ],
  };
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + v * b[i]!, 0);
}

function accuracy<T>(
  rows: readonly T[],
  p: (row: T, i: number) => number,
  truth: (row: T) => boolean,
): number {
  const right = rows.filter((r, i) => p(r, i) >= 0.5 === truth(r)).length;
  return right / rows.length;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const models = buildExampleModels();
  const here = join(import.meta.dirname, '../../../deploy/models');
  for (const [name, bytes] of Object.entries(models.files)) writeFileSync(join(here, name), bytes);
  process.stdout.write(
    `${models.report.join('\n')}\nwrote ${Object.keys(models.files).join(', ')} to ${here}\n`,
  );
}
