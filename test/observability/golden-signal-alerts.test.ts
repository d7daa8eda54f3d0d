import { Duration, JsonPatch } from 'cdk8s';
import { AlertSeverity, GoldenSignalAlerts, IstioMetrics } from '../../src';
import { findOne, synthValid, testChart } from '../support';

/** The alerting rules of the only PrometheusRule, by alert name. */
function rulesOf(docs: any[]): Record<string, any> {
  const rule = findOne(docs, 'PrometheusRule');
  expect(rule.spec.groups).toHaveLength(1);
  return Object.fromEntries(rule.spec.groups[0].rules.map((r: any) => [r.alert, r]));
}

describe('GoldenSignalAlerts', () => {
  test('defaults: p99 above 200 ms and more than 1% 5xx, over 5 minutes', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    new GoldenSignalAlerts(chart, 'alerts', { serviceName: 'payment-service', namespace: 'payments' });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    const rule = findOne(docs, 'PrometheusRule', 'payment-service-golden-signals');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.namespace).toBe('payments');
    expect(rule.spec.groups[0].name).toBe('payment-service.payments.golden-signals');
    expect(Object.keys(rulesOf(docs))).toEqual(['MeshServiceP99LatencyHigh', 'MeshServiceErrorRatioHigh']);
  });

  test('the latency alert takes the p99 of the service\'s request-duration histogram, in ms', () => {
    const chart = testChart();
    new GoldenSignalAlerts(chart, 'alerts', { serviceName: 'payment-service', namespace: 'payments' });
    const latency = rulesOf(synthValid(chart))[GoldenSignalAlerts.LATENCY_ALERT];

    expect(latency.expr).toBe([
      'histogram_quantile(0.99, sum by (destination_service_namespace, destination_service_name, le) (',
      '  rate(istio_request_duration_milliseconds_bucket{reporter="destination", destination_service_namespace="payments", destination_service_name="payment-service"}[5m])',
      '))',
      '> 200',
    ].join('\n'));
    expect(latency.for).toBe('5m');
    expect(latency.labels).toEqual({ severity: 'warning' });
    expect(latency.annotations.summary).toBe('p99 latency of payment-service.payments above 200ms');
  });

  test('the error alert compares the 5xx share of the service\'s requests, in percent', () => {
    const chart = testChart();
    new GoldenSignalAlerts(chart, 'alerts', { serviceName: 'payment-service', namespace: 'payments' });
    const errors = rulesOf(synthValid(chart))[GoldenSignalAlerts.ERROR_RATIO_ALERT];

    const selector = 'reporter="destination", destination_service_namespace="payments", destination_service_name="payment-service"';
    expect(errors.expr).toBe([
      '100 * sum by (destination_service_namespace, destination_service_name) (',
      `  rate(istio_requests_total{${selector}, response_code=~"5.."}[5m])`,
      ')',
      '/ sum by (destination_service_namespace, destination_service_name) (',
      `  rate(istio_requests_total{${selector}}[5m])`,
      ')',
      '> 1',
    ].join('\n'));
    expect(errors.annotations.summary).toBe('5xx ratio of payment-service.payments above 1%');
  });

  test('the expressions read Istio\'s standard metric names', () => {
    expect(IstioMetrics.REQUESTS_TOTAL).toBe('istio_requests_total');
    expect(IstioMetrics.REQUEST_DURATION_MILLISECONDS).toBe('istio_request_duration_milliseconds');
  });

  test('all options: thresholds, window, for, severity and selector labels', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const alerts = new GoldenSignalAlerts(chart, 'alerts', {
      serviceName: 'checkout',
      namespace: 'shop',
      maxP99Latency: Duration.seconds(1.5),
      maxErrorRatePercent: 0.5,
      window: Duration.minutes(10),
      for: Duration.seconds(0),
      severity: AlertSeverity.CRITICAL,
      labels: { release: 'kube-prometheus-stack' },
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(alerts.serviceName).toBe('checkout');
    expect(alerts.namespace).toBe('shop');
    const rule = findOne(docs, 'PrometheusRule', 'checkout-golden-signals');
    expect(rule.metadata.labels).toEqual({ 'release': 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'cdk8s-mesh' });
    const rules = rulesOf(docs);
    const latency = rules.MeshServiceP99LatencyHigh;
    expect(latency.expr).toContain('destination_service_namespace="shop", destination_service_name="checkout"}[10m]');
    expect(latency.expr.endsWith('\n> 1500')).toBe(true);
    const errors = rules.MeshServiceErrorRatioHigh;
    expect(errors.expr).toContain('destination_service_name="checkout", response_code=~"5.."}[10m]');
    expect(errors.expr.endsWith('\n> 0.5')).toBe(true);
    for (const r of [latency, errors]) {
      expect(r.for).toBe('0s');
      expect(r.labels).toEqual({ severity: 'critical' });
    }
  });

  test('escape hatch: a JSON patch on the PrometheusRule survives synth', () => {
    const chart = testChart();
    const alerts = new GoldenSignalAlerts(chart, 'alerts', { serviceName: 'payment-service', namespace: 'payments' });
    alerts.prometheusRule.addJsonPatch(JsonPatch.add('/spec/groups/0/interval', '30s'));
    expect(findOne(synthValid(chart), 'PrometheusRule').spec.groups[0].interval).toBe('30s');
  });

  describe('rejects bad input', () => {
    const service = { serviceName: 'payment-service', namespace: 'payments' };
    test.each([
      ['latency of zero', { maxP99Latency: Duration.millis(0) }, 'test/alerts: invalid maxP99Latency "0s": must be at least 1ms (e.g. Duration.millis(200))'],
      ['error rate of zero', { maxErrorRatePercent: 0 }, 'test/alerts: invalid maxErrorRatePercent 0: must be a percentage greater than 0 and less than 100 (e.g. 1 for 1% of requests)'],
      ['negative error rate', { maxErrorRatePercent: -1 }, 'test/alerts: invalid maxErrorRatePercent -1: must be a percentage greater than 0 and less than 100'],
      ['error rate of 100', { maxErrorRatePercent: 100 }, 'test/alerts: invalid maxErrorRatePercent 100: must be a percentage greater than 0 and less than 100'],
      ['error rate NaN', { maxErrorRatePercent: NaN }, 'test/alerts: invalid maxErrorRatePercent NaN: must be a percentage'],
      ['window of zero', { window: Duration.seconds(0) }, 'test/alerts: invalid window "0s": must be at least 1s (e.g. Duration.minutes(5))'],
      ['service name', { serviceName: 'Payment' }, 'test/alerts: invalid serviceName "Payment": must be an RFC 1123 label'],
      ['namespace', { namespace: 'pay.ments' }, 'test/alerts: invalid namespace "pay.ments": must be an RFC 1123 label'],
    ])('%s', (_, props, message) => {
      expect(() => new GoldenSignalAlerts(testChart(), 'alerts', { ...service, ...props })).toThrow(message);
    });
  });
});
