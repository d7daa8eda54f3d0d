// `npm run bench`: synthesis time of meshes of 100, 1,000 and 5,000 services (bench/mesh.ts), with
// the compiled library, against the cdk8s floor (the same documents as raw ApiObjects, App.synth())
// and the serialization floor (the same documents, only written as YAML). Each figure is one whole
// process (bench/measure.ts). A benchmark, never a test: figures go in README.md.
// Run: npx projen bench [services...]
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

const sizes = process.argv.slice(2).map(Number).filter(n => n > 0);

/**
 * The measured scripts as plain JavaScript beside the sources (so they resolve the repository's
 * node_modules): a process that loads the TypeScript compiler would time that too.
 */
function build(): string {
  const out = path.join(__dirname, '.build');
  fs.mkdirSync(out, { recursive: true });
  for (const file of ['mesh.ts', 'measure.ts']) {
    const source = fs.readFileSync(path.join(__dirname, file), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    fs.writeFileSync(path.join(out, file.replace(/\.ts$/, '.js')), js);
  }
  return path.join(out, 'measure.js');
}

const measure = build();
const env = { ...process.env, CDK8S_MESH_BENCH_LIB: path.resolve(__dirname, '..', 'lib', 'src') };

interface Run { readonly documents: number; readonly wallMs: number; readonly maxRssKiB: number }

function run(variant: string, services: number, workdir: string): Run {
  const output = execFileSync(process.execPath, [measure, variant, String(services), workdir],
    { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(output.trim().split('\n').pop()!);
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;

console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
console.log('| services | documents | library (AtomicSynth) | docs/s | library with App.synth() | raw cdk8s App.synth() | YAML serialization | library / YAML | library / cdk8s |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const services of sizes.length > 0 ? sizes : [100, 1000, 5000]) {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `cdk8s-mesh-bench-${services}-`));
  const library = run('library', services, workdir);
  const appSynth = run('library-app-synth', services, workdir);
  run('extract', services, workdir);
  const cdk8s = run('cdk8s', services, workdir);
  const yaml = run('yaml', services, workdir);
  console.log(`| ${services.toLocaleString('en')} | ${library.documents.toLocaleString('en')} | ${s(library.wallMs)} (${mib(library.maxRssKiB)}) | ` +
    `${Math.round(library.documents / (library.wallMs / 1000)).toLocaleString('en')} | ${s(appSynth.wallMs)} (${mib(appSynth.maxRssKiB)}) | ` +
    `${s(cdk8s.wallMs)} (${mib(cdk8s.maxRssKiB)}) | ` +
    `${s(yaml.wallMs)} (${mib(yaml.maxRssKiB)}) | ${(library.wallMs / yaml.wallMs).toFixed(2)}x | ${(library.wallMs / cdk8s.wallMs).toFixed(2)}x |`);
  fs.rmSync(workdir, { recursive: true, force: true });
}
