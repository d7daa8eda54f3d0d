/**
 * How serious an analysis message is, named as `istioctl analyze` names its levels.
 */
export enum AnalysisLevel {
  /** The configuration is broken: traffic fails or the object has no effect. Fails a synth. */
  ERROR = 'Error',
  /** The configuration works, but probably not as meant. Printed once at synth. */
  WARNING = 'Warning',
  /** Worth knowing, nothing to fix necessarily. Only returned by `MeshAnalysis.analyze()` at synth. */
  INFO = 'Info',
}
