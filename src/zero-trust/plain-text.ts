// Temporary exceptions for legacy clients without a sidecar: some ports of some pods also accept
// plain text. A plain-text caller carries no mesh identity, so Istio's authorization can only tell
// it apart by address (`ipBlocks`); the NetworkPolicy is what limits it to its namespace. Internal.
import type { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { checkCidr } from './cidr';
import { selectWorkloads } from './namespace-workloads';
import { namespacePeer, tcpPorts } from './network-policy';
import {
  AuthorizationPolicy, AuthorizationPolicySpecAction, PeerAuthentication, PeerAuthenticationSpecMtlsMode,
  PeerAuthenticationSpecPortLevelMtlsMode,
} from '../../imports/security.istio.io';
import { checkDnsLabel, checkLabels, checkList, checkPorts, invalid, invalidMessage, isDnsLabel } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/**
 * A temporary exception for legacy clients without a sidecar: some ports of some workloads also
 * accept plain text.
 */
export interface PlainTextOptions {
  /**
   * Labels of the pods the exception applies to (required by Istio for port-level mTLS).
   */
  readonly selector: { [key: string]: string };

  /**
   * The workload (container) ports that accept plain text: port-level mTLS matches the port the
   * workload listens on, not the Service port (istio/istio#49098).
   */
  readonly ports: number[];

  /**
   * Namespaces the legacy clients run in. A plain-text client has no identity: Istio can only
   * narrow it by address, to the namespace's `clusterCidrs` when they are set; the NetworkPolicy
   * holds it to these namespaces.
   *
   * @default - none; give `fromNamespaces`, `fromCidrs` or both
   */
  readonly fromNamespaces?: string[];

  /**
   * Address blocks the legacy clients connect from (pods or machines outside the mesh): both the
   * AuthorizationPolicy (`ipBlocks`) and the NetworkPolicy (`ipBlock`) admit only these.
   *
   * @default - none; give `fromNamespaces`, `fromCidrs` or both
   */
  readonly fromCidrs?: string[];
}

interface Exception {
  readonly name: string;
  readonly selector: { [key: string]: string };
  readonly ports: number[];
}

/** The plain-text exceptions of one namespace. */
export class PlainTextExceptions {
  private readonly exceptions: Exception[] = [];

  /**
   * @param clusterCidrs the cluster's own address blocks, when known
   * @param addIngress adds the exception's rule to the namespace's NetworkPolicy `allow-ingress`
   * @param namedNamespace records a namespace named by string, for the whole-app check
   */
  public constructor(
    private readonly scope: Construct,
    private readonly namespace: string,
    private readonly clusterCidrs: string[],
    private readonly addIngress: (rule: k8s.NetworkPolicyIngressRule) => void,
    private readonly namedNamespace: (field: string, name: string) => void,
  ) {
    scope.node.addValidation({ validate: () => this.checkPorts() });
  }

  public add(name: string, options: PlainTextOptions): void {
    const scope = this.scope;
    checkDnsLabel(scope, 'allowPlainText name', name);
    if (this.exceptions.some(e => e.name === name)) {
      throw invalid(scope, 'allowPlainText name', name, 'the same exception was added twice; use one name per exception');
    }
    const selector = checkLabels(scope, 'allowPlainText selector', options.selector, false);
    const same = this.exceptions.find(e => sameLabels(e.selector, selector));
    if (same) {
      throw invalid(scope, 'allowPlainText selector', selector,
        `already used by the exception "${same.name}": Istio applies only the oldest workload PeerAuthentication ` +
        'of a pod, so give all its ports to one exception');
    }
    if (!options.ports?.length) throw invalid(scope, 'allowPlainText ports', options.ports, 'must list at least one port');
    const ports = checkPorts(scope, 'allowPlainText ports', options.ports)!;
    const fromNamespaces = checkList(scope, 'allowPlainText fromNamespaces', options.fromNamespaces, isDnsLabel,
      'must be namespace names (RFC 1123 labels)') ?? [];
    const fromCidrs = (options.fromCidrs ?? []).map(c => checkCidr(scope, 'allowPlainText fromCidrs', c));
    if (fromNamespaces.length === 0 && fromCidrs.length === 0) {
      throw invalid(scope, 'allowPlainText', name,
        'say where the legacy clients run with fromNamespaces or fromCidrs; an exception open to every address is not offered');
    }
    fromNamespaces.forEach(ns => this.namedNamespace('allowPlainText fromNamespaces', ns));
    this.exceptions.push({ name, selector, ports });

    const group = new Construct(scope, `PlainText-${name}`);
    const metadata = { name: `plain-text-${name}`, namespace: this.namespace };
    new PeerAuthentication(group, 'PeerAuthentication', {
      metadata,
      spec: {
        selector: { matchLabels: selector },
        mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT },
        portLevelMtls: Object.fromEntries(ports.map(p => [String(p), { mode: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE }])),
      },
    });
    // `notPrincipals: ["*"]` matches exactly the requests without a peer identity (Istio docs,
    // "Security policy examples"), so callers with mTLS still need an identity rule. `ipBlocks`
    // narrows it to the clients' addresses: the given blocks, and for clients of a namespace (pods
    // without fixed addresses) the cluster's own blocks when they are known (clusterCidrs).
    const namespaceBlocks = fromNamespaces.length > 0 ? this.clusterCidrs : [];
    const narrowed = fromNamespaces.length === 0 || this.clusterCidrs.length > 0;
    const ipBlocks = narrowed ? [...fromCidrs, ...namespaceBlocks] : [];
    new AuthorizationPolicy(group, 'AuthorizationPolicy', {
      metadata,
      spec: {
        selector: { matchLabels: selector },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [{
          from: [{ source: { notPrincipals: ['*'], ...ipBlocks.length > 0 ? { ipBlocks } : {} } }],
          to: [{ operation: { ports: ports.map(String) } }],
        }],
      },
    });
    this.addIngress({
      from: [
        ...fromNamespaces.map(ns => namespacePeer(ns, this.namespace)),
        ...fromCidrs.map(cidr => ({ ipBlock: { cidr } })),
      ],
      ports: tcpPorts(ports),
    });

    const portList = `${ports.length === 1 ? 'port' : 'ports'} ${ports.join(', ')}`;
    const clients = [...fromNamespaces.map(ns => `namespace ${ns}`), ...fromCidrs].join(', ');
    const l7 = narrowed
      ? `Istio admits callers without a mesh identity from ${ipBlocks.join(', ')} there`
      : 'Istio admits any caller without a mesh identity there (a plain-text caller has no identity to check, ' +
        'and clusterCidrs is not set to narrow it by address): only the NetworkPolicy holds it to those clients';
    MeshWarnings.of(scope).add(
      `plain-text exception "${name}": pods ${JSON.stringify(selector)} accept plain text (PERMISSIVE mTLS) on ${portList} ` +
      `from ${clients}; ${l7}; remove it once those clients run with a sidecar`);
  }

  /** A port no workload of the app that the selector matches declares is a Service port given by mistake. */
  private checkPorts(): string[] {
    return this.exceptions.flatMap(exception => {
      const selected = selectWorkloads(this.scope, this.namespace, exception.selector);
      if (selected.names.length === 0) return []; // deployed by other means: nothing to compare with
      return exception.ports.filter(p => !selected.ports.has(p)).map(p => invalidMessage(
        `allowPlainText "${exception.name}" port`, p,
        `the workloads its selector matches (${selected.names.join(', ')}) declare no such container port; ` +
        'port-level mTLS uses the workload (container) port, not the Service port'));
    });
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every(k => a[k] === b[k]);
}
