// The evaluator lives with the analysis, which uses it too (src/analysis/semantics/ambient.ts).
export * from '../../../src/analysis/semantics/ambient';
