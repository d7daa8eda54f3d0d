// README examples compile: every ```ts block is type-checked against the library's sources.
// A block with imports is a whole program; a block without imports is a fragment that may use
// the cdk8s value types and every export of the library. Any block may use the well-known variables
// below (`app`, `chart`, ...) without declaring them (like a jsii-rosetta fixture).
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import * as library from '../src';

const ROOT = path.resolve(__dirname, '..');

function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const re = /^```ts\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    blocks.push({ line: markdown.slice(0, m.index).split('\n').length, code: m[1] });
  }
  return blocks;
}

/** Variables examples may use without declaring them, and their types. */
const WELL_KNOWN: Record<string, string> = {
  app: '__cdk8s.App',
  chart: '__cdk8s.Chart',
  observability: '__mesh.MeshObservability',
  canary: '__mesh.IMeshService',
  payments: '__mesh.ZeroTrustNamespace',
};

/** Declarations of the well-known variables a block uses but does not declare itself. */
function assumed(code: string): string {
  const names = Object.keys(WELL_KNOWN).filter(n =>
    new RegExp(`\\b${n}\\b`).test(code) && !new RegExp(`\\b(const|let|var)\\s+${n}\\b`).test(code));
  return [
    "import type * as __cdk8s from 'cdk8s';",
    "import type * as __mesh from 'cdk8s-mesh';",
    ...names.map(n => `declare const ${n}: ${WELL_KNOWN[n]};`),
  ].join('\n');
}

const FRAGMENT_PRELUDE = [
  "import { App, Chart, Duration, JsonPatch, Size } from 'cdk8s';",
  "import { Cpu } from 'cdk8s-plus-27';",
  `import { ${Object.keys(library).sort().join(', ')} } from 'cdk8s-mesh';`,
  'void [App, Chart, Duration, JsonPatch, Size, Cpu];',
].join('\n');

function compile(files: Map<string, string>): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    types: ['node'],
    paths: { 'cdk8s-mesh': [path.join(ROOT, 'src', 'index.ts')] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = f => files.get(f) ?? readFile(f);
  host.fileExists = f => files.has(f) || fileExists(f);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program)
    .filter(d => d.file && files.has(d.file.fileName))
    .map(d => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

test('every TypeScript example in README.md compiles', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = tsBlocks(readme);
  expect(blocks.length).toBeGreaterThan(3);

  const files = new Map<string, string>();
  for (const { line, code } of blocks) {
    const isProgram = /^import /m.test(code);
    // fragments go in a block, so that their own declarations may shadow the prelude's
    const source = isProgram ? `${assumed(code)}\n${code}` : `${FRAGMENT_PRELUDE}\n${assumed(code)}\n{\n${code}}\n`;
    files.set(path.join(ROOT, 'test', `README.md-line-${line}.ts`), `export {};\n${source}`);
  }
  expect(compile(files)).toEqual([]);
}, 120_000);
