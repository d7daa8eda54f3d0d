import { IConstruct } from 'constructs';

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
}
