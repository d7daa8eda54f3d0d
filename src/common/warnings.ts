import { IConstruct } from 'constructs';

/**
 * What happens to warnings that constructs of this library report at synth time.
 */
export enum WarningMode {
  /** Print each warning once, with the construct path, to stderr; synthesis goes on. */
  PRINT = 'print',
  /** Fail synthesis: every warning becomes a validation error. */
  ERROR = 'error',
  /** Only record warnings, for `MeshWarnings.collect()` (tests, custom reporting). */
  COLLECT = 'collect',
}

/**
 * A warning reported by a construct of this library.
 */
export interface MeshWarning {
  /** Path of the construct that reported the warning. */
  readonly path: string;
  /** What is risky and how to fix it. */
  readonly message: string;
}

/** Environment variable that overrides the mode everywhere (for CI): `print`, `error` or `collect`. */
const MODE_ENV = 'CDK8S_MESH_WARNINGS';

const handles = new WeakMap<IConstruct, MeshWarnings>();
const modes = new WeakMap<IConstruct, WarningMode>();
const printed = new WeakMap<IConstruct, Set<string>>();

/**
 * Synth-time warnings of cdk8s-mesh constructs: configuration that synthesizes but is risky
 * (for example a route timeout that leaves no time for retries).
 *
 * Warnings are printed once per app with the construct path, can be collected by code and
 * tests, and can be turned into errors with `MeshWarnings.setMode(app, WarningMode.ERROR)` or
 * the environment variable `CDK8S_MESH_WARNINGS=error`.
 */
export class MeshWarnings {
  /**
   * The warnings of a construct.
   */
  public static of(scope: IConstruct): MeshWarnings {
    let handle = handles.get(scope);
    if (!handle) {
      handle = new MeshWarnings(scope);
      handles.set(scope, handle);
    }
    return handle;
  }

  /**
   * Sets what happens to warnings reported in `scope` and below (the nearest setting wins;
   * the `CDK8S_MESH_WARNINGS` environment variable overrides all of them).
   */
  public static setMode(scope: IConstruct, mode: WarningMode): void {
    modes.set(scope, mode);
  }

  /**
   * Every warning reported in `scope` and below, in construct-tree order.
   */
  public static collect(scope: IConstruct): MeshWarning[] {
    return scope.node.findAll().flatMap(c => handles.get(c)?.list ?? []);
  }

  /**
   * Reports the warnings of a whole-app check (the mesh analysis), each under the mode of its
   * construct: printed once per app (PRINT), returned as errors (ERROR), or left to the check's own
   * API (COLLECT). Returns the errors.
   *
   * @internal
   */
  public static _reportAppWarnings(warnings: Array<{ readonly scope: IConstruct; readonly line: string }>): string[] {
    const errors: string[] = [];
    for (const { scope, line } of warnings) {
      const mode = modeOf(scope);
      if (mode === WarningMode.ERROR) errors.push(`warning treated as an error (WarningMode.ERROR): ${line}`);
      if (mode === WarningMode.PRINT) printOnce(scope.node.root, `[cdk8s-mesh] ${line}`);
    }
    return errors;
  }

  private readonly messages: string[] = [];

  private constructor(private readonly scope: IConstruct) {}

  /**
   * Reports a warning. The same message is reported once.
   *
   * @param message what is risky and how to fix it
   */
  public add(message: string): void {
    if (this.messages.includes(message)) return;
    if (this.messages.length === 0) {
      // validation runs at every synth, after the whole tree exists
      this.scope.node.addValidation({ validate: () => this.report() });
    }
    this.messages.push(message);
  }

  private get list(): MeshWarning[] {
    return this.messages.map(message => ({ path: this.scope.node.path, message }));
  }

  private report(): string[] {
    const mode = modeOf(this.scope);
    if (mode === WarningMode.ERROR) {
      return this.messages.map(m => `warning treated as an error (WarningMode.ERROR): ${m}`);
    }
    if (mode === WarningMode.PRINT) {
      for (const w of this.list) printOnce(this.scope.node.root, `[cdk8s-mesh] warning at ${w.path}: ${w.message}`);
    }
    return [];
  }
}

/** The mode for warnings reported in `scope`: the environment variable, else the nearest setting, else PRINT. */
function modeOf(scope: IConstruct): WarningMode {
  const fromEnv = process.env[MODE_ENV];
  if (fromEnv) {
    const mode = Object.values(WarningMode).find(m => m === fromEnv);
    if (!mode) {
      throw new Error(`invalid ${MODE_ENV} ${JSON.stringify(fromEnv)}: use one of ${Object.values(WarningMode).join(', ')}`);
    }
    return mode;
  }
  for (const c of scope.node.scopes.reverse()) {
    const mode = modes.get(c);
    if (mode) return mode;
  }
  return WarningMode.PRINT;
}

/** Prints a line once per app. */
function printOnce(root: IConstruct, line: string): void {
  // cdk8s validates once per chart, so remember what this app has already printed
  const seen = printed.get(root) ?? new Set<string>();
  printed.set(root, seen);
  if (seen.has(line)) return;
  seen.add(line);
  process.stderr.write(line + '\n');
}
