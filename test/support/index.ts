// Shared test helpers: synthesize a chart, validate every document strictly, find documents.
import { Chart, Testing } from 'cdk8s';
import { IConstruct } from 'constructs';
import { expectValidDocuments } from './schema-validation';
import { MeshWarnings, WarningMode } from '../../src';

export * from './schema-validation';

/**
 * Synthesizes the chart and fails unless every emitted document validates strictly against its
 * upstream schema (Kubernetes 1.27 and 1.36, the CRDs and their CEL rules). Every test that synthesizes
 * should use this.
 */
export function synthValid(chart: Chart): any[] {
  const docs = Testing.synth(chart);
  expectValidDocuments(docs);
  return docs;
}

/** A fresh chart in a fresh app; warnings are collected, not printed. */
export function testChart(): Chart {
  const chart = Testing.chart();
  MeshWarnings.setMode(chart, WarningMode.COLLECT);
  return chart;
}

/** The only document of a kind (and name, when given); fails when there is not exactly one. */
export function findOne(docs: any[], kind: string, name?: string): any {
  const found = findAll(docs, kind, name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}: ` +
      docs.map(d => `${d.kind}/${d.metadata?.name}`).join(', '));
  }
  return found[0];
}

/** Every document of a kind (and name, when given). */
export function findAll(docs: any[], kind: string, name?: string): any[] {
  return docs.filter(d => d.kind === kind && (name === undefined || d.metadata?.name === name));
}

/** Warning messages reported under a scope, as `path: message` lines. */
export function warningsOf(scope: IConstruct): string[] {
  return MeshWarnings.collect(scope).map(w => `${w.path}: ${w.message}`);
}
