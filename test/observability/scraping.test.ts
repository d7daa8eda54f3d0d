import { Duration, JsonPatch } from 'cdk8s';
import { MeshScraping } from '../../src';
import { findOne, synthValid, testChart } from '../support';

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
    expect(relabelings.slice(-2).map((r: any) => r.targetLabel)).toEqual(['namespace', 'pod_name']);
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
      labels: { release: 'kube-prometheus-stack' },
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(scraping.namespace).toBe('monitoring');
    for (const kind of ['PodMonitor', 'ServiceMonitor']) {
      const monitor = findOne(docs, kind);
      expect(monitor.metadata.namespace).toBe('monitoring');
      expect(monitor.metadata.labels).toEqual({ 'release': 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'cdk8s-mesh' });
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
    ])('%s', (_, props, message) => {
      expect(() => new MeshScraping(testChart(), 'scraping', props)).toThrow(message);
    });
  });
});
