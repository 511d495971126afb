/**
 * `benchloop ctl deploy-model site/node NAME VERSION FILE`: `model.begin`, the file
 * in chunks (progress on stderr), `model.commit`. Promote, roll back and list with
 * `ctl send`: `model.promote`, `model.rollback`, `model.list`.
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import type { TransferProgress } from '../client/index.js';
import { type ConnectionFlags, positiveSeconds, runWithClient, withConnectionOptions } from './ctl-common.js';

interface DeployFlags extends ConnectionFlags {
  shadow?: boolean;
  window: number;
  commitTimeout: number;
}

const window = (text: string): number => {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > 64) throw new InvalidArgumentError('1 to 64');
  return value;
};

export function registerDeployModel(ctl: Command): void {
  withConnectionOptions(
    ctl
      .command('deploy-model')
      .description(
        'upload a model file in chunks and commit it: the node checks it and activates it (or runs it in shadow)',
      )
      .argument('<node>', 'site/node')
      .argument('<name>', "the model's name in the node's models: config")
      .argument('<version>', 'a version label: letters, digits, ".", "_", "-"')
      .argument('<file>', 'the model file (ONNX)')
      .option('--shadow', 'run it beside the active version until `model.promote`')
      .option('--window <n>', 'chunks awaiting their PUBACK at once', window, 8)
      .option(
        '--commit-timeout <seconds>',
        'how long the node may take to check and load the model',
        positiveSeconds,
        120,
      ),
  ).action((node: string, name: string, version: string, path: string, flags: DeployFlags) =>
    runWithClient(flags, async (client, out) => {
      const file = await readFile(path);
      const handle = client.node(node);
      // Fail before uploading anything if nobody is there to receive it.
      await handle.ping({ whenOffline: 'fail' });
      const result = await handle.deployModel({
        name,
        version,
        file,
        shadow: flags.shadow,
        window: flags.window,
        commitTimeoutMs: flags.commitTimeout * 1000,
        onProgress: (p) => out.progress(progressText(name, version, p), p),
      });
      const state = result.active ? 'active' : flags.shadow ? 'running in shadow' : 'installed, not active';
      out.result(
        `${node} ${result.name} ${result.version}: ${state} (${result.size} bytes in ${result.chunks} chunks, sha256 ${result.sha256})`,
        result,
      );
      return undefined;
    }),
  );
}

function progressText(name: string, version: string, p: TransferProgress): string {
  const what = `${name} ${version}`;
  if (p.phase === 'begin') return `${what}: opening a transfer (${kib(p.totalBytes)})`;
  if (p.phase === 'commit') return `${what}: ${kib(p.totalBytes)} sent; the node checks and loads it`;
  if (p.phase === 'done') return `${what}: committed`;
  const percent = p.totalBytes === 0 ? 100 : Math.floor((100 * p.sentBytes) / p.totalBytes);
  return `${what}: ${kib(p.sentBytes)} / ${kib(p.totalBytes)} (${percent}%, chunk ${p.sentChunks}/${p.chunks})`;
}

const kib = (bytes: number) => (bytes < 10_240 ? `${bytes} B` : `${(bytes / 1024).toFixed(0)} KiB`);
