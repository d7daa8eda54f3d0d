import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Telemetry, TelemetrySpecAccessLogging, TelemetrySpecTracing } from '../../imports/telemetry.istio.io';
import { enableAppChecks } from '../common/app-checks';
import { ISTIO_NAMESPACE } from '../common/istio';
import { managedLabels } from '../common/labels';
import { checkDnsLabel, checkPercent, invalid } from '../common/validation';

/**
 * Options of the mesh-wide Telemetry, shared by `MeshTelemetry` and `MeshObservability`.
 */
export interface MeshTelemetryOptions {
  /**
   * Write Envoy access logs (Istio's built-in `envoy` provider, to the proxies' stdout).
   * `false` turns them off mesh-wide, also when `meshConfig.accessLogFile` turned them on.
   *
   * @default true
   */
  readonly accessLogging?: boolean;

  /**
   * A CEL expression choosing which requests are logged, e.g. `response.code >= 400` to log
   * only failures (access logs of every request cost CPU and log storage at scale).
   *
   * @default - every request is logged
   */
  readonly accessLogFilter?: string;

  /**
   * The tracing provider spans go to: the name of an `extensionProviders` entry (Zipkin,
   * OpenTelemetry...) in istiod's mesh config, which must exist there. Tracing is configured only
   * with a provider: a Telemetry `tracing` block without one turns tracing off for every proxy,
   * unless mesh config names a `defaultProviders.tracing`, and it also turns off the legacy
   * `meshConfig.defaultConfig.tracing` settings (istio/istio pilot/pkg/model/telemetry.go,
   * `Telemetries.Tracing`). A provider name that mesh config does not define turns tracing off too.
   *
   * @default - no tracing block: istiod's mesh config alone decides about tracing
   */
  readonly tracingProvider?: string;

  /**
   * The percentage of requests (0 to 100, fractions allowed) whose traces are sampled when no
   * upstream decision was made. Needs `tracingProvider`.
   *
   * @default 1 with a `tracingProvider` (Istio's default sampling rate)
   */
  readonly tracingSamplingPercentage?: number;
}

/**
 * Properties of a `MeshTelemetry`.
 */
export interface MeshTelemetryProps extends MeshTelemetryOptions {
  /**
   * The mesh root namespace (istiod's `meshConfig.rootNamespace`): a Telemetry there applies to
   * the whole mesh.
   *
   * @default "istio-system"
   */
  readonly rootNamespace?: string;
}

/**
 * Mesh-wide telemetry settings: Envoy access logging and, with a `tracingProvider`, tracing to it.
 *
 * Emits the `telemetry.istio.io/v1` Telemetry `mesh-default` in the root namespace, the name
 * Istio's Telemetry API documentation uses for the mesh-wide default (workload and namespace
 * Telemetry resources still override it).
 */
export class MeshTelemetry extends Construct {
  /** The mesh root namespace the Telemetry lives in. */
  public readonly rootNamespace: string;

  /** The Telemetry resource (escape hatch: `addJsonPatch`). */
  public readonly telemetry: ApiObject;

  public constructor(scope: Construct, id: string, props: MeshTelemetryProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    this.rootNamespace = checkDnsLabel(this, 'rootNamespace', props.rootNamespace ?? ISTIO_NAMESPACE);
    const filter = checkNotEmpty(this, 'accessLogFilter', props.accessLogFilter);
    const provider = checkNotEmpty(this, 'tracingProvider', props.tracingProvider);
    if (provider === undefined && props.tracingSamplingPercentage !== undefined) {
      throw invalid(this, 'tracingSamplingPercentage', props.tracingSamplingPercentage,
        'needs tracingProvider: a tracing block without a provider turns tracing off in Istio; ' +
        'name the extensionProviders entry spans go to, or set the sampling in mesh config');
    }
    const sampling = checkPercent(this, 'tracingSamplingPercentage', props.tracingSamplingPercentage ?? 1);
    const accessLogging = props.accessLogging ?? true;
    if (!accessLogging && filter !== undefined) {
      throw invalid(this, 'accessLogFilter', filter, 'only applies when accessLogging is on; remove it or set accessLogging: true');
    }

    const log: TelemetrySpecAccessLogging = {
      // `envoy` is the provider Istio defines out of the box (stdout of each proxy)
      providers: [{ name: 'envoy' }],
      ...(accessLogging ? {} : { disabled: true }),
      ...(filter ? { filter: { expression: filter } } : {}),
    };
    // Only with a provider: a tracing block without one turns tracing off for every proxy when mesh
    // config has no default provider, and skips the legacy tracer settings either way
    // (istio/istio pilot/pkg/model/telemetry.go, `Telemetries.Tracing`).
    const tracing: TelemetrySpecTracing | undefined = provider
      ? { providers: [{ name: provider }], randomSamplingPercentage: sampling }
      : undefined;

    this.telemetry = new Telemetry(this, 'Resource', {
      metadata: {
        name: 'mesh-default',
        namespace: this.rootNamespace,
        labels: managedLabels(),
      },
      spec: { accessLogging: [log], ...(tracing ? { tracing: [tracing] } : {}) },
    });
  }
}

function checkNotEmpty(scope: Construct, field: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') {
    throw invalid(scope, field, value, 'must not be empty; leave it out for the default');
  }
  return value;
}
