// Namespace discovery under /run/netns: a file there is a namespace only once
// one is mounted on it (`ip netns add` creates the file first).
import { expect } from 'chai';
import * as fs from 'fs';
import { namedNetns, RUN_NETNS } from '../../src/netns/discover';
import { createNetns, deleteNetns, isRoot } from '../helpers/netns';
import { skipIf } from '../helpers/skip';

describe('namedNetns', () => {
  it('lists mounted namespaces and skips a plain file (a namespace being made)', function () {
    skipIf(this, !isRoot(), 'needs root to write /run/netns');
    const ns = createNetns('disc');
    const plain = `tlt-disc-plain-${process.pid}`;
    fs.writeFileSync(`${RUN_NETNS}/${plain}`, '');
    try {
      const names = namedNetns().map((n) => n.name);
      expect(names).to.include(ns);
      expect(names).to.not.include(plain);
      expect(namedNetns().find((n) => n.name === ns)!.inode).to.equal(fs.statSync(`${RUN_NETNS}/${ns}`).ino);
    } finally {
      fs.rmSync(`${RUN_NETNS}/${plain}`, { force: true });
      deleteNetns(ns);
    }
  });
});
