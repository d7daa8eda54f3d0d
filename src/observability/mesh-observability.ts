import { Construct } from 'constructs';
import { GoldenSignalAlerts, ServiceAlertOptions } from './golden-signal-alerts';
import { Kiali, KialiOptions } from './kiali';
import { MeshTelemetry, MeshTelemetryOptions } from './mesh-telemetry';
import { MeshScraping, MeshScrapingOptions } from './scraping';
import { enableAppChecks } from '../common/app-checks';
import { ISTIO_NAMESPACE } from '../common/istio';
import { IMeshService } from '../common/mesh-service';
import { checkDnsLabel, invalid } from '../common/validation';

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
   * The Prometheus that scrapes the mesh, as Kiali reaches it from inside the cluster. With the
   * Prometheus Operator this is usually its `prometheus-operated` Service, e.g.
   * `http://prometheus-operated.monitoring:9090`.
   *
   * @default - "http://prometheus.<istioNamespace>:9090", where Istio's Prometheus addon listens
   */
  readonly prometheusUrl?: string;

  /**
   * Extra labels on the PodMonitor, ServiceMonitor and PrometheusRules, so that your Prometheus's
   * `podMonitorSelector`, `serviceMonitorSelector` and `ruleSelector` pick them up (e.g.
   * `{ release: 'kube-prometheus-stack' }`).
   *
   * @default - only `app.kubernetes.io/managed-by`
   */
  readonly prometheusSelectorLabels?: { [key: string]: string };

  /**
   * Kiali's settings.
   *
   * @default - a read-only Kiali with token login and no port-forwards, in the Istio namespace
   */
  readonly kiali?: KialiOptions;

  /**
   * Access logging and tracing for the whole mesh.
   *
   * @default - Envoy access logs on, 1% of traces sampled
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
   * @default - p99 above 200 ms or more than 1% 5xx, over 5 minutes
   */
  readonly alertDefaults?: ServiceAlertOptions;
}

/**
 * The strategy's second step after mTLS: see the mesh, because latency adds up hop by hop.
 *
 * Emits Kiali (the mesh graph), a mesh-wide Telemetry (Envoy access logs, trace sampling),
 * Prometheus Operator scraping of the proxies and istiod, and, per service added with
 * `addServiceAlerts`, a PrometheusRule alerting on p99 latency and on the 5xx ratio.
 */
export class MeshObservability extends Construct {
  /** Istio's control plane namespace. */
  public readonly istioNamespace: string;

  /** Kiali. */
  public readonly kiali: Kiali;

  /** The mesh-wide Telemetry. */
  public readonly telemetry: MeshTelemetry;

  /** The PodMonitor and ServiceMonitor. */
  public readonly scraping: MeshScraping;

  private readonly alertDefaults: ServiceAlertOptions;
  private readonly selectorLabels?: { [key: string]: string };
  private alertsScope?: Construct;

  public constructor(scope: Construct, id: string, props: MeshObservabilityProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    this.istioNamespace = checkDnsLabel(this, 'istioNamespace', props.istioNamespace ?? ISTIO_NAMESPACE);
    const rootNamespace = checkDnsLabel(this, 'rootNamespace', props.rootNamespace ?? this.istioNamespace);
    this.alertDefaults = props.alertDefaults ?? {};
    this.selectorLabels = props.prometheusSelectorLabels;

    this.kiali = new Kiali(this, 'Kiali', {
      ...props.kiali,
      istioNamespace: this.istioNamespace,
      rootNamespace,
      prometheusUrl: props.prometheusUrl,
    });
    this.telemetry = new MeshTelemetry(this, 'Telemetry', { ...props.telemetry, rootNamespace });
    this.scraping = new MeshScraping(this, 'Scraping', {
      ...props.scraping,
      namespace: this.istioNamespace,
      labels: this.selectorLabels,
    });
  }

  /**
   * Alerts on a service's golden signals: p99 latency and 5xx ratio above thresholds.
   *
   * @param service the service to watch, e.g. a `CanaryService`
   * @param options thresholds and timing; unset ones come from `alertDefaults`
   */
  public addServiceAlerts(service: IMeshService, options: ServiceAlertOptions = {}): GoldenSignalAlerts {
    this.alertsScope ??= new Construct(this, 'Alerts');
    // DNS labels hold no '.', so "<service>.<namespace>" names one service unambiguously
    const id = `${service.serviceName}.${service.namespace}`;
    if (this.alertsScope.node.tryFindChild(id)) {
      throw invalid(this, 'service', id, 'already has golden-signal alerts; call addServiceAlerts once per service');
    }
    return new GoldenSignalAlerts(this.alertsScope, id, {
      ...this.alertDefaults,
      ...withoutUndefined(options),
      serviceName: service.serviceName,
      namespace: service.namespace,
      labels: this.selectorLabels,
    });
  }
}

/** Drops keys set to undefined, so that spreading options keeps the defaults they leave unset. */
function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
