import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/** Argo CD applies lower waves first and waits for them to be healthy; objects without one are wave 0. */
const WAVES: Record<string, number> = {
  // the namespace must exist before anything lands in it
  Namespace: -2,
  // identity and policy before workloads: a pod that starts before its PeerAuthentication,
  // AuthorizationPolicy or NetworkPolicy runs unprotected for a moment
  ServiceAccount: -1,
  ConfigMap: -1,
  ClusterRole: -1,
  ClusterRoleBinding: -1,
  Role: -1,
  RoleBinding: -1,
  PeerAuthentication: -1,
  AuthorizationPolicy: -1,
  RequestAuthentication: -1,
  NetworkPolicy: -1,
  Sidecar: -1,
  ServiceEntry: -1,
  Telemetry: -1,
  // subsets must exist before a VirtualService routes to them, or requests fail with 503
  DestinationRule: -1,
  AnalysisTemplate: -1,
};

/**
 * Optional ordering for Argo CD: namespaces first, then identities and CRD-backed policies, then
 * workloads and routes, through the `argocd.argoproj.io/sync-wave` annotation.
 *
 * | wave | kinds |
 * |---|---|
 * | -2 | Namespace |
 * | -1 | ServiceAccount, ConfigMap, RBAC, PeerAuthentication, AuthorizationPolicy, RequestAuthentication, NetworkPolicy, Sidecar, ServiceEntry, Telemetry, DestinationRule, AnalysisTemplate |
 * | 0 (no annotation) | everything else: workloads, Services, VirtualServices, canaries, monitors, alerts |
 */
export class ArgoCdSyncWaves {
  /** The annotation Argo CD reads. */
  public static readonly ANNOTATION = 'argocd.argoproj.io/sync-wave';

  /**
   * Annotates every API object under `scope` that exists now with its wave (call it after the
   * app is built, before synthesis). Objects in wave 0 are left unannotated.
   */
  public static apply(scope: IConstruct): void {
    for (const c of scope.node.findAll()) {
      if (c instanceof ApiObject) {
        const wave = WAVES[c.kind];
        if (wave !== undefined) {
          c.metadata.addAnnotation(ArgoCdSyncWaves.ANNOTATION, String(wave));
        }
      }
    }
  }

  /**
   * The wave of a kind.
   */
  public static waveOf(kind: string): number {
    return WAVES[kind] ?? 0;
  }

  private constructor() {}
}
