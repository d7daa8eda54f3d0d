// `cdk8s-mesh analyze`: istioctl analyze's interface on files (istioctl/pkg/analyze/analyze.go).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli, fixture } from './support';

function tempDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-analyze-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const VS_WITHOUT_HOST = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews
`;

describe('output', () => {
  test('the log format is istioctl\'s line, with the file and line of the field as reference', () => {
    // WHEN
    const result = cli(['analyze', fixture('ist0112-port-required')]);

    // THEN
    expect(result.stdout).toBe(`Error [IST0112] (VirtualService default/reviews ${fixture('ist0112-port-required')}:12) This VirtualService ` +
      'routes to a service "reviews" that exposes multiple ports [9080 9090]. Specifying a port in the destination is required to disambiguate.\n');
    expect(result.code).toBe(79);
    expect(result.stderr).toContain('Error: Analyzers found issues when analyzing all namespaces.');
  });

  test('-o json prints istioctl\'s fields, keys sorted, tab-indented', () => {
    const result = cli(['analyze', '-o', 'json', fixture('ist0112-port-required')]);
    expect(result.stdout).toBe([
      '[',
      '\t{',
      '\t\t"code": "IST0112",',
      '\t\t"documentationUrl": "https://istio.io/latest/docs/reference/config/analysis/ist0112/",',
      '\t\t"level": "Error",',
      '\t\t"message": "This VirtualService routes to a service \\"reviews\\" that exposes multiple ports [9080 9090]. Specifying a port in the ' +
        'destination is required to disambiguate.",',
      '\t\t"origin": "VirtualService default/reviews",',
      `\t\t"reference": "${fixture('ist0112-port-required')}:12"`,
      '\t}',
      ']',
      '',
    ].join('\n'));
    // as istioctl, only the log format sets the exit code from the messages
    expect(result.code).toBe(0);
  });

  test('-o yaml prints the same fields as YAML', () => {
    const result = cli(['analyze', '-ojson', fixture('mesh0002-retries', 'pass')]);
    expect(result.stdout).toBe('[]\n');
    const yaml = cli(['analyze', '--output=yaml', fixture('ist0144-application-uid')]);
    expect(yaml.stdout).toBe([
      '- code: IST0144',
      '  documentationUrl: https://istio.io/latest/docs/reference/config/analysis/ist0144/',
      '  level: Warning',
      '  message: User ID (UID) 1337 is reserved for the sidecar proxy.',
      '  origin: Deployment shop/reviews',
      `  reference: ${fixture('ist0144-application-uid')}:2`,
      '',
      '',
    ].join('\n'));
  });

  test('a JSON file is read too; its reference has no line, as in istioctl', () => {
    const dir = tempDir({ 'uid.json': JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { securityContext: { runAsUser: 1337 }, containers: [{ name: 'c', image: 'i' }] } }) });
    expect(cli(['analyze', path.join(dir, 'uid.json')]).stdout)
      .toBe(`Warning [IST0144] (Pod default/p ${path.join(dir, 'uid.json')}) User ID (UID) 1337 is reserved for the sidecar proxy.\n`);
  });

  test('no message: an empty line on stdout, the files analyzed on stderr', () => {
    const one = cli(['analyze', fixture('ist0144-application-uid', 'pass')]);
    expect(one).toEqual({ code: 0, stdout: '\n', stderr: `\u2714 No validation issues found when analyzing ${fixture('ist0144-application-uid', 'pass')}.\n` });
    const two = cli(['analyze', fixture('ist0144-application-uid', 'pass'), fixture('ist0112-port-required', 'pass')]);
    expect(two.stderr).toBe(`\u2714 No validation issues found when analyzing:\n  - ${fixture('ist0144-application-uid', 'pass')}\n` +
      `  - ${fixture('ist0112-port-required', 'pass')}\n`);
  });

  test('--color on a terminal colours the level as istioctl does', () => {
    const result = cli(['analyze', '--color', fixture('ist0144-application-uid')]);
    expect(result.stdout.startsWith('\u001b[33mWarning\u001b[0m [IST0144]')).toBe(true);
  });
});

describe('thresholds', () => {
  const warningOnly = fixture('ist0144-application-uid');

  test('by default only an Error fails (exit code 79)', () => {
    expect(cli(['analyze', warningOnly]).code).toBe(0);
    expect(cli(['analyze', '--failure-threshold', 'Warning', warningOnly]).code).toBe(79);
    expect(cli(['analyze', '--failure-threshold=info', warningOnly]).code).toBe(79);
  });

  test('--output-threshold hides messages below it; the exit code still counts them', () => {
    const result = cli(['analyze', '--output-threshold', 'Error', '--failure-threshold', 'Warning', warningOnly]);
    expect(result.stdout).toBe('\n');
    expect(result.code).toBe(79);
    expect(cli(['analyze', '--output-threshold', 'Warning', fixture('ist0118-port-names')]).stdout).not.toContain('IST0118');
  });

  test('an unknown level is a usage error (exit code 64)', () => {
    const result = cli(['analyze', '--failure-threshold', 'fatal', warningOnly]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('invalid argument "fatal" for "--failure-threshold" flag: invalid level option');
  });
});

describe('input', () => {
  test('directories are read recursively, .json, .yaml and .yml only, in lexical order', () => {
    // GIVEN
    const dir = tempDir({
      'b/vs.yml': VS_WITHOUT_HOST,
      'a/svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: reviews\nspec:\n  ports:\n  - name: http\n    port: 80\n',
      'README.md': '# not a manifest',
    });

    // WHEN
    const result = cli(['analyze', dir]);

    // THEN the Service of a/ defines the host of b/
    expect(result.stdout).toBe('\n');
    expect(result.stderr).toContain(`Skipping file ${path.join(dir, 'README.md')}, recognized file extensions are: [.json .yaml .yml]`);
    expect(result.stderr).toContain(`  - ${path.join(dir, 'a/svc.yaml')}\n  - ${path.join(dir, 'b/vs.yml')}`);
  });

  test('- reads stdin, with several documents and `kind: List`', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { securityContext: { runAsUser: 1337 }, containers: [] } }] };
    const result = cli(['analyze', '-'], `${VS_WITHOUT_HOST}---\n${JSON.stringify(list)}\n`);
    expect(result.stdout).toBe([
      'Error [IST0101] (VirtualService default/reviews -:10) Referenced host not found: "reviews"',
      'Warning [IST0144] (Pod default/p -:12) User ID (UID) 1337 is reserved for the sidecar proxy.',
      '',
    ].join('\n'));
  });

  test('a document that is not valid YAML, has no kind, or is no object is named with its file and document (exit code 65)', () => {
    // GIVEN
    const dir = tempDir({ 'bad.yaml': `${VS_WITHOUT_HOST}---\nkind: [unclosed\n---\nmetadata:\n  name: x\n---\n- a list\n---\nkind: ConfigMap\nmetadata: {}\n` });

    // WHEN
    const result = cli(['analyze', dir]);

    // THEN the good document is analyzed, each bad one reported, no stack trace
    expect(result.stdout).toContain('Referenced host not found: "reviews"');
    expect(result.stderr).toContain([
      'Error(s) adding files:',
      `  ${path.join(dir, 'bad.yaml')}: document 2 (line 13): invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `  ${path.join(dir, 'bad.yaml')}: document 3 (line 14): has no kind`,
      `  ${path.join(dir, 'bad.yaml')}: document 4 (line 17): not a Kubernetes object (a mapping with apiVersion, kind and metadata)`,
      `  ${path.join(dir, 'bad.yaml')}: document 5 (line 19): ConfigMap has no apiVersion`,
    ].join('\n'));
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // an Error wins over the parse errors for the exit code
    expect(result.code).toBe(79);
  });

  test('parse errors alone exit with 65, unless --ignore-unknown', () => {
    const dir = tempDir({ 'bad.yaml': 'kind: [unclosed\n', 'good.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' });
    const result = cli(['analyze', dir]);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('No validation issues found when analyzing all namespaces (but 1 file could not be parsed).');
    expect(result.stderr).toContain('Error: Some files couldn\'t be parsed.');
    expect(cli(['analyze', '--ignore-unknown', dir]).code).toBe(0);
  });

  test('a path that cannot be read stops the command (exit code 1)', () => {
    const result = cli(['analyze', path.join(os.tmpdir(), 'no-such-dir', 'x.yaml')]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `Error: cannot read ${path.join(os.tmpdir(), 'no-such-dir', 'x.yaml')}: no such file or directory\n` });
  });

  test('kustomize files are build instructions, not objects: skipped', () => {
    const dir = tempDir({ 'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n' });
    expect(cli(['analyze', dir])).toMatchObject({ code: 0, stdout: '\n' });
  });
});

describe('namespaces', () => {
  test('objects without a namespace are in default, or in the namespace -n names; -n shows only its messages', () => {
    const dir = tempDir({ 'vs.yaml': VS_WITHOUT_HOST, 'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: other\nspec:\n  securityContext:\n    runAsUser: 1337\n  containers: []\n' });
    expect(cli(['analyze', '-o', 'json', dir]).stdout).toContain('"origin": "VirtualService default/reviews"');
    const narrowed = JSON.parse(cli(['analyze', '-o', 'json', '-n', 'shop', dir]).stdout);
    expect(narrowed.map((m: any) => `${m.code} ${m.origin}`)).toEqual(['IST0101 VirtualService shop/reviews']);
    const all = JSON.parse(cli(['analyze', '-o', 'json', '-n', 'shop', '-A', dir]).stdout);
    expect(all.map((m: any) => `${m.code} ${m.origin}`)).toEqual(['IST0101 VirtualService shop/reviews', 'IST0144 Pod other/p', 'MESH0008 Pod other/p']);
  });
});

describe('suppressions', () => {
  test('-S CODE=resource suppresses a code on matching objects, by istioctl\'s name or its older form, with * globs', () => {
    const file = fixture('ist0110-sidecar-selectors');
    const codes = (args: string[]) => JSON.parse(cli(['analyze', '-o', 'json', ...args, file]).stdout).map((m: any) => `${m.code} ${m.origin}`);
    expect(codes(['-S', 'IST0110=Sidecar shop/*', '--suppress', 'IST0111=Sidecar default.shop'])).toEqual([
      'IST0101 Sidecar shop/ratings',
      'IST0111 Sidecar shop/scope',
    ]);
  });

  test('the galley.istio.io/analyze-suppress annotation suppresses codes on its object', () => {
    const dir = tempDir({ 'vs.yaml': VS_WITHOUT_HOST.replace('  name: reviews\n', '  name: reviews\n  annotations:\n    galley.istio.io/analyze-suppress: IST0130,IST0101\n') });
    expect(cli(['analyze', dir])).toMatchObject({ code: 0, stdout: '\n' });
  });

  test('a suppression without = is a usage error', () => {
    expect(cli(['analyze', '-S', 'IST0101', fixture('ist0101-hosts')]).code).toBe(64);
  });
});

describe('mesh config', () => {
  const meshWidePolicy = 'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: gateways\n  namespace: mesh-root\n' +
    'spec:\n  selector:\n    matchLabels:\n      app: nothing\n';

  test('--meshConfigFile sets the root namespace, where a policy with a selector applies mesh-wide', () => {
    const dir = tempDir({ 'ap.yaml': meshWidePolicy, 'mesh/config.yml': 'rootNamespace: mesh-root\n' });
    // in a namespace of its own the policy needs pods there (none: IST0127 with labels), mesh-wide in every namespace
    expect(cli(['analyze', '-o', 'json', path.join(dir, 'ap.yaml')]).stdout).toContain('labels: app=nothing');
    expect(cli(['analyze', '-o', 'json', '--meshConfigFile', path.join(dir, 'mesh/config.yml'), path.join(dir, 'ap.yaml')]).stdout)
      .toContain('labels: app=nothing');
    expect(cli(['analyze', '--meshConfigFile', path.join(dir, 'missing.yaml'), path.join(dir, 'ap.yaml')])).toMatchObject({
      code: 1, stderr: `Error: cannot read --meshConfigFile ${path.join(dir, 'missing.yaml')}: no such file or directory\n`,
    });
  });

  test('an IstioOperator among the files gives its meshConfig and its gateways\' pods and ports', () => {
    const dir = tempDir({
      'operator.yaml': 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: mesh\n  namespace: istio-system\nspec:\n' +
        '  components:\n    ingressGateways:\n    - name: partner-gateway\n      enabled: true\n      label:\n        istio: partner-gateway\n' +
        '      k8s:\n        service:\n          ports:\n          - name: https\n            port: 443\n            targetPort: 8443\n',
      'gateway.yaml': 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: partners\n  namespace: istio-system\nspec:\n' +
        '  selector:\n    istio: partner-gateway\n  servers:\n  - port: {number: 8443, name: https, protocol: HTTPS}\n    hosts: [partners.example.com]\n' +
        '  - port: {number: 9443, name: https-admin, protocol: HTTPS}\n    hosts: [admin.example.com]\n',
    });
    expect(JSON.parse(cli(['analyze', '-o', 'json', dir]).stdout).map((m: any) => m.message)).toEqual([
      'The gateway is listening on a target port (port 9443) that is not defined in the Service associated with its workload instances ' +
        '(Pod selector istio=partner-gateway). If you need to access the gateway port through the gateway Service, it will not be available.',
    ]);
  });
});

describe('usage', () => {
  test('-L lists the analyzers by name', () => {
    const result = cli(['analyze', '-L']);
    expect(result.stdout).toContain('* virtualservice.DestinationHostAnalyzer:\n    Checks the destination hosts associated with each virtual service\n');
    expect(result.stdout).toContain('* mesh.RetryBudgetAnalyzer:\n');
  });

  test('--analyzer runs only the analyzers named', () => {
    const result = cli(['analyze', '-o', 'json', '--analyzer', 'virtualservice.DestinationRuleAnalyzer', fixture('ist0101-hosts')]);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });

  test('--help and unknown flags or commands', () => {
    expect(cli(['analyze', '--help']).stdout).toContain('cdk8s-mesh analyze [flags] FILE|DIR|- ...');
    expect(cli(['--help']).stdout).toContain('cdk8s-mesh analyze [flags]');
    expect(cli(['analyze', '--bogus', 'x.yaml'])).toMatchObject({ code: 64, stderr: "Error: unknown flag: --bogus\nSee 'cdk8s-mesh analyze --help' for usage.\n" });
    expect(cli(['analyse'])).toMatchObject({ code: 64, stderr: expect.stringContaining('unknown command "analyse" for "cdk8s-mesh"') });
    expect(cli(['analyze', '-o', 'xml', 'x.yaml'])).toMatchObject({ code: 64, stderr: expect.stringContaining('xml not a valid option for format') });
    expect(cli(['analyze'])).toMatchObject({ code: 64, stderr: expect.stringContaining('no files to analyze') });
  });

  test('--use-kube=false is accepted; there is no cluster to use', () => {
    expect(cli(['analyze', '--use-kube=false', fixture('ist0112-port-required', 'pass')]).code).toBe(0);
    expect(cli(['analyze', '-k', fixture('ist0112-port-required', 'pass')])).toMatchObject({ code: 64, stderr: expect.stringContaining('needs a cluster') });
  });
});
