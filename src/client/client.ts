/**
 * The orchestrator's entry point: one MQTT connection, the directory of nodes, and
 * the protocol's operations on top of it.
 *
 *   const client = await BenchloopClient.connect({ url: 'mqtts://broker:8883', tls: { ca } });
 *   await client.nodes.track();                        // every node's retained status
 *   const lab = client.node('lab-1/incubator-01');
 *   await lab.set('heater', 0.4);                      // id, expiresAt, reply, timeout
 *   client.watch({ nodes: { site: 'lab-1' } }).on('telemetry', (m) => store(m));
 *   await client.close();
 */
import type { Description, NodeAddress, Reply, WireSample } from '../protocol/index.js';
import type { MqttLink } from '../sync/mqtt-link.js';
import { parseNodeAddress } from './address.js';
import { CommandSender, type SendOptions } from './commands.js';
import { type ClientOptions, createLink, defaultClientId, startLink } from './connection.js';
import { DataStream, type WatchOptions } from './data-stream.js';
import { MqttLinkError } from './errors.js';
import { type DeployModelOptions, Models } from './models.js';
import { NodeDirectory } from './node-directory.js';
import { type FollowOptions, Plans } from './plans.js';

/** A node as a value or as `site/node`. */
export type NodeRef = NodeAddress | string;

const TOPIC_LEVEL = /^[^+#]+$/;

export class BenchloopClient {
  readonly nodes: NodeDirectory;
  readonly models: Models;
  readonly plans: Plans;
  private readonly commands: CommandSender;

  private constructor(
    readonly link: MqttLink,
    readonly clientId: string,
    options: ClientOptions,
  ) {
    const version = options.protocolVersion ?? 5;
    const asked = options.responseTopic;
    if (asked && version !== 5)
      throw new Error('responseTopic needs protocolVersion 5 (a Response Topic is MQTT 5)');
    const responseTopic = asked === true ? `benchloop/clients/${clientId}/reply` : asked || undefined;
    if (responseTopic !== undefined && !TOPIC_LEVEL.test(responseTopic))
      throw new Error(`responseTopic ${JSON.stringify(responseTopic)} must not hold "+" or "#"`);
    this.nodes = new NodeDirectory(link);
    this.commands = new CommandSender(link, this.nodes, {
      timeoutMs: options.commandTimeoutMs ?? 10_000,
      responseTopic,
    });
    this.models = new Models(link, this.commands);
    this.plans = new Plans(link, this.commands);
    if (responseTopic) void link.subscribe(responseTopic, 1).catch(() => {});
  }

  /** Connects; see `ClientOptions.failFast` for when this rejects (with an MqttLinkError). */
  static async connect(options: ClientOptions): Promise<BenchloopClient> {
    const clientId = options.clientId ?? defaultClientId();
    const link = createLink(options, clientId);
    const client = new BenchloopClient(link, clientId, options);
    await startLink(link, options.failFast ?? false);
    return client;
  }

  /** Operations on one node. */
  node(ref: NodeRef): NodeHandle {
    return new NodeHandle(this, toAddress(ref));
  }

  /** One command; resolves with its result, rejects with CommandError (`ok: false`), CommandTimeoutError or NodeOfflineError. */
  send<R = unknown>(
    ref: NodeRef,
    name: string,
    args?: Record<string, unknown>,
    options?: SendOptions,
  ): Promise<R> {
    return this.commands.send<R>(toAddress(ref), name, args, options);
  }

  /** One command; resolves with the reply as sent, `ok: false` included. */
  request<R = unknown>(
    ref: NodeRef,
    name: string,
    args?: Record<string, unknown>,
    options?: SendOptions,
  ): Promise<Reply<R>> {
    return this.commands.request<R>(toAddress(ref), name, args, options);
  }

  /** A fresh command id, for callers that store it before sending (to resend by id after a crash). */
  nextCommandId(): string {
    return this.commands.nextId();
  }

  /** Telemetry and events, de-duplicated, with gaps detected; `await stream.ready` before relying on it. */
  watch(options?: WatchOptions): DataStream {
    return new DataStream(this.link, options);
  }

  /** Disconnects; commands still waiting reject. */
  async close(): Promise<void> {
    this.commands.abandon(
      new MqttLinkError('closed', `MQTT broker ${this.link.url}: client closed`, this.link.url),
    );
    await this.link.end({ timeoutMs: 2000 });
  }
}

export function toAddress(ref: NodeRef): NodeAddress {
  return typeof ref === 'string' ? parseNodeAddress(ref) : ref;
}

/** The protocol's built-in commands for one node, typed. */
export class NodeHandle {
  constructor(
    private readonly client: BenchloopClient,
    readonly address: NodeAddress,
  ) {}

  /** What the directory knows (after `client.nodes.track()` or a first command). */
  get state() {
    return this.client.nodes.get(this.address);
  }

  send<R = unknown>(name: string, args?: Record<string, unknown>, options?: SendOptions): Promise<R> {
    return this.client.send<R>(this.address, name, args, options);
  }

  ping(options?: SendOptions) {
    return this.send<{ bootId: string; uptimeMs: number }>('ping', undefined, options);
  }

  describe(options?: SendOptions) {
    return this.send<Description>('describe', undefined, options);
  }

  read(target: { device?: string; channel?: string } = {}, options?: SendOptions) {
    return this.send<{ samples: WireSample[] }>('read', target, options);
  }

  set(actuator: string, value: number, options?: SendOptions) {
    return this.send<{ actuator: string; value: number; previous: number }>(
      'set',
      { actuator, value },
      options,
    );
  }

  deployModel(options: DeployModelOptions) {
    return this.client.models.deploy(this.address, options);
  }

  promoteModel(name: string, options?: SendOptions) {
    return this.client.models.promote(this.address, name, options);
  }

  rollbackModel(name: string, options?: SendOptions) {
    return this.client.models.rollback(this.address, name, options);
  }

  listModels(options?: SendOptions) {
    return this.client.models.list(this.address, options);
  }

  runPlan(plan: unknown, options?: FollowOptions) {
    return this.client.plans.run(this.address, plan, options);
  }

  followPlan(planId: string, options?: FollowOptions) {
    return this.client.plans.follow(this.address, planId, options);
  }

  abortPlan(planId: string, options?: SendOptions) {
    return this.client.plans.abort(this.address, planId, options);
  }

  planStatus(planId?: string, options?: SendOptions) {
    return this.client.plans.status(this.address, planId, options);
  }

  /** This node's telemetry and events. */
  watch(options: Omit<WatchOptions, 'nodes'> = {}): DataStream {
    return this.client.watch({ ...options, nodes: this.address });
  }
}
