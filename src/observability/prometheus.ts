// Where the mesh's Prometheus runs, as one setting: Kiali queries it, the monitors and alert rules
// carry the labels its selectors pick, and the same value tells canary analysis where to query and
// zero-trust namespaces whom to admit for scraping (issue 18).
import { IConstruct } from 'constructs';
import { ISTIO_NAMESPACE } from '../common/istio';
import { checkDnsLabel, checkHttpUrl, checkLabels } from '../common/validation';

/**
 * Where a Prometheus Operator runs the mesh's Prometheus. The defaults are a kube-prometheus-stack
 * installed as release `kube-prometheus-stack` in the namespace `monitoring`.
 */
export interface PrometheusOperatorOptions {
  /**
   * The namespace the Prometheus pods run in (the namespace of the `Prometheus` resource): the
   * namespace zero-trust namespaces must admit scraping from.
   *
   * @default "monitoring"
   */
  readonly namespace?: string;

  /**
   * The URL clients query (Kiali, Argo Rollouts, Flagger), as they reach it from inside the
   * cluster. Set it for TLS, a `routePrefix`, or a query frontend such as Thanos in front.
   *
   * @default - "http://prometheus-operated.<namespace>:9090": `prometheus-operated` is the Service
   * the Prometheus Operator creates, port `web` 9090, in the namespace of every `Prometheus`
   * resource, whatever installed it (prometheus-operator, `governingServiceName`)
   */
  readonly url?: string;

  /**
   * Labels the `Prometheus` resource's `podMonitorSelector`, `serviceMonitorSelector` and
   * `ruleSelector` match: they go on every PodMonitor, ServiceMonitor and PrometheusRule this
   * library emits. kube-prometheus-stack's defaults (`podMonitorSelectorNilUsesHelmValues`,
   * `serviceMonitorSelectorNilUsesHelmValues` and `ruleSelectorNilUsesHelmValues`, all true) select
   * only `release: <its Helm release name>`; its namespace selectors default to `{}` (all
   * namespaces). A `Prometheus` resource written by hand selects nothing with a null selector and
   * everything with `{}`.
   *
   * @default { release: 'kube-prometheus-stack' }
   */
  readonly selectorLabels?: { [key: string]: string };
}

/**
 * Where Istio's Prometheus addon (`samples/addons/prometheus.yaml`) runs.
 */
export interface IstioAddonPrometheusOptions {
  /**
   * The namespace the addon was applied to.
   *
   * @default "istio-system"
   */
  readonly namespace?: string;
}

/** kube-prometheus-stack's release name in its own install instructions, and so its `release` label. */
const KUBE_PROMETHEUS_STACK_RELEASE = 'kube-prometheus-stack';

/**
 * The Prometheus that scrapes the mesh: the namespace it runs in, the URL clients query, and the
 * labels its Prometheus Operator selectors pick.
 *
 * `MeshObservability` takes one and passes it to Kiali, the monitors and the alert rules; pass its
 * `namespace` to `ZeroTrustNamespace.allowMetricsScrapingFrom` and its `url` to
 * `CanaryAnalysis.argoRollouts({ prometheusAddress })` so that everything agrees.
 */
export class MeshPrometheus {
  /**
   * A Prometheus run by the Prometheus Operator, which reads PodMonitors, ServiceMonitors and
   * PrometheusRules: kube-prometheus-stack, or the operator with a `Prometheus` resource of your own.
   * With no options, kube-prometheus-stack installed as release `kube-prometheus-stack` in
   * `monitoring`, queried at `http://prometheus-operated.monitoring:9090`: the default everywhere in
   * this library.
   */
  public static operator(options: PrometheusOperatorOptions = {}): MeshPrometheus {
    const namespace = options.namespace ?? 'monitoring';
    return new MeshPrometheus(
      namespace,
      options.url ?? `http://prometheus-operated.${namespace}:9090`,
      { ...options.selectorLabels ?? { release: KUBE_PROMETHEUS_STACK_RELEASE } },
      true,
    );
  }

  /**
   * Istio's Prometheus addon: the Service `prometheus` on port 9090 in the Istio namespace. It
   * scrapes pods by their `prometheus.io` annotations and reads no Prometheus Operator resources,
   * so no monitors are emitted for it and it cannot evaluate alert rules. An addon for trying
   * Istio out, not for production (Istio docs, "Prometheus" integration).
   */
  public static istioAddon(options: IstioAddonPrometheusOptions = {}): MeshPrometheus {
    const namespace = options.namespace ?? ISTIO_NAMESPACE;
    return new MeshPrometheus(namespace, `http://prometheus.${namespace}:9090`, {}, false);
  }

  private constructor(
    /** The namespace the Prometheus pods run in: they scrape the proxies from there. */
    public readonly namespace: string,
    /** The URL clients query: Kiali, Argo Rollouts' `prometheusAddress`, Flagger's metrics server. */
    public readonly url: string,
    /** The labels its PodMonitor, ServiceMonitor and PrometheusRule selectors match. */
    public readonly selectorLabels: { [key: string]: string },
    /**
     * Whether it reads the Prometheus Operator's PodMonitors, ServiceMonitors and PrometheusRules
     * (Istio's addon reads none).
     */
    public readonly readsOperatorResources: boolean,
  ) {}

  /**
   * Checks every setting, with errors that name the construct that uses it.
   *
   * @internal
   */
  public _check(scope: IConstruct, field: string = 'prometheus'): MeshPrometheus {
    checkDnsLabel(scope, `${field}.namespace`, this.namespace);
    checkHttpUrl(scope, `${field}.url`, this.url);
    checkLabels(scope, `${field}.selectorLabels`, this.selectorLabels);
    return this;
  }
}
