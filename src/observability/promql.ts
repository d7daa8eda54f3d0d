// One home for the PromQL over Istio's standard metrics (issue 13): the golden-signal alerts and
// Argo Rollouts' AnalysisTemplate build their success rate, error ratio and p99 here, so a query
// changes in one place. Internal, apart from the metric names (`IstioMetrics`).
import { AppProtocol } from '../common/app-protocol';

/**
 * Istio's standard metrics the alerts and analyses read (istio.io, "Istio Standard Metrics"):
 * every proxy (sidecar, gateway, waypoint) and ztunnel reports them, labelled with the source and
 * destination workload and service.
 */
export class IstioMetrics {
  /** COUNTER of HTTP, HTTP/2 and gRPC requests, labelled with `response_code` and `grpc_response_status`. */
  public static readonly REQUESTS_TOTAL = 'istio_requests_total';

  /** DISTRIBUTION (Prometheus histogram) of request durations in milliseconds (HTTP, HTTP/2 and gRPC only). */
  public static readonly REQUEST_DURATION_MILLISECONDS = 'istio_request_duration_milliseconds';

  /** COUNTER of closed TCP connections, labelled with `response_flags` ("-" when the proxy flagged nothing). */
  public static readonly TCP_CONNECTIONS_CLOSED_TOTAL = 'istio_tcp_connections_closed_total';

  private constructor() {}
}

/**
 * gRPC status codes that are server errors: those google.rpc.Code maps to an HTTP 5xx (UNKNOWN and
 * INTERNAL 500, UNIMPLEMENTED 501, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, DATA_LOSS 500;
 * googleapis google/rpc/code.proto). The client-side codes (CANCELLED, INVALID_ARGUMENT, NOT_FOUND,
 * PERMISSION_DENIED...) map to 4xx, which the HTTP error ratio leaves out too. Kiali's health counts
 * every non-zero status (kiali config.go, `^[1-9]$|^1[0-6]$`), client errors included.
 */
export const GRPC_SERVER_ERROR_CODES = [2, 4, 12, 13, 14, 15];

/** A label matcher of a PromQL selector. */
interface Matcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

const NEGATED: Record<Matcher['op'], Matcher['op']> = { '=': '!=', '!=': '=', '=~': '!~', '!~': '=~' };

/** What counts as a failed request or connection, per protocol. */
interface FailureDefinition {
  /** The counter of every request or connection. */
  readonly metric: string;
  /** Alternatives: a series is a failure when it matches any of them. */
  readonly failed: Matcher[];
}

const HTTP_5XX: Matcher = { label: 'response_code', op: '=~', value: '5..' };

function failureDefinition(protocol: AppProtocol): FailureDefinition {
  switch (protocol) {
    case AppProtocol.TCP:
      // TCP has no status: a connection failed when the proxy closed it with a response flag
      // (Envoy's UF, UH, UO, NR...; ztunnel's CONNECT, DENY, TLS_FAILURE...).
      return { metric: IstioMetrics.TCP_CONNECTIONS_CLOSED_TOTAL, failed: [{ label: 'response_flags', op: '!=', value: '-' }] };
    case AppProtocol.GRPC:
      // gRPC failures mostly arrive as HTTP 200 with a grpc-status trailer.
      return {
        metric: IstioMetrics.REQUESTS_TOTAL,
        failed: [HTTP_5XX, { label: 'grpc_response_status', op: '=~', value: GRPC_SERVER_ERROR_CODES.join('|') }],
      };
    default:
      return { metric: IstioMetrics.REQUESTS_TOTAL, failed: [HTTP_5XX] };
  }
}

/** What a query selects and how it aggregates. */
export interface IstioQuery {
  /** The service's protocol: decides the metric and what counts as a failure. */
  readonly protocol: AppProtocol;
  /** Exact label matches, in this order (values may be Argo Rollouts `{{args.x}}` templates). */
  readonly selector: Record<string, string>;
  /** The `rate()` range, e.g. "5m". */
  readonly window: string;
  /** The labels the result keeps (`sum by`); none sums everything into one value. */
  readonly by?: string[];
}

/** Whether Istio measures request durations for the protocol (not for TCP). */
export function measuresLatency(protocol: AppProtocol): boolean {
  return protocol !== AppProtocol.TCP;
}

/** What the error ratio counts, in words, for alert texts. */
export function describeFailures(protocol: AppProtocol): { readonly counted: string; readonly failed: string } {
  switch (protocol) {
    case AppProtocol.TCP: return { counted: 'connections', failed: 'closed with a proxy response flag' };
    case AppProtocol.GRPC: return { counted: 'requests', failed: `answered with a 5xx status or gRPC status ${GRPC_SERVER_ERROR_CODES.join(', ')}` };
    default: return { counted: 'requests', failed: 'answered with a 5xx status' };
  }
}

/**
 * The percentage of failed requests (connections for TCP): `100 * failed / all`. A series matched
 * by several alternatives counts once (`or` keeps one of two identical series). Without traffic,
 * or without any failure, the result is empty, so an alert on it stays quiet.
 */
export function errorRatioPercent(q: IstioQuery): string {
  const f = failureDefinition(q.protocol);
  const failed = f.failed.map(m => rate(f.metric, q, [m])).join(' or ');
  return `100 * ${sum(q.by, failed)} / ${sum(q.by, rate(f.metric, q, []))}`;
}

/**
 * The percentage of successful requests (connections for TCP): `100 * ok / all`. When every
 * request failed, no "ok" series may exist; `or <all> * 0` makes that 0% instead of no result.
 */
export function successRatePercent(q: IstioQuery): string {
  const f = failureDefinition(q.protocol);
  // not (a or b) = not a and not b: one selector with every alternative negated
  const ok = rate(f.metric, q, f.failed.map(m => ({ ...m, op: NEGATED[m.op] })));
  const all = sum(q.by, rate(f.metric, q, []));
  return `100 * (${sum(q.by, ok)} or ${all} * 0) / ${all}`;
}

/** The p99 request duration in milliseconds, from the request-duration histogram (HTTP, HTTP/2, gRPC). */
export function p99DurationMs(q: IstioQuery): string {
  if (!measuresLatency(q.protocol)) {
    throw new Error(`Istio reports no request durations for ${q.protocol}`);
  }
  const buckets = rate(`${IstioMetrics.REQUEST_DURATION_MILLISECONDS}_bucket`, q, []);
  return `histogram_quantile(0.99, ${sum([...q.by ?? [], 'le'], buckets)})`;
}

function rate(metric: string, q: IstioQuery, extra: Matcher[]): string {
  const matchers: Matcher[] = [...Object.entries(q.selector).map(([label, value]) => ({ label, op: '=' as const, value })), ...extra];
  return `rate(${metric}{${matchers.map(m => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(',')}}[${q.window}])`;
}

function sum(by: string[] | undefined, expr: string): string {
  return by && by.length > 0 ? `sum by (${by.join(', ')}) (${expr})` : `sum(${expr})`;
}
