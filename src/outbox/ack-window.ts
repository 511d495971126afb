/**
 * PUBACKs of one stream, which may arrive out of order within the publisher's
 * in-flight window: only the contiguous prefix (`through`) can leave storage;
 * acks above a hole wait here until it fills.
 */
export class AckWindow {
  private readonly above = new Set<number>();

  constructor(public through: number) {}

  /** True when `through` moved. */
  ack(seq: number): boolean {
    if (seq <= this.through) return false;
    this.above.add(seq);
    const before = this.through;
    while (this.above.delete(this.through + 1)) this.through++;
    return this.through !== before;
  }

  /**
   * Seqs that left storage unacknowledged (dropped, or lost to corruption): nothing
   * will ever ack them, and the prefix must still be able to move past them.
   */
  forget(firstSeq: number, lastSeq: number): void {
    if (firstSeq <= this.through + 1) {
      this.through = Math.max(this.through, lastSeq);
      for (const s of this.above) if (s <= this.through) this.above.delete(s);
    } else {
      for (let s = firstSeq; s <= lastSeq; s++) this.above.add(s);
    }
    while (this.above.delete(this.through + 1)) this.through++;
  }

  has(seq: number): boolean {
    return seq <= this.through || this.above.has(seq);
  }

  get pending(): number {
    return this.above.size;
  }
}
