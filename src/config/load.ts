/**
 * Reads a node config: YAML with positions, schema validation, cross-checks, and
 * every problem at once as `file:line:col: key.path: message`.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { DeviceDefinition } from '../device-kit/index.js';
import { crossCheck, type PathIssue } from './cross-check.js';
import { describeIssue, formatPath } from './describe-issue.js';
import { buildConfigSchema, type NodeConfig } from './schema.js';

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export interface LoadedConfig {
  config: NodeConfig;
  file: string;
  text: string;
}

export function loadConfigFile(file: string, definitions: readonly DeviceDefinition[]): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([
      { file, line: 1, column: 1, path: '', message: `cannot read: ${(error as Error).message}` },
    ]);
  }
  const config = parseConfig(text, file, definitions);
  if (!isAbsolute(config.dataDir)) config.dataDir = resolve(dirname(file), config.dataDir);
  for (const model of config.models?.list ?? [])
    if (model.file && !isAbsolute(model.file)) model.file = resolve(dirname(file), model.file);
  return { config, file, text };
}

export function parseConfig(
  text: string,
  file: string,
  definitions: readonly DeviceDefinition[],
): NodeConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        ...at(e.pos[0]),
        path: '',
        message: `YAML: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const data: unknown = doc.toJS() ?? {};
  const schema = buildConfigSchema(definitions);
  const result = schema.safeParse(data);
  const locate = (issue: PathIssue, key?: string): ConfigProblem => {
    const found = nodeAt(doc.contents, issue.path, key);
    return {
      file,
      ...at(found.offset),
      path: formatPath(key ? [...issue.path, key] : issue.path),
      message: issue.message,
    };
  };
  const problems = result.success
    ? []
    : result.error.issues.flatMap((issue) =>
        describeIssue(issue as z.core.$ZodIssue, schema, data).map((d) => locate(d, d.key)),
      );
  problems.push(...crossCheck(data, definitions).map((i) => locate(i)));
  if (problems.length > 0 || !result.success) throw new ConfigError(sortProblems(problems));
  return result.data as NodeConfig;
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The deepest node on the path that exists (a missing key points at its parent); for an unknown key, the key itself. */
function nodeAt(root: unknown, path: readonly PropertyKey[], key?: string): { offset: number } {
  let node = root as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (const step of key ? [...path, key] : path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      const keyNode = pair.key as Node;
      offset =
        (step === key
          ? keyNode.range?.[0]
          : ((pair.value as Node | null)?.range?.[0] ?? keyNode.range?.[0])) ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return { offset };
}
