// External hosts a zero-trust namespace may call: one ServiceEntry per host, visible to the namespace
// only, so REGISTRY_ONLY proxies know them and nothing else. Internal.
import { isIPv4 } from 'net';
import { Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ServiceEntry, ServiceEntrySpecLocation, ServiceEntrySpecResolution } from '../../imports/networking.istio.io';
import { sha256 } from '../common/hash';
import { invalid, isDnsSubdomain } from '../common/validation';

/**
 * The protocol of an external host's port (the ServiceEntry port protocol).
 */
export enum ExternalProtocol {
  /** TLS the application originates itself; the sidecar routes it by SNI without decrypting it. */
  TLS = 'TLS',
  /** HTTPS the application originates itself; treated like TLS by the sidecar. */
  HTTPS = 'HTTPS',
  /** Plain HTTP/1.1: the sidecar sees (and can route on) every request. */
  HTTP = 'HTTP',
  /** Plain HTTP/2. */
  HTTP2 = 'HTTP2',
  /** Plain gRPC. */
  GRPC = 'GRPC',
  /** Opaque TCP: needs the host's `addresses`, the only thing a proxy can route it by. */
  TCP = 'TCP',
}

// Kubernetes object names (ServiceEntry's too) are RFC 1123 subdomains: at most 253 characters.
const MAX_NAME = 253;

/** An external host and what the namespace allows on it. */
interface ExternalHost {
  readonly ports: Map<number, ExternalProtocol>;
  readonly addresses: Set<string>;
}

/** The ServiceEntries of one namespace. */
export class ExternalHosts {
  private readonly hosts = new Map<string, ExternalHost>();

  public constructor(private readonly scope: Construct, private readonly namespace: string) {}

  /** The hosts declared so far. */
  public get names(): string[] {
    return [...this.hosts.keys()];
  }

  /**
   * Adds a host's port (and, for TCP, the addresses it is reached at). A sidecar routes opaque TCP
   * by destination address and port only: a TCP ServiceEntry without addresses makes every proxy
   * of the namespace send all traffic to that port to this host (a `0.0.0.0:<port>` listener), and
   * two such hosts on one port collide (istioctl IST0134). So TCP needs addresses; Istio's DNS
   * proxying with automatic address allocation would be the other way, and it is a mesh-wide proxy
   * setting (meshConfig.defaultConfig.proxyMetadata), not one a namespace can own.
   */
  public add(field: string, host: string, port: number, protocol: ExternalProtocol, addresses: string[]): void {
    if (protocol === ExternalProtocol.TCP && addresses.length === 0) {
      throw invalid(this.scope, `${field} addresses`, addresses,
        `are required for TCP (${host}:${port}): a proxy routes opaque TCP by address, and without addresses every ` +
        `connection of the namespace to port ${port} would go to ${host} (istioctl IST0134); give the host's address blocks ` +
        '(e.g. ["203.0.113.10/32"]), or use TLS when the application speaks TLS');
    }
    let entry = this.hosts.get(host);
    if (!entry) {
      entry = { ports: new Map(), addresses: new Set() };
      this.hosts.set(host, entry);
      this.render(host, entry);
    }
    if (entry.ports.has(port)) {
      throw invalid(this.scope, field, `${host}:${port}`, 'the same allow rule was added twice; remove one of the calls');
    }
    entry.ports.set(port, protocol);
    addresses.forEach(a => entry!.addresses.add(a));
  }

  private render(host: string, entry: ExternalHost): void {
    const wildcard = host.startsWith('*.');
    new ServiceEntry(this.scope, `External-${host}`, {
      metadata: { name: serviceEntryName(host), namespace: this.namespace },
      spec: {
        hosts: [host],
        addresses: Lazy.any({ produce: () => entry.addresses.size > 0 ? [...entry.addresses] : undefined }),
        exportTo: ['.'],
        location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
        ports: Lazy.any({
          produce: () => [...entry.ports].map(([number, protocol]) => ({ number, name: `${protocol.toLowerCase()}-${number}`, protocol })),
        }),
        // A wildcard cannot be resolved, and address blocks admit only NONE or STATIC (the CRD's CEL
        // rule "CIDR addresses are allowed only for NONE/STATIC resolution types"): the proxy then
        // forwards to the address the application dialled, one the listener's blocks matched.
        resolution: Lazy.any({
          produce: () => wildcard || entry.addresses.size > 0 ? ServiceEntrySpecResolution.NONE : ServiceEntrySpecResolution.DNS,
        }),
      },
    });
  }
}

/**
 * Checks an external host name for a ServiceEntry: a lowercase DNS name with at least two labels,
 * optionally with a `*.` wildcard prefix.
 */
export function checkExternalHost(scope: IConstruct, field: string, value: string): string {
  const name = typeof value === 'string' && value.startsWith('*.') ? value.slice(2) : value;
  if (!isDnsSubdomain(name) || !name.includes('.') || isIPv4(name)) {
    throw invalid(scope, field, value,
      'must be a fully qualified DNS name such as "api.stripe.com", or a wildcard such as "*.googleapis.com"; ' +
      'no scheme, port, path or IP address');
  }
  return value;
}

/**
 * The ServiceEntry name of an external host: `external-<host>`, and `external--wildcard.<domain>`
 * for `*.<domain>`. A host never starts with '-', so no host name gives the double dash of a
 * wildcard's name: `*.googleapis.com` and `wildcard.googleapis.com` get different names. A name
 * longer than a resource name may be (253, an RFC 1123 subdomain) is cut and ends with a hash of
 * the host.
 */
function serviceEntryName(host: string): string {
  const name = host.startsWith('*.') ? `external--wildcard${host.slice(1)}` : `external-${host}`;
  if (name.length <= MAX_NAME) return name;
  const hash = sha256(host, 10);
  // cut where the rest still ends with a letter or digit, as a subdomain must
  const head = name.slice(0, MAX_NAME - hash.length - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}`;
}
