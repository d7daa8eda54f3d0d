// Input checks shared by every construct. Messages follow one shape, so users learn to read them:
//   <construct path>: invalid <field> <value received>: <rule, and how to fix it>
import { IConstruct } from 'constructs';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

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

// Kubernetes label syntax (apimachinery validation, IsQualifiedName and IsValidLabelValue):
// a key is [DNS subdomain prefix/]name, a name and a value at most 63 alphanumerics, '-', '_' or '.'.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  return name.length <= 63 && LABEL_NAME.test(name) &&
    (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
}

function isLabelValue(value: string): boolean {
  return typeof value === 'string' && (value === '' || (value.length <= 63 && LABEL_NAME.test(value)));
}

/** Checks a set of Kubernetes labels (keys and values) and returns it. */
export function checkLabels(scope: IConstruct, field: string, labels: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    if (!isLabelKey(key)) {
      throw invalid(scope, `${field} key`, key,
        "must be a label key [prefix/]name: a name of at most 63 letters, digits, '-', '_' or '.', starting and ending " +
        'with a letter or digit, after an optional DNS subdomain prefix (e.g. "release")');
    }
    if (!isLabelValue(value)) {
      throw invalid(scope, `${field}.${key}`, value,
        "must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. \"kube-prometheus-stack\")");
    }
  }
  return labels;
}
