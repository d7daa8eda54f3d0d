import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { namespacePeer } from './network-policy';
import { INGRESS_GATEWAY, principal as principalOf } from '../common/istio';
import { IMeshService } from '../common/mesh-service';
import { checkDnsLabel, checkLabels, checkPrincipal, checkServiceAccountName } from '../common/validation';

/** What an identity means where a rule is added: the namespace protected and its mesh. Internal. */
export interface IdentityContext {
  readonly namespace: string;
  readonly trustDomain: string;
  readonly rootNamespace: string;
}

/**
 * An identity resolved for one namespace: the AuthorizationPolicy source (L7, by mTLS identity),
 * the NetworkPolicy peer that mirrors it at L3, and the names it gives by string (for the whole-app
 * check that they exist). Internal.
 */
export interface ResolvedIdentity {
  readonly description: string;
  readonly source: { readonly principals?: string[]; readonly namespaces?: string[] };
  readonly peer: k8s.NetworkPolicyPeer;
  /** The namespace of this mesh it names, if any. */
  readonly namespace?: string;
  /** The service account of this mesh it names, if any. */
  readonly serviceAccount?: string;
}

/**
 * Options of `WorkloadIdentity.ingressGateway()`.
 */
export interface IngressGatewayIdentityOptions {
  /**
   * The namespace the gateway runs in.
   *
   * @default - the mesh root namespace of the namespace the rule is added to
   */
  readonly namespace?: string;

  /**
   * The service account of the gateway pods.
   *
   * @default "istio-ingressgateway-service-account" (the gateway `istioctl install` deploys)
   */
  readonly serviceAccount?: string;

  /**
   * Labels of the gateway pods, for the NetworkPolicy that mirrors the rule.
   *
   * @default { istio: "ingressgateway" } (the gateway `istioctl install` deploys)
   */
  readonly podLabels?: { [key: string]: string };
}

/**
 * Who may call a workload: a workload identity proven by mutual TLS.
 *
 * Istio derives a workload's identity from its service account:
 * `<trustDomain>/ns/<namespace>/sa/<serviceAccount>` (the SPIFFE ID without `spiffe://`).
 * Names are checked when the identity is used (`ZeroTrustNamespace.allowFrom`).
 */
export class WorkloadIdentity {
  /**
   * The pods that run as a service account.
   *
   * @param namespace the namespace of the service account
   * @param name the service account name
   */
  public static serviceAccount(namespace: string, name: string): WorkloadIdentity {
    return new WorkloadIdentity((scope, context) => {
      checkDnsLabel(scope, 'source namespace', namespace);
      checkServiceAccountName(scope, 'source serviceAccount', name);
      return {
        description: `service account ${namespace}/${name}`,
        source: { principals: [principalOf(context.trustDomain, namespace, name)] },
        peer: namespacePeer(namespace, context.namespace),
        namespace,
        serviceAccount: name,
      };
    });
  }

  /**
   * The pods of a mesh service: the service account it runs as.
   */
  public static ofService(service: IMeshService): WorkloadIdentity {
    return WorkloadIdentity.serviceAccount(service.namespace, service.serviceAccountName);
  }

  /**
   * Every workload of a namespace (the namespace in its mTLS identity).
   *
   * @param name the namespace
   */
  public static namespace(name: string): WorkloadIdentity {
    return new WorkloadIdentity((scope, context) => {
      checkDnsLabel(scope, 'source namespace', name);
      return {
        description: `namespace ${name}`,
        source: { namespaces: [name] },
        peer: namespacePeer(name, context.namespace),
        namespace: name,
      };
    });
  }

  /**
   * The Istio ingress gateway, by its service account.
   */
  public static ingressGateway(options: IngressGatewayIdentityOptions = {}): WorkloadIdentity {
    return new WorkloadIdentity((scope, context) => {
      const namespace = checkDnsLabel(scope, 'ingressGateway namespace', options.namespace ?? context.rootNamespace);
      const serviceAccount = checkServiceAccountName(scope, 'ingressGateway serviceAccount',
        options.serviceAccount ?? INGRESS_GATEWAY.serviceAccount);
      const podLabels = checkLabels(scope, 'ingressGateway podLabels', options.podLabels ?? { istio: INGRESS_GATEWAY.podLabels.istio }, false);
      return {
        description: `ingress gateway ${namespace}/${serviceAccount}`,
        source: { principals: [principalOf(context.trustDomain, namespace, serviceAccount)] },
        peer: { ...namespacePeer(namespace, context.namespace), podSelector: { matchLabels: podLabels } },
        namespace,
      };
    });
  }

  /**
   * A principal written out, `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`: for a peer of
   * another trust domain (multi-cluster, trust domain migration).
   *
   * @param principal for example "cluster.local/ns/shop/sa/frontend"
   */
  public static principal(principal: string): WorkloadIdentity {
    return new WorkloadIdentity((scope, context) => {
      const parts = checkPrincipal(scope, 'source principal', principal);
      // a principal of another trust domain names a namespace of another mesh
      const ours = parts.trustDomain === context.trustDomain;
      return {
        description: `principal ${principal}`,
        source: { principals: [principal] },
        peer: namespacePeer(parts.namespace, context.namespace),
        ...ours ? { namespace: parts.namespace, serviceAccount: parts.serviceAccount } : {},
      };
    });
  }

  private constructor(
    private readonly resolver: (scope: IConstruct, context: IdentityContext) => ResolvedIdentity,
  ) {}

  /**
   * Resolves the identity for a namespace, checking its names (errors name `scope`).
   * @internal
   */
  public _resolve(scope: IConstruct, context: IdentityContext): ResolvedIdentity {
    return this.resolver(scope, context);
  }
}
