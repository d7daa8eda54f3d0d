// The YAML printer writes the bytes cdk8s's Yaml.stringify writes: for every document of the
// examples, for strings on both sides of each of yaml's quoting rules, for numbers and nesting, and
// for random JSON documents; what it cannot print plainly is left to yaml.
import { App, Yaml } from 'cdk8s';
import { EXAMPLES } from '../../examples';
import { renderedObjects } from '../../src/common/app-checks';
import { Printer, stringifyYaml } from '../../src/gitops/yaml';

const cdk8s = (doc: unknown) => Yaml.stringify(doc);

/** Every manifest of every example app. */
function exampleDocuments(): any[] {
  return EXAMPLES.flatMap(([, build]) => {
    const app: App = build({ outdir: '/dev/null' });
    return renderedObjects(app).map(o => o.manifest);
  });
}

test('every document of the examples: the same bytes, nearly all printed directly', () => {
  // GIVEN
  const docs = exampleDocuments();
  const printer = new Printer();

  // THEN
  for (const doc of docs) expect(stringifyYaml([doc])).toBe(cdk8s(doc));
  expect(stringifyYaml(docs)).toBe(Yaml.stringify(...docs));
  const direct = docs.filter(d => printer.document(d) !== undefined).length;
  // what yaml prints as a block (a config file in a ConfigMap) goes to yaml
  expect(direct / docs.length).toBeGreaterThan(0.9);
});

describe('strings on both sides of each quoting rule, as a key, a value and an item', () => {
  const plain = [
    'a', 'web', 'app.kubernetes.io/name', 'registry.example.com/web:1.0.0', 'cluster.local/ns/a/sa/b', '/api/*', 'a b', 'a:b',
    'a#b', 'a-b', '-a', '?a', ':a', 'a?', 'é', 'x'.repeat(1024), 'Yess', 'onion', 'nullable', '1.2.3', '10.0.0.0/8', '50%', '3s',
    'a, b', 'a]', 'a}', 'a\tb', 'http://x', 'a*', 'a!', 'a&b', 'Nope', 'True1', '0x', '0b2', '1_000a', '2001-12-14x', 'a\'b', 'a"b',
  ];
  const quoted = [
    // quoted: plain would not read back as the same string
    '', ' a', 'a ', 'a:', 'a: b', 'a #b', '#a', '*a', '&a', '!a', '|a', '>a', '\'a', '"a', '"a\'b', '*\\a', '%a', '@a', '`a', '[a',
    ']a', '{a', '}a', ',a', '-', '?', '- a', '? a', '\ta', '%', '%YAML', '{{ $value | humanize }}% of the requests: "x"',
    // read back as another type in YAML 1.1
    'true', 'True', 'TRUE', 'yes', 'Yes', 'y', 'Y', 'on', 'On', 'ON', 'no', 'n', 'N', 'off', 'false', 'null', 'Null', '~',
    '0', '8080', '-1', '+1', '1_000', '0755', '0b101', '0x1F', '1:20', '1:20.5', '1.5', '.5', '1e3', '1.5E-3', '.inf', '-.Inf', '.nan',
    '2001-12-14', '2001-12-14t21:59:43.10-05:00', '<<',
  ];
  const byYaml = [
    // several lines (a block), control characters (escapes), document markers (yaml looks at the indent)
    'a\nb', 'a\n', '\na', ' a\n b', '\u0007', '\u0085', '---', '...', '--- a',
  ];

  const cases = [...plain.map(s => [s, true]), ...quoted.map(s => [s, true]), ...byYaml.map(s => [s, false])] as Array<[string, boolean]>;
  test.each(cases.map(([s, direct]) => [JSON.stringify(s).slice(0, 40), s, direct]))('%s', (_name, s, direct) => {
    for (const doc of [{ k: s }, { [s]: 'v' }, { k: [s] }, [s], { a: { [s]: [{ [s]: s }] } }]) {
      expect(stringifyYaml([doc])).toBe(cdk8s(doc));
      // one-line strings are printed directly, plain or quoted; the others by yaml
      expect(new Printer().document(doc) !== undefined).toBe(direct);
    }
  });
});

test('numbers, booleans, null, empty and nested collections', () => {
  const docs: any[] = [
    { n: [0, 1, -1, 1.5, -0.25, 1e21, 1e-7, 123456789012, -0, NaN, Infinity, -Infinity, 2 ** 53] },
    { b: [true, false], z: null, e: {}, a: [], deep: { e: {}, a: [], s: [[]], m: [{}] } },
    [[1, [2, [3]]], [{ a: 1, b: [{ c: {} }] }]],
    {}, [], { 1: 'integer keys first', b: 1, a: 2 },
    { spec: { template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 8080 }], args: ['--x', '-y'] }] } } } },
  ];
  for (const doc of docs) expect(stringifyYaml([doc])).toBe(cdk8s(doc));
  expect(new Printer().document(docs[2])).toBeDefined();
  // a key longer than 1024 characters is an explicit key (`? key`): yaml prints it
  const long = 'x'.repeat(1025);
  expect(stringifyYaml([{ [long]: 1 }, { k: long }])).toBe(Yaml.stringify({ [long]: 1 }, { k: long }));
  expect(new Printer().document({ [long]: 1 })).toBeUndefined();
  expect(new Printer().document({ k: long })).toBeDefined();
});

test('what yaml prints otherwise is left to yaml: an object twice (an alias), undefined, non-JSON objects', () => {
  const shared = { a: 1 };
  const docs: any[] = [
    { x: shared, y: shared }, { x: [], y: { z: [] } }, { u: undefined }, [undefined], { d: new Date(0) }, { m: new Map([['a', 1]]) },
  ];
  const printer = new Printer();
  for (const doc of docs) expect(stringifyYaml([doc])).toBe(cdk8s(doc));
  expect(printer.document(docs[0])).toBeUndefined();
  expect(printer.document(docs[2])).toBeUndefined();
  expect(stringifyYaml([undefined, { a: 1 }])).toBe(Yaml.stringify(undefined, { a: 1 }));
});

test.each([
  ['any character', ['a', 'Z', '0', '9', ' ', '-', ':', '#', '.', '/', '*', '?', '_', '\'', '"', '%', '@', ',', '[', '{', '!', '&', '|', '>', '~', 'é', '\n', '\t', '\\', '\u2028', '\u00a0'], 0],
  ['the characters of names', ['a', 'b', 'Z', '0', '1', '-', '.', '/', ':', '_', ' '], 0.3],
])('random JSON documents of %s: the same bytes', (_name, alphabet, directShare) => {
  // a fixed seed: the same documents every run
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const string = () => Array.from({ length: Math.floor(random() * 6) }, () => pick(alphabet)).join('');
  const value = (depth: number): unknown => {
    const r = random();
    const scalars = [string, string, string, () => Math.floor(random() * 2000) - 1000, () => random() * 10, () => random() < 0.5, () => null];
    if (depth > 3 || r < 0.5) return pick(scalars)();
    if (r < 0.75) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [string(), value(depth + 1)]));
  };
  let direct = 0;
  for (let i = 0; i < 3000; i++) {
    const doc = value(0);
    expect(stringifyYaml([doc])).toBe(cdk8s(doc));
    if (new Printer().document(doc) !== undefined) direct++;
  }
  expect(direct / 3000).toBeGreaterThanOrEqual(directShare as number);
});
