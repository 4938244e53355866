// What the events view read, handed to the views that act on it (the
// targeted view's --snapshot-on) in the same round: a batch is read before
// the events view fills the next one.
import type { ColumnBatch } from '../layout/batch';

export type EventListener = (batch: ColumnBatch) => void;

export class EventTap {
  private readonly listeners: EventListener[] = [];
  /** set by the events view when it runs: a tap nobody feeds says so */
  fed = false;
  /** set by the events view: its open events run (the state part), so every
   * socket opened in a traced namespace passes through the tap */
  opens = false;
  /** set by the events view: records it lost or could not read so far */
  lost: () => number = () => 0;
  /** set by the events view: whether it traces namespace inode (its in-kernel filter is fixed at start) */
  traces: (inode: number) => boolean = () => false;

  subscribe(l: EventListener): void {
    this.listeners.push(l);
  }

  get wanted(): boolean {
    return this.listeners.length > 0;
  }

  publish(batch: ColumnBatch): void {
    for (const l of this.listeners) l(batch);
  }
}
