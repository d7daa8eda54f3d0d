import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { AlertSeverity, IMeshService, KialiAuthStrategy, MeshObservability } from '../../src';
import { findAll, findOne, synthValid, testChart } from '../support';

/** A stand-in for any construct that implements IMeshService (CanaryService, for one). */
class StubService extends Construct implements IMeshService {
  public constructor(scope: Construct, id: string, public readonly serviceName: string, public readonly namespace: string) {
    super(scope, id);
  }

  public get serviceAccountName(): string {
    return this.serviceName;
  }
}

describe('MeshObservability', () => {
  test('defaults: Kiali, mesh Telemetry and scraping in istio-system, no alerts', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    new MeshObservability(chart, 'observability');

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(docs.map(d => `${d.kind}/${d.metadata.name}`)).toEqual([
      'ServiceAccount/kiali', 'ConfigMap/kiali', 'ClusterRole/kiali-viewer', 'ClusterRoleBinding/kiali-viewer',
      'Deployment/kiali', 'Service/kiali',
      'Telemetry/mesh-default',
      'PodMonitor/envoy-stats-monitor', 'ServiceMonitor/istio-component-monitor',
    ]);
    for (const doc of docs.filter(d => d.metadata.namespace !== undefined)) {
      expect(doc.metadata.namespace).toBe('istio-system');
    }
    expect(findAll(docs, 'PrometheusRule')).toEqual([]);
  });

  test('construct IDs are stable: they name resources in users\' clusters', () => {
    const chart = testChart();
    const observability = new MeshObservability(chart, 'observability');
    observability.addServiceAlerts(new StubService(chart, 'payment', 'payment-service', 'payments'));
    expect(observability.node.children.map(c => c.node.id)).toEqual(['Kiali', 'Telemetry', 'Scraping', 'Alerts']);
    expect(observability.node.findChild('Alerts').node.children.map(c => c.node.path))
      .toEqual(['test/observability/Alerts/payment-service.payments']);
  });

  test('addServiceAlerts: one line alerts on a mesh service\'s golden signals, in its namespace', () => {
    // GIVEN
    const chart = testChart();
    const observability = new MeshObservability(chart, 'observability');
    const payment = new StubService(chart, 'payment', 'payment-service', 'payments');

    // WHEN
    const alerts = observability.addServiceAlerts(payment);

    // THEN
    const rule = findOne(synthValid(chart), 'PrometheusRule', 'payment-service-golden-signals');
    expect(alerts.prometheusRule.metadata.namespace).toBe('payments');
    expect(rule.metadata.namespace).toBe('payments');
    const [latency, errors] = rule.spec.groups[0].rules;
    for (const r of [latency, errors]) {
      expect(r.expr).toContain('destination_service_namespace="payments", destination_service_name="payment-service"');
    }
    expect(latency.expr.endsWith('\n> 200')).toBe(true);
    expect(errors.expr.endsWith('\n> 1')).toBe(true);
  });

  test('addServiceAlerts: options override alertDefaults, which override the built-in defaults', () => {
    const chart = testChart();
    const observability = new MeshObservability(chart, 'observability', {
      alertDefaults: { maxP99Latency: Duration.millis(300), severity: AlertSeverity.CRITICAL },
    });
    observability.addServiceAlerts(new StubService(chart, 'a', 'orders', 'shop'));
    observability.addServiceAlerts(new StubService(chart, 'b', 'checkout', 'shop'), { maxP99Latency: Duration.millis(500), severity: undefined });

    const docs = synthValid(chart);
    const latencyOf = (name: string) => findOne(docs, 'PrometheusRule', `${name}-golden-signals`).spec.groups[0].rules[0];
    expect(latencyOf('orders').expr.endsWith('\n> 300')).toBe(true);
    expect(latencyOf('checkout').expr.endsWith('\n> 500')).toBe(true);
    // an option left undefined keeps the default
    expect(latencyOf('checkout').labels).toEqual({ severity: 'critical' });
  });

  test('all options', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const observability = new MeshObservability(chart, 'observability', {
      istioNamespace: 'mesh-system',
      rootNamespace: 'mesh-root',
      prometheusUrl: 'http://prometheus-operated.monitoring:9090',
      prometheusSelectorLabels: { release: 'kube-prometheus-stack' },
      kiali: { namespace: 'kiali', authStrategy: KialiAuthStrategy.ANONYMOUS, viewOnly: true, instanceName: 'kiali' },
      telemetry: { accessLogFilter: 'response.code >= 400', tracingSamplingPercentage: 10, tracingProvider: 'otel' },
      scraping: { interval: Duration.seconds(30) },
      alertDefaults: { maxErrorRatePercent: 2, window: Duration.minutes(2), for: Duration.minutes(1) },
    });
    observability.addServiceAlerts(new StubService(chart, 'payment', 'payment-service', 'payments'), { maxP99Latency: Duration.millis(250) });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(observability.istioNamespace).toBe('mesh-system');
    const config = YAML.parse(findOne(docs, 'ConfigMap', 'kiali').data['config.yaml']);
    expect(config.istio_namespace).toBe('mesh-system');
    expect(config.external_services.istio.root_namespace).toBe('mesh-root');
    expect(config.external_services.prometheus.url).toBe('http://prometheus-operated.monitoring:9090');
    expect(config.auth.strategy).toBe('anonymous');
    expect(findOne(docs, 'Deployment', 'kiali').metadata.namespace).toBe('kiali');
    expect(findOne(docs, 'Telemetry', 'mesh-default').metadata.namespace).toBe('mesh-root');
    expect(findOne(docs, 'Telemetry', 'mesh-default').spec.tracing).toEqual([{ providers: [{ name: 'otel' }], randomSamplingPercentage: 10 }]);
    for (const kind of ['PodMonitor', 'ServiceMonitor', 'PrometheusRule']) {
      expect(findOne(docs, kind).metadata.labels.release).toBe('kube-prometheus-stack');
    }
    expect(findOne(docs, 'PodMonitor').metadata.namespace).toBe('mesh-system');
    expect(findOne(docs, 'ServiceMonitor').spec.endpoints[0].interval).toBe('30s');
    const [latency, errors] = findOne(docs, 'PrometheusRule').spec.groups[0].rules;
    expect(latency.expr).toContain('[2m]');
    expect(latency.expr.endsWith('\n> 250')).toBe(true);
    expect(errors.expr.endsWith('\n> 2')).toBe(true);
    expect(errors.for).toBe('1m');
  });

  describe('rejects bad input', () => {
    test('an Istio namespace that is not an RFC 1123 label', () => {
      expect(() => new MeshObservability(testChart(), 'observability', { istioNamespace: 'Istio_System' }))
        .toThrow('test/observability: invalid istioNamespace "Istio_System": must be an RFC 1123 label');
    });

    test('a root namespace that is not an RFC 1123 label', () => {
      expect(() => new MeshObservability(testChart(), 'observability', { rootNamespace: 'root-' }))
        .toThrow('test/observability: invalid rootNamespace "root-": must be an RFC 1123 label');
    });

    test('a Prometheus address that is not a URL', () => {
      expect(() => new MeshObservability(testChart(), 'observability', { prometheusUrl: 'prometheus-operated.monitoring' }))
        .toThrow('test/observability/Kiali: invalid prometheusUrl "prometheus-operated.monitoring": must be an absolute http:// or https:// URL with a host');
    });

    test('tracing sampling outside 0-100', () => {
      expect(() => new MeshObservability(testChart(), 'observability', { telemetry: { tracingSamplingPercentage: 150 } }))
        .toThrow('test/observability/Telemetry: invalid tracingSamplingPercentage 150: must be a number from 0 to 100');
    });

    test('thresholds that are not positive', () => {
      const chart = testChart();
      const observability = new MeshObservability(chart, 'observability');
      const payment = new StubService(chart, 'payment', 'payment-service', 'payments');
      expect(() => observability.addServiceAlerts(payment, { maxErrorRatePercent: 0 }))
        .toThrow('test/observability/Alerts/payment-service.payments: invalid maxErrorRatePercent 0: must be a percentage greater than 0');
      expect(() => new MeshObservability(testChart(), 'observability', { alertDefaults: { maxP99Latency: Duration.millis(0) } })
        .addServiceAlerts(new StubService(chart, 'other', 'orders', 'shop')))
        .toThrow('invalid maxP99Latency "0s": must be at least 1ms');
    });

    test('alerts added twice for one service', () => {
      const chart = testChart();
      const observability = new MeshObservability(chart, 'observability');
      observability.addServiceAlerts(new StubService(chart, 'payment', 'payment-service', 'payments'));
      expect(() => observability.addServiceAlerts(new StubService(chart, 'again', 'payment-service', 'payments')))
        .toThrow('test/observability: invalid service "payment-service.payments": already has golden-signal alerts; call addServiceAlerts once per service');
    });

    test('a service whose namespace is not an RFC 1123 label', () => {
      const chart = testChart();
      const observability = new MeshObservability(chart, 'observability');
      expect(() => observability.addServiceAlerts(new StubService(chart, 'payment', 'payment-service', 'Payments')))
        .toThrow('test/observability/Alerts/payment-service.Payments: invalid namespace "Payments": must be an RFC 1123 label');
    });
  });
});
