// Typed `meshConfig.extensionProviders` entries for tracing (istio/api mesh/v1alpha1/config.proto,
// `MeshConfig.ExtensionProvider`): the providers a Telemetry resource names (issue 18, tracing).
import type { MeshEgress } from '../graph/model';

/**
 * Where a tracing provider sends spans.
 */
export interface IstioTracingProviderOptions {
  /**
   * The collector's service, as Istio looks it up in its registry:
   * `<service>.<namespace>.svc.cluster.local`, or `<namespace>/<host>` when the host alone is
   * ambiguous (e.g. "otel-collector.observability.svc.cluster.local").
   */
  readonly service: string;

  /** The collector's port (OpenTelemetry gRPC: 4317; Zipkin: 9411). */
  readonly port: number;

  /**
   * The longest tag value the proxies send; longer values are cut.
   *
   * @default - Istio's default, 256
   */
  readonly maxTagLength?: number;
}

/**
 * An extension provider of the mesh (`meshConfig.extensionProviders[]`), which Telemetry resources
 * select by name. Only what is declared here exists: a Telemetry tracing block naming a provider
 * that is not declared traces nothing.
 */
export class IstioExtensionProvider {
  /**
   * Traces to an OpenTelemetry collector over OTLP/gRPC (`opentelemetry`).
   *
   * @param name the provider's name, which Telemetry resources and `defaultTracingProviders` use
   */
  public static openTelemetryTracing(name: string, options: IstioTracingProviderOptions): IstioExtensionProvider {
    return new IstioExtensionProvider(name, 'opentelemetry', options);
  }

  /**
   * Traces to a Zipkin-compatible collector (`zipkin`; Jaeger accepts it too).
   *
   * @param name the provider's name, which Telemetry resources and `defaultTracingProviders` use
   */
  public static zipkinTracing(name: string, options: IstioTracingProviderOptions): IstioExtensionProvider {
    return new IstioExtensionProvider(name, 'zipkin', options);
  }

  /** The provider's name. */
  public readonly name: string;

  /** The provider's field in mesh config (`opentelemetry`, `zipkin`). */
  public readonly type: string;

  /** The collector's service. */
  public readonly service: string;

  /** The collector's port. */
  public readonly port: number;

  /** The longest tag value, when not Istio's default. */
  public readonly maxTagLength?: number;

  private constructor(name: string, type: string, options: IstioTracingProviderOptions) {
    this.name = name;
    this.type = type;
    this.service = options.service;
    this.port = options.port;
    this.maxTagLength = options.maxTagLength;
  }

  /**
   * Where the proxies send to: the collector's namespace when it is a Kubernetes Service
   * (`<service>.<namespace>.svc.<domain>`, or `<namespace>/<host>`), its host and port.
   *
   * @internal
   */
  public _destination(): MeshEgress {
    const [qualifier, host] = this.service.includes('/') ? this.service.split('/', 2) : [undefined, this.service];
    const kubernetes = /^[^.]+\.([^.]+)\.svc(\.|$)/.exec(host);
    return { namespace: qualifier ?? kubernetes?.[1], host, port: this.port };
  }
}
