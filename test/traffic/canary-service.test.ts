import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { CANARY, newService, paymentService, ServiceProps, STABLE, synthService } from './fixtures';
import { AppProtocol, IMeshService, PodSysctls, ZeroTrustNamespace } from '../../src';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';


const minimal = paymentService;
const synth = synthService;

function primaryRoute(docs: any[]) {
  return findOne(docs, 'VirtualService').spec.http.find((r: any) => r.name === 'primary');
}

describe('CanaryService', () => {
  test('defaults: one stable version takes all traffic, with mTLS and circuit breaking', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    newService(chart, 'payment', minimal());

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(docs.map(d => `${d.kind}/${d.metadata.name}`)).toEqual([
      'ServiceAccount/payment-service',
      'Service/payment-service',
      'Deployment/payment-service-v1',
      'PodDisruptionBudget/payment-service-v1',
      'DestinationRule/payment-service',
      'VirtualService/payment-service',
    ]);
    expect(docs.every(d => d.metadata.namespace === 'payments')).toBe(true);
    expect(primaryRoute(docs)).toEqual({
      name: 'primary',
      route: [{ destination: { host: 'payment-service', subset: 'v1' }, weight: 100 }],
      // written, so that Istio's own default (which retries what the application may have processed) never applies
      retries: { attempts: 2, retryOn: 'connect-failure,refused-stream,reset-before-request' },
    });
    expect(findOne(docs, 'DestinationRule').spec.subsets).toEqual([{ name: 'v1', labels: { version: 'v1' } }]);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('all options', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    newService(chart, 'payment', {

      name: 'payment-service',
      port: 80,
      targetPort: 8080,
      protocol: AppProtocol.HTTP2,
      portName: 'http2-api',
      serviceAccountName: 'payment',
      stable: {
        ...STABLE,
        weight: 90,
        replicas: 3,
        resources: {
          cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.millis(500) },
          memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
        },
        readiness: kplus.Probe.fromHttpGet('/ready', { port: 8080 }),
        liveness: kplus.Probe.fromHttpGet('/live', { port: 8080, periodSeconds: Duration.seconds(20) }),
        startup: kplus.Probe.fromHttpGet('/ready', { port: 8080, failureThreshold: 30 }),
        envVariables: { LOG_LEVEL: kplus.EnvValue.fromValue('info') },
        args: ['--serve'],
      },
      canary: { ...CANARY, weight: 10, replicas: 1 },
      timeout: Duration.seconds(3),
      retries: { attempts: 2, perTryTimeout: Duration.millis(900), retryOn: ['connect-failure', 'refused-stream', '503'] },
      circuitBreaker: {
        maxConnections: 200,
        http1MaxPendingRequests: 100,
        http2MaxRequests: 500,
        consecutive5xxErrors: 3,
        interval: Duration.seconds(5),
        baseEjectionTime: Duration.minutes(1),
        maxEjectionPercent: 34,
      },
      canaryHeader: { name: 'x-canary', value: 'always' },
      mirrorPercentage: 20,
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(warningsOf(chart)).toEqual([]);
  });

  test('reference configuration: the strategy example produces every field of its DestinationRule and VirtualService', () => {
    // GIVEN
    const chart = testChart();

    // WHEN: the minimal call of the issue, verbatim
    newService(chart, 'payment', {

      name: 'payment-service',
      port: 8080,
      stable: { version: 'v1', image: 'registry.example.com/payment:1.4.2' },
      canary: { version: 'v2', image: 'registry.example.com/payment:1.5.0', weight: 5 },
      timeout: Duration.seconds(2),
      retries: { attempts: 3, perTryTimeout: Duration.seconds(2) },
    });

    // THEN: the reference documents (v1beta1 -> v1) are contained field for field
    const docs = synthValid(chart);
    expect(findOne(docs, 'DestinationRule')).toMatchObject({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'payment-service' },
      spec: {
        host: 'payment-service',
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    });
    const vs = findOne(docs, 'VirtualService');
    expect(vs).toMatchObject({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'payment-service' },
      spec: { hosts: ['payment-service'] },
    });
    expect(vs.spec.http).toHaveLength(1);
    expect(vs.spec.http[0]).toMatchObject({
      route: [
        { destination: { host: 'payment-service', subset: 'v1' }, weight: 95 },
        { destination: { host: 'payment-service', subset: 'v2' }, weight: 5 },
      ],
      timeout: '2s',
      retries: { attempts: 3, perTryTimeout: '2s' },
    });
    // exact lists: nothing extra where the reference has a list
    expect(vs.spec.http[0].route).toHaveLength(2);
    expect(findOne(docs, 'DestinationRule').spec.subsets).toHaveLength(2);
    // what the library adds, as documented: route name, retryOn, circuit breaking
    expect(vs.spec.http[0].name).toBe('primary');
    expect(vs.spec.http[0].retries.retryOn).toBe('connect-failure,refused-stream,reset-before-request');
    expect(Object.keys(findOne(docs, 'DestinationRule').spec.trafficPolicy).sort())
      .toEqual(['connectionPool', 'outlierDetection', 'tls']);
    // and the trap in it is reported
    expect(warningsOf(chart)).toHaveLength(1);
  });

  describe('weights', () => {
    test.each([
      [{ canary: { ...CANARY, weight: 5 } }, 95, 5],
      [{ stable: { ...STABLE, weight: 50 }, canary: CANARY }, 50, 50],
      [{ stable: { ...STABLE, weight: 70 }, canary: { ...CANARY, weight: 30 } }, 70, 30],
      [{ canary: CANARY }, 100, 0],
      [{ canary: { ...CANARY, weight: 100 } }, 0, 100],
    ])('%j splits %d/%d', (overrides, stable, canary) => {
      const { docs } = synth(minimal(overrides as Partial<ServiceProps>));
      expect(primaryRoute(docs).route.map((r: any) => [r.destination.subset, r.weight]))
        .toEqual([['v1', stable], ['v2', canary]]);
    });

    test('a canary without weight is deployed and reachable by header, with no user traffic', () => {
      const { docs } = synth(minimal({ canary: CANARY, canaryHeader: { name: 'x-canary', value: 'always' } }));
      expect(findOne(docs, 'Deployment', 'payment-service-v2').spec.template.spec.containers[0].image)
        .toBe('registry.example.com/payment:1.5.0');
      expect(findOne(docs, 'VirtualService').spec.http[0]).toEqual({
        name: 'canary-header',
        match: [{ headers: { 'x-canary': { exact: 'always' } } }],
        route: [{ destination: { host: 'payment-service', subset: 'v2' } }],
        retries: { attempts: 2, retryOn: 'connect-failure,refused-stream,reset-before-request' },
      });
      expect(primaryRoute(docs).route[1].weight).toBe(0);
    });
  });

  test('mirroring copies a share of the primary route to the canary', () => {
    const { docs } = synth(minimal({ canary: CANARY, mirrorPercentage: 10 }));
    expect(primaryRoute(docs).mirror).toEqual({ host: 'payment-service', subset: 'v2' });
    expect(primaryRoute(docs).mirrorPercentage).toEqual({ value: 10 });
  });

  test('timeout and retries apply to the header route too', () => {
    const { docs } = synth(minimal({
      canary: CANARY,
      canaryHeader: { name: 'x-canary', value: 'always' },
      timeout: Duration.seconds(2),
      retries: { attempts: 1 },
    }));
    const [header, primary] = findOne(docs, 'VirtualService').spec.http;
    expect(header.timeout).toBe('2s');
    expect(header.retries).toEqual(primary.retries);
  });

  describe('workloads', () => {
    test('one Deployment per version, labelled for Istio telemetry and Kiali', () => {
      const { docs } = synth(minimal({ canary: CANARY }));
      const v2 = findOne(docs, 'Deployment', 'payment-service-v2');
      expect(v2.spec.selector.matchLabels).toEqual({ app: 'payment-service', version: 'v2' });
      expect(v2.spec.template.metadata.labels).toMatchObject({
        'app': 'payment-service',
        'version': 'v2',
        'app.kubernetes.io/name': 'payment-service',
        'app.kubernetes.io/version': 'v2',
        'app.kubernetes.io/managed-by': 'cdk8s-mesh',
      });
      expect(v2.spec.template.spec.serviceAccountName).toBe('payment-service');
    });

    test('secure container defaults meet the restricted Pod Security Standard', () => {
      const { docs } = synth(minimal());
      const pod = findOne(docs, 'Deployment').spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.containers[0].securityContext).toEqual({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
      });
      expect(pod.automountServiceAccountToken).toBe(false);
    });

    test('resources are always set, the readiness probe defaults to the target port, and no probe restarts the container', () => {
      const { docs } = synth(minimal({ targetPort: 9090 }));
      const container = findOne(docs, 'Deployment').spec.template.spec.containers[0];
      expect(container.resources).toEqual({
        requests: { cpu: '1000m', memory: '512Mi' },
        limits: { cpu: '1500m', memory: '2048Mi' },
      });
      expect(container.readinessProbe).toEqual({ failureThreshold: 3, tcpSocket: { port: 9090 } });
      expect(container.livenessProbe).toBeUndefined();
      // cdk8s-plus would add a TCP startup probe that restarts a container still starting after ~30s
      expect(container.startupProbe).toBeUndefined();
      expect(container.ports).toEqual([{ containerPort: 9090 }]);
    });

    test('probes are configurable, on the target port unless given one', () => {
      const { docs } = synth(minimal({
        stable: {
          ...STABLE,
          readiness: kplus.Probe.fromHttpGet('/ready'),
          liveness: kplus.Probe.fromHttpGet('/live'),
          startup: kplus.Probe.fromTcpSocket({ failureThreshold: 30, periodSeconds: Duration.seconds(10) }),
        },
      }));
      const container = findOne(docs, 'Deployment').spec.template.spec.containers[0];
      expect(container.readinessProbe.httpGet).toMatchObject({ path: '/ready', port: 8080 });
      expect(container.livenessProbe.httpGet).toMatchObject({ path: '/live', port: 8080 });
      expect(container.startupProbe).toEqual({ failureThreshold: 30, periodSeconds: 10, tcpSocket: { port: 8080 } });
    });

    test('a PodDisruptionBudget only for versions with more than one pod', () => {
      const { docs } = synth(minimal({ stable: { ...STABLE, replicas: 3 }, canary: { ...CANARY, replicas: 1 } }));
      expect(findAll(docs, 'PodDisruptionBudget').map(d => d.metadata.name)).toEqual(['payment-service-v1']);
      expect(findOne(docs, 'PodDisruptionBudget').spec).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: { app: 'payment-service', version: 'v1' } },
      });
    });

    test('promoting the canary leaves its Deployment byte-identical', () => {
      const before = synth(minimal({ canary: { ...CANARY, weight: 50 } })).docs;
      const after = synth(minimal({ stable: CANARY })).docs;
      expect(findOne(after, 'Deployment')).toEqual(findOne(before, 'Deployment', 'payment-service-v2'));
      expect(primaryRoute(after).route).toEqual([{ destination: { host: 'payment-service', subset: 'v2' }, weight: 100 }]);
    });
  });

  test('the Service selects every version and names its port for Istio', () => {
    const { docs } = synth(minimal({ port: 80, targetPort: 8080 }));
    expect(findOne(docs, 'Service').spec).toEqual({
      selector: { app: 'payment-service' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' }],
    });
  });

  test('is an IMeshService other constructs can refer to', () => {
    const chart = testChart();
    const meshService: IMeshService = newService(chart, 'payment', minimal({ serviceAccountName: 'payment' }));
    expect([meshService.serviceName, meshService.namespace, meshService.serviceAccountName])
      .toEqual(['payment-service', 'payments', 'payment']);
    expect(findOne(synthValid(chart), 'ServiceAccount').metadata.name).toBe('payment');
  });

  test('escape hatch: a JSON patch on the VirtualService survives synth', () => {
    const chart = testChart();
    const service = newService(chart, 'payment', minimal());
    service.virtualService!.addJsonPatch(JsonPatch.add('/spec/exportTo', ['.']));
    expect(service.destinationRule).toBeInstanceOf(ApiObject);
    expect(findOne(synthValid(chart), 'VirtualService').spec.exportTo).toEqual(['.']);
  });

  test('pod-level sysctls reach every version, and a restricted namespace admits its pods', () => {
    // GIVEN the per-network-namespace key Kubernetes deems safe, in a zero-trust namespace
    const chart = testChart();
    new ZeroTrustNamespace(chart, 'namespace', { name: 'payments' });
    const sysctls = PodSysctls.of({ 'net.ipv4.ip_local_port_range': '32768 60999' });

    // WHEN
    newService(chart, 'payment', minimal({ canary: { ...CANARY, weight: 5 }, sysctls }));

    // THEN the namespace's Pod Security check passes and both versions carry the sysctl
    for (const d of findAll(synthValid(chart), 'Deployment')) {
      expect(d.spec.template.spec.securityContext.sysctls).toEqual([{ name: 'net.ipv4.ip_local_port_range', value: '32768 60999' }]);
      expect(d.spec.template.spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    }
  });

  test('unsafe sysctls in a restricted namespace fail synth: its Pod Security would reject the pods', () => {
    const chart = testChart();
    new ZeroTrustNamespace(chart, 'namespace', { name: 'payments' });
    newService(chart, 'payment', minimal({ sysctls: PodSysctls.of({ 'net.core.somaxconn': '32768' }) }));
    expect(() => synthValid(chart)).toThrow(
      'workload Deployment/payment-service-v1 would be rejected by the Pod Security level "restricted" of namespace payments: ' +
      "sysctl net.core.somaxconn is not in Kubernetes' safe set");
  });

  test('warns about an image without tag or digest', () => {
    const { chart } = synth(minimal({ stable: { ...STABLE, image: 'registry.example.com:5000/payment' } }));
    expect(warningsOf(chart)).toEqual([
      'test/payment: service payments/payment-service: stable.image "registry.example.com:5000/payment" has no tag or digest, ' +
      'so each new pod runs whatever ":latest" is then; pin a tag or digest so the version is reproducible',
    ]);
  });

  test('accepts images pinned by digest', () => {
    const image = `registry.example.com/payment@sha256:${'a'.repeat(64)}`;
    const { chart, docs } = synth(minimal({ stable: { ...STABLE, image } }));
    expect(findOne(docs, 'Deployment').spec.template.spec.containers[0].image).toBe(image);
    expect(warningsOf(chart)).toEqual([]);
  });

  describe('bad input', () => {
    test.each<[string, Partial<ServiceProps>, string]>([
      ['name', { name: 'payment_service' }, 'test/payment: invalid name "payment_service": must be an RFC 1123 label'],
      ['service account', { serviceAccountName: 'Pay' }, 'invalid serviceAccountName "Pay": must be an RFC 1123 label'],
      ['port', { port: 70000 }, 'test/payment: invalid port 70000: must be an integer port from 1 to 65535'],
      ['target port', { targetPort: 0 }, 'invalid targetPort 0: must be an integer port from 1 to 65535'],
      ['version name', { stable: { ...STABLE, version: 'V1.0' } }, 'invalid stable.version "V1.0": must be an RFC 1123 label'],
      ['canary version name', { canary: { ...CANARY, version: 'v2_beta' } }, 'invalid canary.version "v2_beta": must be an RFC 1123 label'],
      ['same version twice', { canary: { ...CANARY, version: 'v1' } }, 'invalid canary.version "v1": must differ from stable.version'],
      ['image', { stable: { ...STABLE, image: 'Registry.example.com/Payment:1.4.2' } },
        'invalid stable.image "Registry.example.com/Payment:1.4.2": must be an image reference'],
      ['image with spaces', { canary: { ...CANARY, image: 'payment 1.5' } }, 'invalid canary.image "payment 1.5": must be an image reference'],
      ['replicas', { stable: { ...STABLE, replicas: 0 } }, 'invalid stable.replicas 0: must be a positive integer'],
      ['weight over 100', { canary: { ...CANARY, weight: 101 } }, 'invalid canary.weight 101: must be a number from 0 to 100'],
      ['negative weight', { stable: { ...STABLE, weight: -5 }, canary: CANARY }, 'invalid stable.weight -5: must be a number from 0 to 100'],
      ['fractional weight', { canary: { ...CANARY, weight: 2.5 } }, 'invalid canary.weight 2.5: must be an integer from 0 to 100'],
      ['weights not adding up', { stable: { ...STABLE, weight: 90 }, canary: { ...CANARY, weight: 5 } },
        'invalid canary.weight 5: and stable.weight 90 must add up to 100'],
      ['weight without a canary', { stable: { ...STABLE, weight: 95 } },
        'invalid stable.weight 95: leaves 5% for a canary, but no canary is given'],
      ['header without a canary', { canaryHeader: { name: 'x-canary', value: 'always' } },
        'invalid canaryHeader {"name":"x-canary","value":"always"}: routes testers to the canary, but no canary is given'],
      ['header name', { canary: CANARY, canaryHeader: { name: 'X-Canary', value: 'always' } },
        'invalid canaryHeader.name "X-Canary": must be a lowercase HTTP header name'],
      ['header value', { canary: CANARY, canaryHeader: { name: 'x-canary', value: '' } }, 'invalid canaryHeader.value "": must not be empty'],
      ['mirror without a canary', { mirrorPercentage: 10 }, 'invalid mirrorPercentage 10: copies requests to the canary, but no canary is given'],
      ['mirror over 100', { canary: CANARY, mirrorPercentage: 150 }, 'invalid mirrorPercentage 150: must be a number from 0 to 100'],
      ['mirror of 0', { canary: CANARY, mirrorPercentage: 0 }, 'invalid mirrorPercentage 0: must be more than 0'],
    ])('rejects a bad %s', (_what, overrides, message) => {
      expect(() => newService(testChart(), 'payment', minimal(overrides))).toThrow(message);
    });
  });
});
