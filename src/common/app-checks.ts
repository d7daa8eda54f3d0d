// Checks of the whole app that every way of synthesizing runs: `app.synth()`, `Testing.synth()`,
// `chart.toJson()` and `AtomicSynth`. cdk8s validates every construct of the app before it writes a
// file (cdk8s-core src/app.ts `validate`), so the checks are one validation of the App root, added
// once per app by the first construct of this library. Internal.
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { meshAnalysisCheck } from '../analysis/_app';

/** An API object of the app, rendered as it will be written. */
export interface RenderedObject {
  readonly object: ApiObject;
  /** Its manifest, as `ApiObject.toJson()` renders it. */
  readonly manifest: any;
}

/** A check of the whole app: one message per problem, empty when there is none. */
export type AppCheck = (objects: RenderedObject[], root: IConstruct) => string[];

/** The checks, in the order they run: the mesh analysis (src/analysis), duplicate objects included. */
const CHECKS: AppCheck[] = [meshAnalysisCheck];

const enabled = new WeakSet<IConstruct>();
const rendered = new WeakMap<IConstruct, RenderedObject[]>();

/** Turns the whole-app checks on for the app of `scope`; idempotent. */
export function enableAppChecks(scope: IConstruct): void {
  const root = scope.node.root;
  if (enabled.has(root)) return;
  enabled.add(root);
  root.node.addValidation({ validate: () => runAppChecks(root) });
}

/** Runs every check once and returns their messages (the validation of the App root). */
export function runAppChecks(root: IConstruct): string[] {
  const objects = renderedObjects(root);
  return CHECKS.flatMap(check => check(objects, root));
}

/**
 * Every API object of the app, rendered once per synth. cdk8s validates the whole app once per chart,
 * so rendering at each validation would cost charts x objects. A synth runs synchronously: the list
 * is dropped once the current task is over, so a later synth sees later changes. An object that
 * cannot render is left out: cdk8s reports its error when it writes it.
 */
export function renderedObjects(scope: IConstruct): RenderedObject[] {
  const root = scope.node.root;
  let list = rendered.get(root);
  if (!list) {
    list = [];
    for (const c of root.node.findAll()) {
      if (!ApiObject.isApiObject(c)) continue;
      try {
        list.push({ object: c, manifest: c.toJson() });
      } catch {
        continue;
      }
    }
    rendered.set(root, list);
    queueMicrotask(() => rendered.delete(root));
  }
  return list;
}
