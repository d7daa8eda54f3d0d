import { Duration, JsonPatch } from 'cdk8s';
import { MeshPrometheus, MeshScraping } from '../../src';
import { findOne, synthValid, testChart } from '../support';

/**
 * Prometheus relabeling as it applies a PodMonitor endpoint's `relabelings` to one discovered
 * target (prometheus/prometheus model/relabel): source values joined with ';', anchored regexes
 * (default `(.*)`), absent labels read as "". Returns the labels left, or undefined when dropped.
 */
function relabel(rules: any[], target: Record<string, string>): Record<string, string> | undefined {
  let labels = { ...target };
  for (const r of rules) {
    const regex = new RegExp(`^(?:${r.regex ?? '(.*)'})$`);
    const value = (r.sourceLabels ?? []).map((l: string) => labels[l] ?? '').join(r.separator ?? ';');
    const match = regex.exec(value);
    if (r.action === 'keep' && !match) return undefined;
    if (r.action === 'drop' && match) return undefined;
    if (r.action === 'replace' && match) {
      labels[r.targetLabel] = (r.replacement ?? '$1').replace(/\$(\d)/g, (_: string, i: string) => match[Number(i)] ?? '');
    }
    if (r.action === 'labeldrop') {
      labels = Object.fromEntries(Object.entries(labels).filter(([k]) => !regex.test(k)));
    }
  }
  return labels;
}

/** A target as Prometheus' Kubernetes pod discovery builds it, one per container port. */
function podTarget(o: { container: string; port: number; annotations?: Record<string, string>; ip?: string; name?: string }): Record<string, string> {
  const ip = o.ip ?? '10.1.2.3';
  const target: Record<string, string> = {
    __address__: ip.includes(':') ? `[${ip}]:${o.port}` : `${ip}:${o.port}`,
    __meta_kubernetes_namespace: 'payments',
    __meta_kubernetes_pod_name: o.name ?? 'payment-service-v1-abc12',
    __meta_kubernetes_pod_ip: ip,
    __meta_kubernetes_pod_container_name: o.container,
    __meta_kubernetes_pod_label_app: 'payment-service',
  };
  for (const [key, value] of Object.entries(o.annotations ?? {})) {
    const name = key.replace(/[^a-zA-Z0-9_]/g, '_');
    target[`__meta_kubernetes_pod_annotation_${name}`] = value;
    target[`__meta_kubernetes_pod_annotationpresent_${name}`] = 'true';
  }
  return target;
}

// What the injector puts on a sidecar pod with metrics merging, and a waypoint's pod template
// (manifests/charts/istio-control/istio-discovery/files/waypoint.yaml) the same.
const MERGED_METRICS = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15020', 'prometheus.io/path': '/stats/prometheus' };
// The ztunnel chart's default podAnnotations (manifests/charts/ztunnel/values.yaml): no path.
const ZTUNNEL = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15020' };

/** The discovery labels a target keeps after relabeling (Prometheus drops them after scraping starts). */
function meta(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => k.startsWith('__meta_')));
}

describe('MeshScraping', () => {
  test('defaults: the PodMonitor and ServiceMonitor of Istio\'s Prometheus Operator example', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    new MeshScraping(chart, 'scraping');

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(docs.map(d => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`))
      .toEqual(['PodMonitor/istio-system/envoy-stats-monitor', 'ServiceMonitor/istio-system/istio-component-monitor']);
    for (const monitor of docs) {
      // the label a default kube-prometheus-stack's podMonitorSelector and serviceMonitorSelector pick
      expect(monitor.metadata.labels).toEqual({ 'release': 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'cdk8s-mesh' });
    }
  });

  test('the PodMonitor scrapes the merged metrics of every istio-proxy at its prometheus.io port', () => {
    const chart = testChart();
    new MeshScraping(chart, 'scraping');
    const spec = findOne(synthValid(chart), 'PodMonitor').spec;

    expect(spec.namespaceSelector).toEqual({ any: true });
    expect(spec.selector).toEqual({ matchExpressions: [{ key: 'istio-prometheus-ignore', operator: 'DoesNotExist' }] });
    expect(spec.jobLabel).toBe('envoy-stats');
    const [endpoint] = spec.podMetricsEndpoints;
    expect(endpoint.path).toBe('/stats/prometheus');
    expect(endpoint.interval).toBe('15s');
    const relabelings = endpoint.relabelings;
    expect(relabelings[0]).toEqual({ action: 'keep', sourceLabels: ['__meta_kubernetes_pod_container_name'], regex: 'istio-proxy' });
    expect(relabelings[1]).toEqual({ action: 'keep', sourceLabels: ['__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape'] });
    // the address rewrites, IPv6 then IPv4, take the port from the prometheus.io/port annotation
    const rewrites = relabelings.filter((r: any) => r.targetLabel === '__address__');
    expect(rewrites.map((r: any) => r.replacement)).toEqual(['[$2]:$1', '$2:$1']);
    for (const r of rewrites) {
      expect(r.sourceLabels).toEqual(['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip']);
    }
    expect(new RegExp(`^${rewrites[1].regex}$`).exec('15020;10.1.2.3')?.[2]).toBe('10.1.2.3');
    expect(new RegExp(`^${rewrites[0].regex}$`).exec('15020;fd00::1:2')?.[2]).toBe('fd00::1:2');
    // `pod`, as Istio's example since 1.25 (istio/istio#54798) and Kiali's ztunnel metrics expect
    expect(relabelings.slice(-2).map((r: any) => r.targetLabel)).toEqual(['namespace', 'pod']);
  });

  test('the proxies of every data plane are scraped at 15020: sidecars, gateways, waypoints and ztunnel', () => {
    // GIVEN
    const chart = testChart();
    new MeshScraping(chart, 'scraping');
    const rules = findOne(synthValid(chart), 'PodMonitor').spec.podMetricsEndpoints[0].relabelings;

    // WHEN / THEN: a sidecar's istio-proxy (port 15090 declared, 15020 annotated)
    const sidecar = relabel(rules, podTarget({ container: 'istio-proxy', port: 15090, annotations: MERGED_METRICS }));
    expect(sidecar).toEqual({ __address__: '10.1.2.3:15020', namespace: 'payments', pod: 'payment-service-v1-abc12', ...meta(sidecar) });
    // a waypoint (or gateway): an Envoy whose istio-proxy container declares its status port
    const waypoint = relabel(rules, podTarget({ container: 'istio-proxy', port: 15021, annotations: MERGED_METRICS, name: 'waypoint-5d9f-q2x', ip: '10.1.2.9' }));
    expect([waypoint?.__address__, waypoint?.pod]).toEqual(['10.1.2.9:15020', 'waypoint-5d9f-q2x']);
    // ztunnel: its container is istio-proxy too, and it serves /stats/prometheus besides /metrics (istio/ztunnel src/metrics/server.rs)
    const ztunnel = relabel(rules, podTarget({ container: 'istio-proxy', port: 15020, annotations: ZTUNNEL, name: 'ztunnel-x7k2p', ip: 'fd00::a:1' }));
    expect(ztunnel?.__address__).toBe('[fd00::a:1]:15020');
    expect(ztunnel?.pod).toBe('ztunnel-x7k2p');
    // the application's own containers are not scraped here
    expect(relabel(rules, podTarget({ container: 'payment', port: 8080, annotations: MERGED_METRICS }))).toBeUndefined();
    // a sidecar without metrics merging (no annotations) is scraped at Envoy's own port 15090
    expect(relabel(rules, podTarget({ container: 'istio-proxy', port: 15090 }))?.__address__).toBe('10.1.2.3:15090');
    // pod labels are dropped: they would multiply the series of every Istio metric
    expect(Object.keys(sidecar!).filter(k => k.startsWith('__meta_kubernetes_pod_label_'))).toEqual([]);
  });

  test('the ServiceMonitor scrapes istiod\'s http-monitoring port', () => {
    const chart = testChart();
    new MeshScraping(chart, 'scraping');
    expect(findOne(synthValid(chart), 'ServiceMonitor').spec).toEqual({
      jobLabel: 'istio',
      targetLabels: ['app'],
      selector: { matchExpressions: [{ key: 'istio', operator: 'In', values: ['pilot'] }] },
      namespaceSelector: { any: true },
      endpoints: [{ port: 'http-monitoring', interval: '15s' }],
    });
  });

  test('all options: namespace, interval and selector labels', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const scraping = new MeshScraping(chart, 'scraping', {
      namespace: 'monitoring',
      interval: Duration.seconds(30),
      prometheus: MeshPrometheus.operator({ selectorLabels: { prometheus: 'mesh' } }),
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(scraping.namespace).toBe('monitoring');
    for (const kind of ['PodMonitor', 'ServiceMonitor']) {
      const monitor = findOne(docs, kind);
      expect(monitor.metadata.namespace).toBe('monitoring');
      expect(monitor.metadata.labels).toEqual({ 'prometheus': 'mesh', 'app.kubernetes.io/managed-by': 'cdk8s-mesh' });
    }
    expect(findOne(docs, 'PodMonitor').spec.podMetricsEndpoints[0].interval).toBe('30s');
    expect(findOne(docs, 'ServiceMonitor').spec.endpoints[0].interval).toBe('30s');
  });

  test('escape hatch: a JSON patch on the PodMonitor survives synth', () => {
    const chart = testChart();
    const scraping = new MeshScraping(chart, 'scraping');
    scraping.podMonitor.addJsonPatch(JsonPatch.add('/spec/sampleLimit', 50000));
    expect(findOne(synthValid(chart), 'PodMonitor').spec.sampleLimit).toBe(50000);
  });

  describe('rejects bad input', () => {
    test.each([
      ['namespace', { namespace: 'Monitoring' }, 'test/scraping: invalid namespace "Monitoring": must be an RFC 1123 label'],
      ['interval under 1s', { interval: Duration.millis(500) }, 'test/scraping: invalid interval "500ms": must be at least 1s (e.g. Duration.seconds(15))'],
      ['fractional interval', { interval: Duration.millis(1500.5) }, 'test/scraping: invalid interval "1 second 500.5 millis": must be a whole number of milliseconds (e.g. Duration.seconds(15))'],
      ['Istio\'s Prometheus addon', { prometheus: MeshPrometheus.istioAddon() },
        'test/scraping: invalid prometheus "http://prometheus.istio-system:9090": reads no PodMonitors or ServiceMonitors ' +
        "(Istio's Prometheus addon scrapes by the prometheus.io annotations by itself); leave MeshScraping out, or use MeshPrometheus.operator()"],
      ['bad selector labels', { prometheus: MeshPrometheus.operator({ selectorLabels: { '-release': 'x' } }) },
        'test/scraping: invalid prometheus.selectorLabels key "-release": must be a label key'],
    ])('%s', (_, props, message) => {
      expect(() => new MeshScraping(testChart(), 'scraping', props)).toThrow(message);
    });
  });
});
