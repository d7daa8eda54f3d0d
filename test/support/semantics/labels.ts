// The evaluator lives with the analysis, which uses it too (src/analysis/semantics/labels.ts).
export * from '../../../src/analysis/semantics/labels';
