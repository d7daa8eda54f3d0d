// The evaluator lives with the analysis, which uses it too (src/analysis/semantics/sidecar-scope.ts).
export * from '../../../src/analysis/semantics/sidecar-scope';
