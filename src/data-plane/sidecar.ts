// Istio's sidecar data plane: an Envoy in every pod, injected where the namespace says so, which
// connects to istiod for its configuration and sees only the hosts its `Sidecar` resource lists.
// Everything specific to it lives here: the injection labels, the Sidecar resources, istiod's port,
// the proxy's metrics ports, what a sidecar captures.
import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { CallProxy, DataPlaneRenderer, ensureChild, GatewayRouting, NamespaceDataPlaneObjects } from './data-plane';
import {
  ServiceEntry, ServiceEntrySpecLocation, ServiceEntrySpecResolution, Sidecar, SidecarSpecOutboundTrafficPolicyMode,
} from '../../imports/networking.istio.io';
import { INJECTION_LABEL, ISTIO_PORTS, ISTIOD_POD_LABELS, REVISION_LABEL, serviceHost } from '../common/istio';
import { MeshModel, NamespaceIntent, WorkloadIntent } from '../graph/model';
import type { ResolvedCall } from '../graph/resolve';
import { AnalysisEngine } from '../traffic/canary-analysis';
import { FlaggerRoute, FlaggerRouteSpec, istioFlaggerRoute } from '../traffic/flagger';
import { addIstioRoute, RenderedRoute, RouteSpec } from '../traffic/routing';
import { addWorkloadAuthorization } from '../zero-trust/authorization';
import { isLinkLocal } from '../zero-trust/cidr';
import { addWorkloadNetworkPolicy, namespacePeer, tcpPorts, workloadObjectName } from '../zero-trust/network-policy';

const BOTH_REQUESTED = 'injection label and revision both requested; istio-injection takes precedence over ' +
  "istio.io/rev and pins the namespace to the default revision: keep only the 'revision' prop";

// The cluster DNS Service: `kube-dns` in kube-system, whatever server runs behind it (CoreDNS keeps
// the name; Kubernetes docs, "Customizing DNS Service").
const DNS_NAMESPACE = 'kube-system';
const DNS_SERVICE = 'kube-dns';
// Where a ServiceEntry for NodeLocal DNSCache's link-local address points; the name only labels it.
const NODE_LOCAL_DNS_HOST = 'node-local-dns.kube-system';

/** The sidecar data plane. */
export class SidecarDataPlane implements DataPlaneRenderer {
  public readonly name = 'sidecar';

  // pilot-agent's merged metrics and Envoy's own; the sidecar does not capture them
  public readonly metricsPorts = [ISTIO_PORTS.AGENT_METRICS, ISTIO_PORTS.ENVOY_METRICS];

  // Sidecars send HBONE to workloads without a sidecar only (PILOT_PREFER_SENDING_HBONE is off by
  // default), and straight to their pods: they do not follow waypoints (istio/istio#51445).
  public readonly outboundViaZtunnel = false;

  public namespaceLabels(settings: { readonly revision?: string }): Record<string, string> {
    // never both: istio-injection takes precedence over istio.io/rev and pins the namespace to the
    // default revision (Istio docs, "Installing the sidecar", "Controlling the injection policy")
    return settings.revision !== undefined ? { [REVISION_LABEL]: settings.revision } : { [INJECTION_LABEL]: 'enabled' };
  }

  public labelConflict(labels: Record<string, string>, revision?: string): string | undefined {
    const injection = labels[INJECTION_LABEL];
    const rev = labels[REVISION_LABEL];
    if (injection !== undefined && (rev !== undefined || revision !== undefined)) return BOTH_REQUESTED;
    if (injection !== undefined && injection !== 'enabled') {
      return 'a zero-trust namespace needs sidecar injection (sidecars enforce mTLS and authorization): remove istio-injection';
    }
    if (rev !== undefined && rev !== revision) return "set istio.io/rev with the 'revision' prop";
    return undefined;
  }

  public renderNamespace(scope: Construct, ns: NamespaceIntent): NamespaceDataPlaneObjects {
    const nodeLocal = ns.dnsCidrs.filter(isLinkLocal);
    if (nodeLocal.length > 0) addNodeLocalDns(scope, ns, nodeLocal);
    // one Sidecar without workloadSelector per namespace applies to every workload the graph does not know
    const sidecar = new Sidecar(scope, 'Sidecar', {
      metadata: { name: 'default', namespace: ns.name },
      spec: {
        egress: [{
          hosts: Lazy.any({ produce: () => unique(['./*', `${ns.rootNamespace}/*`, ...dnsHosts(ns), ...meshHosts(ns), ...ns.egress.meshHosts]) }),
        }],
        outboundTrafficPolicy: outboundTrafficPolicy(ns.registryOnly),
      },
    });
    return { sidecar };
  }

  public namespaceEgress(intent: NamespaceIntent): k8s.NetworkPolicyEgressRule[] {
    // proxies fetch their configuration and certificates from istiod. `app: istiod` is on every
    // revision's pods, so pods keep their control plane during a revision upgrade.
    return [{
      to: [{ ...namespacePeer(intent.rootNamespace, intent.name), podSelector: { matchLabels: { ...ISTIOD_POD_LABELS } } }],
      ports: tcpPorts([ISTIO_PORTS.XDS]),
    }];
  }

  public namespaceIngress(_intent: NamespaceIntent): k8s.NetworkPolicyIngressRule[] {
    // Kubelet probes need no rule: Istio rewrites them to the sidecar agent, and a NetworkPolicy
    // never blocks a pod's own node (Kubernetes docs, "Network Policies").
    return [];
  }

  public namespaceInboundPorts(ports: number[]): number[] {
    // a caller's sidecar connects to the pod's port, which the callee's captures
    return ports;
  }

  public namespaceOutboundPorts(ports: number[]): number[] {
    // to sidecars: the pods' ports (a destination on ztunnel is reached over HBONE, 15008)
    return ports;
  }

  public renderAllowRule(_namespace: NamespaceIntent): void {
    // the namespace's own policies carry it
  }

  public renderWorkload(workload: WorkloadIntent, model: MeshModel): void {
    const scope = workload.construct;
    // every workload of the graph sees only the hosts it calls (cuts proxy memory and istiod's push size)
    ensureChild(scope, 'Sidecar', () => this.addWorkloadSidecar(scope, workload, model));
    const { inbound, outbound } = model.callsOf(workload);
    if (inbound.length > 0) {
      ensureChild(scope, 'AuthorizationPolicy', () => addWorkloadAuthorization(scope as Construct, 'AuthorizationPolicy', workload, model));
    }
    if (inbound.length + outbound.length > 0) {
      ensureChild(scope, 'NetworkPolicy', () => addWorkloadNetworkPolicy(scope as Construct, 'NetworkPolicy', workload, model));
    }
  }

  public inboundPorts(call: ResolvedCall): number[] {
    // The caller's Envoy connects to the endpoint's container port; the callee's captures it there.
    // An ambient caller's ztunnel tunnels to the sidecar's HBONE port instead, which sidecars listen
    // on with the ambient profile (Istio docs, "Ambient and Kubernetes NetworkPolicy").
    return call.caller.namespace.dataPlane.outboundViaZtunnel ? [ISTIO_PORTS.HBONE] : call.targetPorts;
  }

  public proxyOf(_call: ResolvedCall): CallProxy | undefined {
    return undefined;
  }

  public checkCall(_call: ResolvedCall): string | undefined {
    // the callee's sidecar enforces every rule, whoever calls
    return undefined;
  }

  public renderRoute(scope: Construct, route: RouteSpec): RenderedRoute {
    // sidecars apply VirtualServices and DestinationRules themselves, on the caller's side
    return addIstioRoute(scope, route);
  }

  public flaggerRoute(scope: Construct, route: FlaggerRouteSpec): FlaggerRoute {
    return istioFlaggerRoute(scope, route);
  }

  public gatewayRouting(_scope: IConstruct, callee: WorkloadIntent): GatewayRouting {
    // the gateway's Envoy reaches the sidecars' pods itself: its route carries the split (the
    // callee's sidecar routes nothing inbound), Flagger's VirtualService serves the gateway too
    // (flagger.ts), and Argo Rollouts weights the gateway's route with the service's own
    const routing = callee.routing;
    if (routing?.engine === AnalysisEngine.FLAGGER) return { controller: 'writes' };
    if (routing?.engine === AnalysisEngine.ARGO_ROLLOUTS) return { split: routing.route, controller: 'weights' };
    return { split: routing?.route };
  }

  private addWorkloadSidecar(scope: Construct, workload: WorkloadIntent, model: MeshModel): ApiObject {
    const ns = workload.namespace;
    return new Sidecar(scope, 'Sidecar', {
      metadata: { name: workloadObjectName(workload), namespace: ns.name },
      spec: {
        workloadSelector: { labels: { ...workload.selector } },
        egress: [{
          hosts: Lazy.any({
            produce: () => unique([
              `${ns.rootNamespace}/*`,
              ...dnsHosts(ns),
              ...meshHosts(ns),
              ...model.resolved().outbound(workload).map(call => `${call.callee.namespace.name}/${call.host}`),
              ...ns.egress.meshHosts,
              ...ns.egress.externalHosts.map(host => `./${host}`),
            ]),
          }),
        }],
        outboundTrafficPolicy: outboundTrafficPolicy(ns.registryOnly),
      },
    });
  }
}

/**
 * The hosts every proxy needs besides what it calls: the cluster DNS Service. Istio captures
 * outbound TCP, not UDP, and DNS capture is off by default, so a DNS query over TCP (a truncated
 * answer, a large record) reaches the proxy, which drops it under REGISTRY_ONLY unless kube-dns is
 * in its registry (Istio docs, "DNS Proxying"; Sidecar `outboundTrafficPolicy`).
 */
function dnsHosts(ns: NamespaceIntent): string[] {
  const hosts = [`${DNS_NAMESPACE}/${serviceHost(DNS_SERVICE, DNS_NAMESPACE, ns.clusterDomain)}`];
  if (ns.dnsCidrs.some(isLinkLocal)) hosts.push(`./${NODE_LOCAL_DNS_HOST}`);
  return hosts;
}

/** The destinations every proxy of the mesh sends to (a tracing collector), as Sidecar hosts. */
function meshHosts(ns: NamespaceIntent): string[] {
  return MeshModel.existing(ns.construct)?.meshEgress.map(e => `${e.namespace ?? '*'}/${e.host}`) ?? [];
}

/**
 * NodeLocal DNSCache answers on a link-local address that is no Service: DNS over TCP to it needs
 * a registry entry too, passed through to the address dialled (resolution NONE).
 */
function addNodeLocalDns(scope: Construct, ns: NamespaceIntent, addresses: string[]): void {
  new ServiceEntry(scope, 'NodeLocalDns', {
    metadata: { name: 'node-local-dns', namespace: ns.name },
    spec: {
      hosts: [NODE_LOCAL_DNS_HOST],
      addresses,
      exportTo: ['.'],
      location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
      ports: [{ number: 53, name: 'tcp-dns', protocol: 'TCP' }],
      resolution: ServiceEntrySpecResolution.NONE,
    },
  });
}

function outboundTrafficPolicy(registry: boolean) {
  return {
    mode: registry ? SidecarSpecOutboundTrafficPolicyMode.REGISTRY_UNDERSCORE_ONLY : SidecarSpecOutboundTrafficPolicyMode.ALLOW_UNDERSCORE_ANY,
  };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
