// A fresh Debian 12 root to install the package into: an overlay over the
// cached debootstrap root of test/deploy/base_root.sh (the cache stays
// untouched), commands run in it by chroot inside a private mount namespace
// (proc, sys, dev mounted there vanish with the command), and a listing of
// its files to compare before and after.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

// the host's API filesystems and what is a tmpfs on a booted system
const PRUNED = ['proc', 'sys', 'dev', 'run', 'tmp', 'var/tmp'];

export class DebRoot {
  readonly dir: string;
  readonly root: string;
  private mounted = false;

  constructor(base: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tldeb-'));
    this.root = path.join(this.dir, 'root');
    for (const d of ['upper', 'work', 'root']) fs.mkdirSync(path.join(this.dir, d));
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${base},upperdir=${path.join(this.dir, 'upper')},workdir=${path.join(this.dir, 'work')}`,
      this.root,
    ]);
    this.mounted = true;
  }

  /** `cmd` run by chroot in the root, with /proc, /sys (BTF, bpffs, tracefs)
   * and /dev of this host, in a mount namespace of its own. */
  run(cmd: string[], opts: { timeoutMs?: number; input?: string } = {}): Ran {
    const script = 'mount -t proc proc "$0/proc" && mount --rbind /sys "$0/sys" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"';
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, this.root, ...cmd], {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 60_000,
      maxBuffer: 256 << 20,
      input: opts.input ?? '',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? ` (${r.error.message})` : ''}` };
  }

  /** Every path under the root, relative, minus the host's API filesystems
   * and what is a tmpfs on a booted system (/run: adduser's lock file). */
  files(): Set<string> {
    const out = execFileSync(
      'find',
      [
        this.root,
        '-mindepth',
        '1',
        '(',
        ...PRUNED.flatMap((d, k) => [...(k ? ['-o'] : []), '-path', `${this.root}/${d}`]),
        ')',
        '-prune',
        '-o',
        '-printf',
        '%P\\n',
      ],
      { encoding: 'utf8', maxBuffer: 256 << 20 },
    );
    return new Set(out.split('\n').filter(Boolean));
  }

  read(rel: string): string {
    return fs.readFileSync(path.join(this.root, rel), 'utf8');
  }

  /** Copies a host file into the root's /tmp; returns its path inside. */
  put(file: string): string {
    const inside = `/tmp/${path.basename(file)}`;
    fs.copyFileSync(file, path.join(this.root, inside));
    return inside;
  }

  close(): void {
    if (this.mounted) {
      if (spawnSync('umount', [this.root]).status !== 0 && spawnSync('umount', ['-l', this.root]).status !== 0) {
        // never remove through a live overlay
        throw new Error(`cannot unmount ${this.root}: left in place`);
      }
      this.mounted = false;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
