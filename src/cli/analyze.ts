// `cdk8s-mesh analyze [flags] FILE|DIR|-...`: the mesh analysis of YAML files, with the interface of
// `istioctl analyze --use-kube=false` (istioctl/pkg/analyze/analyze.go, Istio 1.30): its flags, its
// line, JSON and YAML formats, and its exit codes (istioctl/cmd/sysexits.go): 79 when a message
// reaches --failure-threshold (with -o log, as istioctl), 65 when a file could not be parsed, 64 for
// bad usage, 1 when a path cannot be read. Internal.
import * as fs from 'fs';
import { parse, stringify } from 'yaml';
import { readManifests, UnreadablePathError } from './read-manifests';
import { documentationUrl } from '../analysis/_catalog';
import { analyze, Check, Finding, logLine, referenceOf } from '../analysis/_engine';
import { MeshConfigOverrides } from '../analysis/_mesh-config';
import { AnalysisLevel } from '../analysis/analysis-level';
import { CHECKS } from '../analysis/checks';

export const EXIT = { OK: 0, UNKNOWN_ERROR: 1, INCORRECT_USAGE: 64, DATA_ERROR: 65, ANALYZER_FOUND_ISSUES: 79 } as const;

/** Where the command reads and writes. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => string;
  readonly stdoutIsTty: boolean;
  readonly stdinIsTty: boolean;
  readonly env: Record<string, string | undefined>;
}

/** A usage error: exit code 64. */
export class UsageError extends Error {}

const LEVELS = [AnalysisLevel.ERROR, AnalysisLevel.WARNING, AnalysisLevel.INFO];
const FORMATS = ['log', 'json', 'yaml'];
const COLORS: Record<string, string> = { [AnalysisLevel.WARNING]: '\u001b[33m', [AnalysisLevel.ERROR]: '\u001b[1;31m' };

export const ANALYZE_HELP = `Analyze Istio configuration and print validation messages, without a cluster.
For more information about message codes, refer to:
https://istio.io/latest/docs/reference/config/analysis and the README of cdk8s-mesh (codes MESH0001 and up)

Usage:
  cdk8s-mesh analyze [flags] FILE|DIR|- ...

Examples:
  # Analyze the manifests of a GitOps repository, as istioctl analyze --use-kube=false would
  cdk8s-mesh analyze dist/manifests/

  # Fail a CI step on warnings too
  cdk8s-mesh analyze --failure-threshold Warning dist/manifests/

  # Analyze what kustomize builds
  kustomize build overlays/prod | cdk8s-mesh analyze -

Flags:
  -A, --all-namespaces             Analyze all namespaces (the default; -n narrows the messages to one)
      --analyzer stringArray       Select specific analyzers to run (see -L). Can be repeated
      --color                      Default true on a terminal. Disable with '=false' or set $TERM to dumb
      --failure-threshold Level    The severity level of analysis at which to set a non-zero exit code. Valid values: [Info Warning Error] (default Error)
  -h, --help                       help for analyze
      --ignore-unknown             Don't complain about un-parseable input documents
  -L, --list-analyzers             List the analyzers available to run. Suppresses normal execution.
      --meshConfigFile string      Overrides the mesh config values to use for analysis (rootNamespace, ingressControllerMode, ingressService, defaultConfig.proxyMetadata)
  -n, --namespace string           The namespace of objects that name none (default "default"); only its messages are shown
  -o, --output string              Output format: one of [log json yaml] (default "log")
      --output-threshold Level     The severity level of analysis at which to display messages. Valid values: [Info Warning Error] (default Info)
  -S, --suppress stringArray       Suppress reporting a message code on a specific resource: <code>=<resource>, e.g. "IST0102=Namespace frontend"; '*' matches any part
  -k, --use-kube                   Only --use-kube=false: there is no cluster to read, the files are the cluster
  -v, --verbose                    Enable verbose output
`;

interface Options {
  files: string[];
  output: string;
  failureThreshold: AnalysisLevel;
  outputThreshold: AnalysisLevel;
  meshConfigFile?: string;
  namespace?: string;
  allNamespaces: boolean;
  suppress: string[];
  analyzers: string[];
  ignoreUnknown: boolean;
  listAnalyzers: boolean;
  verbose: boolean;
  color?: boolean;
  help: boolean;
}

/** Runs `analyze` with its arguments (after the word `analyze`) and returns the exit code. */
export function runAnalyze(args: string[], io: CommandIo): number {
  let options: Options;
  try {
    options = parseArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`Error: ${e.message}\nSee 'cdk8s-mesh analyze --help' for usage.\n`);
    return EXIT.INCORRECT_USAGE;
  }
  if (options.help) {
    io.stdout(ANALYZE_HELP);
    return EXIT.OK;
  }
  if (options.listAnalyzers) {
    io.stdout(listChecks(CHECKS));
    return EXIT.OK;
  }
  if (options.files.length === 0) {
    io.stderr("Error: no files to analyze: give files, directories or - for stdin (cdk8s-mesh has no cluster to read)\nSee 'cdk8s-mesh analyze --help' for usage.\n");
    return EXIT.INCORRECT_USAGE;
  }

  let meshConfig: MeshConfigOverrides | undefined;
  let read;
  try {
    meshConfig = options.meshConfigFile === undefined ? undefined : readMeshConfig(options.meshConfigFile);
    if (options.files.includes('-') && io.stdinIsTty && options.output === 'log') io.stdout('Reading from stdin:\n');
    read = readManifests(options.files, io.readStdin);
  } catch (e) {
    if (!(e instanceof UnreadablePathError)) throw e;
    io.stderr(`Error: ${e.message}\n`);
    return EXIT.UNKNOWN_ERROR;
  }
  read.skipped.forEach(line => io.stderr(`${line}\n`));
  if (read.problems.length > 0) io.stderr(`Error(s) adding files:\n${read.problems.map(p => `  ${p}`).join('\n')}\n`);

  const selected = CHECKS.filter(c => options.analyzers.includes(c.name));
  const { findings } = analyze(read.inputs, {
    defaultNamespace: options.namespace ?? 'default',
    meshConfig,
    // istioctl runs every analyzer when none of the names given is known
    checks: selected.length > 0 ? selected : CHECKS,
  });
  const target = options.namespace === undefined || options.allNamespaces ? 'all namespaces' : `namespace: ${options.namespace}`;
  const messages = findings
    .filter(f => options.allNamespaces || options.namespace === undefined || namespaceOf(f) === undefined || namespaceOf(f) === options.namespace)
    .filter(f => !options.suppress.some(s => suppresses(s, f)));
  if (options.verbose) {
    io.stderr(`Analyzed resources in ${target}\nExecuted analyzers:\n${(selected.length > 0 ? selected : CHECKS).map(c => `\t ${c.name}`).join('\n')}\n\n`);
  }

  const shown = messages.filter(f => LEVELS.indexOf(f.type.level) <= LEVELS.indexOf(options.outputThreshold));
  const colorize = options.color ?? (io.stdoutIsTty && io.env.TERM !== 'dumb');
  io.stdout(`${formatMessages(shown, options.output, colorize)}\n`);
  if (shown.length === 0) {
    if (read.problems.length === 0) {
      io.stderr(read.files.length > 1
        ? `\u2714 No validation issues found when analyzing:\n  - ${read.files.join('\n  - ')}\n`
        : `\u2714 No validation issues found when analyzing ${read.files[0] ?? target}.\n`);
    } else {
      const files = new Set(read.problems.map(p => p.slice(0, p.indexOf(': document')))).size;
      io.stderr(`No validation issues found when analyzing ${target} (but ${files} ${files === 1 ? 'file' : 'files'} could not be parsed).\n`);
    }
  }

  // as istioctl, the exit code reflects the messages only with the log format
  if (options.output !== 'log') return EXIT.OK;
  if (messages.some(f => LEVELS.indexOf(f.type.level) <= LEVELS.indexOf(options.failureThreshold))) {
    io.stderr('Error: Analyzers found issues when analyzing ' +
      `${target}.\nSee https://istio.io/latest/docs/reference/config/analysis for more information about causes and resolutions.\n`);
    return EXIT.ANALYZER_FOUND_ISSUES;
  }
  if (read.problems.length > 0 && !options.ignoreUnknown) {
    io.stderr('Error: Some files couldn\'t be parsed.\n');
    return EXIT.DATA_ERROR;
  }
  return EXIT.OK;
}

function parseArgs(args: string[]): Options {
  const options: Options = {
    files: [],
    output: 'log',
    failureThreshold: AnalysisLevel.ERROR,
    outputThreshold: AnalysisLevel.INFO,
    allNamespaces: false,
    suppress: [],
    analyzers: [],
    ignoreUnknown: false,
    listAnalyzers: false,
    verbose: false,
    help: false,
  };
  const booleans: Record<string, (v: boolean) => void> = {
    'A': v => options.allNamespaces = v,
    'all-namespaces': v => options.allNamespaces = v,
    'color': v => options.color = v,
    'h': v => options.help = v,
    'help': v => options.help = v,
    'ignore-unknown': v => options.ignoreUnknown = v,
    'L': v => options.listAnalyzers = v,
    'list-analyzers': v => options.listAnalyzers = v,
    'v': v => options.verbose = v,
    'verbose': v => options.verbose = v,
    // directories are always read recursively, as istioctl does since it removed the flag
    'R': () => undefined,
    'recursive': () => undefined,
    'k': v => useKube(v),
    'use-kube': v => useKube(v),
  };
  const values: Record<string, (v: string) => void> = {
    'o': v => options.output = outputFormat(v),
    'output': v => options.output = outputFormat(v),
    'failure-threshold': v => options.failureThreshold = level(v, 'failure-threshold'),
    'output-threshold': v => options.outputThreshold = level(v, 'output-threshold'),
    'meshConfigFile': v => options.meshConfigFile = v,
    'n': v => options.namespace = v,
    'namespace': v => options.namespace = v,
    'S': v => options.suppress.push(suppression(v)),
    'suppress': v => options.suppress.push(suppression(v)),
    'analyzer': v => options.analyzers.push(v),
    // accepted for istioctl's scripts; nothing to wait for or choose without a cluster
    'timeout': () => undefined,
    'r': () => undefined,
    'revision': () => undefined,
    'istioNamespace': () => undefined,
    'i': () => undefined,
    'f': v => options.files.push(v),
    'filename': v => options.files.push(v),
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      options.files.push(...args.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      options.files.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    // -ojson: a short flag with its value attached
    const [name, attached] = eq >= 0 ? [body.slice(0, eq), body.slice(eq + 1)]
      : !long && body.length > 1 && values[body[0]] ? [body[0], body.slice(1)] : [body, undefined];
    if (!long && name.length !== 1) throw new UsageError(`unknown shorthand flag: '${name[0]}' in ${arg}`);
    if (booleans[name]) {
      if (attached !== undefined && !['true', 'false'].includes(attached)) {
        throw new UsageError(`invalid argument "${attached}" for "${arg.split('=')[0]}" flag: must be true or false`);
      }
      booleans[name](attached !== 'false');
    } else if (values[name]) {
      const value = attached ?? args[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${arg}`);
      values[name](value);
    } else {
      throw new UsageError(`unknown flag: ${arg}`);
    }
  }
  return options;
}

function useKube(value: boolean): void {
  if (value) throw new UsageError('--use-kube=true needs a cluster: cdk8s-mesh analyzes files only, as istioctl analyze --use-kube=false');
}

function outputFormat(value: string): string {
  const f = value.toLowerCase();
  if (!FORMATS.includes(f)) throw new UsageError(`${value} not a valid option for format. See cdk8s-mesh analyze --help`);
  return f;
}

function level(value: string, flag: string): AnalysisLevel {
  const found = LEVELS.find(l => l.toUpperCase() === value.toUpperCase());
  if (!found) throw new UsageError(`invalid argument "${value}" for "--${flag}" flag: invalid level option (valid values: ${LEVELS.join(', ')})`);
  return found;
}

function suppression(value: string): string {
  if (value.split('=').length !== 2) throw new UsageError(`${value} is not a valid suppression value. See cdk8s-mesh analyze --help`);
  return value;
}

/** `CODE=Kind ns/name` (istioctl's origin) or `CODE=Kind name.namespace` (istioctl's older form), `*` a wildcard. */
function suppresses(value: string, finding: Finding): boolean {
  const [code, resource] = value.split('=');
  if (code !== finding.type.code) return false;
  const pattern = new RegExp(`^${resource.split('*').map(p => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  const object = finding.object;
  const older = object.namespace === undefined ? object.origin : `${object.kind} ${object.name}.${object.namespace}`;
  return pattern.test(object.origin) || pattern.test(older);
}

/** The namespace istioctl filters a message by: the object's, a Namespace's own name, none for cluster-scoped objects. */
function namespaceOf(finding: Finding): string | undefined {
  return finding.object.kind === 'Namespace' ? finding.object.name : finding.object.namespace;
}

/**
 * The MeshConfig of --meshConfigFile. istioctl ignores a file it cannot read; a mesh config silently
 * not applied changes every result, so here it is an error.
 */
function readMeshConfig(file: string): MeshConfigOverrides {
  let config: unknown;
  try {
    config = parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message.split('\n')[0];
    throw new UnreadablePathError(`cannot read --meshConfigFile ${file}: ${why}`);
  }
  if (config === null || config === undefined) return {};
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new UnreadablePathError(`cannot read --meshConfigFile ${file}: not a MeshConfig (a mapping such as "rootNamespace: istio-system")`);
  }
  return config as MeshConfigOverrides;
}

/** The messages in a format: istioctl's line, or its JSON and YAML fields. */
export function formatMessages(findings: Finding[], output: string, colorize: boolean): string {
  if (output === 'log') {
    return findings.map(f => {
      const line = logLine(f);
      const color = colorize ? COLORS[f.type.level] : undefined;
      return color ? `${color}${f.type.level}\u001b[0m${line.slice(f.type.level.length)}` : line;
    }).join('\n');
  }
  // Go marshals a map with its keys sorted
  const fields = findings.map(f => {
    const reference = referenceOf(f);
    return {
      code: f.type.code,
      documentationUrl: documentationUrl(f.type.code),
      level: f.type.level,
      message: f.text,
      origin: f.object.origin,
      ...reference !== undefined ? { reference } : {},
    };
  });
  if (output === 'json') {
    // json.MarshalIndent(ms, "", "\t"), which escapes <, > and & for HTML
    return JSON.stringify(fields, undefined, '\t').replace(/[<>&]/g, c => `\\u00${c.charCodeAt(0).toString(16)}`);
  }
  return fields.length === 0 ? '[]\n' : stringify(fields, { lineWidth: 0 });
}

function listChecks(checks: readonly Check[]): string {
  return [...checks].sort((a, b) => (a.name < b.name ? -1 : 1))
    .map(c => `* ${c.name}:\n    ${c.description}\n`).join('');
}
