import { JsonPatch, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import * as YAML from 'yaml';
import { Kiali, KialiAuthStrategy, MeshPrometheus } from '../../src';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';

/** Kiali's config.yaml from the synthesized ConfigMap. */
function kialiConfig(docs: any[], name = 'kiali'): any {
  return YAML.parse(findOne(docs, 'ConfigMap', name).data['config.yaml']);
}

/** Every verb the ClusterRole grants, as "group/resource:verb". */
function grants(role: any): string[] {
  return role.rules.flatMap((r: any) =>
    r.apiGroups.flatMap((g: string) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${g}/${res}:${v}`))));
}

/** What the restricted Pod Security Standard checks on a pod template (kubernetes.io, "Pod Security Standards"). */
function expectRestricted(podSpec: any): void {
  expect(podSpec.hostNetwork ?? false).toBe(false);
  expect(podSpec.hostPID ?? false).toBe(false);
  expect(podSpec.hostIPC ?? false).toBe(false);
  expect(podSpec.securityContext.runAsNonRoot).toBe(true);
  expect(podSpec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  for (const volume of podSpec.volumes ?? []) {
    expect(Object.keys(volume).filter(k => k !== 'name')).toEqual([expect.stringMatching(/^(configMap|secret|emptyDir|projected)$/)]);
  }
  for (const container of podSpec.containers) {
    const sc = container.securityContext;
    expect(sc.privileged).toBe(false);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc.capabilities).toEqual({ drop: ['ALL'] });
    expect(sc.runAsUser).not.toBe(0);
  }
}

describe('Kiali', () => {
  test('defaults: the Istio addon shape, pinned to v2.26.0, read-only, token login', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const kiali = new Kiali(chart, 'kiali');

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(docs.map(d => `${d.kind}/${d.metadata.name}`)).toEqual([
      'ServiceAccount/kiali', 'ConfigMap/kiali', 'ClusterRole/kiali-viewer', 'ClusterRoleBinding/kiali-viewer',
      'Deployment/kiali', 'Service/kiali',
    ]);
    for (const doc of docs.filter(d => !d.kind.startsWith('Cluster'))) {
      expect(doc.metadata.namespace).toBe('istio-system');
    }
    expect(kiali.namespace).toBe('istio-system');
    expect(kiali.image).toBe('quay.io/kiali/kiali:v2.26.0');
    // the Prometheus Operator's Service in monitoring, where the monitors are read (MeshPrometheus.operator())
    expect(kiali.prometheusUrl).toBe('http://prometheus-operated.monitoring:9090');
  });

  test('the ConfigMap holds Kiali config: namespaces, Prometheus, token login, view-only', () => {
    const chart = testChart();
    new Kiali(chart, 'kiali');
    expect(kialiConfig(synthValid(chart))).toEqual({
      auth: { strategy: 'token' },
      deployment: { cluster_wide_access: true, instance_name: 'kiali', namespace: 'istio-system', view_only_mode: true },
      external_services: {
        grafana: { enabled: false },
        // no port-forwards, so no istiod debug endpoints
        istio: { istio_api_enabled: false, root_namespace: 'istio-system' },
        prometheus: { url: 'http://prometheus-operated.monitoring:9090' },
        tracing: { enabled: false },
      },
      istio_namespace: 'istio-system',
      server: { observability: { metrics: { enabled: true, port: 9090 } }, port: 20001, web_root: '/kiali' },
    });
  });

  test('the ClusterRole only reads, apart from token reviews, and is bound to Kiali', () => {
    const chart = testChart();
    new Kiali(chart, 'kiali');
    const docs = synthValid(chart);

    const writes = grants(findOne(docs, 'ClusterRole', 'kiali-viewer')).filter(g => !/:(get|list|watch)$/.test(g));
    expect(writes).toEqual(['authentication.k8s.io/tokenreviews:create']);
    const binding = findOne(docs, 'ClusterRoleBinding', 'kiali-viewer');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kiali-viewer' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kiali', namespace: 'istio-system' }]);
  });

  test('ambient needs no setting: Kiali finds ztunnel by listing DaemonSets, and Istio\'s ambient labels are its defaults', () => {
    // Kiali v2.26 turns its ambient views on when a DaemonSet labelled app.kubernetes.io/name=ztunnel
    // exists (kiali cache/cache.go, IsAmbientEnabled); its ambient label settings default to Istio's
    // (istio.io/dataplane-mode=ambient, istio.io/use-waypoint; kiali config/config.go).
    const chart = testChart();
    new Kiali(chart, 'kiali');
    const docs = synthValid(chart);

    const role = grants(findOne(docs, 'ClusterRole', 'kiali-viewer'));
    expect(role).toEqual(expect.arrayContaining(['apps/daemonsets:list', 'apps/daemonsets:watch', '/pods:list', '/services:list']));
    expect(kialiConfig(docs).deployment.cluster_wide_access).toBe(true);
    expect(kialiConfig(docs).istio_labels).toBeUndefined();
  });

  test('allowPortForward: the privileged grant, and Kiali\'s istiod features that need it', () => {
    const chart = testChart();
    new Kiali(chart, 'kiali', { allowPortForward: true });
    const docs = synthValid(chart);

    const writes = grants(findOne(docs, 'ClusterRole', 'kiali-viewer')).filter(g => !/:(get|list|watch)$/.test(g));
    expect(writes).toEqual(['/pods/portforward:create', 'authentication.k8s.io/tokenreviews:create']);
    expect(kialiConfig(docs).external_services.istio).toEqual({ istio_api_enabled: true, root_namespace: 'istio-system' });
  });

  test('the Deployment meets the restricted Pod Security Standard with cdk8s-plus container defaults', () => {
    const chart = testChart();
    new Kiali(chart, 'kiali');
    const spec = findOne(synthValid(chart), 'Deployment', 'kiali').spec.template.spec;

    expectRestricted(spec);
    const [container] = spec.containers;
    // Kiali's image runs as user 1000 and writes nothing, so these defaults work unchanged
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.image).toBe('quay.io/kiali/kiali:v2.26.0');
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(container.command).toEqual(['/opt/kiali/kiali', '-config', '/kiali-configuration/config.yaml']);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/kiali/healthz', port: 20001, scheme: 'HTTP' });
    expect(container.resources).toEqual({ limits: { memory: '1024Mi' }, requests: { cpu: '10m', memory: '64Mi' } });
    // Kiali talks to the Kubernetes API with its service account token
    expect(spec.automountServiceAccountToken).toBe(true);
    expect(spec.serviceAccountName).toBe('kiali');
  });

  test('the signing key comes from a Secret, mounted where Kiali reads overrides', () => {
    const chart = testChart();
    new Kiali(chart, 'kiali');
    const spec = findOne(synthValid(chart), 'Deployment', 'kiali').spec.template.spec;

    expect(spec.volumes).toContainEqual({
      name: 'kiali-signing-key',
      secret: { secretName: 'kiali-signing-key', items: [{ key: 'key', path: 'value.txt' }] },
    });
    expect(spec.containers[0].volumeMounts).toContainEqual({
      name: 'kiali-signing-key', mountPath: '/kiali-override-secrets/login-token-signing-key', readOnly: true,
    });
    // no key in the ConfigMap, which goes to Git
    expect(kialiConfig(synthValid(chart)).login_token).toBeUndefined();
  });

  test('Kiali stays out of the mesh, and the Service selects its pods with version-free labels', () => {
    const chart = testChart();
    new Kiali(chart, 'kiali');
    const docs = synthValid(chart);
    const deployment = findOne(docs, 'Deployment', 'kiali');
    const podLabels = deployment.spec.template.metadata.labels;

    expect(podLabels['sidecar.istio.io/inject']).toBe('false');
    const selector = { 'app.kubernetes.io/name': 'kiali', 'app.kubernetes.io/instance': 'kiali' };
    expect(deployment.spec.selector.matchLabels).toEqual(selector);
    const service = findOne(docs, 'Service', 'kiali');
    expect(service.spec.selector).toEqual(selector);
    expect(podLabels).toMatchObject(selector);
    expect(service.spec.ports).toEqual([
      { name: 'http', port: 20001, targetPort: 20001 },
      { name: 'http-metrics', port: 9090, targetPort: 9090 },
    ]);
  });

  test('a config change rolls the pods; the same config keeps the same hash', () => {
    const hash = (url?: string) => {
      const chart = testChart();
      new Kiali(chart, 'kiali', { prometheus: url ? MeshPrometheus.operator({ url }) : undefined });
      return findOne(synthValid(chart), 'Deployment').spec.template.metadata.annotations['cdk8s-mesh/config-sha256'];
    };
    expect(hash()).toMatch(/^[0-9a-f]{64}$/);
    expect(hash()).toBe(hash());
    expect(hash('http://prometheus-operated.observability:9090')).not.toBe(hash());
  });

  test('all options: own namespace, instance, image, anonymous and writable, resources', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const kiali = new Kiali(chart, 'kiali', {
      namespace: 'kiali',
      istioNamespace: 'mesh-system',
      rootNamespace: 'mesh-root',
      instanceName: 'kiali-ops',
      version: 'v2.26.1',
      imageRepository: 'registry.example.com/kiali/kiali',
      authStrategy: KialiAuthStrategy.ANONYMOUS,
      viewOnly: false,
      allowPortForward: true,
      signingKeySecretName: 'unused-by-anonymous',
      prometheus: MeshPrometheus.operator({ url: 'https://prometheus.monitoring.svc:9091/' }),
      resources: { cpu: { request: Cpu.millis(50) }, memory: { request: Size.mebibytes(256), limit: Size.gibibytes(2) } },
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(kiali.image).toBe('registry.example.com/kiali/kiali:v2.26.1');
    const config = kialiConfig(docs, 'kiali-ops');
    expect(config.auth.strategy).toBe('anonymous');
    expect(config.deployment).toMatchObject({ instance_name: 'kiali-ops', namespace: 'kiali', view_only_mode: false });
    expect(config.istio_namespace).toBe('mesh-system');
    expect(config.external_services.istio.root_namespace).toBe('mesh-root');
    expect(config.external_services.prometheus.url).toBe('https://prometheus.monitoring.svc:9091/');

    // anonymous and writable: Kiali's own service account needs the chart's write verbs
    const role = findOne(docs, 'ClusterRole', 'kiali-ops');
    expect(grants(role)).toEqual(expect.arrayContaining(['networking.istio.io/*:create', 'networking.istio.io/*:delete', 'apps/deployments:patch',
      '/pods/portforward:create']));
    expect(config.external_services.istio.istio_api_enabled).toBe(true);
    expect(findOne(docs, 'ClusterRoleBinding', 'kiali-ops').subjects).toEqual([{ kind: 'ServiceAccount', name: 'kiali-ops', namespace: 'kiali' }]);
    const spec = findOne(docs, 'Deployment', 'kiali-ops').spec.template.spec;
    expect(spec.volumes.map((v: any) => v.name)).toEqual(['kiali-ops-configuration']);
    expect(spec.containers[0].resources).toEqual({ limits: { memory: '2048Mi' }, requests: { cpu: '50m', memory: '256Mi' } });
    expect(spec.containers[0].image).toBe('registry.example.com/kiali/kiali:v2.26.1');
    expect(findOne(docs, 'Deployment', 'kiali-ops').metadata.labels['app.kubernetes.io/version']).toBe('v2.26.1');
    expect(warningsOf(chart)).toEqual([
      'test/kiali: anonymous Kiali without viewOnly lets whoever reaches its UI change Istio configuration mesh-wide ' +
      'with its service account; use KialiAuthStrategy.TOKEN or keep viewOnly',
    ]);
  });

  test('token login without viewOnly: users act with their own RBAC, Kiali itself stays a viewer', () => {
    const chart = testChart();
    new Kiali(chart, 'kiali', { viewOnly: false });
    const docs = synthValid(chart);
    expect(kialiConfig(docs).deployment.view_only_mode).toBe(false);
    expect(findAll(docs, 'ClusterRole').map(r => r.metadata.name)).toEqual(['kiali-viewer']);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('anonymous and view-only: no warning, viewer role, no signing key', () => {
    const chart = testChart();
    new Kiali(chart, 'kiali', { authStrategy: KialiAuthStrategy.ANONYMOUS });
    const docs = synthValid(chart);
    expect(findAll(docs, 'ClusterRole').map(r => r.metadata.name)).toEqual(['kiali-viewer']);
    expect(findOne(docs, 'Deployment').spec.template.spec.volumes.map((v: any) => v.name)).toEqual(['kiali-configuration']);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('escape hatch: a JSON patch on the ClusterRole survives synth', () => {
    const chart = testChart();
    const kiali = new Kiali(chart, 'kiali');
    kiali.clusterRole.addJsonPatch(JsonPatch.add('/rules/-', { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] }));
    expect(findOne(synthValid(chart), 'ClusterRole').rules.at(-1)).toEqual({ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] });
  });

  describe('rejects bad input', () => {
    test.each([
      ['namespace', { namespace: 'Kiali' }, 'test/kiali: invalid namespace "Kiali": must be an RFC 1123 label'],
      ['istioNamespace', { istioNamespace: 'istio_system' }, 'test/kiali: invalid istioNamespace "istio_system": must be an RFC 1123 label'],
      ['rootNamespace', { rootNamespace: '-root' }, 'test/kiali: invalid rootNamespace "-root": must be an RFC 1123 label'],
      ['signingKeySecretName', { signingKeySecretName: 'Key' }, 'test/kiali: invalid signingKeySecretName "Key": must be an RFC 1123 label'],
      ['instanceName', { instanceName: 'Kiali' }, 'test/kiali: invalid instanceName "Kiali": must be an RFC 1123 label'],
      ['instanceName digit', { instanceName: '1kiali' }, 'test/kiali: invalid instanceName "1kiali": must start with a letter and have at most 56 characters'],
      ['prometheus.url', { prometheus: MeshPrometheus.operator({ url: 'prometheus:9090' }) },
        'test/kiali: invalid prometheus.url "prometheus:9090": must be an absolute http:// or https:// URL with a host'],
      ['prometheus.url scheme', { prometheus: MeshPrometheus.operator({ url: 'ftp://prometheus' }) },
        'test/kiali: invalid prometheus.url "ftp://prometheus": must be an absolute http:// or https:// URL'],
      ['prometheus.url blank', { prometheus: MeshPrometheus.operator({ url: 'http://prom etheus' }) },
        'test/kiali: invalid prometheus.url "http://prom etheus": must be an absolute http://'],
      ['floating version', { version: 'v2.26' }, 'test/kiali: invalid version "v2.26": must be an exact Kiali release tag like "v2.26.0": a floating tag changes what runs without a change in Git'],
      ['latest', { version: 'latest' }, 'test/kiali: invalid version "latest": must be an exact Kiali release tag'],
    ])('%s', (_, props, message) => {
      expect(() => new Kiali(testChart(), 'kiali', props)).toThrow(message);
    });
  });
});
