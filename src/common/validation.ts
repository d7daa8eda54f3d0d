// Input checks shared by every construct. Messages follow one shape, so users learn to read them:
//   <construct path>: invalid <field> <value received>: <rule, and how to fix it>
import { IConstruct } from 'constructs';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PRINCIPAL = /^([^/]*)\/ns\/([^/]*)\/sa\/([^/]*)$/;

/** The message for a value that breaks a rule; `rule` says what is expected and how to fix it. */
export function invalidMessage(field: string, value: unknown, rule: string): string {
  return `invalid ${field} ${render(value)}: ${rule}`;
}

/** The error to throw for a value that breaks a rule, naming the construct path. */
export function invalid(scope: IConstruct, field: string, value: unknown, rule: string): Error {
  return new Error(`${scope.node.path}: ${invalidMessage(field, value, rule)}`);
}

/** Checks an RFC 1123 label (namespace names, Service names, DNS labels) and returns it. */
export function checkDnsLabel(scope: IConstruct, field: string, value: string): string {
  if (!isDnsLabel(value)) {
    throw invalid(scope, field, value,
      "must be an RFC 1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. \"payments\")");
  }
  return value;
}

export function isDnsLabel(value: string): boolean {
  return typeof value === 'string' && value.length <= 63 && DNS_LABEL.test(value);
}

/** Checks an RFC 1123 subdomain (a DNS name such as a cluster domain) and returns it. */
export function checkDnsSubdomain(scope: IConstruct, field: string, value: string): string {
  if (!isDnsSubdomain(value)) {
    throw invalid(scope, field, value,
      "must be an RFC 1123 subdomain: at most 253 lowercase letters, digits, '-' or '.' (e.g. \"cluster.local\")");
  }
  return value;
}

export function isDnsSubdomain(value: string): boolean {
  return typeof value === 'string' && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** Checks a Kubernetes ServiceAccount name (an RFC 1123 subdomain) and returns it. */
export function checkServiceAccountName(scope: IConstruct, field: string, value: string): string {
  if (!isDnsSubdomain(value)) {
    throw invalid(scope, field, value,
      "must be a Kubernetes ServiceAccount name: at most 253 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit");
  }
  return value;
}

/** Whether a value is a non-empty Kubernetes label value (or the name part of a key). */
export function isLabelValue(value: string): boolean {
  return typeof value === 'string' && LABEL_NAME.test(value);
}

/** Whether a key is a Kubernetes label key: `[DNS subdomain prefix/]name` (apimachinery `IsQualifiedName`). */
function isLabelKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const prefix = parts.length === 2 ? parts[0] : undefined;
  return LABEL_NAME.test(parts[parts.length - 1]) && (prefix === undefined || isDnsSubdomain(prefix));
}

/** Checks a label key (a node label a topology spread names, say) and returns it. */
export function checkLabelKey(scope: IConstruct, field: string, key: string): string {
  if (typeof key !== 'string' || !isLabelKey(key)) {
    throw invalid(scope, field, key,
      "must be a label key [prefix/]name: a name of at most 63 letters, digits, '-', '_' or '.', starting and ending " +
      'with a letter or digit, after an optional DNS subdomain prefix and "/" (e.g. "app" or "app.kubernetes.io/name")');
  }
  return key;
}

/**
 * Checks Kubernetes labels (keys `[prefix/]name`, values of at most 63 characters; apimachinery
 * `IsQualifiedName` and `IsValidLabelValue`) and returns a copy. Istio selectors also forbid `*`,
 * which the syntax already excludes.
 *
 * @param allowEmpty whether no labels at all is fine (a selector needs at least one)
 */
export function checkLabels(scope: IConstruct, field: string, labels: { [key: string]: string }, allowEmpty = true): { [key: string]: string } {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels) || (!allowEmpty && Object.keys(labels).length === 0)) {
    throw invalid(scope, field, labels, 'must be Kubernetes labels, at least one, e.g. { app: "billing" }');
  }
  for (const [key, value] of Object.entries(labels)) {
    checkLabelKey(scope, `${field} key`, key);
    if (typeof value !== 'string' || (value !== '' && !LABEL_NAME.test(value))) {
      throw invalid(scope, `${field}[${JSON.stringify(key)}]`, value,
        "must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
    }
  }
  return { ...labels };
}

/**
 * Checks a non-empty list whose every value passes `ok`, and returns it deduplicated and sorted;
 * undefined stays undefined (an option left out).
 */
export function checkList(scope: IConstruct, field: string, values: string[] | undefined, ok: (v: string) => boolean,
  rule: string): string[] | undefined {
  if (values === undefined) return undefined;
  if (!Array.isArray(values) || values.length === 0 || !values.every(v => typeof v === 'string' && ok(v))) {
    throw invalid(scope, field, values, rule);
  }
  return [...new Set(values)].sort();
}

/** Checks a list of TCP ports, returned deduplicated and sorted; undefined means every port. */
export function checkPorts(scope: IConstruct, field: string, ports?: number[]): number[] | undefined {
  if (ports === undefined) return undefined;
  if (!Array.isArray(ports) || ports.length === 0) {
    throw invalid(scope, field, ports, 'must list at least one port; leave it out to mean every port');
  }
  ports.forEach(p => checkPort(scope, field, p));
  return [...new Set(ports)].sort((a, b) => a - b);
}

/**
 * Checks an Istio principal, `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`, and returns its
 * parts.
 */
export function checkPrincipal(scope: IConstruct, field: string, value: string): { trustDomain: string; namespace: string; serviceAccount: string } {
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
  return { trustDomain, namespace, serviceAccount };
}

/** Checks upper-case HTTP methods. */
export function checkMethods(scope: IConstruct, field: string, methods?: string[]): string[] | undefined {
  return checkList(scope, field, methods, m => /^[A-Z]+$/.test(m),
    'must be upper-case HTTP methods such as "GET" or "POST" (gRPC calls are "POST")');
}

/** Checks request paths as Istio authorization matches them (exact, prefix `/api/*`, suffix `*.png`, `*`). */
export function checkPaths(scope: IConstruct, field: string, paths?: string[]): string[] | undefined {
  return checkList(scope, field, paths, p => /^[/*]\S*$/.test(p),
    'must be paths starting with "/" (exact, or "/api/*" for a prefix), "*" followed by a suffix, or "*"');
}

/** Checks a TCP/UDP port number and returns it. */
export function checkPort(scope: IConstruct, field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalid(scope, field, value, 'must be an integer port from 1 to 65535');
  }
  return value;
}

/** Checks a percentage from 0 to 100 (fractions allowed) and returns it. */
export function checkPercent(scope: IConstruct, field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw invalid(scope, field, value, 'must be a number from 0 to 100');
  }
  return value;
}

function render(value: unknown): string {
  if (value === undefined) return '(undefined)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Checks an absolute http:// or https:// URL with a host (a Prometheus address, say) and returns it. */
export function checkHttpUrl(scope: IConstruct, field: string, value: string): string {
  if (!isHttpUrl(value)) {
    throw invalid(scope, field, value,
      'must be an absolute http:// or https:// URL with a host (e.g. "http://prometheus.istio-system:9090")');
  }
  return value;
}

function isHttpUrl(value: string): boolean {
  if (typeof value !== 'string' || /\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

// Image references as the container runtime parses them (distribution/reference grammar):
// [registry[:port]/]path[:tag][@digest], path components lowercase.
const IMAGE_PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IMAGE_REFERENCE = new RegExp(
  `^(?:${IMAGE_DOMAIN_COMPONENT}(?:\\.${IMAGE_DOMAIN_COMPONENT})*(?::[0-9]+)?/)?` +
  `${IMAGE_PATH_COMPONENT}(?:/${IMAGE_PATH_COMPONENT})*` +
  '(?::[\\w][\\w.-]{0,127})?' +
  '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$');

/** Checks a container image reference (`registry/path:tag` or `path@sha256:...`) and returns it. */
export function checkImage(scope: IConstruct, field: string, value: string): string {
  if (typeof value !== 'string' || value.length > 255 || !IMAGE_REFERENCE.test(value)) {
    throw invalid(scope, field, value,
      'must be an image reference [registry[:port]/]path[:tag][@digest] with a lowercase path (e.g. "registry.example.com/payment:1.4.2")');
  }
  return value;
}

/**
 * Whether istiod accepts a value as a trust domain (`meshConfig.trustDomain` and its aliases):
 * dot-separated RFC 1123 labels, so lowercase letters, digits and '-', never '_' (istio/istio,
 * pkg/config/validation/agent/validation.go, `ValidateTrustDomain`). Stricter than istiod on two
 * points that no working mesh needs: no trailing dot (it would end up in every principal) and at
 * most 253 characters (a DNS name).
 */
export function isTrustDomain(value: string): boolean {
  return typeof value === 'string' && value.length <= 253 && value.split('.').every(isDnsLabel);
}

/** Checks a mesh trust domain (the first part of every principal) and returns it. */
export function checkTrustDomain(scope: IConstruct, field: string, value: string): string {
  if (!isTrustDomain(value)) {
    throw invalid(scope, field, value,
      "must be a trust domain istiod accepts: dot-separated RFC 1123 labels of lowercase letters, digits and '-', " +
      "without '_', a scheme or '/' (e.g. \"cluster.local\" or \"prod.example.com\")");
  }
  return value;
}
