// The evaluator lives with the analysis, which uses it too (src/analysis/semantics/istio-authorization.ts).
export * from '../../../src/analysis/semantics/istio-authorization';
