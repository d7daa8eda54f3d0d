import { IConstruct } from 'constructs';
import { AppProtocol } from './app-protocol';

/**
 * A service in the mesh, as other constructs refer to it (alerts, authorization rules).
 */
export interface IMeshService extends IConstruct {
  /** The Kubernetes Service name, also the service's short host name in the mesh. */
  readonly serviceName: string;

  /** The namespace the service runs in. */
  readonly namespace: string;

  /** The service account its pods run as: the workload identity authorization rules name. */
  readonly serviceAccountName: string;

  /**
   * The application protocol of its port. It decides which of Istio's standard metrics describe
   * the service: request metrics for HTTP and gRPC, connection metrics only for TCP.
   *
   * @default AppProtocol.HTTP
   */
  readonly protocol?: AppProtocol;
}
