import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { AlertRule, AlertSeverity, prometheusRule } from '../common/alerts';
import { enableAppChecks } from '../common/app-checks';
import { checkDuration, formatDuration } from '../common/duration';
import { checkDnsLabel, invalid } from '../common/validation';

/**
 * Istio's standard metrics the alerts read (istio.io, "Istio Standard Metrics"): every proxy
 * reports them, labelled with the source and destination workload and service.
 */
export class IstioMetrics {
  /** COUNTER of requests handled by a proxy, labelled with `response_code`. */
  public static readonly REQUESTS_TOTAL = 'istio_requests_total';

  /** DISTRIBUTION (Prometheus histogram) of request durations in milliseconds. */
  public static readonly REQUEST_DURATION_MILLISECONDS = 'istio_request_duration_milliseconds';

  private constructor() {}
}

/**
 * Thresholds and timing of a service's golden-signal alerts.
 */
export interface ServiceAlertOptions {
  /**
   * Alert when the service's p99 request latency stays above this.
   *
   * @default Duration.millis(200) (the strategy's canary latency limit)
   */
  readonly maxP99Latency?: Duration;

  /**
   * Alert when the share of requests answered with a 5xx status stays above this percentage
   * (greater than 0, less than 100).
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
   * The `severity` label of both alerts.
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
   * Extra labels on the PrometheusRule, for your Prometheus's `ruleSelector`.
   *
   * @default - only `app.kubernetes.io/managed-by`
   */
  readonly labels?: { [key: string]: string };
}

/**
 * Golden-signal alerts for one mesh service, as a Prometheus Operator PrometheusRule: p99
 * latency (from `istio_request_duration_milliseconds_bucket`) and the 5xx ratio (from
 * `istio_requests_total`) above thresholds.
 *
 * Both read what the service's own sidecars report (`reporter="destination"`), which counts every
 * caller, also callers outside the mesh; a gRPC error answered with HTTP 200 is not a 5xx.
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

  /** The PrometheusRule (escape hatch: `addJsonPatch`). */
  public readonly prometheusRule: ApiObject;

  public constructor(scope: Construct, id: string, props: GoldenSignalAlertsProps) {
    super(scope, id);
    enableAppChecks(this);
    this.serviceName = checkDnsLabel(this, 'serviceName', props.serviceName);
    this.namespace = checkDnsLabel(this, 'namespace', props.namespace);
    const maxLatency = checkDuration(this, 'maxP99Latency', props.maxP99Latency ?? Duration.millis(200), Duration.millis(1), 'Duration.millis(200)');
    const maxErrorRate = props.maxErrorRatePercent ?? 1;
    if (typeof maxErrorRate !== 'number' || !(maxErrorRate > 0 && maxErrorRate < 100)) {
      throw invalid(this, 'maxErrorRatePercent', maxErrorRate, 'must be a percentage greater than 0 and less than 100 (e.g. 1 for 1% of requests)');
    }
    const window = checkDuration(this, 'window', props.window ?? Duration.minutes(5), Duration.seconds(1), 'Duration.minutes(5)');
    const pending = checkDuration(this, 'for', props.for ?? Duration.minutes(5), Duration.seconds(0), 'Duration.minutes(5)');
    const severity = props.severity ?? AlertSeverity.WARNING;

    const service = `${this.serviceName}.${this.namespace}`;
    const by = 'destination_service_namespace, destination_service_name';
    const selector = (extra = '') =>
      `{reporter="destination", destination_service_namespace="${this.namespace}", destination_service_name="${this.serviceName}"${extra}}`;
    const range = `[${formatDuration(window)}]`;
    const latencyMs = maxLatency.toMilliseconds();

    const latencyExpr = [
      `histogram_quantile(0.99, sum by (${by}, le) (`,
      `  rate(${IstioMetrics.REQUEST_DURATION_MILLISECONDS}_bucket${selector()}${range})`,
      '))',
      `> ${latencyMs}`,
    ].join('\n');
    const errorExpr = [
      `100 * sum by (${by}) (`,
      `  rate(${IstioMetrics.REQUESTS_TOTAL}${selector(', response_code=~"5.."')}${range})`,
      ')',
      `/ sum by (${by}) (`,
      `  rate(${IstioMetrics.REQUESTS_TOTAL}${selector()}${range})`,
      ')',
      `> ${maxErrorRate}`,
    ].join('\n');

    const rule = (alert: string, expr: string, summary: string, description: string): AlertRule =>
      ({ alert, expr, for: pending, severity, summary, description });

    this.prometheusRule = prometheusRule(this, 'Resource', {
      name: `${this.serviceName}-golden-signals`,
      namespace: this.namespace,
      group: `${service}.golden-signals`,
      labels: props.labels,
      rules: [
        rule(GoldenSignalAlerts.LATENCY_ALERT, latencyExpr,
          `p99 latency of ${service} above ${latencyMs}ms`,
          `The p99 request duration measured by the sidecars of ${service} is {{ $value | humanize }}ms ` +
          `(threshold ${latencyMs}ms, for ${formatDuration(pending)}). Latency adds up hop by hop: look at its slowest dependency too.`),
        rule(GoldenSignalAlerts.ERROR_RATIO_ALERT, errorExpr,
          `5xx ratio of ${service} above ${maxErrorRate}%`,
          `{{ $value | humanize }}% of the requests to ${service} over ${formatDuration(window)} were answered ` +
          `with a 5xx status (threshold ${maxErrorRate}%, for ${formatDuration(pending)}).`),
      ],
    });
  }
}
