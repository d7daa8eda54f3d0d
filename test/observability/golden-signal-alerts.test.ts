import { Duration, JsonPatch } from 'cdk8s';
import { AlertSeverity, AppProtocol, GoldenSignalAlerts, MeshPrometheus } from '../../src';
import { findOne, synthValid, testChart, warningsOf } from '../support';

const SELECTOR = 'reporter="destination",destination_service_namespace="payments",destination_service_name="payment-service"';
const BY = 'destination_service_namespace, destination_service_name';

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
    // the label a default kube-prometheus-stack's ruleSelector picks (MeshPrometheus.operator())
    expect(rule.metadata.labels).toEqual({ 'release': 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'cdk8s-mesh' });
    expect(Object.keys(rulesOf(docs))).toEqual(['MeshServiceP99LatencyHigh', 'MeshServiceErrorRatioHigh']);
    expect(warningsOf(chart)).toEqual([]);
  });

  test('the latency alert takes the p99 of the service\'s request-duration histogram, in ms', () => {
    const chart = testChart();
    new GoldenSignalAlerts(chart, 'alerts', { serviceName: 'payment-service', namespace: 'payments' });
    const latency = rulesOf(synthValid(chart))[GoldenSignalAlerts.LATENCY_ALERT];

    expect(latency.expr).toBe(
      `histogram_quantile(0.99, sum by (${BY}, le) (rate(istio_request_duration_milliseconds_bucket{${SELECTOR}}[5m]))) > 200`);
    expect(latency.for).toBe('5m');
    expect(latency.labels).toEqual({ severity: 'warning' });
    expect(latency.annotations.summary).toBe('p99 latency of payment-service.payments above 200ms');
  });

  test('the error alert compares the 5xx share of the service\'s requests, in percent', () => {
    const chart = testChart();
    new GoldenSignalAlerts(chart, 'alerts', { serviceName: 'payment-service', namespace: 'payments' });
    const errors = rulesOf(synthValid(chart))[GoldenSignalAlerts.ERROR_RATIO_ALERT];

    expect(errors.expr).toBe(
      `100 * sum by (${BY}) (rate(istio_requests_total{${SELECTOR},response_code=~"5.."}[5m])) / ` +
      `sum by (${BY}) (rate(istio_requests_total{${SELECTOR}}[5m])) > 1`);
    expect(errors.annotations.summary).toBe('error ratio of payment-service.payments above 1%');
    expect(errors.annotations.description).toBe('{{ $value | humanize }}% of the requests to payment-service.payments over 5m ' +
      'were answered with a 5xx status (threshold 1%, for 5m).');
  });

  test('gRPC: the error alert also counts server-error gRPC statuses, which arrive as HTTP 200', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const alerts = new GoldenSignalAlerts(chart, 'alerts', { serviceName: 'payment-service', namespace: 'payments', protocol: AppProtocol.GRPC });

    // THEN
    const rules = rulesOf(synthValid(chart));
    expect(alerts.protocol).toBe(AppProtocol.GRPC);
    expect(rules[GoldenSignalAlerts.ERROR_RATIO_ALERT].expr).toBe(
      `100 * sum by (${BY}) (rate(istio_requests_total{${SELECTOR},response_code=~"5.."}[5m]) or ` +
      `rate(istio_requests_total{${SELECTOR},grpc_response_status=~"2|4|12|13|14|15"}[5m])) / ` +
      `sum by (${BY}) (rate(istio_requests_total{${SELECTOR}}[5m])) > 1`);
    expect(rules[GoldenSignalAlerts.ERROR_RATIO_ALERT].annotations.description)
      .toContain('were answered with a 5xx status or gRPC status 2, 4, 12, 13, 14, 15');
    // gRPC requests have durations like HTTP ones
    expect(rules[GoldenSignalAlerts.LATENCY_ALERT].expr).toContain('istio_request_duration_milliseconds_bucket');
  });

  test('TCP: only an error alert over closed connections, and a warning that latency cannot be measured', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    new GoldenSignalAlerts(chart, 'alerts', { serviceName: 'ledger', namespace: 'payments', protocol: AppProtocol.TCP });

    // THEN
    const docs = synthValid(chart);
    const rules = rulesOf(docs);
    expect(Object.keys(rules)).toEqual([GoldenSignalAlerts.ERROR_RATIO_ALERT]);
    const sel = 'reporter="destination",destination_service_namespace="payments",destination_service_name="ledger"';
    expect(rules[GoldenSignalAlerts.ERROR_RATIO_ALERT].expr).toBe(
      `100 * sum by (${BY}) (rate(istio_tcp_connections_closed_total{${sel},response_flags!="-"}[5m])) / ` +
      `sum by (${BY}) (rate(istio_tcp_connections_closed_total{${sel}}[5m])) > 1`);
    expect(rules[GoldenSignalAlerts.ERROR_RATIO_ALERT].annotations.description).toBe(
      '{{ $value | humanize }}% of the connections to ledger.payments over 5m were closed with a proxy response flag (threshold 1%, for 5m).');
    // neither metric a TCP service never reports
    expect(JSON.stringify(docs)).not.toMatch(/istio_requests_total|istio_request_duration/);
    expect(warningsOf(chart)).toEqual(['test/alerts: ledger.payments is tcp: Istio measures no request latency or status for it, ' +
      'so it gets no p99 latency alert and its error alert counts connections closed with a proxy response flag; ' +
      "alert on latency from the application's own metrics, or give the port an HTTP or gRPC protocol if it speaks one"]);
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
      protocol: AppProtocol.HTTP2,
      prometheus: MeshPrometheus.operator({ selectorLabels: { prometheus: 'mesh', team: 'platform' } }),
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(alerts.serviceName).toBe('checkout');
    expect(alerts.namespace).toBe('shop');
    const rule = findOne(docs, 'PrometheusRule', 'checkout-golden-signals');
    expect(rule.metadata.labels).toEqual({ 'prometheus': 'mesh', 'team': 'platform', 'app.kubernetes.io/managed-by': 'cdk8s-mesh' });
    const rules = rulesOf(docs);
    const latency = rules.MeshServiceP99LatencyHigh;
    expect(latency.expr).toContain('destination_service_namespace="shop",destination_service_name="checkout"}[10m]');
    expect(latency.expr.endsWith(' > 1500')).toBe(true);
    const errors = rules.MeshServiceErrorRatioHigh;
    expect(errors.expr).toContain('destination_service_name="checkout",response_code=~"5.."}[10m]');
    expect(errors.expr.endsWith(' > 0.5')).toBe(true);
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
      ['protocol', { protocol: 'udp' as AppProtocol }, 'test/alerts: invalid protocol "udp": must be one of http, http2, grpc, tcp (an AppProtocol)'],
      ['latency on TCP', { protocol: AppProtocol.TCP, maxP99Latency: Duration.millis(200) },
        "test/alerts: invalid maxP99Latency \"200ms\": cannot be measured: Istio reports no request durations for tcp; remove it or alert on latency from the application's own metrics"],
      ['Istio\'s Prometheus addon', { prometheus: MeshPrometheus.istioAddon() },
        "test/alerts: invalid prometheus \"http://prometheus.istio-system:9090\": reads no PrometheusRules (Istio's Prometheus addon evaluates no alert rules); use MeshPrometheus.operator()"],
      ['bad selector labels', { prometheus: MeshPrometheus.operator({ selectorLabels: { release: 'a b' } }) },
        'test/alerts: invalid prometheus.selectorLabels["release"] "a b": must be a label value'],
    ])('%s', (_, props, message) => {
      expect(() => new GoldenSignalAlerts(testChart(), 'alerts', { ...service, ...props })).toThrow(message);
    });
  });
});
