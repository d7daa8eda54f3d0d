// Which hosts a sidecar proxy knows, as istiod scopes its configuration (Istio docs, "Sidecar";
// istio/api networking/v1/sidecar.proto): the proxy of a workload uses the Sidecar of its namespace
// whose workloadSelector matches the workload (two matching ones are a conflict, IST0110), else the
// namespace's Sidecar without selector, else the mesh root namespace's Sidecar without selector, else
// none: it then knows every host. An egress host is `<namespace>/<dnsName>`: namespace `*` (any),
// `.` (the Sidecar's own), `~` (none) or a name; dnsName `*`, an exact FQDN, or `*.suffix`.
// Internal: the analysis (MESH0009, calls the policies do not allow) and the tests share it.
import { Labels, matchesLabels } from './labels';

export interface Proxy {
  readonly namespace: string;
  readonly labels: Labels;
}

/** The Sidecar resource that scopes the proxy, or undefined when none does. Throws on a conflict. */
export function effectiveSidecar(sidecars: any[], proxy: Proxy, rootNamespace = 'istio-system'): any | undefined {
  const own = sidecars.filter(s => s.kind === 'Sidecar' && s.metadata?.namespace === proxy.namespace);
  const selected = own.filter(s => s.spec?.workloadSelector && matchesLabels(s.spec.workloadSelector.labels, proxy.labels));
  if (selected.length > 1) {
    throw new Error(`Sidecars ${selected.map(s => s.metadata.name).join(', ')} all select the workload (IST0110)`);
  }
  if (selected.length === 1) return selected[0];
  const defaults = own.filter(s => !s.spec?.workloadSelector);
  if (defaults.length > 1) throw new Error(`namespace ${proxy.namespace} has several Sidecars without selector (IST0111)`);
  return defaults[0] ?? sidecars.find(s => s.kind === 'Sidecar' && s.metadata?.namespace === rootNamespace && !s.spec?.workloadSelector);
}

/** Whether the proxy knows `host` (an FQDN) of `namespace`. */
export function sees(sidecars: any[], proxy: Proxy, host: string, namespace: string, rootNamespace = 'istio-system'): boolean {
  const sidecar = effectiveSidecar(sidecars, proxy, rootNamespace);
  if (!sidecar) return true;
  return (sidecar.spec.egress ?? []).some((listener: any) => (listener.hosts ?? []).some((entry: string) => {
    const [ns, dnsName] = entry.split('/');
    const nsOk = ns === '*' || ns === namespace || (ns === '.' && namespace === sidecar.metadata.namespace);
    return nsOk && hostMatch(dnsName, host);
  }));
}

function hostMatch(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}
