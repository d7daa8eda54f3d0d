// Kubernetes NetworkPolicy as the network plugin enforces it (Kubernetes docs, "Network Policies"):
// a connection from pod A to pod B passes when A's egress and B's ingress both allow it. A pod that
// no policy of its namespace selects for a direction is not isolated in that direction; an isolated
// pod accepts what any selecting policy's rules allow (policies add up). A rule's peers are ORed; a
// peer with both namespaceSelector and podSelector means pods matching both; podSelector alone means
// pods of the policy's namespace; ipBlock matches by address. A rule without `ports` allows every
// port; without `from`/`to` every peer.
// Internal: the analysis (MESH0009, calls the policies do not allow) and the tests share it.
import { Labels, selects } from './labels';

export interface Pod {
  readonly namespace: string;
  readonly labels: Labels;
  readonly ip?: string;
}

/** Namespace labels by namespace name; `kubernetes.io/metadata.name` is added as the API server does. */
export type NamespaceLabels = Record<string, Labels>;

export interface Connection {
  readonly from: Pod;
  readonly to: Pod;
  readonly port: number;
  readonly protocol?: string;
}

/** Whether the network lets the connection through. */
export function connects(policies: any[], c: Connection, namespaces: NamespaceLabels = {}): boolean {
  return allowed(policies, 'Egress', c.from, c, namespaces) && allowed(policies, 'Ingress', c.to, c, namespaces);
}

function allowed(policies: any[], direction: 'Ingress' | 'Egress', pod: Pod, c: Connection, namespaces: NamespaceLabels): boolean {
  const selecting = policies.filter(p => p.kind === 'NetworkPolicy' && p.metadata?.namespace === pod.namespace &&
    selects(p.spec?.podSelector ?? {}, pod.labels) && policyTypes(p).includes(direction));
  if (selecting.length === 0) return true;
  const peer = direction === 'Ingress' ? c.from : c.to;
  return selecting.some(p => (direction === 'Ingress' ? p.spec.ingress : p.spec.egress ?? [])?.some((rule: any) =>
    peersMatch(direction === 'Ingress' ? rule.from : rule.to, peer, p.metadata.namespace, namespaces) && portsMatch(rule.ports, c)));
}

/** `policyTypes`, or what Kubernetes defaults it to: Ingress, and Egress when the policy has egress rules. */
function policyTypes(p: any): string[] {
  return p.spec?.policyTypes ?? ['Ingress', ...p.spec?.egress ? ['Egress'] : []];
}

function peersMatch(peers: any[] | undefined, pod: Pod, policyNamespace: string, namespaces: NamespaceLabels): boolean {
  if (peers === undefined) return true;
  return peers.some(peer => {
    if (peer.ipBlock) {
      return pod.ip !== undefined && inBlock(pod.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e: string) => inBlock(pod.ip!, e));
    }
    const nsLabels = { ...namespaces[pod.namespace], 'kubernetes.io/metadata.name': pod.namespace };
    const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels) : pod.namespace === policyNamespace;
    const podOk = peer.podSelector ? selects(peer.podSelector, pod.labels) : true;
    return nsOk && podOk;
  });
}

function portsMatch(ports: any[] | undefined, c: Connection): boolean {
  if (ports === undefined) return true;
  return ports.some(p => (p.protocol ?? 'TCP') === (c.protocol ?? 'TCP') &&
    (p.port === undefined || (p.endPort === undefined ? p.port === c.port : c.port >= p.port && c.port <= p.endPort)));
}

function inBlock(ip: string, cidr: string): boolean {
  if (cidr === '0.0.0.0/0') return ip.includes('.');
  if (cidr === '::/0') return ip.includes(':');
  const [base, bits = '32'] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  if (!ip.includes('.') || !base.includes('.')) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}
