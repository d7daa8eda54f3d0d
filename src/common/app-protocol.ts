// The application protocol of a service port: shared by the routing (which routes Istio builds) and
// the alerts (which of Istio's metrics a service reports), so it lives with the other shared facts.

/**
 * The application protocol of a service port, as Istio classifies it.
 */
export enum AppProtocol {
  /** HTTP/1.1: HTTP routes, retries, timeouts and request metrics apply. */
  HTTP = 'http',
  /** HTTP/2 (cleartext between the app and its sidecar). */
  HTTP2 = 'http2',
  /** gRPC: HTTP/2 routing, plus gRPC status codes in retries and metrics. */
  GRPC = 'grpc',
  /** Opaque TCP: only connection-level routing (weights); no HTTP retries, timeouts or request metrics. */
  TCP = 'tcp',
}
