// istioctl's schema validation of VirtualServices, the part it reports as analysis messages
// (pkg/config/validation/validation.go analyzeUnreachableHTTPRules, -TCPRules, -TLSRules): a rule
// after a rule without matches, or whose every match an earlier rule already has, is never used
// (IST0130); a match an earlier rule already has, or whose URI prefix and other conditions an
// earlier match covers, is not used (IST0131).
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { goQuote } from '../_format';
import { AnalyzedObject, TYPES } from '../_object-index';

export const unreachableRules: Check = {
  name: 'schema.ValidationAnalyzer.VirtualService',
  description: 'Runs schema validation as an analyzer on \'VirtualService\' resources (unreachable rules and ineffective matches)',
  messages: [IST.VirtualServiceUnreachableRule, IST.VirtualServiceIneffectiveMatch],
  run(context: CheckContext) {
    for (const vs of context.index.ofType(TYPES.VirtualService)) {
      const unused = (rule: string, reason: string) => context.report(vs, IST.VirtualServiceUnreachableRule, [rule, reason]);
      const ineffective = (rule: string, match: string, dup: string) => context.report(vs, IST.VirtualServiceIneffectiveMatch, [rule, match, dup]);
      analyzeRules(vs, 'http', unused, ineffective);
      analyzeRules(vs, 'tcp', unused, ineffective);
      analyzeRules(vs, 'tls', unused, ineffective);
    }
  },
};

type Unused = (rule: string, reason: string) => void;
type Ineffective = (rule: string, match: string, dup: string) => void;

function analyzeRules(vs: AnalyzedObject, protocol: 'http' | 'tcp' | 'tls', unused: Unused, ineffective: Ineffective): void {
  const routes: any[] = vs.spec[protocol] ?? [];
  const seen = new Map<string, number>();
  let emptyMatchAt = -1;
  const prefixes: PrefixMatch[] = [];
  routes.forEach((route, n) => {
    if (route === null || route === undefined) return;
    const matches: any[] = route.match ?? [];
    if (matches.length === 0) {
      if (emptyMatchAt >= 0) unused(routeName(protocol, route, n), 'only the last rule can have no matches');
      emptyMatchAt = n;
      return;
    }
    let duplicates = 0;
    matches.forEach((match, m) => {
      if (emptyMatchAt >= 0) {
        unused(routeName(protocol, route, n), 'route without matches defined before');
        return;
      }
      const json = canonical(match, protocol === 'http');
      const dup = seen.get(json);
      if (dup !== undefined) {
        ineffective(routeName(protocol, route, n), matchName(protocol, match, m), routeName(protocol, routes[dup], dup));
        duplicates++;
        return;
      }
      seen.set(json, n);
      const prefix = protocol === 'http' ? prefixMatch(route, match, n, m) : undefined;
      if (prefix) prefixes.push(prefix);
    });
    if (duplicates === matches.length) unused(routeName(protocol, route, n), 'all matches used by prior rules');
  });
  // an earlier prefix match that covers a later one (only http, only within one VirtualService)
  for (let a = 0; a < prefixes.length; a++) {
    for (let b = a + 1; b < prefixes.length; b++) {
      if (prefixes[b].prefix === prefixes[a].prefix || !covers(prefixes[a], prefixes[b])) continue;
      ineffective(prefixes[b].route, `${prefixes[b].match} of prefix ${prefixes[b].prefix}`,
        `${prefixes[a].match} of prefix ${prefixes[a].prefix} on ${prefixes[a].route}`);
    }
  }
}

/** Rules are named by their quoted `name` (http only), else `#n` (routeName). */
function routeName(protocol: string, route: any, n: number): string {
  return protocol === 'http' && route?.name ? goQuote(String(route.name)) : `#${n}`;
}

function matchName(protocol: string, match: any, m: number): string {
  return protocol === 'http' && match?.name ? goQuote(String(match.name)) : `#${m}`;
}

/** The match without its name, with keys sorted, to compare matches (asJSON). */
function canonical(match: any, dropName: boolean): string {
  const sort = (v: any): any => Array.isArray(v) ? v.map(sort)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map(k => [k, sort(v[k])])) : v;
  const rest = { ...match };
  if (dropName) delete rest.name;
  return JSON.stringify(sort(rest));
}

interface PrefixMatch {
  readonly route: string;
  readonly match: string;
  readonly prefix: string;
  readonly port: number;
  readonly method: string;
  readonly authority: string;
  readonly headers: Map<string, string>;
  readonly queryParams: Map<string, string>;
  readonly withoutHeaders: Map<string, string>;
}

/** The conditions of a match on a URI prefix (genMatchHTTPRoutes); other matches are not compared. */
function prefixMatch(route: any, match: any, n: number, m: number): PrefixMatch | undefined {
  const prefix = match?.uri?.prefix;
  if (!prefix) return undefined;
  const conditions = (o: any) => new Map(Object.entries(o ?? {}).map(([k, v]) => [k, exactOrPrefix(v)]));
  return {
    route: routeName('http', route, n),
    match: matchName('http', match, m),
    prefix: String(prefix),
    port: Number(match.port ?? 0),
    // no method means GET, as istioctl compares them
    method: exactOrPrefix(match.method) || 'exact:GET',
    authority: exactOrPrefix(match.authority),
    headers: conditions(match.headers),
    queryParams: conditions(match.queryParams),
    withoutHeaders: conditions(match.withoutHeaders),
  };
}

function exactOrPrefix(m: any): string {
  if (m?.exact) return `exact:${m.exact}`;
  if (m?.prefix) return `prefix:${m.prefix}`;
  return '';
}

/** Whether match `a` (earlier) takes every request `b` (later) would (coveredValidation). */
function covers(a: PrefixMatch, b: PrefixMatch): boolean {
  if (!b.prefix.startsWith(a.prefix) || a.port !== b.port) return false;
  const value = (x: string, y: string) => x === y || x.startsWith(y);
  if (!value(a.method, b.method) || !value(a.authority, b.authority)) return false;
  for (const [mine, theirs] of [[a.headers, b.headers], [a.queryParams, b.queryParams], [a.withoutHeaders, b.withoutHeaders]]) {
    if (mine.size !== theirs.size) return false;
    for (const [k, v] of mine) {
      const other = theirs.get(k);
      if (other === undefined || !value(v, other)) return false;
    }
  }
  return true;
}
