import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import {
  AlertSeverity, AppProtocol, CanaryService, GoldenSignalAlerts, IMeshService, KialiAuthStrategy, MeshObservability, MeshPrometheus,
  ZeroTrustNamespace,
} from '../../src';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';

/** A stand-in for any construct that implements IMeshService (CanaryService, for one). */
class StubService extends Construct implements IMeshService {
  public constructor(scope: Construct, id: string, public readonly serviceName: string, public readonly namespace: string,
    public readonly protocol?: AppProtocol) {
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

  test('defaults: one Prometheus, kube-prometheus-stack in monitoring, for Kiali and the monitors', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const observability = new MeshObservability(chart, 'observability');
    observability.addServiceAlerts(new StubService(chart, 'payment', 'payment-service', 'payments'));

    // THEN: what the lead wires into scraping admission and canary analysis
    expect(observability.prometheus.namespace).toBe('monitoring');
    expect(observability.prometheus.url).toBe('http://prometheus-operated.monitoring:9090');
    const docs = synthValid(chart);
    expect(YAML.parse(findOne(docs, 'ConfigMap', 'kiali').data['config.yaml']).external_services.prometheus.url)
      .toBe('http://prometheus-operated.monitoring:9090');
    for (const kind of ['PodMonitor', 'ServiceMonitor', 'PrometheusRule']) {
      expect(findOne(docs, kind).metadata.labels.release).toBe('kube-prometheus-stack');
    }
  });

  test('Istio\'s Prometheus addon: Kiali queries it, and no monitors are emitted (it scrapes by annotations)', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const observability = new MeshObservability(chart, 'observability', { prometheus: MeshPrometheus.istioAddon() });

    // THEN
    const docs = synthValid(chart);
    expect(observability.scraping).toBeUndefined();
    expect(docs.map(d => d.kind)).not.toEqual(expect.arrayContaining(['PodMonitor']));
    expect(findAll(docs, 'ServiceMonitor')).toEqual([]);
    expect(YAML.parse(findOne(docs, 'ConfigMap', 'kiali').data['config.yaml']).external_services.prometheus.url)
      .toBe('http://prometheus.istio-system:9090');
    expect(observability.prometheus.namespace).toBe('istio-system');
  });

  test('addServiceAlerts follows the service\'s protocol: CanaryService tells it', () => {
    // GIVEN
    const chart = testChart();
    const observability = new MeshObservability(chart, 'observability', { alertDefaults: { maxP99Latency: Duration.millis(300) } });
    const payments = ZeroTrustNamespace.fromName(chart, 'payments', 'payments');
    const service = (id: string, name: string, protocol: AppProtocol) => new CanaryService(chart, id, {
      namespace: payments, name, port: 8080, protocol, stable: { version: 'v1', image: 'registry.example.com/payment:1.4.2' },
    });
    const ledger = service('ledger', 'ledger', AppProtocol.TCP);
    const payment = service('payment', 'payment-service', AppProtocol.GRPC);

    // WHEN
    const tcp = observability.addServiceAlerts(ledger);
    const grpc = observability.addServiceAlerts(payment);

    // THEN
    expect(ledger.protocol).toBe(AppProtocol.TCP);
    expect([tcp.protocol, grpc.protocol]).toEqual([AppProtocol.TCP, AppProtocol.GRPC]);
    const docs = synthValid(chart);
    const rules = (name: string) => findOne(docs, 'PrometheusRule', `${name}-golden-signals`).spec.groups[0].rules;
    // the latency default is left out for TCP, which reports no durations
    expect(rules('ledger').map((r: any) => r.alert)).toEqual([GoldenSignalAlerts.ERROR_RATIO_ALERT]);
    expect(rules('ledger')[0].expr).toContain('istio_tcp_connections_closed_total');
    expect(rules('payment-service')[0].expr.endsWith(' > 300')).toBe(true);
    expect(rules('payment-service')[1].expr).toContain('grpc_response_status=~"2|4|12|13|14|15"');
    expect(warningsOf(chart)).toEqual([expect.stringMatching(/^test\/observability\/Alerts\/ledger.payments: ledger.payments is tcp: Istio measures no request latency/)]);
  });

  test('addServiceAlerts: a service without a protocol is HTTP', () => {
    const chart = testChart();
    const alerts = new MeshObservability(chart, 'observability').addServiceAlerts(new StubService(chart, 'payment', 'payment-service', 'payments'));
    expect(alerts.protocol).toBe(AppProtocol.HTTP);
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
      expect(r.expr).toContain('destination_service_namespace="payments",destination_service_name="payment-service"');
    }
    expect(latency.expr.endsWith(' > 200')).toBe(true);
    expect(errors.expr.endsWith(' > 1')).toBe(true);
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
    expect(latencyOf('orders').expr.endsWith(' > 300')).toBe(true);
    expect(latencyOf('checkout').expr.endsWith(' > 500')).toBe(true);
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
      prometheus: MeshPrometheus.operator({ namespace: 'observability', selectorLabels: { release: 'prom' } }),
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
    expect(config.external_services.prometheus.url).toBe('http://prometheus-operated.observability:9090');
    expect(observability.prometheus.namespace).toBe('observability');
    expect(config.auth.strategy).toBe('anonymous');
    expect(findOne(docs, 'Deployment', 'kiali').metadata.namespace).toBe('kiali');
    expect(findOne(docs, 'Telemetry', 'mesh-default').metadata.namespace).toBe('mesh-root');
    expect(findOne(docs, 'Telemetry', 'mesh-default').spec.tracing).toEqual([{ providers: [{ name: 'otel' }], randomSamplingPercentage: 10 }]);
    for (const kind of ['PodMonitor', 'ServiceMonitor', 'PrometheusRule']) {
      expect(findOne(docs, kind).metadata.labels.release).toBe('prom');
    }
    expect(findOne(docs, 'PodMonitor').metadata.namespace).toBe('mesh-system');
    expect(findOne(docs, 'ServiceMonitor').spec.endpoints[0].interval).toBe('30s');
    const [latency, errors] = findOne(docs, 'PrometheusRule').spec.groups[0].rules;
    expect(latency.expr).toContain('[2m]');
    expect(latency.expr.endsWith(' > 250')).toBe(true);
    expect(errors.expr.endsWith(' > 2')).toBe(true);
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
      expect(() => new MeshObservability(testChart(), 'observability', { prometheus: MeshPrometheus.operator({ url: 'prometheus-operated.monitoring' }) }))
        .toThrow('test/observability: invalid prometheus.url "prometheus-operated.monitoring": must be an absolute http:// or https:// URL with a host');
    });

    test('alerts or a scraping interval with Istio\'s Prometheus addon, which has neither rules nor monitors', () => {
      const chart = testChart();
      const addon = new MeshObservability(chart, 'observability', { prometheus: MeshPrometheus.istioAddon() });
      expect(() => addon.addServiceAlerts(new StubService(chart, 'payment', 'payment-service', 'payments')))
        .toThrow('test/observability: invalid prometheus "http://prometheus.istio-system:9090": evaluates no PrometheusRules ' +
          "(Istio's Prometheus addon has no alerting); use MeshPrometheus.operator() to alert on golden signals");
      expect(() => new MeshObservability(testChart(), 'observability', { prometheus: MeshPrometheus.istioAddon(), scraping: { interval: Duration.seconds(30) } }))
        .toThrow('test/observability: invalid scraping.interval "30 seconds": has no effect: Istio\'s Prometheus addon reads no PodMonitors ' +
          'and scrapes at its own interval; remove it or use MeshPrometheus.operator()');
    });

    test('a latency threshold for a TCP service, which reports no durations', () => {
      const chart = testChart();
      const observability = new MeshObservability(chart, 'observability');
      expect(() => observability.addServiceAlerts(new StubService(chart, 'ledger', 'ledger', 'payments', AppProtocol.TCP), { maxP99Latency: Duration.millis(100) }))
        .toThrow('test/observability/Alerts/ledger.payments: invalid maxP99Latency "100ms": cannot be measured: Istio reports no request durations for tcp');
    });

    test('tracing sampling outside 0-100', () => {
      expect(() => new MeshObservability(testChart(), 'observability', { telemetry: { tracingProvider: 'otel', tracingSamplingPercentage: 150 } }))
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
