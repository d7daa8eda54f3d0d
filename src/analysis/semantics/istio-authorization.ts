// Istio authorization as the proxy of a workload evaluates it (Istio docs, "Authorization Policy":
// "Policy evaluation"; istio/api security/v1/authorization_policy.proto):
// 1. any DENY policy that matches the request denies it;
// 2. if no ALLOW policy applies to the workload, the request is allowed;
// 3. otherwise it is allowed only if some ALLOW policy matches it.
// A policy applies to a workload when it is in the workload's namespace or the mesh root namespace
// and its selector (if any) matches the workload's labels. A policy matches when one of its rules
// does; an ALLOW policy without rules matches nothing; a rule `{}` matches everything. Within a
// rule, `from`, `to` and `when` are ANDed, the entries of each list ORed, the fields of one source
// or operation ANDed, the values of one field ORed. HTTP-only fields (methods, paths, hosts) never
// match a TCP request in an ALLOW rule, and are ignored in a DENY rule (the safer choice).
// CUSTOM and AUDIT policies are not evaluated, and neither are `when` conditions: a request is
// taken to meet them in ALLOW rules and not to in DENY rules, so what this says is denied is
// denied whatever the conditions.
// Internal: the analysis (MESH0009, calls the policies do not allow) and the tests share it.
import { Labels, matchesLabels } from './labels';

export interface AuthorizationRequest {
  /** The peer's principal (`<trustDomain>/ns/<ns>/sa/<sa>`), undefined for plain text. */
  readonly principal?: string;
  /** The peer's namespace (from its identity), undefined for plain text. */
  readonly namespace?: string;
  /** The peer's address. */
  readonly sourceIp?: string;
  /** The workload (container) port the request arrives on. */
  readonly port: number;
  /** HTTP method and path; undefined for a TCP connection. */
  readonly method?: string;
  readonly path?: string;
}

export interface Workload {
  readonly namespace: string;
  readonly labels: Labels;
}

/** Whether the workload's proxy lets the request in. */
export function authorize(policies: any[], workload: Workload, request: AuthorizationRequest, rootNamespace = 'istio-system'): boolean {
  const applicable = policies.filter(p => p.kind === 'AuthorizationPolicy' && applies(p, workload, rootNamespace));
  const action = (p: any) => p.spec?.action ?? 'ALLOW';
  if (applicable.some(p => action(p) === 'DENY' && policyMatches(p, request, true))) return false;
  const allows = applicable.filter(p => action(p) === 'ALLOW');
  if (allows.length === 0) return true;
  return allows.some(p => policyMatches(p, request, false));
}

function applies(policy: any, workload: Workload, rootNamespace: string): boolean {
  const ns = policy.metadata?.namespace;
  if (ns !== workload.namespace && ns !== rootNamespace) return false;
  if (policy.spec?.targetRefs || policy.spec?.targetRef) return false; // waypoint policies: not enforced by the workload's own proxy
  const selector = policy.spec?.selector;
  return selector === undefined || matchesLabels(selector.matchLabels, workload.labels);
}

function policyMatches(policy: any, request: AuthorizationRequest, deny: boolean): boolean {
  const rules: any[] = policy.spec?.rules ?? [];
  return rules.some(rule => ruleMatches(rule, request, deny));
}

function ruleMatches(rule: any, request: AuthorizationRequest, deny: boolean): boolean {
  const from = rule.from === undefined || rule.from.some((f: any) => sourceMatches(f.source ?? {}, request));
  const to = rule.to === undefined || rule.to.some((t: any) => operationMatches(t.operation ?? {}, request, deny));
  const when = (rule.when ?? []).length === 0 || !deny;
  return from && to && when;
}

function sourceMatches(source: any, r: AuthorizationRequest): boolean {
  return field(source.principals, source.notPrincipals, r.principal)
    && field(source.namespaces, source.notNamespaces, r.namespace)
    && ipField(source.ipBlocks, source.notIpBlocks, r.sourceIp);
}

function operationMatches(op: any, r: AuthorizationRequest, deny: boolean): boolean {
  const http = r.method !== undefined;
  const httpOnly = (values: any, not: any) => {
    if (values === undefined && not === undefined) return true;
    if (!http) return deny; // ALLOW: no match on TCP; DENY: ignored
    return true;
  };
  if (!httpOnly(op.methods, op.notMethods) || !httpOnly(op.paths, op.notPaths) || !httpOnly(op.hosts, op.notHosts)) return false;
  return field(op.ports, op.notPorts, String(r.port))
    && (!http || field(op.methods, op.notMethods, r.method))
    && (!http || field(op.paths, op.notPaths, r.path));
}

/** `values` (any matches) and `not` (none matches); an absent value matches only `notX: ["*"]`-free fields. */
function field(values: string[] | undefined, not: string[] | undefined, value: string | undefined): boolean {
  if (values !== undefined && (value === undefined || !values.some(v => stringMatch(v, value)))) return false;
  if (not !== undefined && value !== undefined && not.some(v => stringMatch(v, value))) return false;
  // a request without an identity matches `notPrincipals: ["*"]`: nothing to exclude
  return true;
}

/** Istio string matching: exact, prefix `abc*`, suffix `*abc`, or `*` (presence). */
export function stringMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return value !== '';
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

function ipField(blocks: string[] | undefined, not: string[] | undefined, ip: string | undefined): boolean {
  if (blocks !== undefined && (ip === undefined || !blocks.some(b => inCidr(ip, b)))) return false;
  if (not !== undefined && ip !== undefined && not.some(b => inCidr(ip, b))) return false;
  return true;
}

/** IPv4 only, enough for the tests. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits = '32'] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) || !/^\d+\.\d+\.\d+\.\d+$/.test(base)) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}
