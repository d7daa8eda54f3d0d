import { AppProtocol, IstioMetrics } from '../../src';
import {
  describeFailures, errorRatioPercent, GRPC_SERVER_ERROR_CODES, IstioQuery, measuresLatency, p99DurationMs, successRatePercent,
} from '../../src/observability/promql';

const SELECTOR = { reporter: 'destination', destination_service_name: 'payment-service' };
const query = (protocol: AppProtocol, by?: string[]): IstioQuery => ({ protocol, selector: SELECTOR, window: '5m', by });
const SEL = 'reporter="destination",destination_service_name="payment-service"';

describe('PromQL over Istio\'s standard metrics', () => {
  test('the metric names are Istio\'s', () => {
    expect(IstioMetrics.REQUESTS_TOTAL).toBe('istio_requests_total');
    expect(IstioMetrics.REQUEST_DURATION_MILLISECONDS).toBe('istio_request_duration_milliseconds');
    expect(IstioMetrics.TCP_CONNECTIONS_CLOSED_TOTAL).toBe('istio_tcp_connections_closed_total');
  });

  test.each([AppProtocol.HTTP, AppProtocol.HTTP2])('%s: errors are 5xx responses', (protocol) => {
    expect(errorRatioPercent(query(protocol, ['destination_service_name']))).toBe(
      `100 * sum by (destination_service_name) (rate(istio_requests_total{${SEL},response_code=~"5.."}[5m])) / ` +
      `sum by (destination_service_name) (rate(istio_requests_total{${SEL}}[5m]))`);
  });

  test('gRPC: errors are 5xx responses or the server-error gRPC statuses, each request counted once', () => {
    // `or` keeps one of two identical series: a 503 with grpc-status 14 is one failed request
    expect(errorRatioPercent(query(AppProtocol.GRPC))).toBe(
      `100 * sum(rate(istio_requests_total{${SEL},response_code=~"5.."}[5m]) or ` +
      `rate(istio_requests_total{${SEL},grpc_response_status=~"2|4|12|13|14|15"}[5m])) / ` +
      `sum(rate(istio_requests_total{${SEL}}[5m]))`);
    // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS: the codes google.rpc.Code maps to 5xx
    expect(GRPC_SERVER_ERROR_CODES).toEqual([2, 4, 12, 13, 14, 15]);
  });

  test('TCP: errors are connections closed with a response flag', () => {
    expect(errorRatioPercent(query(AppProtocol.TCP))).toBe(
      `100 * sum(rate(istio_tcp_connections_closed_total{${SEL},response_flags!="-"}[5m])) / ` +
      `sum(rate(istio_tcp_connections_closed_total{${SEL}}[5m]))`);
  });

  test('the success rate negates every failure alternative in one selector, and is 0 when nothing succeeded', () => {
    expect(successRatePercent(query(AppProtocol.HTTP))).toBe(
      `100 * (sum(rate(istio_requests_total{${SEL},response_code!~"5.."}[5m])) or sum(rate(istio_requests_total{${SEL}}[5m])) * 0) / ` +
      `sum(rate(istio_requests_total{${SEL}}[5m]))`);
    expect(successRatePercent(query(AppProtocol.GRPC))).toContain(
      `{${SEL},response_code!~"5..",grpc_response_status!~"2|4|12|13|14|15"}`);
    expect(successRatePercent(query(AppProtocol.TCP))).toContain(`istio_tcp_connections_closed_total{${SEL},response_flags="-"}`);
  });

  test('p99 keeps the `by` labels and `le`; TCP has no request durations', () => {
    expect(p99DurationMs(query(AppProtocol.GRPC, ['destination_service_name']))).toBe(
      `histogram_quantile(0.99, sum by (destination_service_name, le) (rate(istio_request_duration_milliseconds_bucket{${SEL}}[5m])))`);
    expect(p99DurationMs(query(AppProtocol.HTTP))).toBe(
      `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${SEL}}[5m])))`);
    expect(measuresLatency(AppProtocol.TCP)).toBe(false);
    expect(() => p99DurationMs(query(AppProtocol.TCP))).toThrow('Istio reports no request durations for tcp');
  });

  test('label values are quoted as PromQL strings (Argo Rollouts templates pass through)', () => {
    const q: IstioQuery = { protocol: AppProtocol.HTTP, selector: { destination_app: '{{args.service}}', odd: 'a"b\\c' }, window: '1m' };
    expect(p99DurationMs(q)).toContain('{destination_app="{{args.service}}",odd="a\\"b\\\\c"}');
  });

  test('the words alert texts use', () => {
    expect(describeFailures(AppProtocol.HTTP)).toEqual({ counted: 'requests', failed: 'answered with a 5xx status' });
    expect(describeFailures(AppProtocol.GRPC)).toEqual({ counted: 'requests', failed: 'answered with a 5xx status or gRPC status 2, 4, 12, 13, 14, 15' });
    expect(describeFailures(AppProtocol.TCP)).toEqual({ counted: 'connections', failed: 'closed with a proxy response flag' });
  });
});
