// The functions a CRD's CEL rules can call beyond standard CEL, with the semantics the API server
// gives them (Kubernetes docs, "CEL in Kubernetes", Kubernetes CEL libraries). Internal to
// test/support/cel-validation.ts.
//
// Standard CEL, macros and RE2 `matches` come from @bufbuild/cel. Added or replaced here:
// - Kubernetes URL library (k8s.io/apiserver/pkg/cel/library/urls.go): `isURL`, `url`, `getScheme`,
//   the ones the CRDs in ../shared/crds call. Other Kubernetes functions (quantity, ip, cidr, lists,
//   regex `find`) are not declared, so a rule calling one fails to compile, loudly.
// - cel-go's string extensions (github.com/google/cel-go/ext/strings.go), which Kubernetes enables:
//   @bufbuild/cel's versions, except `split` (Go strings.SplitN: the last part keeps the rest) and
//   `substring` (indices count code points, as Go runes do), where its JavaScript semantics differ.
// - `int(string)`: Go strconv.ParseInt(s, 10, 64), as cel-go converts; @bufbuild/cel also accepts
//   " 80" or "0x10", which the API server rejects.
import { CelFunc, CelMap, CelScalar, celFunc, celMap, celMethod, listType, mapType } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

const { BOOL, DYN, INT, STRING } = CelScalar;

// -- URLs ---------------------------------------------------------------------------------------

/** A parsed URL: the parts the declared URL functions read. */
interface Url {
  readonly scheme: string;
}

/**
 * CEL has no opaque values here: a URL is an empty map recognized by identity, so `url(s)` can be
 * passed around and `getScheme()` applies to it and to nothing else.
 */
const urls = new WeakMap<CelMap, Url>();

function urlValue(raw: string): CelMap {
  // urls.go checks with ParseRequestURI, then keeps url.Parse's result; both give the same scheme.
  const value = celMap(new Map());
  urls.set(value, parseRequestUri(raw));
  return value;
}

function urlOf(value: CelMap): Url {
  const url = urls.get(value);
  if (!url) throw new Error('no such overload: getScheme applies to url values');
  return url;
}

/**
 * Go's net/url ParseRequestURI (parse with viaRequest = true): an absolute URI or an absolute path,
 * no fragment splitting, the authority's port and host characters checked, escapes checked.
 * Throws with Go's message.
 */
export function parseRequestUri(raw: string): Url {
  const fail = (why: string) => new Error(`URL parse error during conversion from string: parse ${JSON.stringify(raw)}: ${why}`);
  if (/[\x00-\x1f\x7f]/.test(raw)) throw fail('net/url: invalid control character in URL');
  if (raw === '') throw fail('empty url');
  if (raw === '*') return { scheme: '' };

  let scheme = '';
  let rest = raw;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*)?:/.exec(raw);
  if (m) {
    if (m[1] === undefined) throw fail('missing protocol scheme');
    scheme = m[1].toLowerCase();
    rest = raw.slice(m[0].length);
  }
  rest = rest.endsWith('?') && rest.indexOf('?') === rest.length - 1 ? rest.slice(0, -1) : rest.split('?')[0];
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme }; // a rootless path is opaque (RFC 3986), e.g. mailto:x
    throw fail('invalid URI for request');
  }
  if (scheme !== '' && rest.startsWith('//')) {
    const authority = rest.slice(2).split('/')[0];
    rest = rest.slice(2 + authority.length);
    checkAuthority(authority, fail);
  }
  checkEscapes(rest, false, fail);
  return { scheme };
}

function checkAuthority(authority: string, fail: (why: string) => Error): void {
  const at = authority.lastIndexOf('@');
  const host = authority.slice(at + 1);
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw fail("missing ']' in host");
    checkPort(host.slice(close + 1), fail);
  } else if (host.includes(':')) {
    checkPort(host.slice(host.lastIndexOf(':')), fail);
  }
  checkEscapes(host, true, fail); // Go unescapes the whole host, port included (IPv6 zones are not special-cased here)
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!/^[-A-Za-z0-9._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw fail('net/url: invalid userinfo');
    checkEscapes(userinfo, false, fail);
  }
}

function checkPort(colonPort: string, fail: (why: string) => Error): void {
  if (colonPort !== '' && !/^:[0-9]*$/.test(colonPort)) throw fail(`invalid port ${JSON.stringify(colonPort)} after host`);
}

/** Go's unescape: `%` needs two hex digits; a host allows only sub-delims and unreserved ASCII. */
function checkEscapes(s: string, host: boolean, fail: (why: string) => Error): void {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw fail(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      // in a host, %-encoding is only for non-ASCII bytes (RFC 3986 section 3.2.2), and %25
      if (host && parseInt(hex[0], 16) < 8 && hex !== '25') throw fail(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      i += 2;
    } else if (host && c.charCodeAt(0) < 0x80 && !/[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]/.test(c)) {
      throw fail(`invalid character ${JSON.stringify(c)} in host name`);
    }
  }
}

// -- strings, as cel-go and Go do them ------------------------------------------------------------

/** Go strings.SplitN (n < 0: all parts; n == 0: none; an empty separator splits into code points). */
function splitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = sep === '' ? Array.from(s) : s.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function substring(s: string, start: bigint, end?: bigint): string {
  const runes = Array.from(s);
  const to = end ?? BigInt(runes.length);
  for (const i of [start, to]) {
    if (i < 0n || i > BigInt(runes.length)) throw new Error(`index out of range: ${i}`);
  }
  if (start > to) throw new Error(`invalid substring range. start: ${start}, end: ${to}`);
  return runes.slice(Number(start), Number(to)).join('');
}

/** Go strconv.ParseInt(s, 10, 64). */
function parseInt64(s: string): bigint {
  const n = /^[+-]?[0-9]+$/.test(s) ? BigInt(s) : undefined;
  if (n === undefined) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

const LIST_STRING = listType(STRING);
const URL = mapType(DYN, DYN);

/** Functions to add to @bufbuild/cel's standard ones (later declarations override earlier ones). */
export const KUBERNETES_CEL_FUNCTIONS: CelFunc[] = [
  ...strings,
  celMethod('split', STRING, [STRING], LIST_STRING, function (sep) { return splitN(this, sep, -1); }),
  celMethod('split', STRING, [STRING, INT], LIST_STRING, function (sep, n) { return splitN(this, sep, Number(n)); }),
  celMethod('substring', STRING, [INT], STRING, function (start) { return substring(this, start); }),
  celMethod('substring', STRING, [INT, INT], STRING, function (start, end) { return substring(this, start, end); }),
  celFunc('int', [STRING], INT, parseInt64),
  celFunc('isURL', [STRING], BOOL, (s) => {
    try {
      parseRequestUri(s);
      return true;
    } catch {
      return false;
    }
  }),
  celFunc('url', [STRING], URL, urlValue),
  celMethod('getScheme', URL, [], STRING, function () { return urlOf(this).scheme; }),
];
