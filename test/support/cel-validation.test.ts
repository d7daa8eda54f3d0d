// The CEL evaluator must reject what the API server would: real CRD rules (Istio, Gateway API)
// through validateDocuments, then its Kubernetes semantics on hand-made schemas.
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { celCompileErrors, celValidator, escapeFieldName } from './cel-validation';
import { CRDS_DIR, schemasAvailable, validateDocuments } from './schema-validation';

const doc = (apiVersion: string, kind: string, spec: any) => ({ apiVersion, kind, metadata: { name: 'x', namespace: 'ns' }, spec });
const httpRoute = (spec: any) => doc('gateway.networking.k8s.io/v1', 'HTTPRoute', { parentRefs: [{ name: 'gw' }], ...spec });
const gateway = (listeners: any[]) => doc('gateway.networking.k8s.io/v1', 'Gateway', { gatewayClassName: 'istio', listeners });
const HTTPROUTE = 'document #0 HTTPRoute ns/x against CRD gateway-api-1.6.1-httproutes.yaml';
const GATEWAY = 'document #0 Gateway ns/x against CRD gateway-api-1.6.1-gateways.yaml';
const ISTIO = (kind: string) => `document #0 ${kind} ns/x against CRD istio-1.30.3.yaml`;

if (schemasAvailable()) {
  describe('the CRDs rules', () => {
    test('every rule of every CRD compiles', () => {
      // GIVEN every served and unserved version of every CRD in CRDS_DIR
      const versions = fs.readdirSync(CRDS_DIR).filter(f => f.endsWith('.yaml')).flatMap(file =>
        YAML.parseAllDocuments(fs.readFileSync(path.join(CRDS_DIR, file), 'utf8')).map(d => d.toJSON())
          .filter(crd => crd?.kind === 'CustomResourceDefinition')
          .flatMap(crd => crd.spec.versions.map((v: any) => ({ name: `${file} ${crd.spec.names.kind} ${v.name}`, schema: v.schema?.openAPIV3Schema }))));
      // THEN none has a rule the evaluator cannot run
      expect(versions.length).toBeGreaterThan(50);
      expect(versions.flatMap(v => celCompileErrors(v.schema).map(e => `${v.name}: ${e}`))).toEqual([]);
    });
  });

  describe('Gateway API rules', () => {
    test('an HTTPRoute path match must be absolute', () => {
      const route = (value: string) => httpRoute({ rules: [{ matches: [{ path: { type: 'PathPrefix', value } }] }] });
      expect(validateDocuments([route('api')])).toEqual([
        `${HTTPROUTE}: spec.rules[0].matches[0].path: value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']`,
      ]);
      expect(validateDocuments([route('/api')])).toEqual([]);
    });

    test('a backend request timeout may not exceed the request timeout (durations compared)', () => {
      const route = (backendRequest: string) => httpRoute({ rules: [{ timeouts: { request: '1s', backendRequest } }] });
      expect(validateDocuments([route('1500ms')])).toEqual([
        `${HTTPROUTE}: spec.rules[0].timeouts: backendRequest timeout cannot be longer than request timeout`,
      ]);
      expect(validateDocuments([route('500ms')])).toEqual([]);
    });

    test('parentRefs see `namespace` as __namespace__ and the defaulted group and kind', () => {
      const route = (namespaces: string[]) => httpRoute({ parentRefs: namespaces.map(namespace => ({ name: 'gw', namespace })) });
      expect(validateDocuments([route(['a', 'a'])])).toEqual([
        `${HTTPROUTE}: spec.parentRefs: sectionName must be unique when parentRefs includes 2 or more references to the same parent`,
      ]);
      expect(validateDocuments([route(['a', 'b'])])).toEqual([]);
    });

    test('listener names must be unique within a Gateway', () => {
      const listener = (name: string, port: number) => ({ name, port, protocol: 'HTTP' });
      expect(validateDocuments([gateway([listener('http', 80), listener('http', 8080)])])).toEqual([
        `${GATEWAY}: spec.listeners: Listener name must be unique within the Gateway`,
      ]);
      expect(validateDocuments([gateway([listener('http', 80), listener('alt', 8080)])])).toEqual([]);
    });

    test('an HTTPS listener needs a certificate: tls.mode defaults to Terminate before the rule runs', () => {
      const https = (tls: any) => gateway([{ name: 'https', port: 443, protocol: 'HTTPS', tls }]);
      // the rule reads the absent certificateRefs once mode has its default: an error, as in the API server
      expect(validateDocuments([https({})])).toEqual([
        `${GATEWAY}: spec.listeners[0].tls: field not found: certificateRefs evaluating rule: certificateRefs or options must be specified when mode is Terminate`,
      ]);
      expect(validateDocuments([https({ certificateRefs: [{ name: 'cert' }] })])).toEqual([]);
    });
  });

  describe('Istio rules', () => {
    test('a ServiceEntry host cannot be a wildcard', () => {
      const entry = (host: string) => doc('networking.istio.io/v1', 'ServiceEntry', { hosts: [host], resolution: 'DNS' });
      expect(validateDocuments([entry('*')])).toEqual([`${ISTIO('ServiceEntry')}: spec.hosts[0]: hostname cannot be wildcard`]);
      expect(validateDocuments([entry('api.example.com')])).toEqual([]);
    });

    test('an AuthorizationPolicy source cannot mix serviceAccounts with namespaces', () => {
      const policy = (source: any) => doc('security.istio.io/v1', 'AuthorizationPolicy', { rules: [{ from: [{ source }] }] });
      expect(validateDocuments([policy({ serviceAccounts: ['ns/web'], namespaces: ['ns'] })])).toEqual([
        `${ISTIO('AuthorizationPolicy')}: spec.rules[0].from[0].source: Cannot set serviceAccounts with namespaces or principals`,
      ]);
      expect(validateDocuments([policy({ serviceAccounts: ['ns/web'] })])).toEqual([]);
    });

    test('PeerAuthentication port keys go through int() and need a selector', () => {
      const peer = (spec: any) => doc('security.istio.io/v1', 'PeerAuthentication', spec);
      expect(validateDocuments([peer({ portLevelMtls: { 70000: { mode: 'DISABLE' } } })])).toEqual([
        `${ISTIO('PeerAuthentication')}: spec: portLevelMtls requires selector`,
        `${ISTIO('PeerAuthentication')}: spec.portLevelMtls: port must be between 1-65535`,
      ]);
      expect(validateDocuments([peer({ selector: { matchLabels: { app: 'web' } }, portLevelMtls: { 8080: { mode: 'DISABLE' } } })])).toEqual([]);
    });

    test('a DestinationRule duration must parse and exceed 1ms', () => {
      const rule = (interval: string) => doc('networking.istio.io/v1', 'DestinationRule', { host: 'web', trafficPolicy: { outlierDetection: { interval } } });
      const at = `${ISTIO('DestinationRule')}: spec.trafficPolicy.outlierDetection.interval`;
      expect(validateDocuments([rule('0.5ms')])).toEqual([`${at}: must be a valid duration greater than 1ms`]);
      expect(validateDocuments([rule('ten seconds')])).toEqual([
        `${at}: Failed to parse duration: invalid syntax evaluating rule: must be a valid duration greater than 1ms`,
      ]);
      expect(validateDocuments([rule('1m30s')])).toEqual([]);
    });

    test('a WasmPlugin url is checked with isURL and url().getScheme()', () => {
      const plugin = (url: string) => doc('extensions.istio.io/v1alpha1', 'WasmPlugin', { url });
      expect(validateDocuments([plugin('ftp://example.com/filter.wasm')])).toEqual([
        `${ISTIO('WasmPlugin')}: spec.url: url must have schema one of [http, https, file, oci]`,
      ]);
      expect(validateDocuments([plugin('oci://ghcr.io/acme/filter:1.0'), plugin('ghcr.io/acme/filter:1.0')].map((d, i) => ({ ...d, metadata: { ...d.metadata, name: `p${i}` } })))).toEqual([]);
    });

    test('map values are checked per entry, with the key in the path', () => {
      const group = (ports: any) => doc('networking.istio.io/v1', 'WorkloadGroup', { template: { ports } });
      expect(validateDocuments([group({ http: 0 })])).toEqual([`${ISTIO('WorkloadGroup')}: spec.template.ports[http]: port must be between 1-65535`]);
      expect(validateDocuments([group({ http: 8080 })])).toEqual([]);
    });
  });
}

describe('celValidator', () => {
  const object = (properties: any, rules: any[], extra: any = {}) => ({ 'type': 'object', properties, 'x-kubernetes-validations': rules, ...extra });
  const check = (schema: any, value: any) => celValidator(schema)(value);

  test('has() is false for an absent field; the message is used, or the rule', () => {
    const schema = object({ a: { type: 'string' } }, [{ rule: 'has(self.a)', message: 'a is required' }, { rule: "!has(self.a) || self.a != ''" }]);
    expect(check(schema, {})).toEqual(['<root>: a is required']);
    expect(check(schema, { a: '' })).toEqual(["<root>: failed rule: !has(self.a) || self.a != ''"]);
    expect(check(schema, { a: 'x' })).toEqual([]);
  });

  test('integer is CEL int, number is double even when integral, int-or-string is either', () => {
    const schema = object({ i: { type: 'integer' }, d: { type: 'number' }, p: { 'x-kubernetes-int-or-string': true } }, [
      { rule: 'type(self.i) == int && type(self.d) == double', message: 'types' },
      { rule: 'type(self.p) == int ? self.p > 0 : self.p.startsWith("h")', message: 'port' },
    ]);
    expect(check(schema, { i: 1, d: 1, p: 80 })).toEqual([]);
    expect(check(schema, { i: 1, d: 1.5, p: 'http' })).toEqual([]);
    expect(check(schema, { i: 1, d: 1, p: 'grpc' })).toEqual(['<root>: port']);
  });

  test('maps: rules on the map see keys, rules under additionalProperties run per value', () => {
    const schema = {
      'type': 'object',
      'additionalProperties': { 'type': 'string', 'x-kubernetes-validations': [{ rule: 'self.size() < 4', message: 'too long' }] },
      'x-kubernetes-validations': [{ rule: "self.all(k, k.startsWith('x-'))", message: 'keys start with x-' }],
    };
    expect(check(schema, { 'x-a': 'abc', 'x-b': 'abcd', 'c': 'd' })).toEqual(['<root>: keys start with x-', '[x-b]: too long']);
  });

  test('rules run per item under items, never on null, and after defaulting', () => {
    const item = object({ mode: { type: 'string', default: 'Terminate' }, refs: { type: 'array', items: { type: 'string' } } },
      [{ rule: "self.mode != 'Terminate' || size(self.refs) > 0", message: 'refs required' }]);
    const schema = object({ items: { type: 'array', items: item }, maybe: { ...item, nullable: true } }, []);
    expect(check(schema, { items: [{ refs: [] }, { mode: 'Passthrough', refs: [] }, { refs: ['a'] }], maybe: null })).toEqual([
      'items[0]: refs required',
    ]);
  });

  test('messageExpression gives the message when it yields a line; fieldPath points into the object', () => {
    const schema = object({ name: { type: 'string' } }, [
      { rule: 'self.name.size() < 3', messageExpression: "'name ' + self.name + ' is too long'" },
      { rule: 'self.name.size() < 2', messageExpression: "''", message: 'fallback', fieldPath: '.name' },
    ]);
    expect(check(schema, { name: 'abcd' })).toEqual(['<root>: name abcd is too long', 'name: fallback']);
  });

  test('field names are escaped as Kubernetes does', () => {
    expect(['namespace', 'a.b', 'x-y', 'p/q', 'a__b', '1st'].map(escapeFieldName))
      .toEqual(['__namespace__', 'a__dot__b', 'x__dash__y', 'p__slash__q', 'a__underscores__b', undefined]);
    const schema = object({ 'namespace': { type: 'string' }, 'x-y': { type: 'string' } }, [{ rule: 'self.__namespace__ == self.x__dash__y', message: 'equal' }]);
    expect(check(schema, { 'namespace': 'a', 'x-y': 'b' })).toEqual(['<root>: equal']);
  });

  test('a root rule sees apiVersion, kind and metadata.name only', () => {
    const schema = object({ metadata: { type: 'object' } }, [{ rule: "self.kind == 'Widget' && self.metadata.name == 'w' && !has(self.metadata.labels)", message: 'root' }]);
    expect(check(schema, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', labels: { a: 'b' } } })).toEqual([]);
  });

  test('transition rules (oldSelf) are skipped on create', () => {
    const schema = object({ a: { 'type': 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'immutable' }] } }, []);
    expect(check(schema, { a: 'x' })).toEqual([]);
  });

  test('a rule that does not compile is reported, never passed', () => {
    const schema = object({ a: { type: 'string' } }, [
      { rule: "quantity(self.a).isGreaterThan(quantity('1'))" },
      { rule: 'self.a ==' },
      { rule: 'self == oldSelf', optionalOldSelf: true },
    ]);
    const errors = check(schema, { a: '1Gi' });
    expect(errors).toHaveLength(3);
    expect(errors[0]).toBe("<root>: rule compile error: undeclared reference to 'isGreaterThan' (rule: quantity(self.a).isGreaterThan(quantity('1')))");
    expect(errors[1]).toMatch(/^<root>: rule compile error: .* \(rule: self.a ==\)$/);
    expect(errors[2]).toContain('<root>: rule compile error: optionalOldSelf');
    expect(celCompileErrors(schema)).toHaveLength(3);
  });

  test('an evaluation error is reported with the rule', () => {
    const schema = object({ a: { type: 'string' } }, [{ rule: "self.a == 'x'" }]);
    expect(check(schema, {})).toEqual(["<root>: field not found: a evaluating rule: self.a == 'x'"]);
  });

  describe('Kubernetes library and cel-go string semantics', () => {
    const holds = (rule: string, value: any) => check({ 'type': 'string', 'x-kubernetes-validations': [{ rule }] }, value).length === 0;

    test('isURL and url() follow Go ParseRequestURI: absolute URIs or absolute paths', () => {
      expect(['https://example.com/a', 'oci://ghcr.io/x:1', '/path', 'mailto:x', '*'].filter(u => !holds('isURL(self)', u))).toEqual([]);
      expect(['example.com/a', '', 'http://host:port/', 'http://a b/', 'http://x/%zz', ':x'].filter(u => holds('isURL(self)', u))).toEqual([]);
      expect(holds("url(self).getScheme() == 'https'", 'HTTPS://example.com')).toBe(true);
      expect(check({ 'type': 'string', 'x-kubernetes-validations': [{ rule: 'url(self).getScheme() == ""' }] }, 'a/b')[0])
        .toBe('<root>: URL parse error during conversion from string: parse "a/b": invalid URI for request evaluating rule: url(self).getScheme() == ""');
    });

    test('split keeps the rest in the last part (Go SplitN); substring counts code points; int() parses like Go', () => {
      expect(holds("self.split('/', 2) == ['a', 'b/c'] && self.split('/') == ['a', 'b', 'c']", 'a/b/c')).toBe(true);
      expect(holds("self.substring(1, 2) == '😀'", 'a😀b')).toBe(true);
      expect(holds('int(self) == 80', '80')).toBe(true);
      expect(holds('int(self) == 80', ' 80')).toBe(false);
      expect(holds('int(self) == 16', '0x10')).toBe(false);
    });
  });
});
