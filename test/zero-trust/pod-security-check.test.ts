import { Cron } from 'cdk8s';
import { CronJob, Deployment, Pod, k8s } from 'cdk8s-plus-27';
import { PodSecurity, PodSecurityLevel, ZeroTrustNamespace } from '../../src';
import { podSecurityViolations } from '../../src/zero-trust/pod-security-check';
import { findOne, synthValid, testChart } from '../support';

/** A pod spec that "restricted" admits. */
const compliant = () => ({
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{
    name: 'app',
    image: 'app:1',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
  }],
  volumes: [{ name: 'tmp', emptyDir: {} }],
});

describe('podSecurityViolations', () => {
  test('a compliant pod passes every level', () => {
    for (const level of [PodSecurityLevel.RESTRICTED, PodSecurityLevel.BASELINE, PodSecurityLevel.PRIVILEGED]) {
      expect(podSecurityViolations(level, { spec: compliant() })).toEqual([]);
    }
  });

  test('baseline: host namespaces, privileged, capabilities, hostPath, hostPort, unsafe sysctls, seccomp', () => {
    const spec: any = compliant();
    spec.hostNetwork = true;
    spec.securityContext.sysctls = [{ name: 'net.core.somaxconn', value: '32768' }, { name: 'net.ipv4.ip_local_port_range', value: '32768 60999' }];
    spec.securityContext.seccompProfile = { type: 'Unconfined' };
    spec.volumes.push({ name: 'host', hostPath: { path: '/proc' } });
    spec.initContainers = [{ name: 'init', securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN'] } }, ports: [{ containerPort: 80, hostPort: 80 }] }];
    expect(podSecurityViolations(PodSecurityLevel.BASELINE, { spec })).toEqual([
      'hostNetwork must not be true',
      'volume "host" must not be a hostPath',
      'sysctl net.core.somaxconn is not in Kubernetes\' safe set',
      'the pod seccompProfile must not be Unconfined',
      'container "init" must not be privileged',
      'container "init" must not add capability NET_ADMIN',
      'container "init" must not use hostPort 80',
    ]);
  });

  test('restricted: privilege escalation, root, seccomp, capabilities, volume types', () => {
    const spec: any = {
      containers: [{ name: 'app', securityContext: { runAsUser: 0, capabilities: { add: ['CHOWN'] } } }],
      volumes: [{ name: 'data', nfs: { server: 'nfs', path: '/' } }],
    };
    expect(podSecurityViolations(PodSecurityLevel.RESTRICTED, { spec })).toEqual([
      'volume "data" of type nfs is not allowed',
      'container "app" must set allowPrivilegeEscalation: false',
      'container "app" must run as non-root (runAsNonRoot: true)',
      'container "app" must not run as user 0',
      'container "app" must have seccompProfile RuntimeDefault or Localhost (on the container or the pod)',
      'container "app" must drop ALL capabilities',
      'container "app" may add only NET_BIND_SERVICE, not CHOWN',
    ]);
    // baseline allows all of that
    expect(podSecurityViolations(PodSecurityLevel.BASELINE, { spec })).toEqual([]);
  });
});

describe('ZeroTrustNamespace checks the pods the app puts in it', () => {
  test('a plain cdk8s-plus Deployment is rejected by "restricted", with the fix', () => {
    const chart = testChart();
    new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
    new Deployment(chart, 'web', { metadata: { namespace: 'payments' }, containers: [{ image: 'web:1' }] });
    expect(() => synthValid(chart)).toThrow(
      /\[test\/payments\] workload Deployment\/test-web-\w+ would be rejected by the Pod Security level "restricted" of namespace payments: container "main" must have seccompProfile RuntimeDefault or Localhost \(on the container or the pod\); container "main" must drop ALL capabilities; fix its pod spec \(PodSecurity.restrict\(\) completes a cdk8s-plus workload for "restricted"\) or lower the podSecurity of the namespace/);
  });

  test('PodSecurity.restrict() makes Deployments, Pods and CronJobs pass "restricted"', () => {
    const chart = testChart();
    new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
    const web = new Deployment(chart, 'web', { metadata: { namespace: 'payments' }, containers: [{ image: 'web:1' }], initContainers: [{ image: 'init:1' }] });
    const pod = new Pod(chart, 'pod', { metadata: { namespace: 'payments' }, containers: [{ image: 'pod:1' }] });
    const job = new CronJob(chart, 'job', { metadata: { namespace: 'payments' }, schedule: Cron.hourly(), containers: [{ image: 'job:1' }] });
    for (const w of [web, pod, job]) PodSecurity.restrict(w);

    const docs = synthValid(chart);
    const deployment = findOne(docs, 'Deployment').spec.template.spec;
    expect(deployment.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(deployment.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(deployment.initContainers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(findOne(docs, 'Pod').spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(findOne(docs, 'CronJob').spec.jobTemplate.spec.template.spec.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });

  test('the workloads are read once per synth: a later synth sees a workload added since', async () => {
    const chart = testChart();
    new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
    synthValid(chart);
    await Promise.resolve(); // the synth is over

    new Deployment(chart, 'web', { metadata: { namespace: 'payments' }, containers: [{ image: 'web:1' }] });
    expect(() => synthValid(chart)).toThrow('workload Deployment/test-web');
  });

  test('"privileged" checks nothing; workloads of other namespaces are not checked', () => {
    const chart = testChart();
    new ZeroTrustNamespace(chart, 'tools', { name: 'tools', podSecurity: PodSecurityLevel.PRIVILEGED });
    new ZeroTrustNamespace(chart, 'payments', { name: 'payments' });
    new k8s.KubePod(chart, 'debug', { metadata: { name: 'debug', namespace: 'tools' }, spec: { hostNetwork: true, containers: [{ name: 'sh', image: 'busybox:1' }] } });
    new k8s.KubePod(chart, 'other', { metadata: { name: 'other', namespace: 'elsewhere' }, spec: { containers: [{ name: 'sh', image: 'busybox:1' }] } });
    expect(findOne(synthValid(chart), 'Pod', 'debug').spec.hostNetwork).toBe(true);
  });
});
