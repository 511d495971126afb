/** The open (not yet sealed) message of one stream: serialised items and the payload size they make. */
export interface BatchLimits {
  /** Items per message. */
  maxItems: number;
  /** Bytes of the whole published payload (envelope included), at most MAX_MESSAGE_BYTES. */
  maxBytes: number;
  /** Age of the oldest item before the message is sealed anyway. */
  maxAgeMs: number;
}

export class Batch {
  private parts: string[] = [];
  private bytes: number;
  firstAt = 0;

  /** `overhead`: payload bytes besides the items, so that `maxBytes` bounds the published message. */
  constructor(
    private readonly overhead: number,
    private readonly limits: BatchLimits,
  ) {
    this.bytes = overhead + 2;
  }

  get items(): number {
    return this.parts.length;
  }

  /** Whether an item can ever fit, even alone. */
  fitsAlone(itemBytes: number): boolean {
    return this.overhead + 2 + itemBytes <= this.limits.maxBytes;
  }

  /** Whether adding the item would take the payload over `maxBytes`. */
  overflowsWith(itemBytes: number): boolean {
    return this.parts.length > 0 && this.bytes + 1 + itemBytes > this.limits.maxBytes;
  }

  add(text: string, itemBytes: number, now: number): void {
    if (this.parts.length > 0) this.bytes += 1;
    else this.firstAt = now;
    this.parts.push(text);
    this.bytes += itemBytes;
  }

  get full(): boolean {
    return this.parts.length >= this.limits.maxItems;
  }

  /** The items as a JSON array text, leaving the batch empty. */
  take(): { body: string; items: number } {
    const taken = { body: `[${this.parts.join(',')}]`, items: this.parts.length };
    this.parts = [];
    this.bytes = this.overhead + 2;
    return taken;
  }
}
