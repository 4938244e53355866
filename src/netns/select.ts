// --netns all|host|NAME|PATH[,...]: which namespaces a command watches.
import { listItems } from '../util/list';
import * as fs from 'fs';
import { TcplensError } from '../util/errors';
import { discoverAll, namedNetns, ownNetns, RUN_NETNS, type Discovery, type NetnsInfo } from './discover';

export type NetnsSelector = { kind: 'all' } | { kind: 'list'; items: string[] };

export function parseNetnsSelector(text: string): NetnsSelector {
  const items = listItems(text);
  if (items.length === 0) throw new TcplensError('EUSAGE', '--netns: empty (use all, host, a name under /run/netns, or a path)');
  if (items.includes('all')) return { kind: 'all' };
  return { kind: 'list', items };
}

function resolveOne(item: string): NetnsInfo {
  if (item === 'host') return ownNetns();
  const path = item.startsWith('/') ? item : `${RUN_NETNS}/${item}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? 'error';
    const hint = item.startsWith('/')
      ? ''
      : ` (known: ${
          namedNetns()
            .map((n) => n.name)
            .join(', ') || 'none'
        })`;
    throw new TcplensError('ENETNS', `--netns: ${item}: no such network namespace (${why} on ${path})${hint}`);
  }
  // namespace files live on nsfs, one device for all of them (a plain file or
  // directory is not one; which kind of namespace it is, setns checks later)
  if (st.dev !== nsfsDev()) throw new TcplensError('ENETNS', `--netns: ${item}: not a network namespace (${path} is not a namespace file)`);
  return { inode: st.ino, name: item, path };
}

let nsfs: number | undefined;
const nsfsDev = (): number => (nsfs ??= fs.statSync('/proc/self/ns/net').dev);

/** Resolves the selector now; called every cycle so namespaces come and go.
 * strict: a selector that names nothing throws (start-up); otherwise it is
 * skipped and counted in `unreadable` (a namespace deleted while we run). */
export function resolveNetns(sel: NetnsSelector, strict = true): Discovery {
  if (sel.kind === 'all') return discoverAll();
  const seen = new Map<number, NetnsInfo>();
  let unreadable = 0;
  for (const item of sel.items) {
    let n: NetnsInfo;
    try {
      n = resolveOne(item);
    } catch (e) {
      if (strict) throw e;
      unreadable++;
      continue;
    }
    if (!seen.has(n.inode)) seen.set(n.inode, n);
  }
  // The own namespace needs no setns even when named by path.
  const own = ownNetns().inode;
  const namespaces = [...seen.values()].map((n) => (n.inode === own ? { ...n, path: null } : n));
  return { namespaces, unreadable };
}
