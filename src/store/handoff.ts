import type { HandedOver } from '../core/fan-out.ts';

/** Default of {@link ProjectionHandoff}'s capacity: acknowledged events kept parsed at most. */
export const DEFAULT_HANDOFF_CAPACITY = 8192;

/**
 * The events a store object acknowledged, kept parsed for the projection behind them by their
 * queue position (`seq`), so that it need not parse their stored bodies again. Only ever a copy:
 * the stored rows stay what is projected, and whatever is not found here (rows from before a
 * restart, written by another process, or acknowledged while this was full) is parsed from them.
 *
 * A position may name another row than the one kept for it (the commit that wrote it rolled back,
 * and a later row took its `seq`): an entry counts only for the event id it was kept for.
 */
export class ProjectionHandoff {
  private readonly entries = new Map<number, { id: string; handed: HandedOver }>();
  private readonly capacity: number;

  /** `capacity`: entries kept at most (when full, new ones are not kept); 0 keeps none. */
  constructor(capacity: number = DEFAULT_HANDOFF_CAPACITY) {
    this.capacity = capacity;
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The row at `seq` was just written for event `id`: keeps what its acknowledgement hands over
   * (when there is room; null: nothing), and in any case no older entry for that position.
   */
  keep(seq: number, id: string, handed: HandedOver | null): void {
    if (handed !== null && (this.entries.size < this.capacity || this.entries.has(seq))) {
      this.entries.set(seq, { id, handed });
    } else this.entries.delete(seq);
  }

  /** What was kept for the row at `seq`, if it was kept for that row's event `id`. */
  find(seq: number, id: string): HandedOver | undefined {
    const entry = this.entries.get(seq);
    return entry?.id === id ? entry.handed : undefined;
  }

  /** The row at `seq` left the queue (projected or parked), or must be read from its row. */
  forget(seq: number): void {
    this.entries.delete(seq);
  }

  /** The queue is empty: no entry can name a row still to project. */
  clear(): void {
    this.entries.clear();
  }
}
