// Flagger in an ambient namespace: its Gateway API provider (`gatewayapi:v1`), which writes an
// HTTPRoute whose parent is the apex Service (GAMMA) and weights `<name>-primary` and
// `<name>-canary` (Flagger 1.44 pkg/router/gateway_api.go; Flagger docs, "Linkerd Canary
// Deployments" shows the Service parent). The provider copies the Canary's `timeout` to the route's
// `timeouts.request`, and nothing else of Istio's: no retries, no traffic policy. So the
// DestinationRules of the two Services Flagger creates are written here (the waypoint applies
// them), and the analysis reads the waypoint's own metrics through MetricTemplates: Flagger's
// built-in checks for its Gateway API provider query `http_request_duration_seconds`, an
// application metric (pkg/metrics/observers/http.go), and a waypoint reports Istio's standard
// metrics as `reporter="waypoint"` (istio 1.30 pilot/pkg/model/telemetry.go, SERVER_GATEWAY).
// Internal.
import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { FlaggerRoute, FlaggerRouteSpec } from './flagger';
import { addTrafficPolicy, waypointRetryWarning } from './gateway-api-routing';
import { CanarySpecProvider, MetricTemplate, MetricTemplateSpecProviderType } from '../../imports/flagger.app';
import { formatGatewayDuration } from '../common/duration';
import { MeshWarnings } from '../common/warnings';
import { IstioQuery, p99DurationMs, successRatePercent } from '../observability/promql';

/** The Canary's routing with Flagger's Gateway API provider, and the objects it needs beside it. */
export function gatewayApiFlaggerRoute(scope: Construct, o: FlaggerRouteSpec): FlaggerRoute {
  const a = o.analysis;
  // Flagger names the Services it creates <name>-primary and <name>-canary
  for (const service of [`${o.name}-primary`, `${o.name}-canary`]) {
    addTrafficPolicy(scope, `DestinationRule-${service.slice(o.name.length + 1)}`, service, o, o.circuitBreaker);
  }
  const retries = waypointRetryWarning(`${o.namespace}/${o.name}`, o.resilience, o.protocol);
  if (retries) MeshWarnings.of(scope).add(retries);

  // Flagger fills in {{ namespace }}, {{ target }} (the Deployment it rolls out) and {{ interval }}
  const canary: IstioQuery = {
    protocol: o.protocol,
    selector: { reporter: 'waypoint', destination_workload_namespace: '{{ namespace }}', destination_workload: '{{ target }}' },
    window: '{{ interval }}',
  };
  const template = (id: string, name: string, query: string) => new MetricTemplate(scope, id, {
    metadata: { name: `${o.name}-${name}`, namespace: o.namespace, labels: o.labels },
    spec: {
      provider: { type: MetricTemplateSpecProviderType.PROMETHEUS, address: a.metricsServer ?? a.prometheusAddress },
      query,
    },
  });
  const successRate = template('SuccessRateTemplate', 'success-rate', successRatePercent(canary));
  const duration = template('DurationTemplate', 'latency-p99', p99DurationMs(canary));
  return {
    provider: CanarySpecProvider.GATEWAYAPI_V1,
    // its HTTPRoute's parent is the Service, which the waypoint serves: gateways reach it through
    // the waypoint (istio.io/ingress-use-waypoint), never by hostname
    servesGateways: false,
    service: {
      // the Service is the HTTPRoute's parent: core group "" (Istio finds no parent kind in "core")
      gatewayRefs: [{ group: '', kind: 'Service', name: o.name, port: o.port }],
      timeout: o.resilience.budget.timeoutMs === undefined ? undefined : formatGatewayDuration(Duration.millis(o.resilience.budget.timeoutMs)),
    },
    // Flagger runs its built-in checks for these two names whatever the template, so others are used
    metrics: [
      { name: 'success-rate', templateRef: { name: successRate.name, namespace: o.namespace }, thresholdRange: { min: a.minSuccessRate }, interval: a.interval },
      { name: 'latency-p99', templateRef: { name: duration.name, namespace: o.namespace }, thresholdRange: { max: a.maxRequestDurationMs }, interval: a.interval },
    ],
  };
}
