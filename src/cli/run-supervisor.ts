/**
 * `benchloop run` as a small supervisor: it runs one `BenchloopNode` at a time and
 * implements remote configuration (`config.get`, `config.apply`) around it, since
 * applying a configuration means stopping that node (actuators safe) and starting
 * another on the new file.
 *
 * An accepted `config.apply`: keep `FILE.prev`, mark the apply as pending, write the
 * new `FILE` atomically, stop the node, start one on the new file and wait until it is
 * healthy within `configApply.healthTimeoutMs`. Healthy: the new node journals and
 * publishes `{configHash}`. Not healthy (or not starting): stop it, put `FILE.prev`
 * back, start on it, and reply `failed` with the reason. The node that received the
 * command is gone by then, so the reply is journaled by the node that answers, and a
 * retry with the same id gets it. A process that dies during the trial finds the
 * pending mark at its next start and rolls back before anything else.
 */
import { basename } from 'node:path';
import { stringify } from 'yaml';
import type { ApplyRequest, RemoteConfigPort } from '../commands/config-port.js';
import { redactSecrets, restoreRedacted } from '../commands/config-redact.js';
import { type Failure, failure, type Outcome } from '../commands/context.js';
import { ConfigError, loadConfigFile, parseConfig } from '../config/load.js';
import { linkConfigSchema } from '../config/mqtt-schema.js';
import type { NodeConfig } from '../config/schema.js';
import type { DeviceDefinition } from '../device-kit/index.js';
import type { Logger } from '../log.js';
import { BenchloopNode } from '../main.js';
import {
  copyFileAtomic,
  previousFile,
  readPending,
  removePending,
  writeFileAtomic,
  writePending,
} from './run-files.js';
import { waitHealthy } from './run-health.js';
import type { FieldIssue, JournaledReplyLike } from './run-reply.js';
import { replyFor } from './run-reply.js';

export interface SupervisorOptions {
  file: string;
  overrides: { dataDir?: string; mqttUrl?: string };
  definitions: readonly DeviceDefinition[];
  logger: Logger;
  /** Called between loading the hardware libraries and starting a node (signal handlers go in here, once). */
  beforeStart?(node: BenchloopNode): void;
  /** The supervisor could not get any node running: the process should exit (systemd restarts it). */
  onFatal(error: Error): void;
}

/** Which step of starting a node failed: the hardware libraries (exit 69) or the node itself. */
export class StartError extends Error {
  constructor(
    readonly stage: 'hardware' | 'start',
    readonly reason: unknown,
  ) {
    super(
      `${stage === 'hardware' ? 'hardware unavailable' : 'cannot start'}: ${(reason as Error)?.message ?? reason}`,
    );
    this.name = 'StartError';
  }
}

export class NodeSupervisor {
  /** The running node; undefined only while one is being swapped for another. */
  node: BenchloopNode | undefined;
  private applying: { id: string; outcome: Promise<Outcome> } | undefined;
  private stopped = false;
  readonly port: RemoteConfigPort = {
    get: () => this.current(),
    apply: (request) => this.apply(request),
  };

  constructor(private readonly options: SupervisorOptions) {}

  /** Rolls back an apply a previous process did not finish, then starts the node. Throws a StartError. */
  async start(): Promise<BenchloopNode> {
    const { file, logger } = this.options;
    const pending = readPending(file);
    if (pending) {
      logger.warn(
        { command: pending.id },
        `a configuration change was being tried when benchloop last stopped: rolling back to ${basename(previousFile(file))}`,
      );
      copyFileAtomic(previousFile(file), file);
    }
    const node = await this.startNode();
    if (pending) {
      removePending(file);
      void this.answerLater(pending.id, node, {
        ok: false,
        code: 'failed',
        message: `the node stopped (crash, kill or power cut) while trying the new configuration, and rolled back to the previous one (configHash ${node.configHash})`,
      });
    }
    return node;
  }

  /** Stops the running node (actuators safe); an apply in progress stops where it is and rolls back at the next start. */
  async stop(reason: string): Promise<void> {
    this.stopped = true;
    await this.node?.stop(reason);
  }

  private load(): NodeConfig {
    const { config } = loadConfigFile(this.options.file, this.options.definitions);
    const { dataDir, mqttUrl } = this.options.overrides;
    if (dataDir) config.dataDir = dataDir;
    if (mqttUrl)
      config.mqtt = linkConfigSchema.parse({ ...(config.mqtt ?? {}), embedded: false, url: mqttUrl });
    return config;
  }

  private async startNode(): Promise<BenchloopNode> {
    let config: NodeConfig;
    try {
      config = this.load();
    } catch (error) {
      throw new StartError('start', error);
    }
    const { logger, definitions } = this.options;
    logger.level = config.log.level;
    const node = new BenchloopNode(config, { definitions, logger, remoteConfig: this.port });
    try {
      await node.preloadHardware();
    } catch (error) {
      throw new StartError('hardware', error);
    }
    this.options.beforeStart?.(node);
    this.node = node;
    try {
      await node.start();
    } catch (error) {
      await node.stop('start failed').catch(() => undefined);
      this.node = undefined;
      throw new StartError('start', error);
    }
    return node;
  }

  private current(): { config: Record<string, unknown>; configHash: string } {
    const node = this.node;
    if (!node) throw new Error('the node is restarting');
    return { config: redactSecrets(node.config) as Record<string, unknown>, configHash: node.configHash };
  }

  private async apply(request: ApplyRequest): Promise<Outcome> {
    const node = this.node;
    if (this.applying)
      return this.applying.id === request.commandId
        ? this.applying.outcome
        : failure(
            'busy',
            undefined,
            `configuration change ${this.applying.id} is in progress: send a new command once it has replied`,
          );
    if (!node) return failure('busy', undefined, 'the node is restarting: send a new command in a moment');
    if (!node.config.configApply.enabled)
      return failure(
        'forbidden',
        'name',
        'remote configuration is off on this node: set configApply.enabled: true in its configuration file',
      );
    const config = restoreRedacted(request.config, node.config) as Record<string, unknown>;
    const issues = this.validate(config);
    if (issues.length > 0) return invalidConfig(issues);
    if (request.planRunning)
      return failure(
        'busy',
        undefined,
        'a plan is running: abort it or wait for it to finish, then send a new command',
      );
    if (request.expectedHash !== node.configHash)
      return failure(
        'failed',
        'args.expectedHash',
        `${request.expectedHash} is not the running configuration's hash (${node.configHash}): it changed since you read it; config.get again, redo the change and send it with the new hash`,
      );
    const outcome = this.handover(node, config, request.commandId);
    const id = request.commandId;
    this.applying = { id, outcome };
    void outcome
      .then((result) => this.deliver(id, result))
      .catch((error) => this.options.logger.error({ err: error, command: id }, 'config.apply reply failed'))
      .finally(() => {
        this.applying = undefined;
      });
    // The node that received the command is about to stop: its dispatcher never answers; the next node does.
    return new Promise<never>(() => undefined);
  }

  /** Every problem of the candidate, at its path under `args.config`, as `benchloop check` would word it. */
  private validate(config: Record<string, unknown>): FieldIssue[] {
    const issues: FieldIssue[] = [];
    try {
      parseConfig(JSON.stringify(config), this.options.file, this.options.definitions);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const p of error.problems)
        issues.push({ path: p.path ? `args.config.${p.path}` : 'args.config', message: p.message });
    }
    if (config.mqtt === undefined && !this.options.overrides.mqttUrl)
      issues.push({
        path: 'args.config.mqtt',
        message: 'missing: without mqtt: the node could no longer be reached to answer or to be changed back',
      });
    return issues;
  }

  private async handover(old: BenchloopNode, config: Record<string, unknown>, id: string): Promise<Outcome> {
    const { file, logger } = this.options;
    const previousHash = old.configHash;
    // Order matters for a crash at any point: FILE.prev first, then the mark, then FILE.
    copyFileAtomic(file, previousFile(file));
    writePending(file, { id, startedAt: new Date().toISOString() });
    const header = `# Written by config.apply (command ${id}) at ${new Date().toISOString()}.\n# The previous file is ${basename(previousFile(file))}.\n`;
    writeFileAtomic(file, header + stringify(config));
    logger.info({ command: id }, 'config.apply: stopping the node to start it on the new configuration');
    this.node = undefined;
    await old.stop('config.apply');
    if (this.stopped) return failure('failed', undefined, 'benchloop was stopped during the change');
    let reason: string;
    try {
      const node = await this.startNode();
      const timeoutMs = node.config.configApply.healthTimeoutMs;
      const verdict = await waitHealthy(node, timeoutMs);
      if (verdict.healthy) {
        removePending(file);
        node.events.emit('config.applied', { id, configHash: node.configHash, previousHash });
        return { ok: true, result: { configHash: node.configHash } };
      }
      reason = `not healthy within ${timeoutMs} ms: ${verdict.problems.join('; ')}`;
      await this.stopCurrent('config.apply rollback');
    } catch (error) {
      reason = (error as Error).message;
      await this.stopCurrent('config.apply rollback');
    }
    if (this.stopped) return failure('failed', undefined, 'benchloop was stopped during the change');
    return this.rollback(id, reason);
  }

  private async stopCurrent(reason: string): Promise<void> {
    const node = this.node;
    this.node = undefined;
    await node?.stop(reason).catch((error) => this.options.logger.error({ err: error }, 'stop failed'));
  }

  private async rollback(id: string, reason: string): Promise<Outcome> {
    const { file, logger } = this.options;
    logger.warn({ command: id, reason }, 'config.apply: rolling back to the previous configuration');
    copyFileAtomic(previousFile(file), file);
    let node: BenchloopNode;
    try {
      node = await this.startNode();
    } catch (error) {
      // Neither configuration runs (the hardware itself failed?): the pending mark stays, and the
      // next start (systemd restarts the service) tries the previous one again.
      this.options.onFatal(error as Error);
      return new Promise<never>(() => undefined);
    }
    removePending(file);
    node.events.emit('config.rolledBack', { id, reason, configHash: node.configHash });
    // The reply goes out once this node is connected; it is journaled either way.
    await waitHealthy(node, node.config.configApply.healthTimeoutMs);
    return failure(
      'failed',
      undefined,
      `the node was ${reason.startsWith('not healthy') ? reason : `not starting on the new configuration (${reason})`}; it rolled back to the previous configuration (configHash ${node.configHash})`,
    );
  }

  private async answerLater(id: string, node: BenchloopNode, outcome: Failure): Promise<void> {
    if (!id) return;
    await waitHealthy(node, node.config.configApply.healthTimeoutMs);
    await this.deliver(id, outcome);
  }

  /** The reply the dispatcher would have made, journaled and published by the node running now. */
  private async deliver(id: string, outcome: Outcome): Promise<void> {
    const node = this.node;
    if (!node) return;
    const reply: JournaledReplyLike = replyFor(id, 'config.apply', outcome, node.clock.nowMs());
    if (!reply.ok)
      node.events.emit('command.rejected', {
        id,
        name: 'config.apply',
        code: reply.error.code,
        message: reply.error.message,
      });
    await node.deliverReply(reply);
  }
}

function invalidConfig(issues: FieldIssue[]): Failure {
  return {
    ok: false,
    code: 'invalid_args',
    message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    issues,
  };
}
