import { Chart, Cron } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { PodSysctls } from '../../src';
import { findOne, synthValid, testChart, warningsOf } from '../support';

const STRATEGY_POD_KEYS = {
  'net.core.somaxconn': '32768',
  'net.ipv4.tcp_max_syn_backlog': '16384',
  'net.ipv4.tcp_tw_reuse': '1',
  'net.ipv4.ip_local_port_range': '32768 60999',
};
const AS_SYSCTLS = Object.entries(STRATEGY_POD_KEYS).map(([name, value]) => ({ name, value }));
const UNSAFE_WARNING = 'sysctls net.core.somaxconn, net.ipv4.tcp_max_syn_backlog, net.ipv4.tcp_tw_reuse are outside ' +
  "Kubernetes' safe set (1.27): the pod starts only on nodes whose kubelet allows them (allowedUnsafeSysctls, or " +
  '--allowed-unsafe-sysctls), else it fails with SysctlForbidden, and Pod Security "baseline" and "restricted" ' +
  'reject it, so its namespace must enforce "privileged"';

function deployment(chart: Chart, props: kplus.DeploymentProps = {}): kplus.Deployment {
  return new kplus.Deployment(chart, 'web', {
    containers: [{ image: 'nginx:1.27', portNumber: 8080 }],
    ...props,
  });
}

describe('PodSysctls', () => {
  test('applyTo an existing Deployment sets securityContext.sysctls in its pod template', () => {
    // GIVEN
    const chart = testChart();
    const web = deployment(chart);

    // WHEN
    PodSysctls.of(STRATEGY_POD_KEYS).applyTo(web);

    // THEN
    const spec = findOne(synthValid(chart), 'Deployment').spec.template.spec;
    expect(spec.securityContext.sysctls).toEqual(AS_SYSCTLS);
    // what cdk8s-plus wrote there stays
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(warningsOf(chart)).toEqual([`test/web: ${UNSAFE_WARNING}`]);
  });

  test('applyTo keeps the sysctls the workload already has and merges a second PodSysctls', () => {
    const chart = testChart();
    const web = deployment(chart, {
      securityContext: { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] },
    });

    PodSysctls.of({ 'net.ipv4.ip_local_port_range': '32768 60999' }).applyTo(web);
    PodSysctls.of({ 'net.ipv4.tcp_keepalive_time': '600', 'net.ipv4.ip_local_port_range': '32768 60999' }).applyTo(web);

    expect(findOne(synthValid(chart), 'Deployment').spec.template.spec.securityContext.sysctls).toEqual([
      { name: 'net.ipv4.tcp_syncookies', value: '1' },
      { name: 'net.ipv4.ip_local_port_range', value: '32768 60999' },
      { name: 'net.ipv4.tcp_keepalive_time', value: '600' },
    ]);
  });

  test('applyTo finds the pod spec of a Pod, a StatefulSet and a CronJob', () => {
    const chart = testChart();
    const sysctls = PodSysctls.of({ 'net.ipv4.ip_local_port_range': '32768 60999' });
    const containers = [{ image: 'nginx:1.27' }];
    sysctls.applyTo(new kplus.Pod(chart, 'pod', { containers }));
    sysctls.applyTo(new kplus.StatefulSet(chart, 'sts', {
      containers,
      service: new kplus.Service(chart, 'svc', { ports: [{ port: 80 }] }),
    }));
    sysctls.applyTo(new kplus.CronJob(chart, 'cron', { containers, schedule: Cron.daily() }));

    const docs = synthValid(chart);
    const expected = [{ name: 'net.ipv4.ip_local_port_range', value: '32768 60999' }];
    expect(findOne(docs, 'Pod').spec.securityContext.sysctls).toEqual(expected);
    expect(findOne(docs, 'StatefulSet').spec.template.spec.securityContext.sysctls).toEqual(expected);
    expect(findOne(docs, 'CronJob').spec.jobTemplate.spec.template.spec.securityContext.sysctls).toEqual(expected);
    // only safe keys: nothing to warn about
    expect(warningsOf(chart)).toEqual([]);
  });

  test('toSysctls gives cdk8s-plus securityContext sysctls at construction, and warns on the scope', () => {
    const chart = testChart();
    const sysctls = PodSysctls.of(STRATEGY_POD_KEYS);

    deployment(chart, { securityContext: { sysctls: sysctls.toSysctls(chart) } });

    expect(findOne(synthValid(chart), 'Deployment').spec.template.spec.securityContext.sysctls).toEqual(AS_SYSCTLS);
    expect(warningsOf(chart)).toEqual([`test: ${UNSAFE_WARNING}`]);
  });

  test('unsafe keys depend on the oldest kubelet', () => {
    const keys = { 'net.ipv4.tcp_keepalive_time': '600', 'net.ipv4.tcp_rmem': '4096 131072 6291456' };
    expect(PodSysctls.of(keys).unsafeKeys).toEqual(['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_rmem']);
    expect(PodSysctls.of(keys, { kubernetesMinorVersion: 29 }).unsafeKeys).toEqual(['net.ipv4.tcp_rmem']);
    expect(PodSysctls.of(keys, { kubernetesMinorVersion: 32 }).unsafeKeys).toEqual([]);

    const chart = testChart();
    PodSysctls.of(keys, { kubernetesMinorVersion: 29 }).toSysctls(chart);
    expect(warningsOf(chart)).toEqual([expect.stringContaining("sysctls net.ipv4.tcp_rmem are outside Kubernetes' safe set (1.29)")]);
  });

  test('safeOnly keeps the keys a baseline or restricted namespace admits, on the oldest kubelet', () => {
    const chart = testChart();
    const safe = PodSysctls.of(STRATEGY_POD_KEYS).safeOnly();
    expect(safe.sysctls).toEqual([{ name: 'net.ipv4.ip_local_port_range', value: '32768 60999' }]);
    expect(safe.unsafeKeys).toEqual([]);
    safe.toSysctls(chart);
    expect(warningsOf(chart)).toEqual([]);
    const keys = { 'net.ipv4.tcp_keepalive_time': '600', 'net.core.somaxconn': '1024' };
    expect(PodSysctls.of(keys, { kubernetesMinorVersion: 29 }).safeOnly().sysctls).toEqual([{ name: 'net.ipv4.tcp_keepalive_time', value: '600' }]);
  });

  test('the sysctls are a copy', () => {
    const sysctls = PodSysctls.of({ 'net.core.somaxconn': '1024' });
    (sysctls.sysctls[0] as any).value = '1';
    expect(sysctls.sysctls).toEqual([{ name: 'net.core.somaxconn', value: '1024' }]);
  });

  test('rejects node-level keys: the kubelet refuses them in pods', () => {
    expect(() => PodSysctls.of({ 'fs.file-max': '2097152' })).toThrow(
      'invalid sysctls key "fs.file-max": is node-level, and the kubelet rejects node-level sysctls in pods; set it on the nodes with TunedNodePool');
    expect(() => PodSysctls.of({ 'net.netfilter.nf_conntrack_max': '262144' })).toThrow('is node-level');
  });

  test('rejects malformed keys and values', () => {
    expect(() => PodSysctls.of({ 'net.core.SOMAXCONN': '1' })).toThrow('invalid sysctls key "net.core.SOMAXCONN": must be a sysctl name');
    expect(() => PodSysctls.of({ 'net.core.somaxconn': 'x' })).toThrow('invalid sysctls["net.core.somaxconn"] "x": must be an integer');
  });

  test('rejects a Kubernetes version older than the library supports', () => {
    expect(() => PodSysctls.of({}, { kubernetesMinorVersion: 26 })).toThrow(
      'invalid kubernetesMinorVersion 26: must be an integer of at least 27 (Kubernetes 1.27, the oldest this library supports)');
    expect(() => PodSysctls.of({}, { kubernetesMinorVersion: 29.5 })).toThrow('invalid kubernetesMinorVersion 29.5');
  });

  test('rejects network keys on a host-network pod', () => {
    const chart = testChart();
    const web = deployment(chart, { hostNetwork: true });
    expect(() => PodSysctls.of(STRATEGY_POD_KEYS).applyTo(web)).toThrow(
      "test/web: invalid hostNetwork true: a pod on the host network shares the node's network namespace, and the kubelet " +
      'rejects net.core.somaxconn there; tune the node with TunedNodePool instead');
  });

  test('rejects a key the workload already sets to another value', () => {
    const chart = testChart();
    const web = deployment(chart, { securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '4096' }] } });
    expect(() => PodSysctls.of(STRATEGY_POD_KEYS).applyTo(web)).toThrow(
      'test/web: invalid securityContext.sysctls["net.core.somaxconn"] "4096": conflicts with "32768" from PodSysctls; set each key once');
    // nothing was half applied
    expect(findOne(synthValid(chart), 'Deployment').spec.template.spec.securityContext.sysctls)
      .toEqual([{ name: 'net.core.somaxconn', value: '4096' }]);
  });
});
