// A CanaryService in an ambient namespace: Gateway API routing through the namespace's waypoint
// (an HTTPRoute whose parent is the Service, a Service per version, DestinationRules per backend),
// the retries it cannot write, and progressive delivery with Flagger's Gateway API provider.
import { Duration } from 'cdk8s';
import { CANARY, paymentService, STABLE } from './fixtures';
import {
  AmbientWaypoint, AppProtocol, CanaryAnalysis, CanaryService, DataPlane, ZeroTrustNamespace,
} from '../../src';
import { formatGatewayDuration } from '../../src/common/duration';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';

type Props = Parameters<typeof paymentService>[0];

/** A CanaryService `payment-service` in the ambient namespace `payments`. */
function ambientService(props: Props = {}, waypoint?: AmbientWaypoint) {
  const chart = testChart();
  const namespace = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', dataPlane: DataPlane.ambient(waypoint ? { waypoint } : {}) });
  const service = new CanaryService(chart, 'payment', { ...paymentService(props), namespace });
  return { chart, namespace, service, docs: synthValid(chart) };
}

const RETRY_TEXT = 'cannot be written for the waypoint of an ambient namespace: Gateway API\'s standard channel has no HTTPRoute retries, so the waypoint ' +
  'applies Istio\'s default policy (2 retries on connect-failure, refused-stream, unavailable, cancelled, retriable-status-codes, no per-try timeout';

describe('CanaryService in an ambient namespace', () => {
  test('the strategy\'s canary: an HTTPRoute on the Service, weighted to a Service per version, through the waypoint', () => {
    // GIVEN / WHEN
    const { service, docs } = ambientService({ stable: STABLE, canary: { ...CANARY, weight: 5 }, timeout: Duration.seconds(2) });

    // THEN
    expect(docs.filter(d => d.metadata.namespace === 'payments').map(d => `${d.kind} ${d.metadata.name}`)).toMatchSnapshot();
    expect(findAll(docs, 'VirtualService')).toEqual([]);
    const route = findOne(docs, 'HTTPRoute');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec).toEqual({
      // GAMMA: the Service itself is the parent (core group "")
      parentRefs: [{ group: '', kind: 'Service', name: 'payment-service', port: 8080 }],
      rules: [{
        name: 'primary',
        backendRefs: [{ name: 'payment-service-v1', port: 8080, weight: 95 }, { name: 'payment-service-v2', port: 8080, weight: 5 }],
        timeouts: { request: '2s' },
      }],
    });
    expect(service.httpRoute).toBeDefined();
    expect(service.virtualService).toBeUndefined();
    expect(service.destinationRule).toBeUndefined();
    // DestinationRule subsets do not apply to HTTPRoute: each version has a Service of its own
    expect(findOne(docs, 'Service', 'payment-service-v2').spec).toEqual({
      selector: { app: 'payment-service', version: 'v2' },
      ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' }],
    });
    // and the waypoint applies a DestinationRule per backend: circuit breaking, no TLS (HBONE is mTLS)
    expect(service.destinationRules.map(d => d.name)).toEqual(['payment-service-v1', 'payment-service-v2']);
    expect(findOne(docs, 'DestinationRule', 'payment-service-v1').spec).toEqual({
      host: 'payment-service-v1',
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 1024 }, http: { http1MaxPendingRequests: 1024, http2MaxRequests: 1024 } },
        outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      },
    });
    expect(findOne(docs, 'Gateway').metadata.annotations['cdk8s-mesh/waypoint-needed-by']).toBe('service payments/payment-service: a canary, a route timeout');
  });

  test('a service that needs no L7 gets no route, no DestinationRule and no waypoint: ztunnel carries it', () => {
    const { service, docs } = ambientService();
    expect(findAll(docs, 'HTTPRoute')).toEqual([]);
    expect(findAll(docs, 'DestinationRule')).toEqual([]);
    expect(findAll(docs, 'Gateway')).toEqual([]);
    expect(service.destinationRules).toEqual([]);
  });

  test('with AmbientWaypoint.ALWAYS even a plain service is routed, with the default circuit breaker', () => {
    const { docs } = ambientService({}, AmbientWaypoint.ALWAYS);
    expect(findOne(docs, 'HTTPRoute').spec.rules).toEqual([{ name: 'primary', backendRefs: [{ name: 'payment-service-v1', port: 8080, weight: 100 }] }]);
    expect(findOne(docs, 'DestinationRule').spec.host).toBe('payment-service-v1');
  });

  test('header route first, mirroring as a whole percentage or a fraction, durations as Gateway API writes them', () => {
    const { docs } = ambientService({
      canary: CANARY, canaryHeader: { name: 'x-canary', value: 'always' }, mirrorPercentage: 12.5, timeout: Duration.millis(1500),
    });
    expect(findOne(docs, 'HTTPRoute').spec.rules).toEqual([
      {
        name: 'canary-header',
        matches: [{ headers: [{ type: 'Exact', name: 'x-canary', value: 'always' }] }],
        backendRefs: [{ name: 'payment-service-v2', port: 8080 }],
        timeouts: { request: '1s500ms' },
      },
      {
        name: 'primary',
        backendRefs: [{ name: 'payment-service-v1', port: 8080, weight: 100 }, { name: 'payment-service-v2', port: 8080, weight: 0 }],
        filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'payment-service-v2', port: 8080 }, fraction: { numerator: 1250, denominator: 10000 } } }],
        timeouts: { request: '1s500ms' },
      },
    ]);
    const whole = ambientService({ canary: CANARY, mirrorPercentage: 10 }).docs;
    expect(findOne(whole, 'HTTPRoute').spec.rules[0].filters[0].requestMirror.percent).toBe(10);
    expect([0, 1500, 2000, 90_000, 100_500, 7_200_000].map(ms => formatGatewayDuration(Duration.millis(ms))))
      .toEqual(['0s', '1s500ms', '2s', '1m30s', '1m40s500ms', '2h']);
  });

  test('TCP: a circuit breaker is a DestinationRule on the Service; a canary cannot be split', () => {
    const { docs } = ambientService({ protocol: AppProtocol.TCP, circuitBreaker: { maxConnections: 100 } });
    expect(findAll(docs, 'HTTPRoute')).toEqual([]);
    expect(findOne(docs, 'DestinationRule').spec).toEqual({
      host: 'payment-service',
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 100 } },
        outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      },
    });
    expect(() => ambientService({ protocol: AppProtocol.TCP, canary: CANARY })).toThrow(
      'test/payment: invalid canary "v2": cannot be routed by weight in an ambient namespace: protocol is "tcp", and Gateway API\'s standard channel has ' +
      'no TCPRoute, so the Service would split connections by pod count; remove the canary, or run the service in a sidecar namespace');
  });

  test('retries the waypoint cannot apply are reported; the default policy on HTTP is not', () => {
    expect(warningsOf(ambientService({ timeout: Duration.seconds(2) }).chart)).toEqual([]);
    expect(warningsOf(ambientService({ retries: { attempts: 5 } }).chart)).toEqual([
      `test/payment: service payments/payment-service: retries { attempts: 5, retryOn: "connect-failure,refused-stream,reset-before-request" } ${RETRY_TEXT}); ` +
      'set meshConfig.defaultHttpRetryPolicy for the whole mesh, or run the service in a sidecar namespace to have its own policy',
    ]);
    // turning retries off cannot be written either, where the waypoint carries the service
    expect(warningsOf(ambientService({ timeout: Duration.seconds(2), retries: { attempts: 0 } }).chart)).toEqual([
      expect.stringContaining('retries { attempts: 0 } cannot be written'),
    ]);
    // gRPC: Istio's default also retries "unavailable" and "cancelled"
    expect(warningsOf(ambientService({ protocol: AppProtocol.GRPC, timeout: Duration.seconds(2) }).chart)).toEqual([
      expect.stringContaining('for gRPC "unavailable" and "cancelled" may resend requests the application already received'),
    ]);
  });

  test('a service without a route of its own still goes through a waypoint another service pulled in: its retries are reported then', () => {
    const chart = testChart();
    const namespace = new ZeroTrustNamespace(chart, 'payments', { name: 'payments', dataPlane: DataPlane.ambient() });
    new CanaryService(chart, 'ledger', { namespace, name: 'ledger', port: 8080, stable: STABLE, retries: { attempts: 0 } });
    synthValid(chart);
    // no waypoint yet: ztunnel does not retry, as asked
    expect(warningsOf(chart)).toEqual([]);
    new CanaryService(chart, 'payment', { namespace, name: 'payment', port: 8080, stable: STABLE, timeout: Duration.seconds(1) });
    synthValid(chart);
    expect(warningsOf(chart)).toEqual([
      expect.stringMatching(/^test\/ledger\/Service: service payments\/ledger: retries \{ attempts: 0 \} cannot be written .* \(the namespace's waypoint is there for service payments\/payment: a route timeout\)$/),
    ]);
  });

  test('in an ambient namespace the app only names, the route is written for the waypoint its owners run', () => {
    const chart = testChart();
    const namespace = ZeroTrustNamespace.fromName(chart, 'payments', 'payments', { dataPlane: DataPlane.ambient() });
    new CanaryService(chart, 'payment', { ...paymentService({ timeout: Duration.seconds(2) }), namespace });
    const docs = synthValid(chart);
    expect(findOne(docs, 'HTTPRoute').spec.rules[0].timeouts).toEqual({ request: '2s' });
    expect(findAll(docs, 'Gateway')).toEqual([]);
  });

  test('budgets along call chains count what the waypoint does: Istio\'s default 2 retries, or none without a waypoint', () => {
    const chain = (waypoint: AmbientWaypoint) => {
      const chart = testChart();
      const namespace = new ZeroTrustNamespace(chart, 'shop', { name: 'shop', dataPlane: DataPlane.ambient({ waypoint }) });
      const services = ['a', 'b', 'c', 'd'].map(n => new CanaryService(chart, n, { namespace, name: n, port: 8080, stable: STABLE }));
      services.slice(1).forEach((s, i) => services[i].calls(s));
      synthValid(chart);
      return warningsOf(chart);
    };
    // with sidecars the library's 2 retries per hop give 27 tries at d, the limit; so does the waypoint
    expect(chain(AmbientWaypoint.ALWAYS)).toEqual([]);
    expect(chain(AmbientWaypoint.NEVER)).toEqual([]);
    const deep = testChart();
    const shop = new ZeroTrustNamespace(deep, 'shop', { name: 'shop', dataPlane: DataPlane.ambient({ waypoint: AmbientWaypoint.ALWAYS }) });
    const hops = ['a', 'b', 'c', 'd', 'e'].map(n => new CanaryService(deep, n, { namespace: shop, name: n, port: 8080, stable: STABLE, retries: { attempts: 0 } }));
    hops.slice(1).forEach((s, i) => hops[i].calls(s));
    synthValid(deep);
    // attempts 0 cannot be written: the waypoint retries twice at every hop, 81 tries at e
    expect(warningsOf(deep).filter(w => w.includes('one request may reach it'))).toEqual([
      expect.stringMatching(/^test\/e: service shop\/e: one request may reach it up to 81 times/),
    ]);
  });

  test('the version Service name must stay a DNS label', () => {
    expect(() => ambientService({ name: 'p'.repeat(60), canary: { ...CANARY, version: 'v2-long' } })).toThrow(
      'make the version\'s Service name');
  });

  test('Argo Rollouts is refused: its Gateway API plugin is not configured by this library', () => {
    expect(() => ambientService({ canary: CANARY, analysis: CanaryAnalysis.argoRollouts() })).toThrow(
      'test/payment: invalid analysis "Argo Rollouts": cannot roll out service payments/payment-service in an ambient namespace: its routes are Gateway API ' +
      'HTTPRoutes, and this library does not configure Argo Rollouts\' Gateway API plugin; use CanaryAnalysis.flagger() (Flagger\'s Gateway API provider), or a sidecar namespace');
  });
});

describe('Flagger in an ambient namespace: its Gateway API provider', () => {
  const { chart, docs, service } = ambientService({
    canary: CANARY, timeout: Duration.millis(1500), circuitBreaker: { maxConnections: 100 }, analysis: CanaryAnalysis.flagger(),
  });

  test('a Canary with provider gatewayapi:v1, the Service as the HTTPRoute\'s parent, and the timeout', () => {
    const canary = findOne(docs, 'Canary').spec;
    expect(canary.provider).toBe('gatewayapi:v1');
    expect(canary.service).toEqual({
      name: 'payment-service',
      port: 8080,
      targetPort: 8080,
      portName: 'http',
      appProtocol: 'http',
      gatewayRefs: [{ group: '', kind: 'Service', name: 'payment-service', port: 8080 }],
      timeout: '1s500ms',
    });
    expect(service.flaggerCanary).toBeDefined();
    expect(findAll(docs, 'HTTPRoute')).toEqual([]);
  });

  test('the waypoint applies DestinationRules on the two Services Flagger creates, TCP pool included', () => {
    expect(service.destinationRules).toEqual([]);
    expect(findAll(docs, 'DestinationRule').map(d => [d.spec.host, d.spec.trafficPolicy.connectionPool.tcp.maxConnections]))
      .toEqual([['payment-service-primary', 100], ['payment-service-canary', 100]]);
    expect(findOne(docs, 'Gateway').metadata.annotations['cdk8s-mesh/waypoint-needed-by']).toBe('service payments/payment-service: progressive delivery (Flagger)');
  });

  test('the analysis reads the waypoint\'s Istio metrics through MetricTemplates', () => {
    expect(findOne(docs, 'Canary').spec.analysis.metrics).toEqual([
      { name: 'success-rate', templateRef: { name: 'payment-service-success-rate', namespace: 'payments' }, thresholdRange: { min: 99 }, interval: '1m' },
      { name: 'latency-p99', templateRef: { name: 'payment-service-latency-p99', namespace: 'payments' }, thresholdRange: { max: 200 }, interval: '1m' },
    ]);
    const selector = 'reporter="waypoint",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"';
    expect(findOne(docs, 'MetricTemplate', 'payment-service-success-rate').spec).toEqual({
      provider: { type: 'prometheus', address: 'http://prometheus-operated.monitoring:9090' },
      query: `100 * (sum(rate(istio_requests_total{${selector},response_code!~"5.."}[{{ interval }}])) or ` +
        `sum(rate(istio_requests_total{${selector}}[{{ interval }}])) * 0) / sum(rate(istio_requests_total{${selector}}[{{ interval }}]))`,
    });
    expect(findOne(docs, 'MetricTemplate', 'payment-service-latency-p99').spec.query)
      .toBe(`histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector}}[{{ interval }}])))`);
    expect(warningsOf(chart)).toEqual([]);
  });
});
