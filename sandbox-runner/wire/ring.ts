/**
 * A session's captured packets: a ring of fixed capacity numbered 1, 2, 3, ... When it is full
 * the oldest is overwritten and counted in `dropped`, so a flood cannot grow the runner.
 */
export class PacketRing<T extends { seq: number }> {
  private readonly items: T[] = [];
  private start = 0;
  private lastSeq = 0;
  /** Packets overwritten, plus those the capture reported missed. */
  dropped = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`a ring needs a positive capacity (got ${capacity})`);
    this.capacity = capacity;
  }

  /** The seq of the newest packet (0 before the first). */
  get last(): number {
    return this.lastSeq;
  }

  get size(): number {
    return this.items.length;
  }

  /** Numbers the packet and keeps it, overwriting the oldest when full. */
  push(item: Omit<T, 'seq'>): T {
    const numbered = { ...item, seq: ++this.lastSeq } as T;
    if (this.items.length < this.capacity) {
      this.items.push(numbered);
    } else {
      this.items[this.start] = numbered;
      this.start = (this.start + 1) % this.capacity;
      this.dropped++;
    }
    return numbered;
  }

  /** The kept packets with seq greater than `since`, oldest first. */
  since(since: number): T[] {
    const count = this.items.length;
    const oldest = this.lastSeq - count + 1;
    const skip = Math.max(0, Math.min(count, since - oldest + 1));
    const result: T[] = [];
    for (let i = skip; i < count; i++) result.push(this.items[(this.start + i) % count]);
    return result;
  }
}
