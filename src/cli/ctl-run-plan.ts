/**
 * `benchloop ctl run-plan site/node PLAN`: `plan.run` with the plan from a file (JSON
 * or YAML; `-` reads stdin), then its `plan.*` events as progress until it finishes
 * (exit 0) or is aborted (exit 4). Ctrl-C stops following; the plan goes on.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse } from 'yaml';
import type { PlanEvent } from '../client/index.js';
import {
  type ConnectionFlags,
  CtlExit,
  positiveSeconds,
  runWithClient,
  withConnectionOptions,
} from './ctl-common.js';

interface PlanFlags extends ConnectionFlags {
  detach?: boolean;
  followTimeout?: number;
}

export function registerRunPlan(ctl: Command): void {
  withConnectionOptions(
    ctl
      .command('run-plan')
      .description('run a plan on a node and follow its events to the end (exit 0 finished, 4 aborted)')
      .argument('<node>', 'site/node')
      .argument('<plan>', 'plan file, JSON or YAML; - for stdin')
      .option('--detach', 'start it, print its planId and exit')
      .option(
        '--follow-timeout <seconds>',
        'stop following after this long (exit 2; the plan goes on)',
        positiveSeconds,
      ),
  ).action((node: string, path: string, flags: PlanFlags) =>
    runWithClient(flags, async (client, out) => {
      const plan: unknown = parse(path === '-' ? await readStdin() : await readFile(path, 'utf8'));
      const handle = client.node(node);
      if (flags.detach) {
        const started = await client.plans.start(handle.address, plan, { whenOffline: 'fail' });
        out.result(`${node} plan ${started.planId} started`, started);
        return undefined;
      }
      const interrupted = new Promise<number>((resolve) =>
        process.once('SIGINT', () => {
          out.note(
            `stopped following; the plan goes on (abort: benchloop ctl send ${node} plan.abort '{"planId":"…"}')`,
          );
          resolve(130);
        }),
      );
      const result = await Promise.race([
        handle.runPlan(plan, {
          send: { whenOffline: 'fail' },
          timeoutMs: flags.followTimeout === undefined ? undefined : flags.followTimeout * 1000,
          onEvent: (e) => out.progress(eventText(e), e),
        }),
        interrupted,
      ]);
      if (typeof result === 'number') return result;
      out.result(`${node} plan ${result.planId} ${result.outcome}${reason(result.final)}`, result);
      return result.outcome === 'finished' ? CtlExit.ok : CtlExit.planAborted;
    }),
  );
}

function eventText(e: PlanEvent): string {
  const { t: _t, type, planId, ...rest } = e;
  const detail = Object.entries(rest).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return `plan ${planId}: ${type.slice('plan.'.length)} ${detail.join(' ')}`.trimEnd();
}

function reason(final: PlanEvent | undefined): string {
  const why = final?.reason ?? final?.message;
  return typeof why === 'string' ? `: ${why}` : '';
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
