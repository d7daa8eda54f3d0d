// Reads Kubernetes objects from YAML and JSON files for `cdk8s-mesh analyze`, as istioctl analyze
// gathers them (istioctl/pkg/analyze/analyze.go gatherFiles): the files named, every .json, .yaml and
// .yml file under a directory named, `-` for stdin; multi-document files and `kind: List`. Each object
// keeps its file, document index and line, and the lines of its fields, for the messages. A document
// that cannot be read is a problem naming its file and document, never an exception. Internal.
import * as fs from 'fs';
import * as path from 'path';
import { Document, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { AnalysisInput, FieldPath } from '../analysis/_object-index';

/** The extensions istioctl reads. */
export const FILE_EXTENSIONS = ['.json', '.yaml', '.yml'];

/** Kustomize's own files are build instructions, not objects: they are skipped. */
const BUILD_FILES = new Set(['Kustomization', 'Component']);

/** What was read. */
export interface ReadResult {
  readonly inputs: AnalysisInput[];
  /** The files read, in order. */
  readonly files: string[];
  /** One line per document that could not be read: `file: document N (line L): problem`. */
  readonly problems: string[];
  /** One line per file skipped for its extension. */
  readonly skipped: string[];
}

/** Thrown for a path that cannot be read at all (istioctl then stops before analyzing). */
export class UnreadablePathError extends Error {}

/** Reads every object of the paths given (`-` is stdin). */
export function readManifests(paths: string[], readStdin: () => string): ReadResult {
  const result: ReadResult = { inputs: [], files: [], problems: [], skipped: [] };
  for (const p of paths) {
    if (p === '-') {
      readFile(result, '-', readStdin());
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch (e) {
      throw new UnreadablePathError(`cannot read ${p}: ${reason(e)}`);
    }
    for (const file of stat.isDirectory() ? filesUnder(p) : [p]) {
      if (!FILE_EXTENSIONS.includes(path.extname(file))) {
        result.skipped.push(`Skipping file ${file}, recognized file extensions are: [${FILE_EXTENSIONS.join(' ')}]`);
        continue;
      }
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new UnreadablePathError(`cannot read ${file}: ${reason(e)}`);
      }
      readFile(result, file, text);
    }
  }
  return result;
}

/** Every file under a directory, in lexical order (filepath.Walk). */
function filesUnder(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new UnreadablePathError(`cannot read ${dir}: ${reason(e)}`);
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).flatMap(e => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : [full];
  });
}

function readFile(result: ReadResult, file: string, text: string): void {
  (result.files as string[]).push(file);
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
  const problem = (index: number, line: number | undefined, what: string) =>
    (result.problems as string[]).push(`${file}: document ${index + 1}${line ? ` (line ${line})` : ''}: ${what}`);
  // parseAllDocuments returns a single EmptyStream-like value for an empty file
  (Array.isArray(documents) ? documents : []).forEach((doc, index) => {
    const start = doc.contents?.range ? lineCounter.linePos(doc.contents.range[0]).line : undefined;
    if (doc.errors.length > 0) {
      const error = doc.errors[0];
      problem(index, error.linePos?.[0].line ?? start, `invalid YAML: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
      return;
    }
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // an empty document
    const objects = value?.kind === 'List' && Array.isArray(value.items)
      ? value.items.map((item: unknown, i: number) => ({ item, field: ['items', i] as FieldPath }))
      : [{ item: value, field: [] as FieldPath }];
    for (const { item, field } of objects) {
      const line = field.length === 0 ? start : lineOf(doc, lineCounter, field) ?? start;
      const what = objectProblem(item);
      if (what === 'skip') continue;
      if (what) {
        problem(index, line, what);
        continue;
      }
      (result.inputs as AnalysisInput[]).push({
        manifest: item,
        source: {
          file,
          documentIndex: index,
          line,
          lineOf: (f: FieldPath) => lineOf(doc, lineCounter, [...field, ...f]),
        },
      });
    }
  });
}

/** Why a value is not a Kubernetes object, `skip` for files kustomize reads, or undefined. */
function objectProblem(item: any): string | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return 'not a Kubernetes object (a mapping with apiVersion, kind and metadata)';
  if (typeof item.kind !== 'string' || item.kind === '') return 'has no kind';
  if (BUILD_FILES.has(item.kind) && String(item.apiVersion ?? '').startsWith('kustomize.config.k8s.io/')) return 'skip';
  if (typeof item.apiVersion !== 'string' || item.apiVersion === '') return `${item.kind} has no apiVersion`;
  const name = item.metadata?.name;
  if (typeof name !== 'string' || name === '') return `${item.kind} has no metadata.name`;
  return undefined;
}

/** The line of a field in a document (keys and list indexes), when it is there. */
function lineOf(doc: Document, lineCounter: LineCounter, field: FieldPath): number | undefined {
  let node: any = doc.contents;
  let range: [number, number, number] | undefined = node?.range;
  for (const segment of field) {
    if (isMap(node)) {
      const pair = node.items.find(p => String(isScalar(p.key) ? p.key.value : p.key) === String(segment));
      if (!pair) return undefined;
      range = (pair.key as any)?.range ?? (pair.value as any)?.range;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      range = node?.range;
    } else {
      return undefined;
    }
  }
  return range ? lineCounter.linePos(range[0]).line : undefined;
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return (e as Error)?.message ?? String(e);
}
