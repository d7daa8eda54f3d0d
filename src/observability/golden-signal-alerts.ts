import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshPrometheus } from './prometheus';
import { describeFailures, errorRatioPercent, IstioQuery, measuresLatency, p99DurationMs } from './promql';
import { AlertRule, AlertSeverity, prometheusRule } from '../common/alerts';
import { enableAppChecks } from '../common/app-checks';
import { AppProtocol } from '../common/app-protocol';
import { checkDuration, formatDuration } from '../common/duration';
import { checkDnsLabel, invalid } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/**
 * Thresholds and timing of a service's golden-signal alerts.
 */
export interface ServiceAlertOptions {
  /**
   * Alert when the service's p99 request latency stays above this. HTTP, HTTP/2 and gRPC only:
   * Istio measures no request durations for TCP.
   *
   * @default Duration.millis(200) (the strategy's canary latency limit)
   */
  readonly maxP99Latency?: Duration;

  /**
   * Alert when the share of failures stays above this percentage (greater than 0, less than 100):
   * requests answered with a 5xx status; for gRPC also the server-error gRPC statuses (UNKNOWN,
   * DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS), which arrive as HTTP 200;
   * for TCP the connections closed with a proxy response flag.
   *
   * @default 1 (the complement of the 99% success rate Flagger's examples gate canaries on)
   */
  readonly maxErrorRatePercent?: number;

  /**
   * The range the rates are computed over (`rate(...[window])`). Keep it at least four scrape
   * intervals long.
   *
   * @default Duration.minutes(5)
   */
  readonly window?: Duration;

  /**
   * How long a threshold must stay crossed before the alert fires (`for`).
   *
   * @default Duration.minutes(5)
   */
  readonly for?: Duration;

  /**
   * The `severity` label of the alerts.
   *
   * @default AlertSeverity.WARNING
   */
  readonly severity?: AlertSeverity;
}

/**
 * Properties of a `GoldenSignalAlerts`.
 */
export interface GoldenSignalAlertsProps extends ServiceAlertOptions {
  /** The Kubernetes Service name (the `destination_service_name` label of Istio's metrics). */
  readonly serviceName: string;

  /** The service's namespace; the PrometheusRule goes there too. */
  readonly namespace: string;

  /**
   * The service's application protocol: which of Istio's metrics it reports. TCP services report
   * connection metrics only, so they get the error alert over connections and no latency alert.
   *
   * @default AppProtocol.HTTP
   */
  readonly protocol?: AppProtocol;

  /**
   * The Prometheus that evaluates the rule: its `selectorLabels` go on the PrometheusRule so that
   * its `ruleSelector` picks it up. It must read PrometheusRules (the Prometheus Operator does).
   *
   * @default MeshPrometheus.operator() (kube-prometheus-stack, label `release: kube-prometheus-stack`)
   */
  readonly prometheus?: MeshPrometheus;
}

/**
 * Golden-signal alerts for one mesh service, as a Prometheus Operator PrometheusRule over Istio's
 * standard metrics:
 *
 * - HTTP, HTTP/2 and gRPC: p99 latency (from `istio_request_duration_milliseconds_bucket`) and the
 *   error ratio (from `istio_requests_total`: 5xx, and for gRPC the server-error gRPC statuses);
 * - TCP: the ratio of failed connections (from `istio_tcp_connections_closed_total`, closed with a
 *   response flag); no latency alert, since Istio measures no request durations for TCP (reported
 *   as a warning).
 *
 * They read what the service's own proxies report (`reporter="destination"`), which counts every
 * caller, also callers outside the mesh.
 */
export class GoldenSignalAlerts extends Construct {
  /** Name of the latency alert. */
  public static readonly LATENCY_ALERT = 'MeshServiceP99LatencyHigh';

  /** Name of the error-ratio alert. */
  public static readonly ERROR_RATIO_ALERT = 'MeshServiceErrorRatioHigh';

  /** The service the alerts watch. */
  public readonly serviceName: string;

  /** The namespace of the service and of the PrometheusRule. */
  public readonly namespace: string;

  /** The protocol the alerts were written for. */
  public readonly protocol: AppProtocol;

  /** The PrometheusRule (escape hatch: `addJsonPatch`). */
  public readonly prometheusRule: ApiObject;

  public constructor(scope: Construct, id: string, props: GoldenSignalAlertsProps) {
    super(scope, id);
    enableAppChecks(this);
    this.serviceName = checkDnsLabel(this, 'serviceName', props.serviceName);
    this.namespace = checkDnsLabel(this, 'namespace', props.namespace);
    this.protocol = checkProtocol(this, props.protocol ?? AppProtocol.HTTP);
    const prometheus = checkReadsRules(this, props.prometheus ?? MeshPrometheus.operator());
    const thresholds = resolveThresholds(this, this.protocol, props);
    const service = `${this.serviceName}.${this.namespace}`;
    if (thresholds.maxLatencyMs === undefined) {
      MeshWarnings.of(this).add(`${service} is ${this.protocol}: Istio measures no request latency or status for it, ` +
        'so it gets no p99 latency alert and its error alert counts connections closed with a proxy response flag; ' +
        "alert on latency from the application's own metrics, or give the port an HTTP or gRPC protocol if it speaks one");
    }

    this.prometheusRule = prometheusRule(this, 'Resource', {
      name: `${this.serviceName}-golden-signals`,
      namespace: this.namespace,
      group: `${service}.golden-signals`,
      labels: prometheus.selectorLabels,
      rules: goldenSignalRules(service, {
        protocol: this.protocol,
        selector: { reporter: 'destination', destination_service_namespace: this.namespace, destination_service_name: this.serviceName },
        window: formatDuration(thresholds.window),
        by: ['destination_service_namespace', 'destination_service_name'],
      }, thresholds),
    });
  }
}

/** Thresholds and timing with defaults applied; no latency threshold for a protocol without durations. */
interface Thresholds {
  readonly maxLatencyMs?: number;
  readonly maxErrorRate: number;
  readonly window: Duration;
  readonly pending: Duration;
  readonly severity: AlertSeverity;
}

function resolveThresholds(scope: Construct, protocol: AppProtocol, props: ServiceAlertOptions): Thresholds {
  let maxLatencyMs: number | undefined;
  if (measuresLatency(protocol)) {
    maxLatencyMs = checkDuration(scope, 'maxP99Latency', props.maxP99Latency ?? Duration.millis(200), Duration.millis(1), 'Duration.millis(200)').toMilliseconds();
  } else if (props.maxP99Latency !== undefined) {
    throw invalid(scope, 'maxP99Latency', formatDuration(props.maxP99Latency),
      `cannot be measured: Istio reports no request durations for ${protocol}; remove it or alert on latency from the application's own metrics`);
  }
  const maxErrorRate = props.maxErrorRatePercent ?? 1;
  if (typeof maxErrorRate !== 'number' || !(maxErrorRate > 0 && maxErrorRate < 100)) {
    throw invalid(scope, 'maxErrorRatePercent', maxErrorRate, 'must be a percentage greater than 0 and less than 100 (e.g. 1 for 1% of requests)');
  }
  return {
    maxLatencyMs,
    maxErrorRate,
    window: checkDuration(scope, 'window', props.window ?? Duration.minutes(5), Duration.seconds(1), 'Duration.minutes(5)'),
    pending: checkDuration(scope, 'for', props.for ?? Duration.minutes(5), Duration.seconds(0), 'Duration.minutes(5)'),
    severity: props.severity ?? AlertSeverity.WARNING,
  };
}

/** The latency rule (when the protocol has durations) and the error-ratio rule. */
function goldenSignalRules(service: string, query: IstioQuery, t: Thresholds): AlertRule[] {
  const rule = (alert: string, expr: string, summary: string, description: string): AlertRule =>
    ({ alert, expr, for: t.pending, severity: t.severity, summary, description });
  const pending = formatDuration(t.pending);
  const failures = describeFailures(query.protocol);
  return [
    ...t.maxLatencyMs === undefined ? [] : [rule(GoldenSignalAlerts.LATENCY_ALERT, `${p99DurationMs(query)} > ${t.maxLatencyMs}`,
      `p99 latency of ${service} above ${t.maxLatencyMs}ms`,
      `The p99 request duration measured by the proxies of ${service} is {{ $value | humanize }}ms ` +
      `(threshold ${t.maxLatencyMs}ms, for ${pending}). Latency adds up hop by hop: look at its slowest dependency too.`)],
    rule(GoldenSignalAlerts.ERROR_RATIO_ALERT, `${errorRatioPercent(query)} > ${t.maxErrorRate}`,
      `error ratio of ${service} above ${t.maxErrorRate}%`,
      `{{ $value | humanize }}% of the ${failures.counted} to ${service} over ${query.window} were ${failures.failed} ` +
      `(threshold ${t.maxErrorRate}%, for ${pending}).`),
  ];
}

function checkProtocol(scope: Construct, protocol: AppProtocol): AppProtocol {
  if (!Object.values(AppProtocol).includes(protocol)) {
    throw invalid(scope, 'protocol', protocol, `must be one of ${Object.values(AppProtocol).join(', ')} (an AppProtocol)`);
  }
  return protocol;
}

function checkReadsRules(scope: Construct, prometheus: MeshPrometheus): MeshPrometheus {
  prometheus._check(scope);
  if (!prometheus.readsOperatorResources) {
    throw invalid(scope, 'prometheus', prometheus.url,
      'reads no PrometheusRules (Istio\'s Prometheus addon evaluates no alert rules); use MeshPrometheus.operator() with the Prometheus that should alert');
  }
  return prometheus;
}
