/**
 * What every `benchloop ctl` subcommand shares: the broker flags, one client per
 * run, the exit codes, and output that is for people by default and JSON with
 * `--json` (results on stdout; progress and diagnostics on stderr, so a script
 * reading stdout sees only the result).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  AddressError,
  BenchloopClient,
  type ClientOptions,
  CommandError,
  CommandTimeoutError,
  MqttLinkError,
  NodeOfflineError,
  PlanTimeoutError,
  TransferError,
} from '../client/index.js';

/** Documented in docs/orchestrator/cli.md; sysexits(3) above 63. */
export const CtlExit = {
  ok: 0,
  /** The node answered `ok: false` (the reply is printed). */
  replyError: 1,
  /** No reply in time although the node was online; a plan still running when --follow-timeout ran out. */
  timeout: 2,
  /** The node is offline, or has no status on this broker. */
  offline: 3,
  /** A plan ended `plan.aborted`. */
  planAborted: 4,
  usage: 64,
  /** EX_NOINPUT: a file given (model, plan) cannot be read. */
  noInput: 66,
  /** EX_UNAVAILABLE: the broker cannot be reached (refused, DNS, TLS, timeout), or a transfer broke off. */
  unavailable: 69,
  /** EX_SOFTWARE: a bug. */
  software: 70,
  /** EX_NOPERM: the broker refused the credentials, or the ACL refused a subscription. */
  noPermission: 77,
} as const;

export interface ConnectionFlags {
  url: string;
  mqttVersion: 4 | 5;
  clientId?: string;
  username?: string;
  passwordFile?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  timeout: number;
  json?: boolean;
}

export const positiveSeconds = (text: string): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('a number of seconds > 0');
  return value;
};

const brokerUrl = (text: string): string => {
  if (!/^mqtts?:\/\/[^/]/.test(text))
    throw new InvalidArgumentError('a broker URL: mqtt://host:port or mqtts://host:port');
  return text;
};

/** The broker flags, on each subcommand (so they may come anywhere on the line). */
export function withConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'broker: mqtt://host:1883 or mqtts://host:8883')
        .env('BENCHLOOP_MQTT_URL')
        .argParser(brokerUrl)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--mqtt-version <n>', 'MQTT protocol: 5, or 4 for 3.1.1')
        .choices(['4', '5'])
        .default(5)
        .argParser((v) => Number(v) as 4 | 5),
    )
    .option('--client-id <id>', 'MQTT client id (default: benchloop-client-<random>)')
    .addOption(new Option('--username <name>', 'broker user name').env('BENCHLOOP_MQTT_USERNAME'))
    .addOption(
      new Option('--password-file <file>', 'file holding the password').env('BENCHLOOP_MQTT_PASSWORD_FILE'),
    )
    .option('--ca <file>', "PEM file of the CA that signed the broker's certificate")
    .option('--cert <file>', 'client certificate (PEM), for brokers that require one')
    .option('--key <file>', "the client certificate's key (PEM)")
    .option('--insecure', "TLS without checking the broker's certificate (testing only)")
    .option('--timeout <seconds>', 'how long to wait for a reply', positiveSeconds, 10)
    .option('--json', 'machine-readable output: JSON on stdout, JSON lines of progress on stderr');
}

export function clientOptions(flags: ConnectionFlags): ClientOptions {
  if ((flags.cert === undefined) !== (flags.key === undefined))
    throw new InvalidArgumentError('--cert and --key go together');
  const tls =
    flags.ca || flags.cert || flags.insecure
      ? { ca: flags.ca, cert: flags.cert, key: flags.key, rejectUnauthorized: !flags.insecure }
      : undefined;
  return {
    url: flags.url,
    protocolVersion: flags.mqttVersion,
    clientId: flags.clientId,
    username: flags.username,
    passwordFile: flags.passwordFile,
    tls,
    failFast: true,
    commandTimeoutMs: Math.round(flags.timeout * 1000),
  };
}

/** Where a subcommand writes: results to stdout, progress and problems to stderr. */
export class Output {
  private progressShown = false;

  constructor(readonly json: boolean) {}

  /** The result: `human` text, or `data` as JSON. */
  result(human: string, data: unknown): void {
    this.endProgress();
    process.stdout.write(this.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  }

  /** One line of a stream (watch): human text, or one JSON object per line. */
  line(human: string, data: unknown): void {
    process.stdout.write(this.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  }

  /** A progress report on stderr: rewritten in place on a terminal, one line each otherwise. */
  progress(human: string, data: object): void {
    if (this.json) {
      process.stderr.write(`${JSON.stringify({ progress: data })}\n`);
    } else if (process.stderr.isTTY) {
      process.stderr.write(`\r\x1b[2K${human}`);
      this.progressShown = true;
    } else {
      process.stderr.write(`${human}\n`);
    }
  }

  note(human: string, data?: object): void {
    this.endProgress();
    process.stderr.write(this.json && data ? `${JSON.stringify(data)}\n` : `${human}\n`);
  }

  private endProgress(): void {
    if (!this.progressShown) return;
    process.stderr.write('\n');
    this.progressShown = false;
  }
}

/** The exit code that says what happened, and the words for stderr. */
export function exitFor(error: unknown): { code: number; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CommandError) return { code: CtlExit.replyError, message };
  if (error instanceof CommandTimeoutError || error instanceof PlanTimeoutError)
    return { code: CtlExit.timeout, message };
  if (error instanceof NodeOfflineError) return { code: CtlExit.offline, message };
  if (error instanceof AddressError || error instanceof InvalidArgumentError)
    return { code: CtlExit.usage, message };
  if (error instanceof TransferError) return { code: CtlExit.unavailable, message };
  if (error instanceof MqttLinkError) {
    if (error.kind === 'config') return { code: CtlExit.noInput, message };
    const refused = ['auth', 'not-authorized', 'rejected'].includes(error.kind);
    return { code: refused ? CtlExit.noPermission : CtlExit.unavailable, message };
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOENT' || errno === 'EACCES' || errno === 'EISDIR')
    return { code: CtlExit.noInput, message };
  return { code: CtlExit.software, message: error instanceof Error ? (error.stack ?? message) : message };
}

/**
 * Runs one subcommand: connects (failing at the first unsuccessful attempt),
 * hands over the client, closes it, and sets the exit code from what the work
 * returned or threw.
 */
export async function runWithClient(
  flags: ConnectionFlags,
  work: (client: BenchloopClient, out: Output) => Promise<number | undefined>,
): Promise<void> {
  const out = new Output(Boolean(flags.json));
  let client: BenchloopClient | undefined;
  try {
    client = await BenchloopClient.connect(clientOptions(flags));
    process.exitCode = (await work(client, out)) ?? CtlExit.ok;
  } catch (error) {
    const { code, message } = exitFor(error);
    if (error instanceof CommandError && out.json) out.result('', error.reply);
    out.note(`benchloop ctl: ${message}`, {
      error: { exitCode: code, name: (error as Error).name, message },
    });
    process.exitCode = code;
  } finally {
    await client?.close().catch(() => {});
  }
}
