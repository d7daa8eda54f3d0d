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
   * The percentage of requests (0 to 100, fractions allowed) whose traces are sampled when no
   * upstream decision was made.
   *
   * @default 1 (Istio's default sampling rate)
   */
  readonly tracingSamplingPercentage?: number;

  /**
   * The tracing provider (an `extensionProviders` name in istiod's mesh config) spans go to.
   *
   * @default - the mesh's default tracing provider (`meshConfig.defaultProviders.tracing`)
   */
  readonly tracingProvider?: string;
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
 * Mesh-wide telemetry settings: Envoy access logging and the tracing sampling rate.
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
    const sampling = checkPercent(this, 'tracingSamplingPercentage', props.tracingSamplingPercentage ?? 1);
    const filter = checkNotEmpty(this, 'accessLogFilter', props.accessLogFilter);
    const provider = checkNotEmpty(this, 'tracingProvider', props.tracingProvider);
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
    const tracing: TelemetrySpecTracing = {
      ...(provider ? { providers: [{ name: provider }] } : {}),
      randomSamplingPercentage: sampling,
    };

    this.telemetry = new Telemetry(this, 'Resource', {
      metadata: {
        name: 'mesh-default',
        namespace: this.rootNamespace,
        labels: managedLabels(),
      },
      spec: { accessLogging: [log], tracing: [tracing] },
    });
  }
}

function checkNotEmpty(scope: Construct, field: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') {
    throw invalid(scope, field, value, 'must not be empty; leave it out for the default');
  }
  return value;
}
