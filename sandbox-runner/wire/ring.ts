/**
 * A session's captured packets: a ring of fixed capacity numbered 1, 2, 3, ... When it is full
 * the oldest is overwritten and counted in `dropped`, so a flood cannot grow the runner.
 *
 * Packets are kept as they came off the wire, not as objects: each one's frame (at most
 * FRAME_BYTES, as the capture trimmed it) in a slot of one Buffer, its capture time in a
 * Float64Array, its run in an array of (shared) strings. A full ring of 2000 costs ~0.5 MiB
 * outside the JavaScript heap and nothing for the garbage collector to trace, where parsed packet
 * objects cost ~0.8 MiB in the old generation; readers get objects made when they ask. The storage
 * grows with use (doubling) up to the capacity, so a quiet session holds a few KiB.
 */

/** The most bytes of a frame kept: the capture's snap length. */
export const FRAME_BYTES = 256;
const FIRST_SLOTS = 16;

/** One kept packet; `frame` is a view into the ring, valid until the next push. */
export interface StoredFrame {
  seq: number;
  at: number;
  run: string | null;
  frame: Buffer;
}

export class FrameRing {
  private frames = Buffer.alloc(0);
  private lengths = new Uint16Array(0);
  private times = new Float64Array(0);
  private runs: Array<string | null> = [];
  private count = 0;
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
    return this.count;
  }

  /** Bytes held for frames (the slots allocated so far). */
  get bytes(): number {
    return this.frames.length;
  }

  /** Numbers the packet and keeps a copy of its frame (its first FRAME_BYTES), overwriting the oldest when full. */
  push(at: number, run: string | null, frame: Buffer): number {
    let slot: number;
    if (this.count < this.capacity) {
      if (this.count === this.times.length) this.grow();
      slot = this.count++;
    } else {
      slot = this.start;
      this.start = (this.start + 1) % this.capacity;
      this.dropped++;
    }
    const length = frame.copy(this.frames, slot * FRAME_BYTES, 0, Math.min(frame.length, FRAME_BYTES));
    this.lengths[slot] = length;
    this.times[slot] = at;
    this.runs[slot] = run;
    return ++this.lastSeq;
  }

  /** The kept packets with seq greater than `since`, oldest first. */
  since(since: number): StoredFrame[] {
    const oldest = this.lastSeq - this.count + 1;
    const skip = Math.max(0, Math.min(this.count, since - oldest + 1));
    const result: StoredFrame[] = [];
    for (let i = skip; i < this.count; i++) {
      const slot = (this.start + i) % this.count;
      const offset = slot * FRAME_BYTES;
      result.push({ seq: oldest + i, at: this.times[slot], run: this.runs[slot], frame: this.frames.subarray(offset, offset + this.lengths[slot]) });
    }
    return result;
  }

  /** Slots are only added before the ring first fills, so no entry has wrapped yet: a plain copy. */
  private grow(): void {
    const slots = Math.min(this.capacity, Math.max(FIRST_SLOTS, this.times.length * 2));
    const frames = Buffer.allocUnsafe(slots * FRAME_BYTES);
    this.frames.copy(frames);
    this.frames = frames;
    const lengths = new Uint16Array(slots);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const times = new Float64Array(slots);
    times.set(this.times);
    this.times = times;
  }
}
