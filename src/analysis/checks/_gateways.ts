// The pods a Gateway's selector picks: istioctl matches gateway selectors against pods of every
// namespace (analyzers/gateway). Internal.
import { ObjectIndex, Workload } from '../_object-index';

/** The workloads a Gateway's `selector` selects, in any namespace (an empty selector selects every pod). */
export function gatewayPods(index: ObjectIndex, selector: Record<string, unknown> | undefined): Workload[] {
  return index.selectWorkloads(selector ?? {});
}
