// One measured run in a process of its own: `library` synthesizes the benchmark mesh with the
// compiled library (lib/) and AtomicSynth, `library-app-synth` with cdk8s's App.synth(); `cdk8s`
// synthesizes the same documents as raw cdk8s ApiObjects with App.synth() (the cdk8s floor); `yaml`
// only serializes them, one file per chart, as cdk8s does (the serialization floor). Prints one JSON line: documents, wall ms, peak RSS.
// `extract` (not measured) turns the library's output into the documents the floors start from.
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, Yaml } from 'cdk8s';
import { buildMesh } from './mesh';

const [variant, servicesArg, workdir] = process.argv.slice(2);
const started = process.hrtime.bigint();
const docsFile = path.join(workdir, 'documents.json');
const libraryOut = path.join(workdir, 'library');
const out = path.join(workdir, variant);
let documents = 0;

let wallMs: number | undefined;
if (variant === 'library' || variant === 'library-app-synth') {
  // the compiled package, as a user's app loads it (bench/scale.ts says where it is)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require(process.env.CDK8S_MESH_BENCH_LIB ?? path.resolve(__dirname, '..', 'lib', 'src'));
  const app = buildMesh(lib, Number(servicesArg), variant === 'library' ? path.join(workdir, 'unused') : out);
  if (variant === 'library') lib.AtomicSynth.synth(app, { outdir: out }); else app.synth();
  wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  // counted after the measured time: one more document per '---' separator line
  documents = fs.readdirSync(out).reduce((n, f) => n + 1 + (fs.readFileSync(path.join(out, f), 'utf8').match(/^---$/gm)?.length ?? 0), 0);
} else if (variant === 'extract') {
  const charts: Record<string, any[]> = {};
  for (const file of fs.readdirSync(libraryOut).sort()) charts[file] = Yaml.load(path.join(libraryOut, file));
  fs.writeFileSync(docsFile, JSON.stringify(charts));
  documents = Object.values(charts).reduce((n, d) => n + d.length, 0);
} else {
  const charts: Record<string, any[]> = JSON.parse(fs.readFileSync(docsFile, 'utf8'));
  if (variant === 'cdk8s') {
    const app = new App({ outdir: out });
    for (const [file, docs] of Object.entries(charts)) {
      const chart = new Chart(app, file.replace(/\.k8s\.yaml$/, ''));
      docs.forEach((doc, i) => new ApiObject(chart, `o${i}`, doc));
      documents += docs.length;
    }
    app.synth();
  } else {
    fs.mkdirSync(out, { recursive: true });
    for (const [file, docs] of Object.entries(charts)) {
      Yaml.save(path.join(out, file), docs);
      documents += docs.length;
    }
  }
}

wallMs ??= Number(process.hrtime.bigint() - started) / 1e6;
console.log(JSON.stringify({ variant, documents, wallMs, maxRssKiB: process.resourceUsage().maxRSS }));
