/**
 * Turns one `R/cmd` payload into one reply, in arrival order, one command at a time.
 * The steps, in order: size limit, JSON, envelope (`bad_request`); an id already in
 * the journal gets its first reply again and nothing runs; `expiresAt` passed
 * (`expired`); unknown name (`unknown_command`); policy (`forbidden`); args
 * (`invalid_args`); then the command. Every error reply emits `command.rejected`.
 * Nothing before the command's own step touches an actuator, and the command reaches
 * one only through the safety gate. Nothing a payload or a command does can make
 * `handle` reject: a thrown error is an `internal` reply.
 */
import {
  type CommandEnvelope,
  type ErrorReply,
  PROTOCOL_COMMANDS,
  type Reply,
  type ReplyError,
} from '../protocol/messages.js';
import { BUILTIN_COMMANDS } from './builtins.js';
import {
  type CommandContext,
  type CommandDefinition,
  type CommandPolicy,
  type Failure,
  failure,
  type Outcome,
} from './context.js';
import { issuesFailure, parseRequest } from './request.js';

/** Where replies are remembered: `StateStore.journal` (src/store) in the node. */
export interface CommandJournalPort {
  get(id: string): Reply | undefined;
  put(reply: Reply & { id: string }): Promise<void>;
}

export interface DispatcherConfig {
  maxBytes: number;
  /** Absent: every command given to the dispatcher. */
  allow?: readonly string[];
  remoteSet: readonly string[];
}

export interface DispatcherLog {
  error(detail: object, message: string): void;
}

export interface DispatcherDeps {
  context: CommandContext;
  journal: CommandJournalPort;
  config: DispatcherConfig;
  emit(type: string, fields: Record<string, unknown>): unknown;
  log: DispatcherLog;
  /** Default: the built-in commands. */
  commands?: readonly CommandDefinition[];
}

export interface CommandMeta {
  /** The node clock when the message arrived (epoch ms). */
  receivedAt: number;
}

export class CommandDispatcher {
  private readonly commands: ReadonlyMap<string, CommandDefinition>;
  private readonly allowed: ReadonlySet<string>;
  private readonly policy: CommandPolicy;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: DispatcherDeps) {
    this.commands = new Map(
      (deps.commands ?? BUILTIN_COMMANDS).map((c): [string, CommandDefinition] => [c.name, c]),
    );
    this.allowed = new Set(deps.config.allow ?? this.commands.keys());
    this.policy = { remoteSet: new Set(deps.config.remoteSet) };
  }

  /** The reply to publish on `R/reply`. Commands are answered in the order `handle` was called. */
  handle(payload: Uint8Array, meta: CommandMeta): Promise<Reply> {
    const reply = this.tail.then(() => this.process(payload, meta));
    this.tail = reply.catch(() => undefined);
    return reply;
  }

  /** Resolves once every command handed in so far is answered (before a clean shutdown). */
  async idle(): Promise<void> {
    await this.tail;
  }

  private async process(payload: Uint8Array, meta: CommandMeta): Promise<Reply> {
    let known: { id: string | null; name: string | null } = { id: null, name: null };
    try {
      const parsed = parseRequest(payload, this.deps.config.maxBytes);
      if (!parsed.ok) {
        known = parsed;
        return this.reject(parsed.id, parsed.name, parsed.failure);
      }
      const { command } = parsed;
      known = command;
      const first = this.deps.journal.get(command.id);
      if (first) return first;
      const outcome = await this.execute(command, meta);
      const reply = outcome.ok
        ? { id: command.id, ok: true as const, result: outcome.result, ts: this.deps.context.nowMs() }
        : this.reject(command.id, command.name, outcome);
      await this.journal(reply as Reply & { id: string });
      return reply;
    } catch (error) {
      // Only a fault in this module gets here (commands' own errors are caught in execute).
      this.deps.log.error({ err: error, command: known.id }, 'command dispatch failed');
      return this.reject(known.id, known.name, failure('internal', undefined, errorText(error)));
    }
  }

  private async execute(command: CommandEnvelope, meta: CommandMeta): Promise<Outcome> {
    const { context } = this.deps;
    if (command.expiresAt !== undefined) {
      // Judged when the command's turn comes: one that waited behind a slow command can expire in the queue.
      const now = Math.max(meta.receivedAt, context.nowMs());
      if (now > command.expiresAt) return expired(command.expiresAt, now, context.clock().synced);
    }
    const definition = this.commands.get(command.name);
    if (!definition) return unknownCommand(command.name, [...this.commands.keys()]);
    if (!this.allowed.has(command.name))
      return failure(
        'forbidden',
        'name',
        `"${command.name}" is not allowed on this node (commands.allow: ${[...this.allowed].join(', ') || 'none'})`,
      );
    const rawArgs = command.args ?? {};
    const refusal = definition.permit?.(rawArgs, this.policy);
    if (refusal) return refusal;
    const args = definition.args.safeParse(rawArgs);
    if (!args.success) return issuesFailure('invalid_args', ['args'], definition.args, rawArgs, args.error);
    try {
      return await definition.run(args.data, context, { id: command.id });
    } catch (error) {
      this.deps.log.error({ err: error, command: command.id, name: command.name }, 'command failed');
      return failure('internal', undefined, `the command failed unexpectedly: ${errorText(error)}`);
    }
  }

  private reject(id: string | null, name: string | null, outcome: Failure): ErrorReply {
    const who = `command ${id ?? '(no id)'}${name ? ` (${name})` : ''}`;
    const message = `${who}: ${outcome.field ? `${outcome.field}: ` : ''}${outcome.message}`;
    const error: ReplyError = { code: outcome.code, message };
    if (outcome.issues) error.issues = outcome.issues;
    try {
      this.deps.emit('command.rejected', { id, name, code: outcome.code, message });
    } catch (error) {
      this.deps.log.error({ err: error, command: id }, 'command.rejected event failed');
    }
    return { id, ok: false, error, ts: this.deps.context.nowMs() };
  }

  /**
   * A journal that cannot write still holds the reply in memory, so duplicates are
   * caught until a restart; the command has run, so its true reply goes out anyway.
   */
  private async journal(reply: Reply & { id: string }): Promise<void> {
    try {
      await this.deps.journal.put(reply);
    } catch (error) {
      this.deps.log.error(
        { err: error, command: reply.id },
        'command journal write failed: after a restart a duplicate of this command would run again',
      );
    }
  }
}

function expired(expiresAt: number, now: number, clockSynced: boolean): Failure {
  // A value this small is seconds, not milliseconds: 1e11 ms is 1973, 1e11 s is the year 5138.
  const hint =
    expiresAt < 1e11 ? '; expiresAt is in milliseconds since the epoch, and this looks like seconds' : '';
  const clock = clockSynced ? '' : " (the node's clock is not synchronised)";
  return failure(
    'expired',
    'expiresAt',
    `${expiresAt} (${new Date(expiresAt).toISOString()}) passed ${now - expiresAt} ms before the command's turn at ${new Date(now).toISOString()}${clock}${hint}`,
  );
}

function unknownCommand(name: string, implemented: string[]): Failure {
  const later = (PROTOCOL_COMMANDS as readonly string[]).includes(name)
    ? `"${name}" is part of protocol v1 but not implemented by this node yet`
    : `no command "${name}"`;
  return failure('unknown_command', 'name', `${later}; this node implements: ${implemented.join(', ')}`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
