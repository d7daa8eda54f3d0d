// The Argo CD and Flux deliveries: the same props as Istio's Helm charts. Every release is rendered
// with Helm itself (`helm template`, offline, against Istio 1.30.3's charts), every value key is
// checked against its chart, and the reference sizes must arrive in the rendered Deployments.
import { Chart, Duration, Testing } from 'cdk8s';
import { Cpu, ServiceType } from 'cdk8s-plus-27';
import * as YAML from 'yaml';
import { releasesOf, unknownValuePaths } from './helm-support';
import {
  IstioAccessLog, IstioControlPlane, IstioControlPlaneProps, IstioDelivery, IstioExtensionProvider, IstioHelmChart,
  IstioOutboundTrafficPolicy, IstioPilotScaling, IstioProfile, MeshWarnings, WarningMode,
} from '../../src';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';
import { chartsAvailable, helmTemplate } from '../support/helm';

const DELIVERIES: Array<[string, () => IstioDelivery]> = [
  ['Argo CD', () => IstioDelivery.argoCd()],
  ['Flux', () => IstioDelivery.flux()],
];

/** The strategy's control plane (MISSION.md, section 2), with the CNI agent as the reference example has it. */
const REFERENCE: IstioControlPlaneProps = { name: 'coolvds-prod-mesh', cni: true };

function synth(props: IstioControlPlaneProps, delivery: IstioDelivery): { chart: Chart; docs: any[]; controlPlane: IstioControlPlane } {
  const chart = testChart();
  const controlPlane = new IstioControlPlane(chart, 'mesh', { ...props, delivery });
  return { chart, docs: synthValid(chart), controlPlane };
}

function errorOf(build: (chart: Chart) => void): string {
  const chart = testChart();
  try {
    build(chart);
    Testing.synth(chart);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

/** Configurations that together write every value the translation knows. */
const CONFIGURATIONS: Array<[string, IstioControlPlaneProps]> = [
  ['the reference', REFERENCE],
  ['all options', {
    name: 'prod-mesh',
    namespace: 'mesh-system',
    revision: 'istiod-1-30',
    revisionTags: ['prod-stable', 'prod-canary'],
    hub: 'registry.example.com/istio',
    tag: '1.30.3',
    cni: true,
    pilotScaling: IstioPilotScaling.autoscale({ minReplicas: 2, maxReplicas: 6, targetCpuUtilization: 70 }),
    ingressGateways: [{}, {
      name: 'internal-gateway',
      namespace: 'internal-ingress',
      internal: true,
      labels: { istio: 'internal-gateway' },
      ports: [{ port: 443, targetPort: 8443, name: 'https' }],
    }, {
      name: 'private-lb',
      labels: { istio: 'private-lb' },
      serviceType: ServiceType.LOAD_BALANCER,
      serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' },
    }],
    egressGateway: { resources: { cpu: { request: Cpu.millis(100) } } },
    outboundTrafficPolicy: IstioOutboundTrafficPolicy.REGISTRY_ONLY,
    accessLog: IstioAccessLog.toStdout(),
    holdApplicationUntilProxyStarts: true,
    trustDomain: 'prod.example.com',
    extensionProviders: [
      IstioExtensionProvider.openTelemetryTracing('otel', { service: 'otel-collector.observability.svc.cluster.local', port: 4317 }),
      IstioExtensionProvider.zipkinTracing('zipkin', { service: 'observability/zipkin.example.com', port: 9411, maxTagLength: 128 }),
    ],
    defaultTracingProviders: ['otel'],
  }],
  ['a fixed istiod count', { pilotScaling: IstioPilotScaling.fixed(3), ingressGateways: [] }],
  ['ambient', { profile: IstioProfile.AMBIENT, revision: 'istiod-1-30' }],
];

describe.each(DELIVERIES)('%s delivery', (_tool, delivery) => {
  test.each(CONFIGURATIONS)('%s: every value key exists in its chart', (_name, props) => {
    const releases = releasesOf(synth(props, delivery()).docs);
    expect(releases.length).toBeGreaterThan(0);
    for (const release of releases) {
      expect({ release: release.releaseName, unknown: unknownValuePaths(release.chart, release.values) })
        .toEqual({ release: release.releaseName, unknown: [] });
    }
  });
});

(chartsAvailable() ? describe : describe.skip)('helm template of every release, offline', () => {
  test.each(DELIVERIES)('%s, the reference: the strategy\'s sizes and ports in the rendered Deployments and Service', (_tool, delivery) => {
    const releases = releasesOf(synth(REFERENCE, delivery()).docs);
    expect(releases.map(r => `${r.chart}/${r.releaseName}`)).toEqual(['base/istio-base', 'cni/istio-cni', 'istiod/istiod', 'gateway/istio-ingressgateway']);
    const rendered = Object.fromEntries(releases.map(r => [r.chart, helmTemplate(r)]));

    // istiod: 500m / 2048Mi (MISSION.md, section 2), and sidecars from the CNI agent
    const istiod = findOne(rendered.istiod, 'Deployment', 'istiod');
    expect(istiod.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '500m', memory: '2048Mi' } });
    const injector = JSON.parse(findOne(rendered.istiod, 'ConfigMap', 'istio-sidecar-injector').data.values);
    expect(injector.global.proxy.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } });
    expect(injector.pilot.cni.enabled).toBe(true);

    // the gateway: 1000m / 1024Mi, 80 -> 8080 and 443 -> 8443 with the status port kept first
    const gateway = findOne(rendered.gateway, 'Deployment', 'istio-ingressgateway');
    expect(gateway.spec.template.spec.containers[0].resources.requests).toEqual({ cpu: '1000m', memory: '1024Mi' });
    expect(gateway.spec.template.metadata.labels).toMatchObject({ app: 'istio-ingressgateway', istio: 'ingressgateway' });
    // the identity istioctl gives it, which authorization policies name
    expect(gateway.spec.template.spec.serviceAccountName).toBe('istio-ingressgateway-service-account');
    const service = findOne(rendered.gateway, 'Service', 'istio-ingressgateway');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports).toEqual([
      { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP' },
      { name: 'http2', port: 80, targetPort: 8080 },
      { name: 'https', port: 443, targetPort: 8443 },
    ]);
    expect(findAll(rendered.cni, 'DaemonSet')).toHaveLength(1);
    expect(findAll(rendered.base, 'CustomResourceDefinition').length).toBeGreaterThan(10);
  });

  test.each(DELIVERIES)('%s, all options: every release renders, with the revision, its tags and the mesh config', (_tool, delivery) => {
    const releases = releasesOf(synth(CONFIGURATIONS[1][1], delivery()).docs);
    const rendered = releases.map(r => ({ ...r, docs: helmTemplate(r) }));
    const istiod = rendered.find(r => r.chart === 'istiod')!;
    expect(istiod.releaseName).toBe('istiod-istiod-1-30');
    expect(findOne(istiod.docs, 'Deployment').metadata.name).toBe('istiod-istiod-1-30');
    expect(findAll(istiod.docs, 'MutatingWebhookConfiguration').map(w => w.metadata.name).sort())
      .toEqual(['istio-revision-tag-prod-canary-mesh-system', 'istio-revision-tag-prod-stable-mesh-system', 'istio-sidecar-injector-istiod-1-30-mesh-system']);
    const mesh = YAML.parse(findOne(istiod.docs, 'ConfigMap', 'istio-istiod-1-30').data.mesh);
    expect(mesh).toMatchObject({
      trustDomain: 'prod.example.com',
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      accessLogFile: '/dev/stdout',
      defaultProviders: { tracing: ['otel'] },
      extensionProviders: [
        { name: 'otel', opentelemetry: { service: 'otel-collector.observability.svc.cluster.local', port: 4317 } },
        { name: 'zipkin', zipkin: { service: 'observability/zipkin.example.com', port: 9411, maxTagLength: 128 } },
      ],
    });
    expect(findOne(istiod.docs, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
    // the default validation webhook calls this revision's istiod
    const base = rendered.find(r => r.chart === 'base')!;
    expect(findOne(base.docs, 'ValidatingWebhookConfiguration', 'istiod-default-validator').webhooks[0].clientConfig.service)
      .toMatchObject({ name: 'istiod-istiod-1-30', namespace: 'mesh-system' });

    const internal = rendered.find(r => r.releaseName === 'internal-gateway')!;
    expect(internal.namespace).toBe('internal-ingress');
    expect(findOne(internal.docs, 'Service').spec.type).toBe('ClusterIP');
    expect(findOne(internal.docs, 'Deployment').spec.template.metadata.labels).toMatchObject({ 'istio': 'internal-gateway', 'istio.io/rev': 'istiod-1-30' });
    const privateLb = findOne(rendered.find(r => r.releaseName === 'private-lb')!.docs, 'Service');
    expect(privateLb.spec.type).toBe('LoadBalancer');
    expect(privateLb.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' });
    const egress = rendered.find(r => r.releaseName === 'istio-egressgateway')!;
    expect(findOne(egress.docs, 'Service').spec.type).toBe('ClusterIP');
    expect(findOne(egress.docs, 'Deployment').spec.template.metadata.labels).toMatchObject({ app: 'istio-egressgateway', istio: 'egressgateway' });
  });

  test.each(DELIVERIES)('%s, ambient: istiod, the CNI agent in ambient mode and ztunnel, in Istio\'s install order', (_tool, delivery) => {
    const releases = releasesOf(synth({ profile: IstioProfile.AMBIENT, ingressGateways: [] }, delivery()).docs);
    expect(releases.map(r => r.chart)).toEqual(['base', 'istiod', 'cni', 'ztunnel']);
    const rendered = Object.fromEntries(releases.map(r => [r.chart, helmTemplate(r)]));
    const env = findOne(rendered.istiod, 'Deployment').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'PILOT_ENABLE_AMBIENT', value: 'true' });
    const cniConfig = findOne(rendered.cni, 'ConfigMap', 'istio-cni-config');
    expect(cniConfig.data.AMBIENT_ENABLED).toBe('true');
    expect(findOne(rendered.ztunnel, 'DaemonSet', 'ztunnel').spec.template.spec.serviceAccountName).toBe('ztunnel');
    // the values istiod renders waypoint Deployments with (files/waypoint.yaml reads gateways.seccompProfile):
    // a waypoint pod in a restricted namespace needs a seccomp profile to be admitted
    const injector = findOne(rendered.istiod, 'ConfigMap', 'istio-sidecar-injector');
    expect(JSON.parse(injector.data.values).gateways.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(injector.data.config).toContain('{{- if .Values.gateways.seccompProfile }}');
  });
});

describe('Argo CD', () => {
  test('the reference: one Application per release, in sync waves, pinned, with the webhook drift ignored', () => {
    const { docs, controlPlane, chart } = synth(REFERENCE, IstioDelivery.argoCd());
    expect(docs).toMatchSnapshot();
    expect(docs.map(d => d.kind)).toEqual(['Application', 'Application', 'Application', 'Application']);
    expect(controlPlane.istioOperator).toBeUndefined();
    expect(controlPlane.releases).toHaveLength(4);
    expect(docs.map(d => [d.metadata.name, d.metadata.annotations['argocd.argoproj.io/sync-wave']]))
      .toEqual([['istio-base', '-10'], ['istio-cni', '-9'], ['istiod', '-8'], ['istio-ingressgateway', '-5']]);
    for (const app of docs) {
      expect(app.metadata.namespace).toBe('argocd');
      expect(app.spec.source).toMatchObject({ repoURL: 'https://istio-release.storage.googleapis.com/charts', targetRevision: '1.30.3' });
      expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'istio-system' });
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    }
    // istiod flips the validators to Fail and patches their caBundle (istio/istio#44285, #57643)
    const base = findOne(docs, 'Application', 'istio-base');
    expect(base.spec.ignoreDifferences).toEqual([{
      group: 'admissionregistration.k8s.io',
      kind: 'ValidatingWebhookConfiguration',
      name: 'istiod-default-validator',
      jqPathExpressions: ['.webhooks[]?.failurePolicy', '.webhooks[]?.clientConfig.caBundle'],
    }]);
    expect(base.spec.syncPolicy.syncOptions).toEqual(['CreateNamespace=true', 'RespectIgnoreDifferences=true', 'ServerSideApply=true']);
    expect(findOne(docs, 'Application', 'istiod').spec.ignoreDifferences.map((i: any) => i.kind))
      .toEqual(['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('options: namespace, project, cluster, chart version, repository, manual sync', () => {
    const { docs } = synth({ ingressGateways: [] }, IstioDelivery.argoCd({
      namespace: 'gitops',
      project: 'platform',
      destinationServer: 'https://prod.example.com:6443',
      chartVersion: '1.30.2',
      repository: 'https://charts.example.com/istio',
      automatedSync: false,
    }));
    const istiod = findOne(docs, 'Application', 'istiod');
    expect(istiod.metadata.namespace).toBe('gitops');
    expect(istiod.spec.project).toBe('platform');
    expect(istiod.spec.destination.server).toBe('https://prod.example.com:6443');
    expect(istiod.spec.source).toMatchObject({ repoURL: 'https://charts.example.com/istio', chart: 'istiod', targetRevision: '1.30.2' });
    expect(istiod.spec.syncPolicy.automated).toBeUndefined();
  });
});

describe('Flux', () => {
  test('the reference: a HelmRepository and one HelmRelease per release, each depending on the one before', () => {
    const { docs, chart } = synth(REFERENCE, IstioDelivery.flux());
    expect(docs).toMatchSnapshot();
    expect(findOne(docs, 'HelmRepository', 'istio')).toEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'HelmRepository',
      metadata: { name: 'istio', namespace: 'flux-system' },
      spec: { url: 'https://istio-release.storage.googleapis.com/charts', interval: '10m' },
    });
    const releases = findAll(docs, 'HelmRelease');
    expect(releases.map(r => [r.metadata.name, (r.spec.dependsOn ?? []).map((d: any) => d.name)])).toEqual([
      ['istio-base', []], ['istio-cni', ['istio-base']], ['istiod', ['istio-cni']], ['istio-ingressgateway', ['istiod']],
    ]);
    for (const r of releases) {
      expect(r.metadata.namespace).toBe('flux-system');
      expect(r.spec).toMatchObject({
        targetNamespace: 'istio-system',
        storageNamespace: 'istio-system',
        install: { createNamespace: true },
        chart: { spec: { version: '1.30.3', sourceRef: { kind: 'HelmRepository', name: 'istio' } } },
      });
      expect(r.spec.releaseName).toBe(r.metadata.name);
    }
    expect(warningsOf(chart)).toEqual([]);
  });

  test('a gateway in another namespace: its own HelmRelease name, its release named after the gateway', () => {
    const { docs } = synth({ ingressGateways: [{ namespace: 'edge' }] }, IstioDelivery.flux({ interval: Duration.hours(1), namespace: 'flux' }));
    const gateway = findOne(docs, 'HelmRelease', 'istio-ingressgateway-edge');
    expect(gateway.spec).toMatchObject({ releaseName: 'istio-ingressgateway', targetNamespace: 'edge', interval: '1h' });
    expect(gateway.metadata.namespace).toBe('flux');
  });
});

describe('revisions side by side (canary upgrade)', () => {
  test('only the control plane with the cluster components installs base and the HelmRepository', () => {
    const app = Testing.app();
    MeshWarnings.setMode(app, WarningMode.COLLECT);
    const stable = new IstioControlPlane(new Chart(app, 'stable'), 'control-plane', {
      name: 'stable',
      revision: 'istiod-1-29',
      revisionTags: ['prod-stable'],
      ingressGateways: [],
      delivery: IstioDelivery.flux({ chartVersion: '1.29.4', clusterComponents: false }),
    });
    const canary = new IstioControlPlane(new Chart(app, 'canary'), 'control-plane', {
      name: 'canary',
      revision: 'istiod-1-30',
      revisionTags: ['prod-canary'],
      delivery: IstioDelivery.flux(),
    });
    const [stableDocs, canaryDocs] = [stable, canary].map(c => synthValid(c.node.scope as Chart));
    expect(stableDocs.map(d => d.metadata.name)).toEqual(['istiod-istiod-1-29']);
    expect(canaryDocs.map(d => d.metadata.name)).toEqual(['istio', 'istio-base', 'istiod-istiod-1-30', 'istio-ingressgateway']);
    expect(findOne(canaryDocs, 'HelmRelease', 'istio-base').spec.values).toEqual({ defaultRevision: 'istiod-1-30' });
    expect(findOne(stableDocs, 'HelmRelease').spec.values.revisionTags).toEqual(['prod-stable']);
  });
});

describe('escape hatch: addHelmValues', () => {
  test('merges checked values over the translation, for every release of the chart', () => {
    const chart = testChart();
    const controlPlane = new IstioControlPlane(chart, 'mesh', { delivery: IstioDelivery.argoCd(), ingressGateways: [{}, { name: 'b', labels: { istio: 'b' } }] });
    controlPlane.addHelmValues(IstioHelmChart.ISTIOD, { env: { PILOT_ENABLE_STATUS: 'true' }, resources: { limits: { memory: '4Gi' } } });
    controlPlane.addHelmValues(IstioHelmChart.GATEWAY, { podDisruptionBudget: { minAvailable: 1 } });
    const docs = synthValid(chart);
    expect(findOne(docs, 'Application', 'istiod').spec.source.helm.valuesObject).toMatchObject({
      env: { PILOT_ENABLE_STATUS: 'true' },
      resources: { requests: { cpu: '500m', memory: '2048Mi' }, limits: { memory: '4Gi' } },
    });
    for (const name of ['istio-ingressgateway', 'b']) {
      expect(findOne(docs, 'Application', name).spec.source.helm.valuesObject.podDisruptionBudget).toEqual({ minAvailable: 1 });
    }
  });
});

describe('bad input', () => {
  test.each<[string, (chart: Chart) => void, string]>([
    ['a chart version that is not a semver', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.argoCd({ chartVersion: '1.30' }) }),
      'test/mesh: invalid delivery.chartVersion "1.30": must be a pinned semantic version of Istio\'s charts, without "v" or a range (e.g. "1.30.3")'],
    ['a chart version range', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.flux({ chartVersion: '^1.30.0' }) }),
      'test/mesh: invalid delivery.chartVersion "^1.30.0": must be a pinned semantic version'],
    ['a chart version with a v', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.flux({ chartVersion: 'v1.30.3' }) }),
      'test/mesh: invalid delivery.chartVersion "v1.30.3": must be a pinned semantic version'],
    ['a repository that is not a URL', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.argoCd({ repository: 'istio-release/charts' }) }),
      'test/mesh: invalid delivery.repository "istio-release/charts": must be an absolute http:// or https:// URL'],
    ['an Argo CD namespace that is not a DNS label', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.argoCd({ namespace: 'Argo' }) }),
      'test/mesh: invalid delivery.namespace "Argo": must be an RFC 1123 label'],
    ['a Flux interval under a second', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.flux({ interval: Duration.millis(10) }) }),
      'test/mesh: invalid delivery.interval "10ms": must be at least 1s (e.g. Duration.minutes(10))'],
    ['a profile the charts do not have', c => new IstioControlPlane(c, 'mesh', { profile: IstioProfile.REMOTE, delivery: IstioDelivery.flux() }),
      'test/mesh: invalid profile "remote": Istio\'s Helm charts have no such profile; deliver it with IstioDelivery.istioctl()'],
    ['a value path the chart lacks', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.argoCd() })
      .addHelmValues(IstioHelmChart.ISTIOD, { resource: { requests: { cpu: '1' } } }),
    'test/mesh: invalid addHelmValues istiod "resource": Istio\'s istiod chart (1.30.3) has no such value, so Helm would ignore it'],
    ['a nested value path the chart lacks', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.flux() })
      .addHelmValues(IstioHelmChart.GATEWAY, { service: { annotation: { a: 'b' } } }),
    'test/mesh: invalid addHelmValues gateway "service.annotation": Istio\'s gateway chart (1.30.3) has no such value'],
    ['a map where the chart has one value', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.flux() })
      .addHelmValues(IstioHelmChart.CNI, { hub: { registry: 'example.com' } }),
    'test/mesh: invalid addHelmValues cni "hub": Istio\'s cni chart (1.30.3) has no such value'],
    ['Helm values with istioctl', c => new IstioControlPlane(c, 'mesh').addHelmValues(IstioHelmChart.ISTIOD, { env: {} }),
      'test/mesh: invalid addHelmValues "istioctl": Helm values apply to the Argo CD and Flux deliveries; with istioctl, patch the IstioOperator'],
    ['an unknown chart', c => new IstioControlPlane(c, 'mesh', { delivery: IstioDelivery.flux() }).addHelmValues('pilot' as IstioHelmChart, {}),
      'test/mesh: invalid addHelmValues chart "pilot": must be one of base, istiod, gateway, cni, ztunnel'],
  ])('rejects %s', (_rule, build, message) => {
    expect(errorOf(build)).toContain(message);
  });
});
