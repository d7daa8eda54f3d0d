import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { synthesize } from './synthesis';
import { enableAppChecks } from '../common/app-checks';

/**
 * Options for `AtomicSynth.synth()`.
 */
export interface AtomicSynthOptions {
  /**
   * The folder the manifests end up in (the folder a GitOps tool reads).
   *
   * When the app runs under `cdk8s synth`, give the real folder here and point the `output` of
   * `cdk8s.yaml` at a scratch folder: the CLI empties its output folder before it runs the app.
   *
   * @default - the app's `outdir`
   */
  readonly outdir?: string;
}

/**
 * GitOps-safe synthesis: all or nothing.
 *
 * An empty or half-written manifest folder committed to a GitOps repository makes Argo CD or Flux
 * prune everything it managed. `AtomicSynth` synthesizes into a temporary folder beside the target,
 * runs every validation of the app (construct validations, the whole-app checks of this library such
 * as objects that share a kind, namespace and name, cdk8s-mesh warnings in `WarningMode.ERROR`),
 * checks that each file holds YAML documents, and only then swaps the new folder in with a rename.
 * On any failure the previous output is left byte for byte as it was.
 *
 * The files are what `app.synth()` writes, byte for byte, but computed in one pass: `App.synth()`
 * validates and resolves the whole app once per chart, which costs charts x constructs.
 *
 * Under the cdk8s CLI (`cdk8s synth`), which empties its own output folder before it runs the app
 * and then lists the manifests it finds there, point `output` in `cdk8s.yaml` at a folder of its
 * own: when the app's `outdir` is that folder (the default under the CLI) or one inside it, the files
 * written are copied there too, so the CLI lists (and validates) what was written.
 */
export class AtomicSynth {
  /**
   * Synthesizes `app` atomically.
   *
   * @returns the names of the files written, sorted
   */
  public static synth(app: App, options: AtomicSynthOptions = {}): string[] {
    const target = path.resolve(options.outdir ?? app.outdir);
    const parent = path.dirname(target);
    fs.mkdirSync(parent, { recursive: true });
    // beside the target, so the final rename stays on one filesystem and is atomic
    // mkdirSync, not mkdtempSync: the folder becomes the output, so it gets the usual umask mode, not 0700
    const staging = path.join(parent, `.${path.basename(target)}.staging-${randomUUID()}`);
    fs.mkdirSync(staging);

    const appOutdir = app.outdir;
    enableAppChecks(app);
    try {
      // what app.synth() writes, in one pass (synthesis.ts)
      synthesize(app, staging);
      const files = checkOutput(staging, target);
      swap(staging, target);
      copyForTheCli(files, target, appOutdir);
      return files;
    } catch (e) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw e;
    }
  }

  private constructor() {}
}

/** Refuses output a GitOps tool would take as "delete everything": no files, or files without documents. */
function checkOutput(staging: string, target: string): string[] {
  const files = fs.readdirSync(staging).sort();
  if (files.length === 0) {
    throw new Error(`atomic synth: the app synthesized no manifests; ${target} was left as it was (an empty folder would make a GitOps tool prune everything)`);
  }
  for (const file of files) {
    const full = path.join(staging, file);
    // cdk8s writes a chart without objects as an empty file (no need to parse: it wrote the YAML)
    if (fs.statSync(full).isFile() && fs.readFileSync(full, 'utf8').trim() === '') {
      throw new Error(`atomic synth: ${file} holds no YAML documents; ${target} was left as it was`);
    }
  }
  return files;
}

/** Replaces `target` with `staging`; if the final rename fails, the previous output comes back. */
function swap(staging: string, target: string): void {
  if (!fs.existsSync(target)) {
    fs.renameSync(staging, target);
    return;
  }
  const previous = `${staging}.previous`;
  fs.renameSync(target, previous);
  try {
    fs.renameSync(staging, target);
  } catch (e) {
    fs.renameSync(previous, target);
    throw e;
  }
  fs.rmSync(previous, { recursive: true, force: true });
}

/**
 * The cdk8s CLI runs the app with CDK8S_OUTDIR set to its output folder, which it emptied first, and
 * afterwards lists the manifests it finds there ("No manifests synthesized" when there are none;
 * cdk8s-cli lib/util.js `synthApp`). Copies of the files written let it list, and validate, them.
 */
function copyForTheCli(files: string[], target: string, appOutdir: string): void {
  const cliOutdir = process.env.CDK8S_OUTDIR;
  const inside = cliOutdir !== undefined && !path.relative(path.resolve(cliOutdir), path.resolve(appOutdir)).startsWith('..');
  if (!inside || path.resolve(appOutdir) === target) return;
  fs.mkdirSync(appOutdir, { recursive: true });
  for (const file of files) fs.cpSync(path.join(target, file), path.join(appOutdir, file), { recursive: true });
}
