// Two objects with the same group, kind, namespace and name are one object to the API server: when
// a GitOps tool applies both, the later silently replaces the earlier. Checked on the whole app,
// whichever way it synthesizes. Internal.
import type { RenderedObject } from '../common/app-checks';

/** One message per object that another object of the app already defines. */
export function duplicateObjects(objects: RenderedObject[]): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const { object, manifest } of objects) {
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : 'core';
    const { namespace, name } = manifest.metadata ?? {};
    const key = `${object.kind}.${group} ${namespace ? `${namespace}/` : ''}${name}`;
    const other = seen.get(key);
    if (other !== undefined) {
      problems.push(`duplicate object: ${other} and ${object.node.path} both define ${key}; the API server keeps only one of them, ` +
        'give one of them another name');
    } else {
      seen.set(key, object.node.path);
    }
  }
  return problems;
}
