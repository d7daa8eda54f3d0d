import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshPrometheus } from './prometheus';
import {
  PodMonitor,
  PodMonitorSpecPodMetricsEndpointsRelabelingsAction as Action,
  ServiceMonitor,
} from '../../imports/monitoring.coreos.com';
import { enableAppChecks } from '../common/app-checks';
import { checkDuration, formatDuration } from '../common/duration';
import { ISTIO_NAMESPACE } from '../common/istio';
import { managedLabels } from '../common/labels';
import { checkDnsLabel, invalid } from '../common/validation';

/**
 * Options of the mesh's Prometheus Operator scraping, shared by `MeshScraping` and
 * `MeshObservability`.
 */
export interface MeshScrapingOptions {
  /**
   * How often Prometheus scrapes the proxies and istiod.
   *
   * @default Duration.seconds(15) (Istio's Prometheus Operator example)
   */
  readonly interval?: Duration;
}

/**
 * Properties of a `MeshScraping`.
 */
export interface MeshScrapingProps extends MeshScrapingOptions {
  /**
   * The namespace of the PodMonitor and ServiceMonitor (they select pods in every namespace).
   * Your Prometheus's `podMonitorNamespaceSelector` and `serviceMonitorNamespaceSelector` must
   * include it.
   *
   * @default "istio-system"
   */
  readonly namespace?: string;

  /**
   * The Prometheus that reads the monitors: its `selectorLabels` go on both, so that its
   * `podMonitorSelector` and `serviceMonitorSelector` pick them up. It must read Prometheus
   * Operator resources (Istio's addon scrapes by annotations instead and needs no monitors).
   *
   * @default MeshPrometheus.operator() (kube-prometheus-stack, label `release: kube-prometheus-stack`)
   */
  readonly prometheus?: MeshPrometheus;
}

/**
 * Prometheus Operator scraping of the mesh, as Istio's example for the Prometheus Operator does it
 * (istio/istio `samples/addons/extras/prometheus-operator.yaml`):
 *
 * - the PodMonitor `envoy-stats-monitor` scrapes the `istio-proxy` container of every pod at the
 *   port of its `prometheus.io/port` annotation (else its declared port), on `/stats/prometheus`:
 *   sidecars and gateways, where Istio's metrics merging serves the proxy's and the application's
 *   metrics together (`:15020`, istio.io "Prometheus" integration, "Option 1: Metrics merging"), and in
 *   ambient mode the waypoints (Envoy gateways annotated the same way) and ztunnel (its container
 *   is also `istio-proxy`, annotated with port 15020, and serves `/stats/prometheus` as well as
 *   `/metrics`: istio/ztunnel src/metrics/server.rs). Pods labelled `istio-prometheus-ignore` are
 *   skipped; the series get `namespace` and `pod` labels;
 * - the ServiceMonitor `istio-component-monitor` scrapes istiod's `http-monitoring` port (15014).
 */
export class MeshScraping extends Construct {
  /** The namespace of the monitors. */
  public readonly namespace: string;

  /** The PodMonitor of the proxies (escape hatch: `addJsonPatch`). */
  public readonly podMonitor: ApiObject;

  /** The ServiceMonitor of istiod (escape hatch: `addJsonPatch`). */
  public readonly serviceMonitor: ApiObject;

  public constructor(scope: Construct, id: string, props: MeshScrapingProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    this.namespace = checkDnsLabel(this, 'namespace', props.namespace ?? ISTIO_NAMESPACE);
    const interval = checkDuration(this, 'interval', props.interval ?? Duration.seconds(15), Duration.seconds(1), 'Duration.seconds(15)');
    const prometheus = (props.prometheus ?? MeshPrometheus.operator())._check(this);
    if (!prometheus.readsOperatorResources) {
      throw invalid(this, 'prometheus', prometheus.url,
        "reads no PodMonitors or ServiceMonitors (Istio's Prometheus addon scrapes by the prometheus.io annotations by itself); " +
        'leave MeshScraping out, or use MeshPrometheus.operator() with the Prometheus that reads them');
    }
    const labels = managedLabels(prometheus.selectorLabels);

    this.podMonitor = new PodMonitor(this, 'Proxies', {
      metadata: { name: 'envoy-stats-monitor', namespace: this.namespace, labels },
      spec: {
        selector: { matchExpressions: [{ key: 'istio-prometheus-ignore', operator: 'DoesNotExist' }] },
        namespaceSelector: { any: true },
        jobLabel: 'envoy-stats',
        podMetricsEndpoints: [{
          path: '/stats/prometheus',
          interval: formatDuration(interval),
          relabelings: [
            // only the istio-proxy containers: sidecars, gateways, waypoints, ztunnel
            { action: Action.KEEP, sourceLabels: ['__meta_kubernetes_pod_container_name'], regex: 'istio-proxy' },
            // As in Istio's example, and kept so: with the default regex `(.*)`, which also matches the
            // empty value of an absent label, this keeps pods without the annotation too. Their
            // istio-proxy is then scraped at its declared port, Envoy's own 15090 (`http-envoy-prom`,
            // also /stats/prometheus), which is right for pods that turned metrics merging off.
            { action: Action.KEEP, sourceLabels: ['__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape'] },
            // scrape the annotated port, on an IPv6 or an IPv4 pod address
            {
              action: Action.REPLACE,
              regex: '(\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})',
              replacement: '[$2]:$1',
              sourceLabels: ['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip'],
              targetLabel: '__address__',
            },
            {
              action: Action.REPLACE,
              regex: '(\\d+);((([0-9]+?)(\\.|$)){4})',
              replacement: '$2:$1',
              sourceLabels: ['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip'],
              targetLabel: '__address__',
            },
            { action: Action.LABELDROP, regex: '__meta_kubernetes_pod_label_(.+)' },
            { action: Action.REPLACE, sourceLabels: ['__meta_kubernetes_namespace'], targetLabel: 'namespace' },
            // `pod` as in Istio's example since 1.25 (istio/istio#54798) and Kubernetes' own metrics;
            // Kiali's ztunnel metrics select on it (kiali business/metrics.go, `pod=~"ztunnel-.*"`)
            { action: Action.REPLACE, sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'pod' },
          ],
        }],
      },
    });

    this.serviceMonitor = new ServiceMonitor(this, 'Istiod', {
      metadata: { name: 'istio-component-monitor', namespace: this.namespace, labels },
      spec: {
        jobLabel: 'istio',
        targetLabels: ['app'],
        // istiod's Service carries `istio: pilot`, in whichever namespace (and revision) it runs
        selector: { matchExpressions: [{ key: 'istio', operator: 'In', values: ['pilot'] }] },
        namespaceSelector: { any: true },
        endpoints: [{ port: 'http-monitoring', interval: formatDuration(interval) }],
      },
    });
  }
}
