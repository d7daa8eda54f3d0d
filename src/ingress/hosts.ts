// Hosts and path prefixes of routes into the mesh, checked once for both APIs, and the names of the
// objects derived from them. Internal.
import { IConstruct } from 'constructs';
import { sha256 } from '../common/hash';
import { invalid } from '../common/validation';

// The hostname both APIs accept: Gateway API `Hostname` (a wildcard only as the whole first label),
// which Istio's Gateway `hosts` and cert-manager's `dnsNames` accept too.
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

// Gateway API's path characters for Exact and PathPrefix matches (HTTPRoute CEL rules), without
// `*`, which Istio's authorization reads as a wildcard in the paths the gateway is allowed.
const PATH = /^(?:[-A-Za-z0-9/._~!$&'()+,;=:@]|%[0-9a-fA-F]{2})+$/;

/** Checks a host users call (`shop.example.com` or `*.example.com`) and returns it. */
export function checkHost(scope: IConstruct, field: string, host: string): string {
  const name = typeof host === 'string' ? host.replace(/^\*\./, '') : '';
  const ok = typeof host === 'string' && host.length <= 253 && HOSTNAME.test(host) && name.includes('.')
    && !/^[0-9.]+$/.test(name) && name.split('.').every(label => label.length <= 63);
  if (!ok) {
    throw invalid(scope, field, host,
      'must be a fully qualified DNS name in lowercase (e.g. "shop.example.com"), or "*." followed by one (e.g. "*.example.com"): ' +
      'no IP address, no "*" alone or inside a label, no port, no scheme');
  }
  return host;
}

/**
 * Checks a path prefix and returns it without a trailing "/": a prefix matches whole path segments
 * (`/api` matches `/api` and `/api/x`, not `/apiary`), so `/api/` and `/api` are the same prefix.
 */
export function checkPathPrefix(scope: IConstruct, field: string, prefix: string): string {
  const ok = typeof prefix === 'string' && prefix.startsWith('/') && prefix.length <= 1024 && (prefix === '/' || PATH.test(prefix))
    && !['//', '/./', '/../', '%2f', '%2F'].some(s => prefix.includes(s)) && !/\/\.\.?$/.test(prefix);
  if (!ok) {
    throw invalid(scope, field, prefix,
      'must be an absolute path of letters, digits and -._~!$&\'()+,;=:@ or %XX escapes (e.g. "/api"), without "*", "?", "#", "//", ' +
      '"/./", "/../" or an encoded "/"');
  }
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
}

/**
 * The hosts an Istio Gateway's servers serve to the VirtualServices of `namespace`: `<ns>/<host>`
 * entries of that namespace (`.` is the Gateway's own) or `*`, and plain hosts.
 */
export function servedHosts(gateway: any, namespace: string): string[] {
  return (gateway?.spec?.servers ?? []).flatMap((s: any) => (s?.hosts ?? []).flatMap((entry: string) => {
    const [ns, host] = entry.includes('/') ? entry.split('/', 2) : ['*', entry];
    const resolved = ns === '.' ? gateway.metadata?.namespace : ns;
    return resolved === '*' || resolved === namespace ? [host] : [];
  }));
}

/** A host as a DNS label: `shop.example.com` -> `shop-example-com`, `*.example.com` -> `wildcard-example-com`. */
export function hostSlug(host: string): string {
  return host.replace(/^\*\./, 'wildcard.').replace(/\./g, '-');
}

/**
 * An object name from parts, as a DNS label of at most 63 characters: cut, with a hash of the whole
 * name so that two long names stay apart.
 */
export function labelName(...parts: string[]): string {
  const name = parts.filter(p => p !== '').join('-');
  if (name.length <= 63) return name;
  return `${name.slice(0, 52).replace(/-+$/, '')}-${sha256(name, 10)}`;
}
