import { IConstruct } from 'constructs';
import { analyzeRendered } from './_app';
import { toMessage } from './_engine';
import { AnalysisMessage } from './analysis-message';
import { renderedObjects } from '../common/app-checks';

/**
 * The mesh analysis: `istioctl analyze`'s checks, with its codes, levels and messages, and the
 * library's own (codes MESH0001 and up), over every object of a cdk8s app, without a cluster.
 *
 * Every synth of an app that uses this library runs it (`app.synth()`, `AtomicSynth`,
 * `Testing.synth()`): an Error fails the synth, a Warning is reported once like other cdk8s-mesh
 * warnings (see `MeshWarnings`). Hand-made `ApiObject`s, cdk8s-plus objects and `Include`s are
 * analyzed too; objects without a namespace belong to `default`. A message is suppressed on an
 * object by its annotation `galley.istio.io/analyze-suppress: "IST0102,MESH0008"` (`*` for all),
 * as in istioctl. For YAML files, the `cdk8s-mesh analyze` command runs the same analysis.
 */
export class MeshAnalysis {
  /**
   * Every message of the app of `scope`, sorted as istioctl sorts them (level, code, object),
   * including those a construct of this library already reported while it was built (a synth
   * reports each problem once).
   */
  public static analyze(scope: IConstruct): AnalysisMessage[] {
    return analyzeRendered(renderedObjects(scope.node.root)).findings.map(toMessage);
  }

  private constructor() {}
}
