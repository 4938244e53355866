// The Vagrantfile: `vagrant validate` accepts it (provider settings aside:
// no VirtualBox or libvirt on a CI machine), its provisioning scripts are
// valid shell, install a Node 20 from a repository that has one, and run the
// README's two commands.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');
const VAGRANTFILE = path.join(ROOT, 'Vagrantfile');

/** The provisioners' inline scripts: name -> shell text (Ruby's "\\" is a backslash). */
function provisioners(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/config\.vm\.provision "([^"]+)", type: "shell", inline: <<-SHELL\n([\s\S]*?)\n\s*SHELL\n/g)) {
    out.set(m[1]!, m[2]!.replace(/\\\\/g, '\\'));
  }
  return out;
}

/** The README's commands for a fresh machine (its first sh block). */
function readmeCommands(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  return block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

describe('Vagrantfile', () => {
  const text = fs.readFileSync(VAGRANTFILE, 'utf8');

  it('vagrant validate accepts it', function () {
    this.timeout(60_000);
    if (spawnSync('vagrant', ['--version'], { stdio: 'ignore' }).error) {
      console.log("    skipped: vagrant not installed (bash scripts/bootstrap.sh installs Debian's)");
      this.skip();
    }
    // vagrant writes state: a private home and dotfile dir, nothing in the checkout
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tlvagrant-'));
    try {
      const env = {
        ...process.env,
        HOME: home,
        VAGRANT_HOME: path.join(home, '.vagrant.d'),
        VAGRANT_DOTFILE_PATH: path.join(home, 'dot'),
        VAGRANT_CHECKPOINT_DISABLE: '1',
      };
      const r = spawnSync('vagrant', ['validate', '--ignore-provider'], { cwd: ROOT, env, encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).to.equal(0);
      expect(r.stdout).to.include('Vagrantfile validated successfully');
      // and it is no rubber stamp: an unknown setting is refused
      const bad = path.join(home, 'bad');
      fs.mkdirSync(bad);
      fs.writeFileSync(path.join(bad, 'Vagrantfile'), text.replace('config.vm.box =', 'config.vm.no_such_setting = 1\n  config.vm.box ='));
      const b = spawnSync('vagrant', ['validate', '--ignore-provider'], { cwd: bad, env, encoding: 'utf8' });
      expect(b.status).to.not.equal(0);
      expect(`${b.stdout}${b.stderr}`).to.include('no_such_setting');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('is a Debian 12 box', () => {
    expect(text).to.match(/^\s*config\.vm\.box = "debian\/bookworm64"$/m);
  });

  it('its provisioning scripts are valid shell', () => {
    const p = provisioners(text);
    expect([...p.keys()]).to.deep.equal(['node', 'test', 'start']);
    for (const [name, script] of p) {
      const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      expect(r.status, `${name}: ${r.stderr}`).to.equal(0);
    }
  });

  it("installs Node 20 from NodeSource's apt repository, its key pinned to it", () => {
    const node = provisioners(text).get('node')!;
    expect(node).to.match(
      /deb \[signed-by=\/etc\/apt\/keyrings\/nodesource\.gpg\] https:\/\/deb\.nodesource\.com\/node_20\.x nodistro main/,
    );
    expect(node).to.include('apt-get install -y -qq nodejs');
    expect(node).to.not.match(/curl[^\n]*\|\s*(sudo\s+)?(ba)?sh/);
  });

  it("runs the README's two commands", () => {
    const cmds = readmeCommands();
    expect(cmds).to.deep.equal(['bash scripts/bootstrap.sh && npm start', 'bash scripts/bootstrap.sh && npm test']);
    const p = provisioners(text);
    expect(p.get('test')).to.include(cmds[1]);
    expect(p.get('start')).to.include(`'${cmds[0]}'`);
  });
});
