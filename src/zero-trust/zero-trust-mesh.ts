import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { addAllowNothing, addAllowPolicy } from './authorization';
import { PeerAuthentication, PeerAuthenticationSpecMtlsMode } from '../../imports/security.istio.io';
import { enableAppChecks } from '../common/app-checks';
import { INGRESS_GATEWAY, ISTIO_NAMESPACE } from '../common/istio';
import { checkDnsLabel, checkList, invalid, isLabelValue } from '../common/validation';

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
   * allow rules (for example with `ZeroTrustNamespace` and the service graph), or all traffic
   * stops. A policy of the root namespace applies to every workload of the mesh, the gateways
   * included, so the ingress gateways (`ingressGateways`) get an ALLOW policy of their own: users
   * reach them without a mesh identity, and the workloads behind them still decide who gets in.
   *
   * @default false
   */
  readonly denyAllByDefault?: boolean;

  /**
   * The ingress gateways users must still reach with `denyAllByDefault`, by the value of their
   * pods' `istio` label (`istioctl install` labels its ingress gateway `istio: ingressgateway`;
   * Istio's `gateway` Helm chart, the release name without `istio-`). Each gets an ALLOW policy
   * `allow-<label>` selecting its pods, for any source.
   *
   * @default ["ingressgateway"]
   */
  readonly ingressGateways?: string[];
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

  /** The ALLOW policies of the ingress gateways, when `denyAllByDefault` is set. */
  public readonly gatewayPolicies: ApiObject[];

  public constructor(scope: Construct, id: string, props: ZeroTrustMeshProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    this.rootNamespace = checkDnsLabel(this, 'rootNamespace', props.rootNamespace ?? ISTIO_NAMESPACE);

    // Istio applies a PeerAuthentication named `default` in the root namespace to the whole mesh.
    this.peerAuthentication = new PeerAuthentication(this, 'PeerAuthentication', {
      metadata: { name: 'default', namespace: this.rootNamespace },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
    });

    const gateways = checkList(this, 'ingressGateways', props.ingressGateways, isLabelValue,
      'must list the values of the gateway pods\' "istio" label (e.g. ["ingressgateway"])') ?? [INGRESS_GATEWAY.podLabels.istio];
    if (!props.denyAllByDefault) {
      if (props.ingressGateways !== undefined) {
        throw invalid(this, 'ingressGateways', props.ingressGateways, 'only applies with denyAllByDefault: true; remove it or turn deny-all on');
      }
      this.gatewayPolicies = [];
      return;
    }
    // An ALLOW policy without rules matches nothing, so every request is denied.
    this.denyAll = addAllowNothing(this, 'DenyAll', this.rootNamespace);
    this.gatewayPolicies = gateways.map(label => addAllowPolicy(this, `Allow-${label}`, {
      name: `allow-${label}`,
      namespace: this.rootNamespace,
      selector: { istio: label },
      rules: () => [{}],
    }));
  }
}
