// Two objects with the same group, kind, namespace and name are one object to the API server: when
// a GitOps tool applies both, the later silently replaces the earlier (formerly a whole-app check of
// its own, src/gitops/unique-objects.ts). Every object counts, those istioctl ignores included.
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { AnalyzedObject } from '../_object-index';

export const duplicateObjects: Check = {
  name: 'mesh.DuplicateObjectAnalyzer',
  description: 'Checks that no two objects share a group, kind, namespace and name',
  messages: [MESH.DuplicateObject],
  run(context: CheckContext) {
    const seen = new Map<string, AnalyzedObject>();
    for (const object of context.index.all) {
      if (object.synthetic) continue;
      const key = `${object.type} ${object.namespace === undefined ? '' : `${object.namespace}/`}${object.name}`;
      const other = seen.get(key);
      if (other === undefined) {
        seen.set(key, object);
        continue;
      }
      context.report(object, MESH.DuplicateObject, [`duplicate object: ${whereIs(other)} and ${whereIs(object)} both define ${key}; ` +
        'the API server keeps only one of them, give one of them another name']);
    }
  },
};

/** The construct path of an object, or its file and line (or document). */
function whereIs(object: AnalyzedObject): string {
  const source = object.source;
  if (source.construct) return source.construct.node.path;
  if (source.file === undefined) return object.origin;
  if (source.line !== undefined && !source.file.endsWith('.json')) return `${source.file}:${source.line}`;
  return `${source.file} (document ${(source.documentIndex ?? 0) + 1})`;
}
