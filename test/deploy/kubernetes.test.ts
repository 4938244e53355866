// deploy/kubernetes: every manifest validates against the Kubernetes API
// schemas (kubernetes-models) or the Prometheus Operator's CRD schemas
// (@kubernetes-models/prometheus-operator); those schemas accept unknown
// fields (as the API's OpenAPI does), so the fields tcplens depends on are
// checked one by one too. The PrometheusRule is the alert rule file, as
// generated, and the ConfigMap's settings are ones `tcplens run` accepts.
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { CAPS_ALL_NAMESPACES } from '../../src/preflight/cap_table';
import { BIN } from '../preflight/run';

const ROOT = path.resolve(__dirname, '../../..');
const DIR = path.join(ROOT, 'deploy/kubernetes');

// parsed YAML: any shape until a model validates it
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Model = new (o: any) => { validate(): void }; // eslint-disable-line @typescript-eslint/no-explicit-any
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/DaemonSet': DaemonSet,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

const manifestFiles = (): string[] =>
  fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort();

function load(): Array<{ file: string; obj: Obj }> {
  const out: Array<{ file: string; obj: Obj }> = [];
  for (const file of manifestFiles()) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8'))) {
      expect(doc.errors, `${file}: ${doc.errors.join('; ')}`).to.deep.equal([]);
      out.push({ file, obj: doc.toJS() as Obj });
    }
  }
  return out;
}

const only = (docs: Array<{ obj: Obj }>, kind: string): Obj => {
  const found = docs.filter((d) => d.obj['kind'] === kind);
  expect(found, `one ${kind}`).to.have.length(1);
  return found[0]!.obj;
};

/** "256Mi" / "1" / "100m" -> bytes or cores */
function quantity(q: string | number): number {
  const m = /^([\d.]+)(m|Ki|Mi|Gi)?$/.exec(String(q));
  if (!m) throw new Error(`not a quantity: ${q}`);
  const unit: Record<string, number> = { '': 1, m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  return Number(m[1]) * unit[m[2] ?? '']!;
}

describe('deploy/kubernetes', () => {
  const docs = load();
  const ds = only(docs, 'DaemonSet');
  const pod = ds['spec']['template']['spec'];
  const ctr = pod['containers'][0];
  const mountOf = (name: string): Obj | undefined => ctr['volumeMounts'].find((m: Obj) => m['name'] === name);
  const volumeAt = (hostPath: string): Obj | undefined => pod['volumes'].find((v: Obj) => v['hostPath']?.['path'] === hostPath);

  it('every manifest validates against its API schema', () => {
    expect(docs.map((d) => `${d.obj['apiVersion']}/${d.obj['kind']}`).sort()).to.deep.equal(Object.keys(MODELS).sort());
    for (const { file, obj } of docs) {
      const Model = MODELS[`${obj['apiVersion']}/${obj['kind']}`]!;
      expect(() => new Model(obj).validate(), file).to.not.throw();
      expect(obj['metadata']['namespace'] ?? obj['metadata']['name'], file).to.equal('tcplens');
    }
  });

  it('the validation is real: a wrong type and a missing required field are refused', () => {
    const bad = structuredClone(ds);
    bad['spec']['template']['spec']['hostNetwork'] = 'yes';
    expect(() => new DaemonSet(bad).validate()).to.throw(/hostNetwork must be boolean/);
    const noSel = structuredClone(ds);
    delete noSel['spec']['selector'];
    expect(() => new DaemonSet(noSel).validate()).to.throw(/selector/);
  });

  it('kustomization.yaml lists every manifest', () => {
    const k = parse(fs.readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8')) as Obj;
    expect([...k['resources']].sort()).to.deep.equal(manifestFiles());
  });

  it("the DaemonSet: host network and PID namespaces, the capability table's set instead of privileged", () => {
    expect(pod['hostNetwork']).to.equal(true);
    expect(pod['hostPID']).to.equal(true);
    expect(pod['dnsPolicy']).to.equal('ClusterFirstWithHostNet');
    const sc = ctr['securityContext'];
    expect(sc['privileged'] ?? false).to.equal(false);
    expect(sc['capabilities']['drop']).to.deep.equal(['ALL']);
    expect([...sc['capabilities']['add']].sort()).to.deep.equal(CAPS_ALL_NAMESPACES.map((c) => c.cap).sort());
    // the API server refuses allowPrivilegeEscalation: false beside SYS_ADMIN
    expect(sc['allowPrivilegeEscalation']).to.not.equal(false);
    expect(sc['readOnlyRootFilesystem']).to.equal(true);
    expect(pod['automountServiceAccountToken']).to.equal(false);
  });

  it('the DaemonSet: hostPath mounts for BTF, bpffs and the spool (where the ConfigMap puts it); /proc from hostPID', () => {
    const config = JSON.parse(only(docs, 'ConfigMap')['data']['tcplens.json']) as Record<string, unknown>;
    for (const [host, name] of [
      ['/sys/kernel/btf', 'btf'],
      ['/sys/fs/bpf', 'bpffs'],
      ['/var/lib/tcplens', 'spool'],
    ]) {
      const v = volumeAt(host!);
      expect(v, `a hostPath volume of ${host}`).to.not.equal(undefined);
      expect(v!['name']).to.equal(name);
      expect(mountOf(name!)?.['mountPath'], `${name} mounted`).to.equal(host);
    }
    expect(String(config['spool-dir']).startsWith(`${mountOf('spool')!['mountPath']}/`)).to.equal(true);
    expect(mountOf('spool')!['readOnly'] ?? false).to.equal(false);
    expect(mountOf('btf')!['readOnly']).to.equal(true);
    // the config file tcplens is started with is the ConfigMap's
    const cfg = ctr['args'][ctr['args'].indexOf('--config') + 1];
    const cm = pod['volumes'].find((v: Obj) => v['configMap']?.['name'] === only(docs, 'ConfigMap')['metadata']['name']);
    expect(path.dirname(cfg)).to.equal(mountOf(cm['name'])!['mountPath']);
    expect(path.basename(cfg)).to.equal('tcplens.json');
  });

  it("probes /healthz and /readyz on the port tcplens listens on, the node's IP (hostNetwork), never 127.0.0.1", () => {
    const port = ctr['ports'].find((p: Obj) => p['name'] === 'metrics');
    expect(port['hostPort']).to.equal(port['containerPort']);
    const listen = ctr['args'][ctr['args'].indexOf('--listen') + 1];
    expect(listen).to.equal(`$(HOST_IP):${port['containerPort']}`);
    expect(ctr['env'].find((e: Obj) => e['name'] === 'HOST_IP')['valueFrom']['fieldRef']['fieldPath']).to.equal('status.hostIP');
    expect(ctr['livenessProbe']['httpGet']).to.deep.equal({ path: '/healthz', port: 'metrics' });
    expect(ctr['readinessProbe']['httpGet']).to.deep.equal({ path: '/readyz', port: 'metrics' });
    expect(ctr['startupProbe']['httpGet']['path']).to.equal('/healthz');
  });

  it('the ClickHouse password comes from the Secret as a file: not in argv, not in a plain env value', () => {
    const text = JSON.stringify(ctr);
    expect(text).to.not.match(/password=|--clickhouse-password/i);
    for (const e of ctr['env']) if (/PASSWORD$/.test(e['name'])) expect(e, e['name']).to.not.have.property('value');
    const file = ctr['env'].find((e: Obj) => e['name'] === 'TCPLENS_CLICKHOUSE_PASSWORD_FILE')['value'] as string;
    const secret = pod['volumes'].find((v: Obj) => v['secret']);
    expect(secret['secret']['secretName']).to.equal('tcplens-clickhouse');
    expect(file).to.equal(`${mountOf(secret['name'])!['mountPath']}/password`);
    expect(JSON.stringify(only(docs, 'ConfigMap'))).to.not.match(/password/i);
  });

  it('resources: requests within limits, the V8 heap bound below the memory limit', () => {
    const { requests, limits } = ctr['resources'];
    for (const k of ['cpu', 'memory']) expect(quantity(requests[k]), k).to.be.above(0).and.at.most(quantity(limits[k]));
    const heap = /--max-old-space-size=(\d+)/.exec(ctr['env'].find((e: Obj) => e['name'] === 'NODE_OPTIONS')['value'])!;
    expect(Number(heap[1]) * 1024 ** 2).to.be.below(quantity(limits['memory']));
  });

  it("the PodMonitor scrapes the DaemonSet's pods on their metrics port", () => {
    const pm = only(docs, 'PodMonitor');
    expect(pm['spec']['selector']['matchLabels']).to.deep.equal(ds['spec']['selector']['matchLabels']);
    for (const [k, v] of Object.entries(pm['spec']['selector']['matchLabels']))
      expect(ds['spec']['template']['metadata']['labels'][k]).to.equal(v);
    expect(pm['spec']['podMetricsEndpoints'][0]['port']).to.equal('metrics');
  });

  it('the PrometheusRule is deploy/prometheus/tcplens-rules.yml and tcp-health-rules.yml, generated (npm run gen:prometheusrule)', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-prometheusrule.js'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const groups = (f: string): Obj[] => (parse(fs.readFileSync(path.join(ROOT, 'deploy/prometheus', f), 'utf8')) as Obj)['groups'];
    const pipeline = groups('tcplens-rules.yml'),
      health = groups('tcp-health-rules.yml');
    expect(only(docs, 'PrometheusRule')['spec']['groups']).to.deep.equal([...pipeline, ...health]);
    expect(pipeline[0]!['rules'].length).to.be.above(5);
    expect(health[0]!['rules'].length).to.equal(5);
  });

  it("the ConfigMap's settings are ones `tcplens run` takes (a run with them as --config starts)", function () {
    this.timeout(60_000);
    const json = only(docs, 'ConfigMap')['data']['tcplens.json'] as string;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlcm-'));
    try {
      const file = path.join(dir, 'tcplens.json');
      fs.writeFileSync(file, json);
      // flags win over the file: stdout instead of the ClickHouse it names, our namespace only
      const r = spawnSync(
        process.execPath,
        [
          BIN,
          'run',
          '--config',
          file,
          '--sink',
          'stdout',
          '--duration',
          '1s',
          '--views',
          'poll',
          '--netns',
          'host',
          '--listen',
          '127.0.0.1:0',
          '--spool-dir',
          path.join(dir, 'spool'),
        ],
        { encoding: 'utf8', timeout: 50_000 },
      );
      expect(r.status, r.stderr.slice(-1500)).to.equal(0);
      expect(r.stderr).to.include('"key":"run.started"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
