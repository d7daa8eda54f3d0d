import {
  CanaryAnalysis, CanaryService, GoldenSignalAlerts, Kiali, MeshObservability, MeshPrometheus, MeshScraping, ZeroTrustNamespace,
} from '../../src';
import { testChart } from '../support';

describe('MeshPrometheus', () => {
  test('default: kube-prometheus-stack released as "kube-prometheus-stack" in monitoring, queried at prometheus-operated', () => {
    // WHEN
    const prometheus = MeshPrometheus.operator();

    // THEN
    expect(prometheus.namespace).toBe('monitoring');
    expect(prometheus.url).toBe('http://prometheus-operated.monitoring:9090');
    // kube-prometheus-stack's *SelectorNilUsesHelmValues select `release: <release name>`
    expect(prometheus.selectorLabels).toEqual({ release: 'kube-prometheus-stack' });
    expect(prometheus.readsOperatorResources).toBe(true);
  });

  test('operator: the URL follows the namespace unless given; the labels replace the default', () => {
    const other = MeshPrometheus.operator({ namespace: 'observability', selectorLabels: { prometheus: 'mesh' } });
    expect(other.url).toBe('http://prometheus-operated.observability:9090');
    expect(other.selectorLabels).toEqual({ prometheus: 'mesh' });

    const thanos = MeshPrometheus.operator({ url: 'https://thanos-query.thanos:10902/', selectorLabels: {} });
    expect(thanos.namespace).toBe('monitoring');
    expect(thanos.url).toBe('https://thanos-query.thanos:10902/');
    expect(thanos.selectorLabels).toEqual({});
  });

  test('operator: the selector labels are copied, so later changes to the caller\'s object do not leak in', () => {
    const labels: Record<string, string> = { release: 'prom' };
    const prometheus = MeshPrometheus.operator({ selectorLabels: labels });
    labels.release = 'changed';
    expect(prometheus.selectorLabels).toEqual({ release: 'prom' });
  });

  test('istioAddon: the Service prometheus on 9090 in the Istio namespace, reading no operator resources', () => {
    const addon = MeshPrometheus.istioAddon();
    expect(addon.namespace).toBe('istio-system');
    expect(addon.url).toBe('http://prometheus.istio-system:9090');
    expect(addon.selectorLabels).toEqual({});
    expect(addon.readsOperatorResources).toBe(false);
    expect(MeshPrometheus.istioAddon({ namespace: 'mesh-system' }).url).toBe('http://prometheus.mesh-system:9090');
  });

  test('one default everywhere: Kiali, the monitors, the rules and Argo Rollouts\' analysis', () => {
    const chart = testChart();
    const url = MeshPrometheus.operator().url;
    expect(new Kiali(chart, 'kiali').prometheusUrl).toBe(url);
    expect(new MeshObservability(chart, 'observability').prometheus.url).toBe(url);
    const payments = ZeroTrustNamespace.fromName(chart, 'payments', 'payments');
    const argo = new CanaryService(chart, 'payment', {
      namespace: payments,
      name: 'payment-service',
      port: 8080,
      analysis: CanaryAnalysis.argoRollouts(),
      stable: { version: 'v1', image: 'registry.example.com/payment:1.4.2' },
      canary: { version: 'v2', image: 'registry.example.com/payment:1.5.0' },
    });
    expect(argo.analysisTemplate!.toJson().spec.metrics.map((m: any) => m.provider.prometheus.address)).toEqual([url, url]);
    const labels = (o: { metadata: { labels?: Record<string, string> } }) => o.metadata.labels?.release;
    const scraping = new MeshScraping(chart, 'scraping');
    expect(labels(scraping.podMonitor.toJson())).toBe('kube-prometheus-stack');
    expect(labels(scraping.serviceMonitor.toJson())).toBe('kube-prometheus-stack');
    expect(labels(new GoldenSignalAlerts(chart, 'alerts', { serviceName: 'a', namespace: 'b' }).prometheusRule.toJson())).toBe('kube-prometheus-stack');
  });

  describe('rejects bad input, naming the construct that uses it', () => {
    test.each([
      ['a namespace that is not an RFC 1123 label', MeshPrometheus.operator({ namespace: 'Monitoring' }),
        'test/observability: invalid prometheus.namespace "Monitoring": must be an RFC 1123 label'],
      ['an addon namespace that is not an RFC 1123 label', MeshPrometheus.istioAddon({ namespace: 'istio_system' }),
        'test/observability: invalid prometheus.namespace "istio_system": must be an RFC 1123 label'],
      ['a URL without a scheme', MeshPrometheus.operator({ url: 'prometheus-operated.monitoring:9090' }),
        'test/observability: invalid prometheus.url "prometheus-operated.monitoring:9090": must be an absolute http:// or https:// URL with a host'],
      ['a label key with a space', MeshPrometheus.operator({ selectorLabels: { 'my release': 'x' } }),
        'test/observability: invalid prometheus.selectorLabels key "my release": must be a label key [prefix/]name'],
      ['a label key with an invalid prefix', MeshPrometheus.operator({ selectorLabels: { 'Example.com/release': 'x' } }),
        'test/observability: invalid prometheus.selectorLabels key "Example.com/release": must be a label key'],
      ['a label value too long', MeshPrometheus.operator({ selectorLabels: { release: 'r'.repeat(64) } }),
        `test/observability: invalid prometheus.selectorLabels["release"] "${'r'.repeat(64)}": must be a label value: at most 63 letters`],
      ['a label value ending in "-"', MeshPrometheus.operator({ selectorLabels: { release: 'prom-' } }),
        'test/observability: invalid prometheus.selectorLabels["release"] "prom-": must be a label value'],
    ])('%s', (_, prometheus, message) => {
      expect(() => new MeshObservability(testChart(), 'observability', { prometheus })).toThrow(message);
    });

    test('prefixed keys and empty values are labels Kubernetes accepts', () => {
      const prometheus = MeshPrometheus.operator({ selectorLabels: { 'monitoring.example.com/team': '', 'release': 'kube-prometheus-stack' } });
      expect(() => new MeshObservability(testChart(), 'observability', { prometheus })).not.toThrow();
    });
  });
});
