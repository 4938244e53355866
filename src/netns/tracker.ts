// Per-namespace resources (netlink sockets) that follow the namespaces a
// selector names: opened when a namespace appears, closed when it goes.
import { resolveNetns, type NetnsSelector } from './select';
import type { NetnsInfo } from './discover';

export interface Closable {
  close(): void;
}

/** A namespace's netlink socket and the names (cong algorithms) its batches
 * have introduced so far; a name's id is its index + 1. */
export class NsSocket<S extends Closable> implements Closable {
  readonly names: string[] = [];
  constructor(readonly sock: S) {}
  close(): void {
    this.sock.close();
  }
}

export interface OpenError {
  errno: number;
  code: string;
  message: string;
}

export interface Tracked<H extends Closable> {
  ns: NetnsInfo;
  /** null when the namespace could not be entered (see openError) */
  handle: H | null;
  openError?: OpenError;
}

export interface RefreshResult {
  added: number;
  removed: number;
  unreadable: number;
}

export class NetnsTracker<H extends Closable> {
  private readonly entries = new Map<number, Tracked<H>>();
  private first = true;
  /** called once per namespace that cannot be entered */
  onOpenError?: (ns: NetnsInfo, err: OpenError) => void;

  constructor(
    private readonly selector: NetnsSelector,
    private readonly open: (ns: NetnsInfo) => H,
  ) {}

  /** Re-resolves the selector. The first call is strict: a selector that
   * names nothing throws; later a vanished namespace is just dropped. */
  refresh(): RefreshResult {
    const found = resolveNetns(this.selector, this.first);
    this.first = false;
    const now = new Set(found.namespaces.map((n) => n.inode));
    let added = 0,
      removed = 0;
    for (const [ino, t] of this.entries) {
      if (!now.has(ino)) {
        t.handle?.close();
        this.entries.delete(ino);
        removed++;
      }
    }
    for (const ns of found.namespaces) {
      if (this.entries.has(ns.inode)) continue;
      const t: Tracked<H> = { ns, handle: null };
      try {
        t.handle = this.open(ns);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ENOADDON') throw e; // not this namespace's fault
        t.openError = { errno: err.errno ?? 0, code: err.code ?? 'EUNKNOWN', message: err.message };
        this.onOpenError?.(ns, t.openError);
      }
      this.entries.set(ns.inode, t);
      added++;
    }
    return { added, removed, unreadable: found.unreadable };
  }

  all(): IterableIterator<Tracked<H>> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Closes every handle. Idempotent. */
  close(): void {
    for (const t of this.entries.values()) t.handle?.close();
    this.entries.clear();
  }
}
