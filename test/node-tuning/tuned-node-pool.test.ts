import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { TunedNodePool } from '../../src';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';

const STRATEGY_SYSCTLS = {
  'fs.file-max': '2097152',
  'net.netfilter.nf_conntrack_max': '262144',
  'net.core.somaxconn': '32768',
  'net.ipv4.tcp_max_syn_backlog': '16384',
  'net.ipv4.tcp_tw_reuse': '1',
  'net.ipv4.ip_local_port_range': '32768 60999',
};
const DIGEST = 'sha256:' + 'ab'.repeat(32);

/** The values of the synthesized ConfigMap, as the script reads them (`[?]key=value` or `[?]key>=value`). */
function appliedValues(docs: any[], name = 'node-tuning'): Record<string, string> {
  const conf: string = findOne(docs, 'ConfigMap', name).data['tuning.conf'];
  expect(conf.endsWith('\n')).toBe(true);
  return Object.fromEntries(conf.trimEnd().split('\n').map(line => {
    const i = line.indexOf('=');
    return [line.slice(0, i).replace(/>$/, '').replace(/^\?/, ''), line.slice(i + 1)];
  }));
}

describe('TunedNodePool', () => {
  test('defaults: exactly the six values of the strategy, on every Linux node', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const pool = new TunedNodePool(chart, 'tuning');

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(docs.map(d => `${d.kind}/${d.metadata.name}`)).toEqual([
      'Namespace/node-tuning', 'ResourceQuota/critical-pods', 'ConfigMap/node-tuning', 'DaemonSet/node-tuning',
    ]);
    expect(appliedValues(docs)).toEqual(STRATEGY_SYSCTLS);
    expect(Object.keys(appliedValues(docs))).toEqual(Object.keys(STRATEGY_SYSCTLS));
    expect(pool.sysctls).toEqual(STRATEGY_SYSCTLS);
    expect(TunedNodePool.DEFAULT_SYSCTLS).toEqual(STRATEGY_SYSCTLS);
    expect(pool.namespace).toBe('node-tuning');
    // limits are floors: a node that already has more keeps it; the file is the script's syntax, not sysctl.conf's
    expect(Object.keys(findOne(docs, 'ConfigMap').data)).toEqual(['tune.sh', 'tuning.conf']);
    expect(findOne(docs, 'ConfigMap').data['tuning.conf']).toBe([
      'fs.file-max>=2097152',
      'net.netfilter.nf_conntrack_max>=262144',
      'net.core.somaxconn>=32768',
      'net.ipv4.tcp_max_syn_backlog>=16384',
      'net.ipv4.tcp_tw_reuse=1',
      'net.ipv4.ip_local_port_range=32768 60999',
      '',
    ].join('\n'));

    const spec = findOne(docs, 'DaemonSet').spec.template.spec;
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(spec.hostIPC).toBeUndefined();
    expect(findOne(docs, 'DaemonSet').metadata.namespace).toBe('node-tuning');
  });

  test('all options: own name, added, overridden and dropped keys, a node pool, image digest, resources', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const pool = new TunedNodePool(chart, 'tuning', {
      name: 'mesh-node-tuning',
      sysctls: {
        'net.core.somaxconn': '65535',
        'vm.max_map_count': '262144',
        'kernel.msgmnb': '65536',
      },
      excludeSysctls: ['net.ipv4.tcp_tw_reuse'],
      nodeSelector: { 'cloud.example.com/pool': 'mesh' },
      tolerations: [kplus.NodeTaintQuery.is('dedicated', 'mesh', { effect: kplus.TaintEffect.NO_SCHEDULE })],
      interval: Duration.seconds(30),
      image: 'registry.example.com/mirror/busybox:1.37.0',
      imageDigest: DIGEST,
      resources: {
        cpu: { request: kplus.Cpu.millis(5), limit: kplus.Cpu.millis(50) },
        memory: { request: Size.mebibytes(8), limit: Size.mebibytes(16) },
        ephemeralStorage: { request: Size.mebibytes(1), limit: Size.mebibytes(2) },
      },
      keepHigherLimits: false,
      optionalSysctls: ['net.netfilter.nf_conntrack_max'],
      warnNodeOnlyKeys: false,
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    // every value exact; conntrack may be absent from a node
    const conf = findOne(docs, 'ConfigMap').data['tuning.conf'];
    expect(conf).not.toContain('>=');
    expect(conf.split('\n').filter((l: string) => l.startsWith('?'))).toEqual(['?net.netfilter.nf_conntrack_max=262144']);
    expect(appliedValues(docs, 'mesh-node-tuning')).toEqual({
      'fs.file-max': '2097152',
      'net.netfilter.nf_conntrack_max': '262144',
      'net.core.somaxconn': '65535',
      'net.ipv4.tcp_max_syn_backlog': '16384',
      'net.ipv4.ip_local_port_range': '32768 60999',
      'vm.max_map_count': '262144',
      'kernel.msgmnb': '65536',
    });
    expect(findOne(docs, 'Namespace').metadata.name).toBe('mesh-node-tuning');
    const daemonSet = findOne(docs, 'DaemonSet', 'mesh-node-tuning');
    expect(daemonSet.metadata.namespace).toBe('mesh-node-tuning');
    const spec = daemonSet.spec.template.spec;
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'cloud.example.com/pool': 'mesh' });
    expect(spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'mesh', effect: 'NoSchedule' }]);
    // kernel.msg* lives in the IPC namespace: only the node's is worth setting
    expect(spec.hostIPC).toBe(true);
    for (const c of [...spec.initContainers, ...spec.containers]) {
      expect(c.image).toBe(`registry.example.com/mirror/busybox:1.37.0@${DIGEST}`);
      expect(c.resources).toEqual({
        requests: { 'cpu': '5m', 'memory': '8Mi', 'ephemeral-storage': '1Mi' },
        limits: { 'cpu': '50m', 'memory': '16Mi', 'ephemeral-storage': '2Mi' },
      });
    }
    expect(spec.containers[0].env).toEqual([{ name: 'INTERVAL_SECONDS', value: '30' }]);
    // the pods' share: the per-namespace keys, network and IPC (a pod's IPC namespace starts from
    // the kernel defaults too)
    expect(pool.podSysctls.sysctls).toEqual([
      { name: 'net.core.somaxconn', value: '65535' },
      { name: 'net.ipv4.tcp_max_syn_backlog', value: '16384' },
      { name: 'net.ipv4.ip_local_port_range', value: '32768 60999' },
      { name: 'kernel.msgmnb', value: '65536' },
    ]);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('runs privileged on the host network, in its own privileged namespace, and nothing more', () => {
    const chart = testChart();
    new TunedNodePool(chart, 'tuning');
    const docs = synthValid(chart);

    expect(findOne(docs, 'Namespace').metadata.labels).toEqual({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/audit': 'privileged',
      'pod-security.kubernetes.io/warn': 'privileged',
      'istio-injection': 'disabled',
      'app.kubernetes.io/managed-by': 'cdk8s-mesh',
    });
    const daemonSet = findOne(docs, 'DaemonSet');
    expect(daemonSet.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    const template = daemonSet.spec.template;
    expect(template.metadata.labels['sidecar.istio.io/inject']).toBe('false');
    expect(template.metadata.annotations['cdk8s-mesh/config-sha256']).toMatch(/^[0-9a-f]{64}$/);
    const spec = template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.hostPID).toBeUndefined();
    expect(spec.priorityClassName).toBe('system-node-critical');
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.volumes).toEqual([{ name: 'config', configMap: { name: 'node-tuning' } }]);

    const [init] = spec.initContainers;
    const [enforce] = spec.containers;
    expect(init.name).toBe('apply');
    expect(init.command).toEqual(['sh', '/etc/node-tuning/tune.sh', 'apply']);
    expect(enforce.name).toBe('enforce');
    expect(enforce.command).toEqual(['sh', '/etc/node-tuning/tune.sh', 'watch']);
    expect(enforce.env).toEqual([{ name: 'INTERVAL_SECONDS', value: '60' }]);
    expect(enforce.readinessProbe).toEqual({
      exec: { command: ['sh', '/etc/node-tuning/tune.sh', 'verify'] },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 1,
    });
    for (const c of [init, enforce]) {
      // privileged is what makes /proc/sys writable; no capabilities on top
      expect(c.securityContext).toEqual({ privileged: true, runAsUser: 0, readOnlyRootFilesystem: true });
      expect(c.image).toBe('docker.io/library/busybox:1.37.0');
      expect(c.imagePullPolicy).toBe('IfNotPresent');
      expect(c.resources).toEqual({ requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } });
      expect(c.volumeMounts).toEqual([{ name: 'config', mountPath: '/etc/node-tuning', readOnly: true }]);
    }

    // lets system-node-critical pods run outside kube-system where that is limited (GKE)
    expect(findOne(docs, 'ResourceQuota').spec).toEqual({
      hard: { pods: 5000 },
      scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical'] }] },
    });
  });

  test('a changed value changes the pod template, so the DaemonSet rolls', () => {
    const hash = (sysctls?: Record<string, string>) => {
      const chart = testChart();
      new TunedNodePool(chart, 'tuning', { sysctls });
      return findOne(synthValid(chart), 'DaemonSet').spec.template.metadata.annotations['cdk8s-mesh/config-sha256'];
    };
    expect(hash()).toBe(hash());
    expect(hash({ 'fs.file-max': '4194304' })).not.toBe(hash());
  });

  test('warns when per-network-namespace keys reach no pod', () => {
    const chart = testChart();
    new TunedNodePool(chart, 'tuning');
    synthValid(chart);
    expect(warningsOf(chart)).toEqual([
      'test/tuning: net.core.somaxconn, net.ipv4.tcp_max_syn_backlog, net.ipv4.tcp_tw_reuse, net.ipv4.ip_local_port_range ' +
      "are per network namespace: the node's value does not reach pods, which start from the kernel default " +
      '(kubernetes/kubernetes#78977), and no pod in this app sets them; apply podSysctls to the workloads that need them ' +
      '(pool.podSysctls.applyTo(deployment)), or set warnNodeOnlyKeys: false when they are set elsewhere or cannot be ' +
      '(unsafe keys in a namespace that enforces Pod Security "baseline" or "restricted")',
    ]);
  });

  test('podSysctls applied to a workload gives it the keys and silences that warning', () => {
    const chart = testChart();
    const pool = new TunedNodePool(chart, 'tuning');
    const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'nginx:1.27', portNumber: 8080 }] });

    pool.podSysctls.applyTo(web);

    const docs = synthValid(chart);
    expect(findOne(docs, 'Deployment').spec.template.spec.securityContext.sysctls).toEqual([
      { name: 'net.core.somaxconn', value: '32768' },
      { name: 'net.ipv4.tcp_max_syn_backlog', value: '16384' },
      { name: 'net.ipv4.tcp_tw_reuse', value: '1' },
      { name: 'net.ipv4.ip_local_port_range', value: '32768 60999' },
    ]);
    // what is left is the kubelet warning for the unsafe keys, on the workload
    expect(warningsOf(chart)).toEqual([expect.stringMatching(/^test\/web: sysctls net.core.somaxconn, /)]);
  });

  test('names only the keys no pod sets', () => {
    const chart = testChart();
    const pool = new TunedNodePool(chart, 'tuning', { excludeSysctls: ['net.core.somaxconn', 'net.ipv4.tcp_max_syn_backlog', 'net.ipv4.tcp_tw_reuse'] });
    expect(pool.podSysctls.sysctls).toEqual([{ name: 'net.ipv4.ip_local_port_range', value: '32768 60999' }]);
    synthValid(chart);
    expect(warningsOf(chart)).toEqual([expect.stringContaining(
      'test/tuning: net.ipv4.ip_local_port_range is per network namespace: the node\'s value does not reach pods')]);
  });

  test('IPC keys set on the node reach no pod either, and are named', () => {
    const chart = testChart();
    const pool = new TunedNodePool(chart, 'tuning', {
      sysctls: { 'kernel.shmmax': '68719476736' },
      excludeSysctls: ['net.core.somaxconn', 'net.ipv4.tcp_max_syn_backlog', 'net.ipv4.tcp_tw_reuse'],
    });
    expect(pool.podSysctls.sysctls).toEqual([
      { name: 'net.ipv4.ip_local_port_range', value: '32768 60999' },
      { name: 'kernel.shmmax', value: '68719476736' },
    ]);
    synthValid(chart);
    expect(warningsOf(chart)).toEqual([expect.stringMatching(
      /^test\/tuning: net\.ipv4\.ip_local_port_range is per network namespace and kernel\.shmmax is per IPC namespace: the node's value does not reach pods, .* no pod in this app sets them;/)]);
  });

  test('no warning without per-namespace keys', () => {
    const chart = testChart();
    new TunedNodePool(chart, 'tuning', {
      excludeSysctls: ['net.core.somaxconn', 'net.ipv4.tcp_max_syn_backlog', 'net.ipv4.tcp_tw_reuse', 'net.ipv4.ip_local_port_range'],
    });
    synthValid(chart);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('escape hatch: a JSON patch on the DaemonSet survives synth', () => {
    const chart = testChart();
    const pool = new TunedNodePool(chart, 'tuning');
    pool.daemonSet.addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 5));
    expect(findOne(synthValid(chart), 'DaemonSet').spec.minReadySeconds).toBe(5);
  });

  describe('bad input', () => {
    const pool = (props: ConstructorParameters<typeof TunedNodePool>[2]) => () => new TunedNodePool(testChart(), 'tuning', props);

    test('a malformed or unknown key', () => {
      expect(pool({ sysctls: { 'net.core.somaxconn ': '1' } })).toThrow(
        'test/tuning: invalid sysctls key "net.core.somaxconn ": must be a sysctl name: lowercase dot-separated segments');
      expect(pool({ sysctls: { 'network.core.somaxconn': '1' } })).toThrow(
        'test/tuning: invalid sysctls key "network.core.somaxconn": unknown sysctl: it must start with one of abi, crypto');
    });

    test('a value of the wrong shape', () => {
      expect(pool({ sysctls: { 'fs.file-max': '2M' } })).toThrow(
        'test/tuning: invalid sysctls["fs.file-max"] "2M": must be an integer from 1 to 9223372036854775807');
      expect(pool({ sysctls: { 'net.ipv4.tcp_tw_reuse': '3' } })).toThrow(
        'test/tuning: invalid sysctls["net.ipv4.tcp_tw_reuse"] "3": must be an integer from 0 to 2');
    });

    test('a port range with low >= high or outside 1-65535', () => {
      expect(pool({ sysctls: { 'net.ipv4.ip_local_port_range': '60999 32768' } })).toThrow(
        'test/tuning: invalid sysctls["net.ipv4.ip_local_port_range"] "60999 32768": must be two ports from 1 to 65535, low then high, with low < high');
      expect(pool({ sysctls: { 'net.ipv4.ip_local_port_range': '1024 70000' } })).toThrow('must be two ports from 1 to 65535');
    });

    test('excluding a key that is not a default, or that is also set', () => {
      expect(pool({ excludeSysctls: ['vm.swappiness'] })).toThrow(
        'test/tuning: invalid excludeSysctls "vm.swappiness": is not a default key; the defaults are fs.file-max, net.netfilter.nf_conntrack_max, ' +
        'net.core.somaxconn, net.ipv4.tcp_max_syn_backlog, net.ipv4.tcp_tw_reuse, net.ipv4.ip_local_port_range');
      expect(pool({ sysctls: { 'fs.file-max': '1048576' }, excludeSysctls: ['fs.file-max'] })).toThrow(
        'test/tuning: invalid excludeSysctls "fs.file-max": is also set in sysctls; keep it in one of the two');
    });

    test('nothing left to apply', () => {
      expect(pool({ excludeSysctls: Object.keys(STRATEGY_SYSCTLS) })).toThrow(
        'test/tuning: invalid excludeSysctls ["fs.file-max",');
      expect(pool({ excludeSysctls: Object.keys(STRATEGY_SYSCTLS) })).toThrow(
        'leaves no kernel parameter to apply; keep at least one or set sysctls');
    });

    test('an empty node selector when selecting a pool', () => {
      expect(pool({ nodeSelector: {} })).toThrow(
        'test/tuning: invalid nodeSelector {}: must name at least one node label to select the pool (e.g. { "node-pool": "mesh" }); ' +
        'leave it out to tune every Linux node');
    });

    test('a node selector that is no label', () => {
      expect(pool({ nodeSelector: { 'node pool': 'mesh' } })).toThrow(
        'test/tuning: invalid nodeSelector key "node pool": must be a label key');
      expect(pool({ nodeSelector: { pool: 'mesh/a' } })).toThrow(
        'test/tuning: invalid nodeSelector["pool"] "mesh/a": must be a label value');
    });

    test('an interval that is not whole seconds', () => {
      expect(pool({ interval: Duration.millis(1500) })).toThrow(
        'test/tuning: invalid interval "1500ms": must be a whole number of seconds, at least 1 (e.g. Duration.minutes(1))');
      expect(pool({ interval: Duration.seconds(0) })).toThrow('invalid interval "0ms"');
    });

    test('an image that pins no version', () => {
      const rule = 'must pin a version: a tag other than "latest" (e.g. busybox:1.37.0) or a digest (imageDigest), so nodes do not drift';
      expect(pool({ image: 'busybox' })).toThrow(`test/tuning: invalid image "busybox": ${rule}`);
      expect(pool({ image: 'registry:5000/busybox' })).toThrow(rule);
      expect(pool({ image: 'busybox:latest' })).toThrow(rule);
      expect(pool({ image: 'busy box:1' })).toThrow('test/tuning: invalid image "busy box:1": must be an image reference');
      // a digest pins it
      expect(pool({ image: 'busybox', imageDigest: DIGEST })).not.toThrow();
      expect(pool({ image: `busybox@${DIGEST}` })).not.toThrow();
    });

    test('a malformed digest, or two digests', () => {
      expect(pool({ imageDigest: 'sha256:abc' })).toThrow(
        'test/tuning: invalid imageDigest "sha256:abc": must be "sha256:" and 64 lowercase hex digits');
      expect(pool({ image: `busybox@${DIGEST}`, imageDigest: DIGEST })).toThrow(
        `test/tuning: invalid image "busybox@${DIGEST}": already carries a digest; give the digest in one place`);
    });

    test('a request above its limit', () => {
      expect(pool({ resources: { cpu: { request: kplus.Cpu.units(1), limit: kplus.Cpu.millis(100) } } })).toThrow(
        'test/tuning: invalid resources.cpu.limit "100m": must not be lower than the request (1); raise the limit or lower the request');
      expect(pool({ resources: { memory: { request: Size.mebibytes(64), limit: Size.mebibytes(32) } } })).toThrow(
        'test/tuning: invalid resources.memory.limit "32Mi": must not be lower than the request (64Mi); raise the limit or lower the request');
    });

    test('an optional key the pool does not set', () => {
      expect(pool({ optionalSysctls: ['vm.swappiness'] })).toThrow(
        'test/tuning: invalid optionalSysctls "vm.swappiness": is not a key this pool sets; its keys are fs.file-max, ' +
        'net.netfilter.nf_conntrack_max, net.core.somaxconn, net.ipv4.tcp_max_syn_backlog, net.ipv4.tcp_tw_reuse, net.ipv4.ip_local_port_range');
      expect(pool({ excludeSysctls: ['net.netfilter.nf_conntrack_max'], optionalSysctls: ['net.netfilter.nf_conntrack_max'] }))
        .toThrow('invalid optionalSysctls "net.netfilter.nf_conntrack_max": is not a key this pool sets');
    });

    test('a name that is no namespace name', () => {
      expect(pool({ name: 'Node_Tuning' })).toThrow('test/tuning: invalid name "Node_Tuning": must be an RFC 1123 label');
    });
  });
});

describe('the tuning script', () => {
  // Runs the emitted script against a stand-in /proc/sys (PROC_SYS) and a stand-in for sysctl over
  // it: a key exists while its file does, and values read back the way the kernel shows them
  // (multi-value keys separated by tabs). REFUSE names a key the kernel refuses to set.
  const FAKE_SYSCTL = `#!/bin/sh
file="$PROC_SYS/$(printf '%s' "\${2%%=*}" | tr . /)"
case "$1" in
  -w) [ -f "$file" ] || { echo "sysctl: error: '\${2%%=*}' is an unknown key" >&2; exit 1; }
      [ "\${2%%=*}" = "\${REFUSE:-}" ] && { echo "sysctl: error setting key: Invalid argument" >&2; exit 1; }
      printf '%s\\n' "\${2#*=}" | tr ' ' '\\t' > "$file" ;;
  -n) [ -f "$file" ] || exit 1; cat "$file" ;;
esac
`;
  // What a node's kernel starts with: every key of the defaults, at a kernel default.
  const KERNEL = {
    'fs.file-max': '1048576',
    'net.netfilter.nf_conntrack_max': '131072',
    'net.core.somaxconn': '4096',
    'net.ipv4.tcp_max_syn_backlog': '1024',
    'net.ipv4.tcp_tw_reuse': '2',
    'net.ipv4.ip_local_port_range': '32768\t60999',
  };

  interface Node {
    readonly run: (mode: string, env?: Record<string, string>) => { status: number; stderr: string };
    readonly read: (key: string) => string;
    readonly write: (key: string, value: string) => void;
    readonly remove: (key: string) => void;
  }

  function setUp(props: ConstructorParameters<typeof TunedNodePool>[2] = {}): Node {
    const chart = testChart();
    new TunedNodePool(chart, 'tuning', { warnNodeOnlyKeys: false, ...props });
    const data = findOne(synthValid(chart), 'ConfigMap').data;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-tuning-'));
    const proc = path.join(dir, 'proc', 'sys');
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'tune.sh'), data['tune.sh']);
    fs.writeFileSync(path.join(dir, 'tuning.conf'), data['tuning.conf']);
    fs.writeFileSync(path.join(dir, 'bin', 'sysctl'), FAKE_SYSCTL, { mode: 0o755 });
    const file = (key: string) => path.join(proc, ...key.split('.'));
    const write = (key: string, value: string) => {
      fs.mkdirSync(path.dirname(file(key)), { recursive: true });
      fs.writeFileSync(file(key), `${value}\n`);
    };
    Object.entries(KERNEL).forEach(([key, value]) => write(key, value));
    const run = (mode: string, env: Record<string, string> = {}) => {
      const result = spawnSync('sh', [path.join(dir, 'tune.sh'), mode], {
        env: { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`, PROC_SYS: proc, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
      return { status: result.status ?? -1, stderr: result.stderr };
    };
    return {
      run,
      write,
      read: key => fs.readFileSync(file(key), 'utf8'),
      remove: key => fs.rmSync(file(key)),
    };
  }

  test('apply sets every value, and verify then passes', () => {
    const node = setUp();
    expect(node.run('verify').status).toBe(1);
    expect(node.run('apply')).toEqual({ status: 0, stderr: '' });
    expect(node.read('net.ipv4.ip_local_port_range')).toBe('32768\t60999\n');
    expect(node.read('fs.file-max')).toBe('2097152\n');
    expect(node.read('net.ipv4.tcp_tw_reuse')).toBe('1\n');
    expect(node.run('verify')).toEqual({ status: 0, stderr: '' });
  });

  test('verify fails, naming the key, once a value drifts', () => {
    const node = setUp();
    node.run('apply');
    // what kube-proxy does when it starts
    node.write('net.netfilter.nf_conntrack_max', '131072');
    expect(node.run('verify')).toEqual({ status: 1, stderr: 'net.netfilter.nf_conntrack_max is 131072, want at least 262144\n' });
    node.run('apply');
    expect(node.run('verify').status).toBe(0);
    expect(node.read('net.netfilter.nf_conntrack_max')).toBe('262144\n');
  });

  test('a limit the node already exceeds stays; an exact key is set back', () => {
    const node = setUp();
    node.run('apply');
    // kube-proxy on 16 cores, systemd at boot, and a hand-made change
    node.write('net.netfilter.nf_conntrack_max', '524288');
    node.write('fs.file-max', '9223372036854775807');
    node.write('net.ipv4.tcp_tw_reuse', '2');
    expect(node.run('verify')).toEqual({ status: 1, stderr: 'net.ipv4.tcp_tw_reuse is 2, want 1\n' });
    node.run('apply');
    expect(node.run('verify').status).toBe(0);
    expect(node.read('net.netfilter.nf_conntrack_max')).toBe('524288\n');
    expect(node.read('fs.file-max')).toBe('9223372036854775807\n');
    expect(node.read('net.ipv4.tcp_tw_reuse')).toBe('1\n');
  });

  test('a key the node lacks is reported and skipped: the others are set, the init container succeeds, readiness fails', () => {
    const node = setUp();
    // a node without kube-proxy: nothing loaded nf_conntrack
    node.remove('net.netfilter.nf_conntrack_max');
    const applied = node.run('apply');
    expect(applied.status).toBe(0);
    expect(applied.stderr).toBe([
      'net.netfilter.nf_conntrack_max is not on this node (is its kernel module loaded?): skipped',
      'net.netfilter.nf_conntrack_max is not on this node, want at least 262144',
      'not every value is in place: the readiness probe reports it until it is',
      '',
    ].join('\n'));
    expect(node.read('fs.file-max')).toBe('2097152\n');
    expect(node.read('net.ipv4.tcp_tw_reuse')).toBe('1\n');
    expect(node.run('verify')).toEqual({ status: 1, stderr: 'net.netfilter.nf_conntrack_max is not on this node, want at least 262144\n' });

    // the module loads later (kube-proxy starts): the next apply sets it
    node.write('net.netfilter.nf_conntrack_max', '131072');
    node.run('apply');
    expect(node.run('verify')).toEqual({ status: 0, stderr: '' });
    expect(node.read('net.netfilter.nf_conntrack_max')).toBe('262144\n');
  });

  test('an optional key the node lacks is skipped silently and the tuner is ready; present, it is enforced', () => {
    const node = setUp({ optionalSysctls: ['net.netfilter.nf_conntrack_max'] });
    node.remove('net.netfilter.nf_conntrack_max');
    expect(node.run('apply')).toEqual({ status: 0, stderr: '' });
    expect(node.run('verify')).toEqual({ status: 0, stderr: '' });
    expect(node.read('fs.file-max')).toBe('2097152\n');

    node.write('net.netfilter.nf_conntrack_max', '131072');
    expect(node.run('verify')).toEqual({ status: 1, stderr: 'net.netfilter.nf_conntrack_max is 131072, want at least 262144\n' });
    node.run('apply');
    expect(node.read('net.netfilter.nf_conntrack_max')).toBe('262144\n');
  });

  test('a value the kernel refuses is reported; the others are set, and verify keeps failing', () => {
    const node = setUp();
    const result = node.run('apply', { REFUSE: 'net.core.somaxconn' });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('cannot set net.core.somaxconn to 32768: skipped\n');
    expect(node.read('net.ipv4.tcp_max_syn_backlog')).toBe('16384\n');
    expect(node.run('verify')).toEqual({ status: 1, stderr: 'net.core.somaxconn is 4096, want at least 32768\n' });
  });

  test('an unknown mode is an error', () => {
    expect(setUp().run('explode').status).toBe(2);
  });
});

describe('TunedNodePool and other constructs', () => {
  test('two pools in one app get their own namespaces', () => {
    const chart = testChart();
    new TunedNodePool(chart, 'default', { warnNodeOnlyKeys: false });
    new TunedNodePool(chart, 'gateways', { name: 'gateway-node-tuning', nodeSelector: { role: 'gateway' }, warnNodeOnlyKeys: false });
    expect(findAll(synthValid(chart), 'Namespace').map(n => n.metadata.name)).toEqual(['node-tuning', 'gateway-node-tuning']);
  });
});

test('the defaults and a pool\'s values cannot be changed behind its back', () => {
  const pool = new TunedNodePool(testChart(), 'tuning', { warnNodeOnlyKeys: false });
  expect(Object.isFrozen(TunedNodePool.DEFAULT_SYSCTLS)).toBe(true);
  expect(Object.isFrozen(pool.sysctls)).toBe(true);
});
