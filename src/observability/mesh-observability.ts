import { Construct } from 'constructs';
import { GoldenSignalAlerts, ServiceAlertOptions } from './golden-signal-alerts';
import { Kiali, KialiOptions } from './kiali';
import { MeshTelemetry, MeshTelemetryOptions } from './mesh-telemetry';
import { MeshPrometheus } from './prometheus';
import { measuresLatency } from './promql';
import { MeshScraping, MeshScrapingOptions } from './scraping';
import { enableAppChecks } from '../common/app-checks';
import { AppProtocol } from '../common/app-protocol';
import { ISTIO_NAMESPACE } from '../common/istio';
import { IMeshService } from '../common/mesh-service';
import { checkDnsLabel, invalid } from '../common/validation';
import { MeshModel } from '../graph/model';

/**
 * Properties of a `MeshObservability`.
 */
export interface MeshObservabilityProps {
  /**
   * Istio's control plane namespace: where the monitors go, and where Kiali runs unless
   * `kiali.namespace` says otherwise.
   *
   * @default "istio-system"
   */
  readonly istioNamespace?: string;

  /**
   * The mesh root namespace (istiod's `meshConfig.rootNamespace`), where the mesh-wide
   * Telemetry goes.
   *
   * @default - the Istio namespace (istiod's default)
   */
  readonly rootNamespace?: string;

  /**
   * The Prometheus that scrapes the mesh: Kiali queries its `url`, and its `selectorLabels` go on
   * the PodMonitor, the ServiceMonitor and every PrometheusRule so that its selectors pick them up.
   * With `MeshPrometheus.istioAddon()` no monitors are emitted (the addon scrapes by annotations)
   * and `addServiceAlerts` is refused (the addon evaluates no rules).
   *
   * @default MeshPrometheus.operator() (kube-prometheus-stack release `kube-prometheus-stack` in
   * `monitoring`, at http://prometheus-operated.monitoring:9090)
   */
  readonly prometheus?: MeshPrometheus;

  /**
   * Kiali's settings.
   *
   * @default - a read-only Kiali with token login and no port-forwards, in the Istio namespace
   */
  readonly kiali?: KialiOptions;

  /**
   * Access logging and tracing for the whole mesh.
   *
   * @default - Envoy access logs on; tracing left to mesh config
   */
  readonly telemetry?: MeshTelemetryOptions;

  /**
   * How Prometheus scrapes the proxies and istiod.
   *
   * @default - every 15 seconds
   */
  readonly scraping?: MeshScrapingOptions;

  /**
   * Defaults of every `addServiceAlerts` call (each call may override them).
   *
   * @default - p99 above 200 ms or more than 1% errors, over 5 minutes
   */
  readonly alertDefaults?: ServiceAlertOptions;
}

/**
 * The strategy's second step after mTLS: see the mesh, because latency adds up hop by hop.
 *
 * Emits Kiali (the mesh graph), a mesh-wide Telemetry (Envoy access logs, tracing when a provider
 * is named), Prometheus Operator scraping of the proxies, waypoints, ztunnel and istiod, and, per
 * service added with `addServiceAlerts`, a PrometheusRule alerting on p99 latency and on the error
 * ratio. One `prometheus` setting tells all of them where Prometheus runs; pass the same
 * `prometheus.namespace` to `ZeroTrustNamespace.allowMetricsScrapingFrom` and `prometheus.url` to
 * canary analysis.
 */
export class MeshObservability extends Construct {
  /** Istio's control plane namespace. */
  public readonly istioNamespace: string;

  /** Kiali. */
  public readonly kiali: Kiali;

  /** The mesh-wide Telemetry. */
  public readonly telemetry: MeshTelemetry;

  /** The Prometheus everything here points at. */
  public readonly prometheus: MeshPrometheus;

  /** The PodMonitor and ServiceMonitor; undefined for a Prometheus that reads no monitors (Istio's addon). */
  public readonly scraping?: MeshScraping;

  private readonly alertDefaults: ServiceAlertOptions;
  private alertsScope?: Construct;

  public constructor(scope: Construct, id: string, props: MeshObservabilityProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    this.istioNamespace = checkDnsLabel(this, 'istioNamespace', props.istioNamespace ?? ISTIO_NAMESPACE);
    const rootNamespace = checkDnsLabel(this, 'rootNamespace', props.rootNamespace ?? this.istioNamespace);
    this.prometheus = (props.prometheus ?? MeshPrometheus.operator())._check(this);
    // the app names the namespace Prometheus runs in: zero-trust rules may refer to it
    MeshModel.of(this).nameNamespace(this, this.prometheus.namespace);
    this.alertDefaults = props.alertDefaults ?? {};

    this.kiali = new Kiali(this, 'Kiali', { ...props.kiali, istioNamespace: this.istioNamespace, rootNamespace, prometheus: this.prometheus });
    this.telemetry = new MeshTelemetry(this, 'Telemetry', { ...props.telemetry, rootNamespace });
    if (this.prometheus.readsOperatorResources) {
      this.scraping = new MeshScraping(this, 'Scraping', { ...props.scraping, namespace: this.istioNamespace, prometheus: this.prometheus });
    } else if (props.scraping?.interval !== undefined) {
      throw invalid(this, 'scraping.interval', props.scraping.interval.toHumanString(),
        "has no effect: Istio's Prometheus addon reads no PodMonitors and scrapes at its own interval; remove it or use MeshPrometheus.operator()");
    }
  }

  /**
   * Alerts on a service's golden signals: p99 latency and error ratio above thresholds, read from
   * the metrics its protocol reports (`service.protocol`; TCP services get only the error alert,
   * over connections).
   *
   * @param service the service to watch, e.g. a `CanaryService`
   * @param options thresholds and timing; unset ones come from `alertDefaults`
   */
  public addServiceAlerts(service: IMeshService, options: ServiceAlertOptions = {}): GoldenSignalAlerts {
    if (!this.prometheus.readsOperatorResources) {
      throw invalid(this, 'prometheus', this.prometheus.url,
        "evaluates no PrometheusRules (Istio's Prometheus addon has no alerting); use MeshPrometheus.operator() to alert on golden signals");
    }
    this.alertsScope ??= new Construct(this, 'Alerts');
    // DNS labels hold no '.', so "<service>.<namespace>" names one service unambiguously
    const id = `${service.serviceName}.${service.namespace}`;
    if (this.alertsScope.node.tryFindChild(id)) {
      throw invalid(this, 'service', id, 'already has golden-signal alerts; call addServiceAlerts once per service');
    }
    const protocol = service.protocol ?? AppProtocol.HTTP;
    // a latency default cannot apply to a TCP service; a latency asked for in `options` is refused
    const defaults = measuresLatency(protocol) ? this.alertDefaults : { ...this.alertDefaults, maxP99Latency: undefined };
    return new GoldenSignalAlerts(this.alertsScope, id, {
      ...withoutUndefined(defaults),
      ...withoutUndefined(options),
      serviceName: service.serviceName,
      namespace: service.namespace,
      protocol,
      prometheus: this.prometheus,
    });
  }
}

/** Drops keys set to undefined, so that spreading options keeps the defaults they leave unset. */
function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
