// Helpers of the analysis tests: run the CLI in memory, analyze a YAML file as part of a cdk8s app,
// and print messages as istioctl's lines without the reference.
import * as path from 'path';
import { App, Chart, Include } from 'cdk8s';
import { AnalysisMessage, MeshAnalysis, MeshWarnings, WarningMode } from '../../src';
import { run } from '../../src/cli/main';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** A fixture file: `fixture('ist0101-hosts', 'fail')`. */
export function fixture(name: string, kind: 'fail' | 'pass' = 'fail'): string {
  return path.join(FIXTURES, name, `${kind}.yaml`);
}

/** What the command printed and its exit code. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cdk8s-mesh <args>` in memory. */
export function cli(args: string[], stdin = '', env: Record<string, string | undefined> = {}): CliResult {
  let stdout = '';
  let stderr = '';
  const code = run(args, {
    stdout: t => { stdout += t; },
    stderr: t => { stderr += t; },
    readStdin: () => stdin,
    stdoutIsTty: false,
    stdinIsTty: false,
    env,
  });
  return { code, stdout, stderr };
}

/** `Level [CODE] (Kind ns/name) message`: istioctl's line without the reference. */
export function line(m: { level: string; code: string; origin: string; message: string }): string {
  return `${m.level} [${m.code}] (${m.origin}) ${m.message}`;
}

/** The messages `cdk8s-mesh analyze -o json` prints for the files. */
export function cliMessages(...files: string[]): any[] {
  const result = cli(['analyze', '-o', 'json', ...files]);
  return JSON.parse(result.stdout);
}

/** A cdk8s app that includes the files (cdk8s `Include`), one chart each, warnings collected. */
export function appOf(...files: string[]): App {
  const app = new App({ outdir: path.join(__dirname, '.unused') });
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  files.forEach((file, i) => new Include(new Chart(app, `chart${i}`), 'fixture', { url: file }));
  return app;
}

/** The messages MeshAnalysis.analyze() gives for the files included in an app. */
export function appMessages(...files: string[]): AnalysisMessage[] {
  return MeshAnalysis.analyze(appOf(...files));
}
