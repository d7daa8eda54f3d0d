// Revisions and revision tags across the app (Istio docs, "Canary upgrades", "Revision tags"):
// namespaces select a control plane with `istio.io/rev: <revision or tag>`; a label that no control
// plane of the app answers to leaves the namespace's pods without sidecars (no webhook matches them),
// so synthesis fails instead. Checked once per app on the objects rendered once per synth. Internal.
import { IConstruct } from 'constructs';
import { renderedObjects } from '../common/app-checks';
import { REVISION_LABEL } from '../common/istio';
import { invalidMessage } from '../common/validation';

/** A control plane's answer to `istio.io/rev`. */
interface RevisionOwner {
  readonly path: string;
  /** undefined: the default revision. */
  readonly revision?: string;
  readonly tags: string[];
}

const owners = new WeakMap<IConstruct, RevisionOwner[]>();

/** Registers a control plane's revision and tags, and turns the app's check on. */
export function registerRevisions(scope: IConstruct, revision: string | undefined, tags: string[]): void {
  const root = scope.node.root;
  let list = owners.get(root);
  if (!list) {
    list = [];
    owners.set(root, list);
    root.node.addValidation({ validate: () => checkRevisions(root) });
  }
  list.push({ path: scope.node.path, revision, tags });
}

/** One message per conflict between control planes and per namespace that selects no control plane. */
export function checkRevisions(root: IConstruct): string[] {
  const list = owners.get(root) ?? [];
  const problems: string[] = [];
  // every name `istio.io/rev` can carry, and who answers to it
  const names = new Map<string, { path: string; what: string }>();
  for (const owner of list) {
    const own = [{ name: owner.revision ?? 'default', what: owner.revision ? 'revision' : 'default revision' },
      ...owner.tags.map(tag => ({ name: tag, what: `tag of ${owner.revision ?? 'the default revision'}` }))];
    for (const { name, what } of own) {
      const other = names.get(name);
      if (other) {
        problems.push(`${owner.path}: ${invalidMessage(what.startsWith('tag') ? 'revision tag' : 'revision', name,
          `${other.path} already answers to istio.io/rev "${name}" (${other.what}); a revision or tag selects exactly one control plane, so move it rather than copy it`)}`);
      } else {
        names.set(name, { path: owner.path, what });
      }
    }
  }
  if (list.length === 0) return problems;
  for (const { object, manifest } of renderedObjects(root)) {
    if (object.kind !== 'Namespace' || object.apiVersion !== 'v1') continue;
    const rev = manifest.metadata?.labels?.[REVISION_LABEL];
    if (rev === undefined || names.has(rev)) continue;
    const known = [...names.entries()].map(([name, o]) => `"${name}" (${o.what})`).join(', ');
    problems.push(`${object.node.path}: ${invalidMessage(`namespace "${manifest.metadata?.name}" label istio.io/rev`, rev,
      `no IstioControlPlane of this app has this revision or revision tag, so no webhook would inject its pods; use one of ${known}, ` +
      'or add it to the revisionTags of the control plane it should follow')}`);
  }
  return problems;
}
