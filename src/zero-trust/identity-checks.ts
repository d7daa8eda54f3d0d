// Internal to the zero-trust constructs (not exported from the package): what a workload identity
// resolves to, and checks of the names that make up identities and egress destinations.
import { isIPv4, isIPv6 } from 'net';
import { k8s, Namespace } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { checkDnsLabel, invalid, isTrustDomain } from '../common/validation';

/**
 * What an identity means where a rule is added: the namespace protected and its mesh.
 */
export interface IdentityContext {
  readonly namespace: string;
  readonly trustDomain: string;
  readonly rootNamespace: string;
}

/**
 * An identity resolved for one namespace: the AuthorizationPolicy source (L7, by mTLS identity)
 * and the NetworkPolicy peer that mirrors it at L3.
 */
export interface ResolvedIdentity {
  readonly description: string;
  readonly source: { readonly principals?: string[]; readonly namespaces?: string[] };
  readonly peer: k8s.NetworkPolicyPeer;
}

const LABEL_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PRINCIPAL = /^([^/]*)\/ns\/([^/]*)\/sa\/([^/]*)$/;

/** The pods of a namespace as a NetworkPolicy peer; the policy's own namespace needs no selector. */
export function namespacePeer(namespace: string, policyNamespace: string): k8s.NetworkPolicyPeer {
  if (namespace === policyNamespace) return { podSelector: {} };
  return { namespaceSelector: { matchLabels: { [Namespace.NAME_LABEL]: namespace } } };
}

/** Checks an RFC 1123 subdomain (a DNS name such as a cluster domain) and returns it. */
export function checkDnsSubdomain(scope: IConstruct, field: string, value: string): string {
  if (!isDnsSubdomain(value)) {
    throw invalid(scope, field, value,
      "must be an RFC 1123 subdomain: at most 253 lowercase letters, digits, '-' or '.' (e.g. \"cluster.local\")");
  }
  return value;
}

/** Checks a Kubernetes ServiceAccount name (an RFC 1123 subdomain) and returns it. */
export function checkServiceAccountName(scope: IConstruct, field: string, value: string): string {
  if (!isDnsSubdomain(value)) {
    throw invalid(scope, field, value,
      "must be a Kubernetes ServiceAccount name: at most 253 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit");
  }
  return value;
}

/**
 * Checks an Istio principal, `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`, and returns its
 * namespace.
 */
export function checkPrincipal(scope: IConstruct, field: string, value: string): string {
  const rule = 'must be "<trustDomain>/ns/<namespace>/sa/<serviceAccount>" without the spiffe:// prefix or ' +
    'wildcards (e.g. "cluster.local/ns/shop/sa/frontend")';
  const match = typeof value === 'string' ? PRINCIPAL.exec(value) : null;
  if (!match || value.startsWith('spiffe://') || value.includes('*')) {
    throw invalid(scope, field, value, rule);
  }
  const [, trustDomain, namespace, serviceAccount] = match;
  // a peer's trust domain is one some istiod accepted (its own, or this mesh's trustDomainAliases,
  // which istiod validates the same way)
  if (!isTrustDomain(trustDomain) || !isDnsSubdomain(serviceAccount)) {
    throw invalid(scope, field, value, rule);
  }
  checkDnsLabel(scope, `${field} namespace`, namespace);
  return namespace;
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

/** Whether a value is a non-empty Kubernetes label value (or label name). */
export function isLabelValue(value: string): boolean {
  return typeof value === 'string' && LABEL_NAME.test(value);
}

/**
 * Checks Kubernetes labels (keys `[prefix/]name`, values of at most 63 characters) and returns a
 * copy. Istio selectors also forbid `*`, which the syntax already excludes.
 */
export function checkLabels(scope: IConstruct, field: string, labels: { [key: string]: string }, allowEmpty: boolean): { [key: string]: string } {
  const entries = Object.entries(labels ?? {});
  const valid = (allowEmpty || entries.length > 0) && entries.every(([key, value]) => {
    const [prefix, name, extra] = key.includes('/') ? key.split('/') : [undefined, key];
    return extra === undefined && (prefix === undefined || isDnsSubdomain(prefix)) &&
      LABEL_NAME.test(name) && typeof value === 'string' && (value === '' || LABEL_NAME.test(value));
  });
  if (!valid) {
    throw invalid(scope, field, labels,
      `must be Kubernetes labels${allowEmpty ? '' : ', at least one,'}: keys "[prefix/]name" and values of at most 63 ` +
      "letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. { app: \"billing\" })");
  }
  return { ...labels };
}

/** Checks an IPv4 or IPv6 CIDR block and returns it. */
export function checkCidr(scope: IConstruct, field: string, value: string): string {
  const [address, bits, extra] = typeof value === 'string' ? value.split('/') : [];
  const max = isIPv4(address ?? '') ? 32 : isIPv6(address ?? '') ? 128 : 0;
  const prefix = /^\d{1,3}$/.test(bits ?? '') ? Number(bits) : -1;
  if (max === 0 || extra !== undefined || prefix < 0 || prefix > max) {
    throw invalid(scope, field, value, 'must be an IPv4 or IPv6 CIDR block (e.g. "10.20.0.0/16" or "fd00::/8")');
  }
  return value;
}

/** An IPv4 or IPv6 CIDR block, parsed. */
export interface Cidr {
  readonly cidr: string;
  readonly family: 4 | 6;
}

/**
 * Checks an address block to put in a NetworkPolicy `ipBlock` (a `cidr`, or an `except` entry of
 * `0.0.0.0/0` or `::/0`) and returns it with its family. Kubernetes wants an `except` entry to be
 * a strict subset of its `cidr`, so a /0 is refused, and newer API servers refuse host bits set
 * beyond the prefix ("must not have bits set beyond the prefix length", Kubernetes'
 * ValidateIPBlock).
 */
export function checkCanonicalCidr(scope: IConstruct, field: string, value: string): Cidr {
  checkCidr(scope, field, value);
  const [address, prefix] = value.split('/');
  if (Number(prefix) === 0 || /1/.test(addressBits(address).slice(Number(prefix)))) {
    throw invalid(scope, field, value,
      'must be an address block with a prefix of at least 1 and no bits set beyond it (e.g. "10.96.0.0/12", not "10.96.0.1/12")');
  }
  return { cidr: value, family: isIPv4(address) ? 4 : 6 };
}

/** The bits of an IPv4 or IPv6 address that `isIPv4` or `isIPv6` accepts, as a string of 0 and 1. */
function addressBits(address: string): string {
  const binary = (n: number, width: number) => n.toString(2).padStart(width, '0');
  if (isIPv4(address)) return address.split('.').map(octet => binary(Number(octet), 8)).join('');
  // an IPv6 address may end with an IPv4 address ("::ffff:10.0.0.1"): its 32 bits are its last two groups
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  const text = v4 ? `${address.slice(0, -v4[1].length)}0:0` : address;
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined) => part ? part.split(':') : [];
  const all = tail === undefined ? groups(head)
    : [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  const bits = all.map(group => binary(parseInt(group, 16), 16)).join('');
  return v4 ? bits.slice(0, 96) + addressBits(v4[1]) : bits;
}

function isDnsSubdomain(value: string): boolean {
  return typeof value === 'string' && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}
