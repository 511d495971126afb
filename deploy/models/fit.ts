/**
 * The fitting the example models need, in plain TypeScript and deterministic:
 * least squares (the incubator's thermal model), logistic regression by Newton's
 * method (the door-anomaly classifier), and a CART decision tree on Gini impurity
 * (the heater-fault classifier).
 */

/** Solves A x = b by Gaussian elimination with partial pivoting (A is square, small). */
export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-300) throw new Error('singular system');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/** Ridge-regularised least squares: argmin |X w − y|² + ridge |w|². */
export function leastSquares(x: number[][], y: number[], ridge = 1e-9): number[] {
  const d = x[0]!.length;
  const xtx = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const xty = new Array<number>(d).fill(0);
  x.forEach((row, k) => {
    for (let i = 0; i < d; i++) {
      xty[i]! += row[i]! * y[k]!;
      for (let j = 0; j < d; j++) xtx[i]![j]! += row[i]! * row[j]!;
    }
  });
  for (let i = 0; i < d; i++) xtx[i]![i]! += ridge;
  return solve(xtx, xty);
}

export const sigmoid = (s: number) => 1 / (1 + Math.exp(-s));

/** Logistic regression with an L2 penalty (not on the intercept), by Newton's method; returns weights and intercept. */
export function logisticRegression(
  x: number[][],
  y: number[],
  options: { l2: number; iterations: number },
): { weights: number[]; intercept: number } {
  const d = x[0]!.length + 1;
  let w = new Array<number>(d).fill(0);
  for (let it = 0; it < options.iterations; it++) {
    const grad = new Array<number>(d).fill(0);
    const hess = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    x.forEach((row, k) => {
      const z = [...row, 1];
      const p = sigmoid(z.reduce((s, v, i) => s + v * w[i]!, 0));
      const r = p - y[k]!;
      const q = Math.max(p * (1 - p), 1e-9);
      for (let i = 0; i < d; i++) {
        grad[i]! += r * z[i]!;
        for (let j = 0; j < d; j++) hess[i]![j]! += q * z[i]! * z[j]!;
      }
    });
    for (let i = 0; i < d - 1; i++) {
      grad[i]! += options.l2 * w[i]!;
      hess[i]![i]! += options.l2;
    }
    const step = solve(hess, grad);
    w = w.map((v, i) => v - step[i]!);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return { weights: w.slice(0, -1), intercept: w.at(-1)! };
}

export type TreeNode =
  | { leaf: true; p1: number }
  | { leaf: false; feature: number; threshold: number; left: TreeNode; right: TreeNode };

/** CART on Gini impurity: `x[feature] <= threshold` goes left. Leaves hold the fraction of class 1. */
export function fitTree(
  x: number[][],
  y: number[],
  options: { depth: number; minLeaf: number },
  rows: number[] = x.map((_, i) => i),
): TreeNode {
  const positives = rows.reduce((s, r) => s + y[r]!, 0);
  const p1 = positives / rows.length;
  if (options.depth === 0 || rows.length < 2 * options.minLeaf || p1 === 0 || p1 === 1)
    return { leaf: true, p1 };
  const gini = (pos: number, n: number) => (n === 0 ? 0 : 2 * (pos / n) * (1 - pos / n) * n);
  let best: { feature: number; threshold: number; score: number } | undefined;
  for (let feature = 0; feature < x[0]!.length; feature++) {
    const sorted = [...rows].sort((a, b) => x[a]![feature]! - x[b]![feature]!);
    let leftPos = 0;
    for (let i = 0; i < sorted.length - 1; i++) {
      leftPos += y[sorted[i]!]!;
      const here = x[sorted[i]!]![feature]!;
      const next = x[sorted[i + 1]!]![feature]!;
      if (here === next || i + 1 < options.minLeaf || sorted.length - i - 1 < options.minLeaf) continue;
      const score = gini(leftPos, i + 1) + gini(positives - leftPos, sorted.length - i - 1);
      if (!best || score < best.score) best = { feature, threshold: (here + next) / 2, score };
    }
  }
  if (!best || best.score >= gini(positives, rows.length)) return { leaf: true, p1 };
  const { feature, threshold } = best;
  const deeper = { ...options, depth: options.depth - 1 };
  return {
    leaf: false,
    feature,
    threshold,
    left: fitTree(
      x,
      y,
      deeper,
      rows.filter((r) => x[r]![feature]! <= threshold),
    ),
    right: fitTree(
      x,
      y,
      deeper,
      rows.filter((r) => x[r]![feature]! > threshold),
    ),
  };
}

export function treePredict(tree: TreeNode, row: readonly number[]): number {
  let node = tree;
  while (!node.leaf) node = row[node.feature]! <= node.threshold ? node.left : node.right;
  return node.p1;
}
