import { FileEntry, MkdirEntry } from '../format/log-entry';

type Reserved = FileEntry | MkdirEntry;

/**
 * A log session's reserved entries, in slot order, with lookup by path: reserving, finding and
 * logging (taking the first) each cost O(1), so a request of many thousands of files reserves
 * and logs in time linear in its size. Paths are unique (a session refuses a path given twice).
 */
export class ReservedQueue {
  private items: Reserved[] = [];
  private head = 0;
  private readonly byPath = new Map<string, Reserved>();

  get size(): number {
    return this.items.length - this.head;
  }

  push(entry: Reserved): void {
    this.items.push(entry);
    this.byPath.set(entry.path, entry);
  }

  first(): Reserved | undefined {
    return this.items[this.head];
  }

  /** The k-th entry from the first (0: the first). */
  nth(k: number): Reserved | undefined {
    return this.items[this.head + k];
  }

  /** Takes the first entry off. */
  shift(): void {
    const e = this.items[this.head];
    if (e === undefined) return;
    this.byPath.delete(e.path);
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
  }

  at(path: string): Reserved | undefined {
    return this.byPath.get(path);
  }

  /** Whether an entry is reserved below directory `path`. */
  hasBelow(path: string): boolean {
    const prefix = `${path}/`;
    for (let i = this.head; i < this.items.length; i++) if (this.items[i].path.startsWith(prefix)) return true;
    return false;
  }

  /** Removes one entry wherever it is (rare: a source that vanished); the ones after it move up. */
  remove(entry: Reserved): void {
    const i = this.items.indexOf(entry, this.head);
    if (i < 0) return;
    this.items.splice(i, 1);
    this.byPath.delete(entry.path);
  }
}
