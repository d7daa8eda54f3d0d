// The validation helper must be able to fail: these tests prove it rejects what the API server would.
import { crdToJsonSchema, schemasAvailable, validateDocuments } from './schema-validation';

const peerAuthentication = (spec: any) => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name: 'default', namespace: 'istio-system' },
  spec,
});

const configMap = (extra: any = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'payments' },
  data: { a: 'b' },
  ...extra,
});

if (schemasAvailable()) {
  describe('validateDocuments', () => {
    test('accepts valid core and custom documents', () => {
      expect(validateDocuments([configMap(), peerAuthentication({ mtls: { mode: 'STRICT' } })])).toEqual([]);
    });

    test('rejects an unknown field in a CRD-backed document, naming the document and the field path', () => {
      const errors = validateDocuments([peerAuthentication({ mtls: { mode: 'STRICT', strict: true } })]);
      expect(errors).toHaveLength(2); // once per Kubernetes version
      expect(errors[0]).toMatch(/^document #0 PeerAuthentication istio-system\/default against CRD istio-1\.30\.3\.yaml .*: unknown field spec\.mtls\.strict$/);
    });

    test('rejects an Istio enum value that does not exist', () => {
      const errors = validateDocuments([peerAuthentication({ mtls: { mode: 'SRICT' } })]);
      expect(errors[0]).toContain('document #0 PeerAuthentication istio-system/default');
      expect(errors[0]).toContain('spec.mtls.mode must be one of "UNSET", "DISABLE", "PERMISSIVE", "STRICT"');
    });

    test('rejects an unknown field in a core document against both Kubernetes versions', () => {
      const errors = validateDocuments([configMap({ spec: {} })]);
      expect(errors).toEqual([
        'document #0 ConfigMap payments/settings against Kubernetes 1.27.0 io.k8s.api.core.v1.ConfigMap: unknown field spec',
        'document #0 ConfigMap payments/settings against Kubernetes 1.36.0 io.k8s.api.core.v1.ConfigMap: unknown field spec',
      ]);
    });

    test('rejects unknown metadata fields, nested array paths and wrong types', () => {
      const errors = validateDocuments([{
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', lables: { a: 'b' } },
        spec: { ports: [{ port: 80 }, { port: '443' }] },
      }]);
      expect(errors).toContain('document #0 Service web against Kubernetes 1.36.0 io.k8s.api.core.v1.Service: unknown field metadata.lables');
      expect(errors).toContain('document #0 Service web against Kubernetes 1.36.0 io.k8s.api.core.v1.Service: spec.ports[1].port must be integer');
    });

    test('accepts int-or-string fields as integers and strings', () => {
      const service = (targetPort: any) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `web-${targetPort}` },
        spec: { ports: [{ port: 80, targetPort }] },
      });
      expect(validateDocuments([service(8080), service('http')])).toEqual([]);
      expect(validateDocuments([service(true)]).length).toBeGreaterThan(0);
    });

    test('rejects a kind that does not exist in one of the Kubernetes versions', () => {
      // flowcontrol v1beta3 was served by 1.27 and removed later
      const errors = validateDocuments([{ apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kind: 'FlowSchema', metadata: { name: 'x' }, spec: { priorityLevelConfiguration: { name: 'y' } } }]);
      expect(errors).toEqual(['document #0 FlowSchema x: flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema does not exist in Kubernetes 1.36.0']);
    });

    test('rejects two documents the API server would take as one', () => {
      expect(validateDocuments([configMap(), configMap({ data: { c: 'd' } })])).toEqual([
        'document #1 ConfigMap payments/settings: same group, kind, namespace and name as document #0',
      ]);
    });

    test('rejects a kind it has no schema for', () => {
      expect(validateDocuments([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }])[0])
        .toMatch(/^document #0 Widget w: no schema for example.com\/v1 Widget/);
    });

    test('rejects an Istio API version the CRD does not serve as given', () => {
      const doc = { ...peerAuthentication({}), apiVersion: 'security.istio.io/v2' };
      expect(validateDocuments([doc])[0]).toContain('no schema for security.istio.io/v2 PeerAuthentication');
    });
  });
} else {
  test('without the schema folders, validation is skipped loudly', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const ci = process.env.CI;
    delete process.env.CI;
    try {
      expect(validateDocuments([configMap()])).toEqual([]);
      expect(warn.mock.calls[0][0]).toContain('SCHEMA VALIDATION SKIPPED');
    } finally {
      process.env.CI = ci;
    }
  });
}

describe('crdToJsonSchema', () => {
  test('closes objects, keeps preserve-unknown-fields open, models int-or-string and nullable', () => {
    const schema = crdToJsonSchema({
      type: 'object',
      properties: {
        open: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true },
        empty: { type: 'object' },
        port: { 'x-kubernetes-int-or-string': true },
        maybe: { type: 'string', nullable: true },
        re2: { type: 'string', pattern: '^(?i)abc$' },
      },
    });
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.open.additionalProperties).toBeUndefined();
    expect(schema.properties.empty).toMatchObject({ additionalProperties: false, properties: {} });
    expect(schema.properties.port.anyOf).toEqual([{ type: 'integer' }, { type: 'string' }]);
    expect(schema.properties.maybe).toEqual({ anyOf: [{ type: 'string', nullable: true }, { type: 'null' }] });
    expect(schema.properties.re2.pattern).toBeUndefined();
  });
});
