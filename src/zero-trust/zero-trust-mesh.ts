import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthorizationPolicy, PeerAuthentication, PeerAuthenticationSpecMtlsMode } from '../../imports/security.istio.io';
import { enableAppChecks } from '../common/app-checks';
import { ISTIO_NAMESPACE } from '../common/istio';
import { checkDnsLabel } from '../common/validation';

/**
 * Properties of a `ZeroTrustMesh`.
 */
export interface ZeroTrustMeshProps {
  /**
   * The mesh root namespace (istiod's `meshConfig.rootNamespace`): a policy there applies to the
   * whole mesh.
   *
   * @default "istio-system"
   */
  readonly rootNamespace?: string;

  /**
   * Also deny every request mesh-wide unless an AuthorizationPolicy allows it (an empty
   * `allow-nothing` AuthorizationPolicy in the root namespace).
   *
   * This is the strict end of a zero-trust migration: turn it on once every namespace has its
   * allow rules (for example with `ZeroTrustNamespace`), or all traffic stops. It covers the
   * gateways of the mesh too: the ingress gateway needs an ALLOW policy of its own.
   *
   * @default false
   */
  readonly denyAllByDefault?: boolean;
}

/**
 * Mesh-wide zero trust: STRICT mutual TLS for every workload, so plain-text callers fail.
 *
 * Emits the PeerAuthentication `default` in the root namespace with `mtls.mode: STRICT`
 * (`security.istio.io/v1`), and optionally a mesh-wide deny-by-default AuthorizationPolicy.
 */
export class ZeroTrustMesh extends Construct {
  /** The mesh root namespace the policies live in. */
  public readonly rootNamespace: string;

  /** The mesh-wide PeerAuthentication (escape hatch: `addJsonPatch`). */
  public readonly peerAuthentication: ApiObject;

  /** The mesh-wide deny-by-default AuthorizationPolicy, when `denyAllByDefault` is set. */
  public readonly denyAll?: ApiObject;

  public constructor(scope: Construct, id: string, props: ZeroTrustMeshProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    this.rootNamespace = checkDnsLabel(this, 'rootNamespace', props.rootNamespace ?? ISTIO_NAMESPACE);

    // Istio applies a PeerAuthentication named `default` in the root namespace to the whole mesh.
    this.peerAuthentication = new PeerAuthentication(this, 'PeerAuthentication', {
      metadata: { name: 'default', namespace: this.rootNamespace },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });

    if (props.denyAllByDefault) {
      // An ALLOW policy without rules matches nothing, so every request is denied.
      this.denyAll = new AuthorizationPolicy(this, 'DenyAll', {
        metadata: { name: 'allow-nothing', namespace: this.rootNamespace },
        spec: {},
      });
    }
  }
}
