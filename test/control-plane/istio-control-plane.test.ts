import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart, JsonPatch, Size, Testing, YamlOutputType } from 'cdk8s';
import { Cpu, Protocol, ServiceType } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  IstioAccessLog, IstioAccessLogEncoding, IstioControlPlane, IstioControlPlaneProps, IstioExtensionProvider, IstioOutboundTrafficPolicy,
  IstioPilotScaling, IstioProfile, MeshWarnings, WarningMode,
} from '../../src';
import { findOne, synthValid, testChart, warningsOf } from '../support';

/** The reference IstioOperator of the strategy (MISSION.md, section 2). */
const REFERENCE = {
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name: 'coolvds-prod-mesh', namespace: 'istio-system' },
  spec: {
    profile: 'default',
    components: {
      pilot: { k8s: { resources: { requests: { cpu: '500m', memory: '2048Mi' } } } },
      ingressGateways: [{
        name: 'istio-ingressgateway',
        enabled: true,
        k8s: {
          resources: { requests: { cpu: '1000m', memory: '1024Mi' } },
          service: {
            ports: [
              { port: 80, targetPort: 8080, name: 'http2' },
              { port: 443, targetPort: 8443, name: 'https' },
            ],
          },
        },
      }],
    },
    values: {
      global: {
        proxy: {
          resources: {
            requests: { cpu: '100m', memory: '128Mi' },
            limits: { cpu: '2000m', memory: '1024Mi' },
          },
        },
      },
    },
  },
};

const STATUS_PORT = { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP' };

/** Synthesizes one control plane in its own chart and returns its IstioOperator. */
function operatorOf(props: IstioControlPlaneProps = {}): any {
  const chart = testChart();
  new IstioControlPlane(chart, 'mesh', props);
  return findOne(synthValid(chart), 'IstioOperator');
}

/** The construct's error for these props. */
function errorOf(props: IstioControlPlaneProps): string {
  try {
    new IstioControlPlane(testChart(), 'mesh', props);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('IstioControlPlane', () => {
  test('defaults: the reference IstioOperator, field for field, plus the status port', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    new IstioControlPlane(chart, 'mesh', { name: 'coolvds-prod-mesh' });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(docs).toHaveLength(1);
    const [operator] = docs;
    // the status port is kept first, exactly as Istio's ingress chart lists it (istio/istio#12503, #30395)
    const ports = operator.spec.components.ingressGateways[0].k8s.service.ports;
    expect(ports[0]).toEqual(STATUS_PORT);
    // without it, the reference configuration field for field
    ports.shift();
    expect(operator).toEqual(REFERENCE);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('all options', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const controlPlane = new IstioControlPlane(chart, 'mesh', {
      name: 'prod-mesh',
      namespace: 'mesh-system',
      profile: IstioProfile.MINIMAL,
      revision: '1-30-3',
      cni: true,
      hub: 'registry.example.com:5000/istio',
      tag: '1.30.3',
      pilotResources: {
        cpu: { request: Cpu.millis(800), limit: Cpu.units(2) },
        memory: { request: Size.gibibytes(3), limit: Size.gibibytes(4) },
      },
      pilotScaling: IstioPilotScaling.autoscale({ minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 70 }),
      ingressGateways: [
        { serviceType: ServiceType.NODE_PORT },
        {
          name: 'internal-gateway',
          namespace: 'internal-ingress',
          labels: { istio: 'internal-gateway' },
          resources: { cpu: { request: Cpu.millis(250) }, memory: { request: Size.mebibytes(256) } },
          serviceType: ServiceType.CLUSTER_IP,
          ports: [{ port: 15443, targetPort: 15443, name: 'tls', protocol: Protocol.TCP }],
          keepStatusPort: false,
        },
      ],
      egressGateway: {
        resources: { cpu: { request: Cpu.millis(100), limit: Cpu.millis(1000) }, memory: { request: Size.mebibytes(128) } },
        ports: [{ port: 443, targetPort: 8443, name: 'https' }],
        keepStatusPort: true,
      },
      proxyResources: {
        cpu: { request: Cpu.millis(50), limit: Cpu.millis(1000) },
        memory: { request: Size.mebibytes(96), limit: Size.mebibytes(512) },
      },
      outboundTrafficPolicy: IstioOutboundTrafficPolicy.REGISTRY_ONLY,
      accessLog: IstioAccessLog.toStdout(IstioAccessLogEncoding.JSON),
      holdApplicationUntilProxyStarts: true,
      trustDomain: 'prod.example.com',
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    const operator = findOne(docs, 'IstioOperator', 'prod-mesh');
    expect(operator.metadata.namespace).toBe('mesh-system');
    const spec = operator.spec;
    expect(spec).toMatchObject({ profile: 'minimal', revision: '1-30-3', hub: 'registry.example.com:5000/istio', tag: '1.30.3' });
    expect(spec.meshConfig).toEqual({
      accessLogFile: '/dev/stdout',
      accessLogEncoding: 'JSON',
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      defaultConfig: { holdApplicationUntilProxyStarts: true },
      trustDomain: 'prod.example.com',
    });
    expect(spec.components.pilot.k8s).toEqual({
      resources: { requests: { cpu: '800m', memory: '3072Mi' }, limits: { cpu: '2', memory: '4096Mi' } },
      hpaSpec: {
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    });
    // istiod's chart locates itself through istioNamespace; autoscaling needs the HPA that hpaSpec patches
    expect(spec.values.global.istioNamespace).toBe('mesh-system');
    expect(spec.values.pilot).toEqual({ autoscaleEnabled: true });
    expect(spec.values.global.proxy.resources).toEqual({
      requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '1000m', memory: '512Mi' },
    });

    const [main, internal] = spec.components.ingressGateways;
    expect(main.name).toBe('istio-ingressgateway');
    expect(main.k8s.service.type).toBe('NodePort');
    expect(main.k8s.service.ports.map((p: any) => p.port)).toEqual([15021, 80, 443]);
    expect(internal).toEqual({
      name: 'internal-gateway',
      enabled: true,
      namespace: 'internal-ingress',
      label: { istio: 'internal-gateway' },
      k8s: {
        resources: { requests: { cpu: '250m', memory: '256Mi' } },
        service: { type: 'ClusterIP', ports: [{ port: 15443, targetPort: 15443, name: 'tls', protocol: 'TCP' }] },
      },
    });
    expect(spec.components.egressGateways).toEqual([{
      name: 'istio-egressgateway',
      enabled: true,
      k8s: {
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1000m' } },
        service: { ports: [STATUS_PORT, { port: 443, targetPort: 8443, name: 'https' }] },
      },
    }]);

    expect(controlPlane.name).toBe('prod-mesh');
    expect(controlPlane.namespace).toBe('mesh-system');
    expect(controlPlane.profile).toBe(IstioProfile.MINIMAL);
    expect(controlPlane.revision).toBe('1-30-3');
    expect(controlPlane.trustDomain).toBe('prod.example.com');
    expect(warningsOf(chart)).toEqual([]);
  });

  test('without props: named istio-control-plane in istio-system, no revision, Istio\'s mesh defaults untouched', () => {
    const chart = testChart();
    const controlPlane = new IstioControlPlane(chart, 'mesh');
    const operator = findOne(synthValid(chart), 'IstioOperator');
    expect(operator.metadata).toEqual({ name: 'istio-control-plane', namespace: 'istio-system' });
    expect(Object.keys(operator.spec).sort()).toEqual(['components', 'profile', 'values']);
    expect(operator.spec.values.global.istioNamespace).toBeUndefined();
    expect(controlPlane.revision).toBeUndefined();
    expect(controlPlane.trustDomain).toBeUndefined();
    expect(controlPlane.profile).toBe(IstioProfile.DEFAULT);
  });

  test('a fixed istiod replica count turns the autoscaler off', () => {
    const spec = operatorOf({ pilotScaling: IstioPilotScaling.fixed(3) }).spec;
    expect(spec.components.pilot.k8s.replicaCount).toBe(3);
    expect(spec.components.pilot.k8s.hpaSpec).toBeUndefined();
    expect(spec.values.pilot).toEqual({ autoscaleEnabled: false });
  });

  test('autoscaling without a CPU target keeps Istio\'s metric', () => {
    const spec = operatorOf({ pilotScaling: IstioPilotScaling.autoscale({ minReplicas: 2, maxReplicas: 5 }) }).spec;
    expect(spec.components.pilot.k8s.hpaSpec).toEqual({ minReplicas: 2, maxReplicas: 5 });
    expect(spec.components.pilot.k8s.replicaCount).toBeUndefined();
    expect(spec.values.pilot).toEqual({ autoscaleEnabled: true });
  });

  test('explicit false for holding the application is written', () => {
    expect(operatorOf({ holdApplicationUntilProxyStarts: false }).spec.meshConfig)
      .toEqual({ defaultConfig: { holdApplicationUntilProxyStarts: false } });
  });

  test('access log to a file, in Istio\'s default encoding', () => {
    expect(operatorOf({ accessLog: IstioAccessLog.toFile('/var/log/istio/access.log') }).spec.meshConfig)
      .toEqual({ accessLogFile: '/var/log/istio/access.log' });
  });

  test('empty resources leave Istio\'s chart defaults', () => {
    const spec = operatorOf({ pilotResources: {}, proxyResources: {}, ingressGateways: [{ resources: {} }] }).spec;
    expect(spec.components.pilot).toBeUndefined();
    expect(spec.values).toBeUndefined();
    expect(spec.components.ingressGateways[0].k8s.resources).toBeUndefined();
  });

  test('quantities: whole mebibytes in Mi, others in Ki, CPU as given', () => {
    const spec = operatorOf({
      pilotResources: {
        cpu: { request: Cpu.units(0.25), limit: Cpu.units(1.5) },
        memory: { request: Size.kibibytes(1536), limit: Size.gibibytes(2) },
        ephemeralStorage: { request: Size.gibibytes(1) },
      },
    }).spec;
    expect(spec.components.pilot.k8s.resources).toEqual({
      requests: { 'cpu': '0.25', 'memory': '1536Ki', 'ephemeral-storage': '1024Mi' },
      limits: { cpu: '1.5', memory: '2048Mi' },
    });
  });

  describe('gateways', () => {
    test('addIngressGateway adds a gateway beside the default one', () => {
      const chart = testChart();
      const controlPlane = new IstioControlPlane(chart, 'mesh');
      controlPlane.addIngressGateway({ name: 'partner-gateway', labels: { istio: 'partner-gateway' } });
      const gateways = findOne(synthValid(chart), 'IstioOperator').spec.components.ingressGateways;
      expect(gateways.map((g: any) => g.name)).toEqual(['istio-ingressgateway', 'partner-gateway']);
      // the strategy's defaults apply to every ingress gateway
      expect(gateways[1].k8s).toEqual(gateways[0].k8s);
      expect(gateways[1].label).toEqual({ istio: 'partner-gateway' });
      // a second public load balancer is reported: internal gateways are marked internal (issue 18)
      expect(warningsOf(chart)).toEqual([expect.stringContaining('gateway "partner-gateway" is an additional ingress gateway with a LoadBalancer Service')]);
    });

    test('a disabled gateway is written as disabled', () => {
      const gateways = operatorOf({ ingressGateways: [{ enabled: false }] }).spec.components.ingressGateways;
      expect(gateways).toHaveLength(1);
      expect(gateways[0]).toMatchObject({ name: 'istio-ingressgateway', enabled: false });
    });

    test('no ingress gateway at all: an empty list replaces the profile\'s', () => {
      expect(operatorOf({ ingressGateways: [] }).spec.components.ingressGateways).toEqual([]);
    });

    test('custom ports replace the defaults, with the status port kept first', () => {
      const gateway = operatorOf({
        ingressGateways: [{ ports: [{ port: 8443, targetPort: 8443, name: 'https', protocol: Protocol.TCP }] }],
      }).spec.components.ingressGateways[0];
      expect(gateway.k8s.service.ports).toEqual([STATUS_PORT, { port: 8443, targetPort: 8443, name: 'https', protocol: 'TCP' }]);
    });

    test('keepStatusPort: false removes the status port explicitly', () => {
      const gateway = operatorOf({
        ingressGateways: [{ keepStatusPort: false }],
      }).spec.components.ingressGateways[0];
      expect(gateway.k8s.service.ports).toEqual([
        { port: 80, targetPort: 8080, name: 'http2' },
        { port: 443, targetPort: 8443, name: 'https' },
      ]);
    });

    test('the egress gateway defaults to Istio\'s chart: only its name is written', () => {
      expect(operatorOf({ egressGateway: {} }).spec.components.egressGateways)
        .toEqual([{ name: 'istio-egressgateway', enabled: true }]);
    });

    test('the same gateway name in two namespaces is allowed', () => {
      const gateways = operatorOf({
        ingressGateways: [{}, { namespace: 'edge', labels: { istio: 'edge' } }],
      }).spec.components.ingressGateways;
      expect(gateways.map((g: any) => [g.name, g.namespace])).toEqual([['istio-ingressgateway', undefined], ['istio-ingressgateway', 'edge']]);
    });

    test('warns when two gateways would select each other\'s pods', () => {
      const chart = testChart();
      new IstioControlPlane(chart, 'mesh', { ingressGateways: [{}, { name: 'internal-gateway', internal: true }] });
      synthValid(chart);
      expect(warningsOf(chart)).toEqual([
        'test/mesh: gateways "istio-ingressgateway" and "internal-gateway" in namespace "istio-system" have the same pod labels ' +
        '{"app":"istio-ingressgateway","istio":"ingressgateway"}, so each Service selects both gateways\' pods; ' +
        'give "internal-gateway" its own labels (e.g. { istio: "internal-gateway" })',
      ]);
    });
  });

  describe('internal gateways (issue 18: "internal" gateways are public)', () => {
    test('internal: true defaults the Service to ClusterIP, without a warning', () => {
      const chart = testChart();
      new IstioControlPlane(chart, 'mesh', { ingressGateways: [{}, { name: 'internal-gateway', internal: true, labels: { istio: 'internal-gateway' } }] });
      const [, internal] = findOne(synthValid(chart), 'IstioOperator').spec.components.ingressGateways;
      expect(internal.k8s.service.type).toBe('ClusterIP');
      expect(warningsOf(chart)).toEqual([]);
    });

    test('an internal load balancer: the annotation lands on the Service', () => {
      const chart = testChart();
      new IstioControlPlane(chart, 'mesh', {
        ingressGateways: [{}, {
          name: 'internal-gateway',
          internal: true,
          labels: { istio: 'internal-gateway' },
          serviceType: ServiceType.LOAD_BALANCER,
          serviceAnnotations: { 'networking.gke.io/load-balancer-type': 'Internal' },
        }],
      });
      const [, internal] = findOne(synthValid(chart), 'IstioOperator').spec.components.ingressGateways;
      expect(internal.k8s.service.type).toBe('LoadBalancer');
      expect(internal.k8s.serviceAnnotations).toEqual({ 'networking.gke.io/load-balancer-type': 'Internal' });
      expect(warningsOf(chart)).toEqual([]);
    });

    test('an internal gateway behind a load balancer without an internal annotation: the warning names each cloud\'s annotation', () => {
      const chart = testChart();
      new IstioControlPlane(chart, 'mesh', {
        ingressGateways: [{}, { name: 'internal-gateway', internal: true, labels: { istio: 'internal-gateway' }, serviceType: ServiceType.LOAD_BALANCER }],
      });
      synthValid(chart);
      expect(warningsOf(chart)).toEqual([
        'test/mesh: gateway "internal-gateway" is internal but its Service is a LoadBalancer without an internal load balancer annotation, ' +
        'so the cloud gives it a public address; use serviceType ClusterIP or add your cloud\'s annotation to serviceAnnotations ' +
        '(AWS service.beta.kubernetes.io/aws-load-balancer-scheme: "internal", GKE networking.gke.io/load-balancer-type: "Internal", ' +
        'Azure service.beta.kubernetes.io/azure-load-balancer-internal: "true")',
      ]);
    });

    test('the first, public gateway is not reported', () => {
      const chart = testChart();
      new IstioControlPlane(chart, 'mesh', { ingressGateways: [{ serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'external' } }] });
      const [gateway] = findOne(synthValid(chart), 'IstioOperator').spec.components.ingressGateways;
      expect(gateway.k8s.serviceAnnotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-type': 'external' });
      expect(warningsOf(chart)).toEqual([]);
    });
  });

  describe('tracing providers (issue 18)', () => {
    test('extension providers and the default tracing provider in mesh config', () => {
      const spec = operatorOf({
        extensionProviders: [
          IstioExtensionProvider.openTelemetryTracing('otel', { service: 'otel-collector.observability.svc.cluster.local', port: 4317 }),
          IstioExtensionProvider.zipkinTracing('zipkin', { service: 'zipkin.istio-system.svc.cluster.local', port: 9411, maxTagLength: 64 }),
        ],
        defaultTracingProviders: ['otel'],
      }).spec;
      expect(spec.meshConfig).toEqual({
        extensionProviders: [
          { name: 'otel', opentelemetry: { service: 'otel-collector.observability.svc.cluster.local', port: 4317 } },
          { name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411, maxTagLength: 64 } },
        ],
        defaultProviders: { tracing: ['otel'] },
      });
    });
  });

  describe('CNI node agent', () => {
    /** An app with the control plane in one chart and a namespace in another. */
    function appWith(props: IstioControlPlaneProps, namespace: (chart: Chart) => void) {
      const app = Testing.app();
      MeshWarnings.setMode(app, WarningMode.COLLECT);
      const istio = new IstioControlPlane(new Chart(app, 'istio'), 'control-plane', props);
      const apps = new Chart(app, 'apps');
      namespace(apps);
      return { app, istio, docs: synthValid(istio.node.scope as Chart) };
    }
    const namespace = (name: string, labels: Record<string, string>) => (chart: Chart) =>
      new ApiObject(chart, name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    const restricted = { 'pod-security.kubernetes.io/enforce': 'restricted' };

    test('cni: true installs the agent, and injected restricted namespaces are fine', () => {
      const { app, docs } = appWith({ cni: true }, namespace('payments', { 'istio-injection': 'enabled', ...restricted }));
      expect(findOne(docs, 'IstioOperator').spec.components.cni).toEqual({ enabled: true });
      expect(warningsOf(app)).toEqual([]);
    });

    test('warns when an injected namespace enforces baseline or restricted and the agent is off', () => {
      const { app, docs } = appWith({}, namespace('payments', { 'istio-injection': 'enabled', ...restricted }));
      expect(findOne(docs, 'IstioOperator').spec.components.cni).toBeUndefined();
      expect(warningsOf(app)).toEqual([
        'istio/control-plane/Resource: namespaces payments enforce Pod Security "baseline" or "restricted", which rejects the ' +
        'istio-init container (NET_ADMIN, NET_RAW) that Istio injects without its CNI node agent, so their pods would never ' +
        'start; set cni: true',
      ]);
    });

    test('namespaces without injection, of another revision, or privileged do not need it', () => {
      const others: Record<string, string>[] = [restricted, { 'istio.io/rev': 'canary', ...restricted }, { 'istio-injection': 'enabled', 'pod-security.kubernetes.io/enforce': 'privileged' }];
      for (const labels of others) {
        const { app } = appWith({ revision: 'stable' }, (chart) => {
          new IstioControlPlane(new Chart(chart.node.scope as Construct, 'canary'), 'control-plane', { name: 'canary', revision: 'canary', cni: true, ingressGateways: [] });
          namespace('payments', labels)(chart);
        });
        expect(warningsOf(app)).toEqual([]);
      }
      const { app } = appWith({ revision: 'stable' }, namespace('payments', { 'istio.io/rev': 'stable', ...restricted }));
      expect(warningsOf(app)).toHaveLength(1);
    });

    test('a namespace that selects a revision tag of the control plane needs it too', () => {
      const { app } = appWith({ revision: 'istiod-1-30', revisionTags: ['prod-stable'] },
        namespace('payments', { 'istio.io/rev': 'prod-stable', ...restricted }));
      expect(warningsOf(app)).toEqual([expect.stringContaining('namespaces payments enforce Pod Security')]);
    });

    test('the ambient profile has the agent: no warning, and cni is reported on', () => {
      const { app, istio, docs } = appWith({ profile: IstioProfile.AMBIENT }, namespace('payments', { 'istio-injection': 'enabled', ...restricted }));
      expect(istio.cni).toBe(true);
      expect(istio.ambient).toBe(true);
      // istioctl's ambient profile installs the agent and ztunnel itself
      expect(findOne(docs, 'IstioOperator').spec).toMatchObject({ profile: 'ambient' });
      expect(findOne(docs, 'IstioOperator').spec.components.cni).toBeUndefined();
      expect(warningsOf(app)).toEqual([]);
    });

    test('ambient: the waypoints istiod deploys get a seccomp profile, which restricted namespaces require of every pod', () => {
      const ambient = appWith({ profile: IstioProfile.AMBIENT }, () => undefined);
      expect(findOne(ambient.docs, 'IstioOperator').spec.values.gateways).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
      // sidecar meshes deploy no waypoints: the strategy's IstioOperator stays as it is
      expect(findOne(appWith({}, () => undefined).docs, 'IstioOperator').spec.values?.gateways).toBeUndefined();
    });
  });

  describe('its own output file', () => {
    test('warns when other objects share the IstioOperator\'s chart, because istioctl reads one document per file', () => {
      // GIVEN
      const chart = testChart();
      new IstioControlPlane(chart, 'mesh');
      new ApiObject(chart, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });

      // WHEN
      synthValid(chart);

      // THEN
      expect(warningsOf(chart)).toEqual([
        'test/mesh/Resource: the IstioOperator shares its output file with 1 other object(s) (test/config), but istioctl ' +
        'install -f accepts one document per file; put the IstioControlPlane in a chart of its own',
      ]);
    });

    test('a chart of its own is one file with one document', () => {
      // GIVEN
      const app = Testing.app();
      MeshWarnings.setMode(app, WarningMode.COLLECT);
      new IstioControlPlane(new Chart(app, 'istio'), 'control-plane');
      const rest = new Chart(app, 'mesh');
      new ApiObject(rest, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });

      // WHEN
      const docs = app.charts.map(c => synthValid(c));

      // THEN
      expect(docs.map(d => d.map(o => o.kind))).toEqual([['IstioOperator'], ['ConfigMap']]);
      expect(warningsOf(app)).toEqual([]);
    });

    test('warns when the app writes every chart to one file', () => {
      const app = Testing.app({ yamlOutputType: YamlOutputType.FILE_PER_APP });
      MeshWarnings.setMode(app, WarningMode.COLLECT);
      const istio = new Chart(app, 'istio');
      new IstioControlPlane(istio, 'control-plane');
      new ApiObject(new Chart(app, 'mesh'), 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
      synthValid(istio);
      expect(warningsOf(app)).toHaveLength(1);
      expect(warningsOf(app)[0]).toContain('shares its output file with 1 other object(s) (mesh/config)');
    });

    test('no warning when the app writes one file per resource', () => {
      const app = Testing.app({ yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
      MeshWarnings.setMode(app, WarningMode.COLLECT);
      const chart = new Chart(app, 'mesh');
      new IstioControlPlane(chart, 'control-plane');
      new ApiObject(chart, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
      expect(synthValid(chart)).toHaveLength(2);
      expect(warningsOf(app)).toEqual([]);
    });

    test('the warning can fail synthesis', () => {
      const chart = testChart();
      MeshWarnings.setMode(chart, WarningMode.ERROR);
      new IstioControlPlane(chart, 'mesh');
      new ApiObject(chart, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } });
      expect(() => Testing.synth(chart)).toThrow('warning treated as an error (WarningMode.ERROR): the IstioOperator shares its output file');
    });
  });

  test('escape hatch: JSON patches on the IstioOperator survive synth', () => {
    // GIVEN
    const chart = testChart();
    const controlPlane = new IstioControlPlane(chart, 'mesh');

    // WHEN
    controlPlane.istioOperator!.addJsonPatch(
      JsonPatch.add('/spec/components/pilot/k8s/nodeSelector', { 'node-role.example.com/mesh': 'true' }),
      JsonPatch.add('/spec/values/pilot', { env: { PILOT_ENABLE_STATUS: 'true' } }),
      JsonPatch.add('/spec/components/cni', { enabled: true }),
    );
    controlPlane.istioOperator!.metadata.addLabel('team', 'platform');

    // THEN
    const operator = findOne(synthValid(chart), 'IstioOperator');
    expect(operator.spec.components.pilot.k8s.nodeSelector).toEqual({ 'node-role.example.com/mesh': 'true' });
    expect(operator.spec.components.pilot.k8s.resources.requests).toEqual({ cpu: '500m', memory: '2048Mi' });
    expect(operator.spec.values.pilot).toEqual({ env: { PILOT_ENABLE_STATUS: 'true' } });
    expect(operator.spec.components.cni).toEqual({ enabled: true });
    expect(operator.metadata.labels).toEqual({ team: 'platform' });
  });

  describe('bad input', () => {
    test.each<[string, IstioControlPlaneProps, string]>([
      ['a CPU limit lower than its request',
        { pilotResources: { cpu: { request: Cpu.millis(500), limit: Cpu.millis(250) } } },
        'test/mesh: invalid pilotResources.cpu.limit "250m": must not be lower than the request (500m); raise the limit or lower the request'],
      ['a memory limit lower than its request, across units',
        { proxyResources: { memory: { request: Size.gibibytes(1), limit: Size.mebibytes(512) } } },
        'test/mesh: invalid proxyResources.memory.limit "512Mi": must not be lower than the request (1024Mi)'],
      ['a gateway limit lower than its request',
        { ingressGateways: [{ resources: { cpu: { request: Cpu.units(1), limit: Cpu.millis(999) } } }] },
        'test/mesh: invalid ingressGateways[0].resources.cpu.limit "999m": must not be lower than the request (1)'],
      ['a malformed CPU quantity',
        { pilotResources: { cpu: { request: Cpu.millis(-100) } } },
        'test/mesh: invalid pilotResources.cpu.request "-100m": must be a CPU amount such as Cpu.millis(500) or Cpu.units(2)'],
      ['a CPU amount that is not a number',
        { pilotResources: { cpu: { request: Cpu.millis(NaN) } } },
        'test/mesh: invalid pilotResources.cpu.request "NaNm": must be a CPU amount'],
      ['a CPU amount finer than a millicore',
        { proxyResources: { cpu: { request: Cpu.millis(0.5) } } },
        'test/mesh: invalid proxyResources.cpu.request "0.5m": Kubernetes allows no CPU precision finer than 1m; round it to whole millicores'],
      ['a CPU amount in units finer than a millicore',
        { proxyResources: { cpu: { limit: Cpu.units(0.0005) } } },
        'test/mesh: invalid proxyResources.cpu.limit "0.0005": Kubernetes allows no CPU precision finer than 1m'],
      ['a zero CPU amount',
        { pilotResources: { cpu: { request: Cpu.units(0) } } },
        'test/mesh: invalid pilotResources.cpu.request "0": must be greater than zero; leave it unset instead'],
      ['a CPU given as a string (untyped callers)',
        { pilotResources: { cpu: { request: '500m' as any } } },
        'test/mesh: invalid pilotResources.cpu.request "500m": must be a CPU amount such as Cpu.millis(500)'],
      ['a memory size that is not a number',
        { pilotResources: { memory: { request: Size.mebibytes(NaN) } } },
        'test/mesh: invalid pilotResources.memory.request "NaNMi": must be a finite size greater than zero'],
      ['a zero memory size',
        { pilotResources: { memory: { limit: Size.mebibytes(0) } } },
        'test/mesh: invalid pilotResources.memory.limit "0Mi": must be a finite size greater than zero'],
      ['a memory size that is not whole kibibytes',
        { pilotResources: { memory: { request: Size.kibibytes(0.5) } } },
        'test/mesh: invalid pilotResources.memory.request "0.5Ki": must be a whole number of kibibytes'],
      ['a memory size given as a string (untyped callers)',
        { proxyResources: { memory: { request: '128Mi' as any } } },
        'test/mesh: invalid proxyResources.memory.request "128Mi": must be a cdk8s Size such as Size.mebibytes(128)'],
      ['duplicate gateway names',
        { ingressGateways: [{}, { labels: { istio: 'second' } }] },
        'test/mesh: invalid ingressGateways[1].name "istio-ingressgateway": another gateway in namespace "istio-system" has this name; give each gateway its own name'],
      ['an egress gateway named like an ingress gateway',
        { egressGateway: { name: 'istio-ingressgateway' } },
        'test/mesh: invalid egressGateway.name "istio-ingressgateway": another gateway in namespace "istio-system" has this name'],
      ['a duplicate port',
        { ingressGateways: [{ ports: [{ port: 80, targetPort: 8080, name: 'http2' }, { port: 80, targetPort: 8081, name: 'http' }] }] },
        'test/mesh: invalid ingressGateways[0].ports[1].port 80: duplicates ports[0]; each Service port must be unique'],
      ['a duplicate port name',
        { ingressGateways: [{ ports: [{ port: 80, targetPort: 8080, name: 'http2' }, { port: 81, targetPort: 8081, name: 'http2' }] }] },
        'test/mesh: invalid ingressGateways[0].ports[1].name "http2": duplicates the name of ports[0]; each Service port needs its own name'],
      ['a port named like the status port',
        { ingressGateways: [{ ports: [{ port: 81, targetPort: 8081, name: 'status-port' }] }] },
        'test/mesh: invalid ingressGateways[0].ports[0].name "status-port": duplicates the name of the status port'],
      ['the status port listed while it is kept automatically',
        { ingressGateways: [{ ports: [{ port: 15021, targetPort: 15021, name: 'status' }] }] },
        'test/mesh: invalid ingressGateways[0].ports[0].port 15021: is the status port, which is added automatically; remove it, or set keepStatusPort: false to list it yourself'],
      ['a port out of range',
        { ingressGateways: [{ ports: [{ port: 70000, targetPort: 8080, name: 'http2' }] }] },
        'test/mesh: invalid ingressGateways[0].ports[0].port 70000: must be an integer port from 1 to 65535'],
      ['a target port out of range',
        { egressGateway: { ports: [{ port: 443, targetPort: 0, name: 'https' }] } },
        'test/mesh: invalid egressGateway.ports[0].targetPort 0: must be an integer port from 1 to 65535'],
      ['a fractional port',
        { ingressGateways: [{ ports: [{ port: 80.5, targetPort: 8080, name: 'http2' }] }] },
        'test/mesh: invalid ingressGateways[0].ports[0].port 80.5: must be an integer port from 1 to 65535'],
      ['a target port missing',
        { ingressGateways: [{ ports: [{ port: 443, name: 'https' } as any] }] },
        'test/mesh: invalid ingressGateways[0].ports[0].targetPort (undefined): is required: the gateway runs as non-root and cannot bind port 443 itself; give the port Envoy listens on, 1024 or higher (Istio uses 8080 for 80, 8443 for 443)'],
      ['a privileged target port',
        { ingressGateways: [{ ports: [{ port: 80, targetPort: 80, name: 'http2' }] }] },
        'test/mesh: invalid ingressGateways[0].ports[0].targetPort 80: must be 1024 or higher: the gateway runs as non-root and cannot bind a privileged port'],
      ['an empty port list',
        { ingressGateways: [{ ports: [] }] },
        'test/mesh: invalid ingressGateways[0].ports []: must list at least one port; omit it to keep the default ports'],
      ['a port name that is not a DNS label',
        { ingressGateways: [{ ports: [{ port: 80, targetPort: 8080, name: 'HTTP' }] }] },
        'test/mesh: invalid ingressGateways[0].ports[0].name "HTTP": must be an RFC 1123 label'],
      ['a gateway name starting with a digit',
        { ingressGateways: [{ name: '1-gateway' }] },
        'test/mesh: invalid ingressGateways[0].name "1-gateway": must start with a letter: it is also the name of the gateway\'s Service'],
      ['a gateway namespace that is not a DNS label',
        { egressGateway: { namespace: 'Egress' } },
        'test/mesh: invalid egressGateway.namespace "Egress": must be an RFC 1123 label'],
      ['an ExternalName gateway Service',
        { ingressGateways: [{ serviceType: ServiceType.EXTERNAL_NAME }] },
        'test/mesh: invalid ingressGateways[0].serviceType "ExternalName": must be one of LoadBalancer, NodePort, ClusterIP'],
      ['a revision that is not a DNS label',
        { revision: '1.30.3' },
        'test/mesh: invalid revision "1.30.3": must be an RFC 1123 label: at most 63 lowercase letters, digits or \'-\', starting and ending with a letter or digit (e.g. "1-30-3")'],
      ['an unknown profile',
        { profile: 'production' as IstioProfile },
        'test/mesh: invalid profile "production": must be one of Istio\'s profiles: default, demo, minimal, remote, ambient, empty, preview'],
      ['a name that is not a DNS label',
        { name: 'Prod_Mesh' },
        'test/mesh: invalid name "Prod_Mesh": must be an RFC 1123 label'],
      ['a namespace that is not a DNS label',
        { namespace: 'istio.system' },
        'test/mesh: invalid namespace "istio.system": must be an RFC 1123 label'],
      ['a trust domain istiod rejects (an underscore)',
        { trustDomain: 'prod_example.com' },
        'test/mesh: invalid trustDomain "prod_example.com": must be a trust domain istiod accepts: dot-separated RFC 1123 labels'],
      ['a hub with a trailing slash',
        { hub: 'docker.io/istio/' },
        'test/mesh: invalid hub "docker.io/istio/": must be an image registry path without a trailing slash or tag (e.g. "docker.io/istio")'],
      ['a tag with a colon',
        { tag: ':1.30.3' },
        'test/mesh: invalid tag ":1.30.3": must be an image tag: letters, digits, "_", "." or "-", at most 128 (e.g. "1.30.3")'],
      ['zero istiod replicas',
        { pilotScaling: IstioPilotScaling.fixed(0) },
        'test/mesh: invalid pilotScaling.replicas 0: must be a whole number of replicas, at least 1'],
      ['an autoscaling range upside down',
        { pilotScaling: IstioPilotScaling.autoscale({ minReplicas: 3, maxReplicas: 2 }) },
        'test/mesh: invalid pilotScaling.maxReplicas 2: must be at least minReplicas (3)'],
      ['a fractional autoscaling minimum',
        { pilotScaling: IstioPilotScaling.autoscale({ minReplicas: 1.5, maxReplicas: 3 }) },
        'test/mesh: invalid pilotScaling.minReplicas 1.5: must be a whole number of replicas, at least 1'],
      ['a zero CPU target',
        { pilotScaling: IstioPilotScaling.autoscale({ minReplicas: 1, maxReplicas: 3, targetCpuUtilization: 0 }) },
        'test/mesh: invalid pilotScaling.targetCpuUtilization 0: must be a whole percentage of the CPU request greater than zero (e.g. 80)'],
      ['a relative access log path',
        { accessLog: IstioAccessLog.toFile('logs/access.log') },
        'test/mesh: invalid accessLog "logs/access.log": must be an absolute file path (e.g. "/dev/stdout")'],
      ['an unknown access log encoding',
        { accessLog: IstioAccessLog.toStdout('YAML' as IstioAccessLogEncoding) },
        'test/mesh: invalid accessLog.encoding "YAML": must be one of TEXT, JSON'],
      ['a default tracing provider that is not declared',
        { extensionProviders: [IstioExtensionProvider.zipkinTracing('zipkin', { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 })], defaultTracingProviders: ['otel'] },
        'test/mesh: invalid defaultTracingProviders[0] "otel": names no extension provider; it must be one of "zipkin"'],
      ['two extension providers of one name',
        { extensionProviders: [1, 2].map(() => IstioExtensionProvider.zipkinTracing('zipkin', { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 })) },
        'test/mesh: invalid extensionProviders[1].name "zipkin": another extension provider has this name'],
      ['a collector service that is a URL',
        { extensionProviders: [IstioExtensionProvider.openTelemetryTracing('otel', { service: 'http://otel:4317', port: 4317 })] },
        'test/mesh: invalid extensionProviders[0].service "http://otel:4317": must be the collector\'s host, optionally after its namespace and "/"'],
      ['a collector port out of range',
        { extensionProviders: [IstioExtensionProvider.openTelemetryTracing('otel', { service: 'otel.observability.svc.cluster.local', port: 0 })] },
        'test/mesh: invalid extensionProviders[0].port 0: must be an integer port from 1 to 65535'],
      ['cni: false with the ambient profile',
        { profile: IstioProfile.AMBIENT, cni: false },
        'test/mesh: invalid cni false: the ambient profile needs the CNI node agent, which redirects traffic to ztunnel; remove cni: false'],
      ['a Service annotation key with a space',
        { ingressGateways: [{ serviceAnnotations: { 'load balancer': 'internal' } }] },
        'test/mesh: invalid ingressGateways[0].serviceAnnotations "load balancer": must be an annotation key'],
      ['an unknown outbound traffic policy',
        { outboundTrafficPolicy: 'DENY_ALL' as IstioOutboundTrafficPolicy },
        'test/mesh: invalid outboundTrafficPolicy "DENY_ALL": must be one of ALLOW_ANY, REGISTRY_ONLY'],
    ])('rejects %s', (_rule, props, message) => {
      expect(errorOf(props)).toContain(message);
      // one line naming the construct, never a stack of wrapped errors
      expect(errorOf(props).startsWith('test/mesh: invalid ')).toBe(true);
    });

    test('addIngressGateway rejects a duplicate name at once', () => {
      const controlPlane = new IstioControlPlane(testChart(), 'mesh');
      expect(() => controlPlane.addIngressGateway({ labels: { istio: 'other' } }))
        .toThrow('test/mesh: invalid ingressGateways[1].name "istio-ingressgateway": another gateway in namespace "istio-system" has this name');
    });
  });
});

test('the app synthesizes the control plane alone in its chart file', () => {
  // what the README shows: `npm run synth`, then `istioctl install -f dist/manifests/reference/istio.k8s.yaml -y`
  const app = Testing.app();
  new IstioControlPlane(new Chart(app, 'istio'), 'control-plane', { name: 'coolvds-prod-mesh' });
  app.synth();
  const yaml = fs.readFileSync(path.join(app.outdir, 'istio.k8s.yaml'), 'utf8');
  expect(yaml.split(/^---$/m)).toHaveLength(1);
  expect(yaml).toContain('kind: IstioOperator');
});
