import { AnalysisLevel } from './analysis-level';

/**
 * A message of the mesh analysis: the fields `istioctl analyze -o json` prints, and where the
 * object came from.
 */
export interface AnalysisMessage {
  /** The code: `IST0101` for istioctl's checks, `MESH0001` and up for the library's own. */
  readonly code: string;

  /** How serious it is. */
  readonly level: AnalysisLevel;

  /** The object the message is about, as istioctl names it: `Kind namespace/name` (`Kind name` when cluster-scoped). */
  readonly origin: string;

  /** What is wrong, in istioctl's words for istioctl's codes. */
  readonly message: string;

  /** Where the code is explained, e.g. `https://istio.io/latest/docs/reference/config/analysis/ist0101/`. */
  readonly documentationUrl: string;

  /**
   * The construct path of the object, when the object comes from a cdk8s app.
   *
   * @default - not from a cdk8s app
   */
  readonly path?: string;

  /**
   * The file the object was read from (`-` for stdin), when it comes from a file.
   *
   * @default - not from a file
   */
  readonly file?: string;

  /**
   * The index of the object's document in its file, from 0, when it comes from a file.
   *
   * @default - not from a file
   */
  readonly documentIndex?: number;

  /**
   * The line the problem is on (the field's line, else the line the object starts on), from 1,
   * when it comes from a YAML file.
   *
   * @default - not from a YAML file
   */
  readonly line?: number;
}
