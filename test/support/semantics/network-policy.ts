// The evaluator lives with the analysis, which uses it too (src/analysis/semantics/network-policy.ts).
export * from '../../../src/analysis/semantics/network-policy';
