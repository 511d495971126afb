/**
 * Local control from the page (only with `web.localControl: true`): read now, and
 * set an actuator. A set goes through the same safety gate as a remote `set`
 * (envelope, interlocks, serialisation; refused, never clamped) and leaves the same
 * audit: the gate's `actuator.changed` names the request (`by: web-<id>`), and a refusal
 * emits `command.rejected` with `origin: "local"`, as a refused remote command does.
 * Each answer is also a reply in the page's "recent command replies".
 */
import { randomUUID } from 'node:crypto';
import type { Sample } from '../events/event-hub.js';
import type { WriteResult } from '../safety/actuators.js';
import { HttpError } from './http-util.js';
import type { FeedReply } from './live-feed.js';
import type { WebLog, WebNode } from './web-deps.js';

/** The gate's refusals as HTTP statuses; the body carries the gate's own code and message. */
const STATUS_OF: Record<Extract<WriteResult, { ok: false }>['code'], number> = {
  invalid_args: 400,
  not_found: 404,
  busy: 409,
  out_of_range: 422,
  failed: 502,
};

export interface LocalAnswer {
  status: number;
  body: { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };
}

export interface LocalControlDeps {
  node: WebNode;
  log: WebLog;
  nowMs(): number;
  reply(reply: FeedReply): void;
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

function onlyKeys(body: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new HttpError(
      400,
      'invalid_args',
      `unknown key "${unknown[0]}"; allowed keys: ${allowed.join(', ') || 'none'}`,
    );
}

export class LocalControl {
  constructor(private readonly deps: LocalControlDeps) {}

  /** `{device?}` → the samples read now (calibrated, not filtered, not published). */
  async read(body: Record<string, unknown>): Promise<LocalAnswer> {
    onlyKeys(body, ['device']);
    const device = body.device;
    if (device !== undefined && (typeof device !== 'string' || !ID.test(device)))
      throw new HttpError(400, 'invalid_args', 'device: a device id');
    const known = this.deps.node.describe().devices.map((d) => d.id);
    if (device !== undefined && !known.includes(device))
      throw new HttpError(404, 'not_found', `no device "${device}"; devices: ${known.join(', ') || 'none'}`);
    const id = `web-${randomUUID().slice(0, 8)}`;
    let samples: Sample[];
    try {
      samples = await this.deps.node.readNow(device);
    } catch (error) {
      return this.answer(id, 'read', { ok: false, code: 'failed', message: (error as Error).message }, 502);
    }
    return this.answer(id, 'read', { ok: true, result: { samples } }, 200);
  }

  /** `{value}` for the actuator in the path → `{actuator, value, previous}` or the gate's refusal. */
  async set(actuator: string, body: Record<string, unknown>): Promise<LocalAnswer> {
    onlyKeys(body, ['value']);
    if (typeof body.value !== 'number')
      throw new HttpError(
        400,
        'invalid_args',
        `value: found ${JSON.stringify(body.value) ?? 'nothing'}; expected a number`,
      );
    const id = `web-${randomUUID().slice(0, 8)}`;
    const written = await this.deps.node.actuators.set(actuator, body.value, { kind: 'local', id });
    this.deps.log.info({ actuator, value: body.value, ok: written.ok, id }, 'local control: set');
    if (!written.ok) return this.answer(id, 'set', written, STATUS_OF[written.code]);
    const { value, previous } = written;
    return this.answer(id, 'set', { ok: true, result: { actuator: written.actuator, value, previous } }, 200);
  }

  private answer(
    id: string,
    name: string,
    outcome: { ok: true; result: unknown } | { ok: false; code: string; message: string },
    status: number,
  ): LocalAnswer {
    const ts = this.deps.nowMs();
    if (outcome.ok) {
      this.deps.reply({ id, ok: true, result: outcome.result, ts, origin: 'local' });
      return { status, body: outcome };
    }
    const error = { code: outcome.code, message: outcome.message };
    this.deps.node.events.emit('command.rejected', { id, name, ...error, origin: 'local' });
    this.deps.reply({ id, ok: false, error, ts, origin: 'local' });
    return { status, body: { ok: false, error } };
  }
}
