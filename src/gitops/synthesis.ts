// What `App.synth()` writes, computed in one pass. cdk8s 2.70's App.synth() validates the app, then
// for every chart calls `chart.toJson()`, and that calls `App._synthChart`, which resolves the
// dependencies of the whole app and validates the whole app again (cdk8s-core src/app.ts,
// `_synthChart`: "we must prepare the entire app before synthesizing the chart"): charts x
// constructs. Validating and resolving once gives the same files for the same app: validations
// only read the tree, and resolving dependencies adds the same edges each time. The file names,
// the order of charts and objects are cdk8s's own (DependencyGraph, Names), mirrored from the same
// source, and so is the YAML (yaml.ts); test/gitops/synthesis.test.ts compares the bytes. Internal.
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, DependencyGraph, Names, YamlOutputType } from 'cdk8s';
import { IConstruct } from 'constructs';
import { saveYaml } from './yaml';
import { renderedObjects } from '../common/app-checks';

/** Writes what `app.synth()` would write to `outdir`. */
export function synthesize(app: App, outdir: string): void {
  fs.mkdirSync(outdir, { recursive: true });
  const all = app.node.findAll();
  validate(all);
  const dependantCharts = resolveDependencies(all);
  const charts = new DependencyGraph(app.node).topology().filter((c): c is Chart => c instanceof Chart);
  const manifests = manifestsOf(app);
  const toKube = (chart: Chart) => chartObjects(chart).map(manifests);

  switch (app.yamlOutputType) {
    case YamlOutputType.FILE_PER_APP:
      if (charts.length > 0) saveYaml(path.join(outdir, `app${app.outputFileExtension}`), charts.flatMap(toKube));
      break;
    case YamlOutputType.FILE_PER_CHART:
      charts.forEach((chart, i) => saveYaml(path.join(outdir, chartName(chart, dependantCharts, i) + app.outputFileExtension), toKube(chart)));
      break;
    case YamlOutputType.FILE_PER_RESOURCE:
      for (const doc of charts.flatMap(toKube)) {
        if (doc !== undefined) saveYaml(path.join(outdir, resourceFileName(doc) + app.outputFileExtension), [doc]);
      }
      break;
    case YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE:
      charts.forEach((chart, i) => {
        const folder = path.join(outdir, chartName(chart, dependantCharts, i));
        fs.mkdirSync(folder, { recursive: true });
        for (const doc of toKube(chart)) saveYaml(path.join(folder, resourceFileName(doc) + app.outputFileExtension), [doc]);
      });
      break;
    default:
      break;
  }
  // recordConstructMetadata is private in cdk8s (CDK8S_RECORD_CONSTRUCT_METADATA, set by the CLI's validation plugins)
  if ((app as unknown as { recordConstructMetadata: boolean }).recordConstructMetadata) {
    const resources: Record<string, { path: string }> = {};
    for (const object of charts.flatMap(chartObjects)) resources[object.name] = { path: object.node.path };
    fs.writeFileSync(path.join(outdir, 'construct-metadata.json'), JSON.stringify({ version: '1.0.0', resources }));
  }
}

/** cdk8s `validate`: every construct's validations, one error list. */
function validate(all: IConstruct[]): void {
  const errors = all.flatMap(c => c.node.validate().map(e => `[${c.node.path}] ${e}`));
  if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
}

/**
 * cdk8s `resolveDependencies`: a chart depends on the charts nested in it and on the charts its
 * constructs depend on; each API object on the API objects of the constructs its construct depends
 * on, within their charts. Returns whether any chart depends on another (file names get an index).
 */
function resolveDependencies(all: IConstruct[]): boolean {
  let dependant = false;
  for (const parent of all.filter((c): c is Chart => c instanceof Chart)) {
    for (const child of parent.node.children.filter((c): c is Chart => c instanceof Chart)) {
      parent.node.addDependency(child);
      dependant = true;
    }
  }
  const edges = all.flatMap(source => source.node.dependencies.map(target => ({ source, target })));
  for (const { source, target } of edges) {
    if (Chart.of(source) !== Chart.of(target)) {
      Chart.of(source).node.addDependency(Chart.of(target));
      dependant = true;
    }
  }
  for (const { source, target } of edges) {
    const targetChart = Chart.of(target);
    const sourceChart = Chart.of(source);
    const targets = target.node.findAll().filter(c => c instanceof ApiObject && Chart.of(c) === targetChart);
    const sources = source.node.findAll().filter(c => c instanceof ApiObject && Chart.of(c) === sourceChart);
    for (const t of targets) for (const s of sources) if (t !== s) s.node.addDependency(t);
  }
  return dependant;
}

/** cdk8s `chartToKube`: the API objects whose closest chart is `chart`, in dependency order. */
function chartObjects(chart: Chart): ApiObject[] {
  return new DependencyGraph(chart.node).topology().filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart);
}

/** Each object's manifest, rendered once: the whole-app checks already rendered them for this synth. */
function manifestsOf(app: App): (object: ApiObject) => any {
  const rendered = new Map(renderedObjects(app).map(r => [r.object, r.manifest]));
  // an object that could not render is rendered again, so that cdk8s's own error is thrown
  return object => rendered.get(object) ?? object.toJson();
}

/** cdk8s `SimpleChartNamer` and `IndexedChartNamer`. */
function chartName(chart: Chart, indexed: boolean, index: number): string {
  const name = Names.toDnsLabel(chart);
  return indexed ? `${index.toString().padStart(4, '0')}-${name}` : name;
}

/** The file name cdk8s gives a resource of its own. */
function resourceFileName(doc: any): string {
  return `${doc.kind}.${doc.metadata.name}`.replace(/[^0-9a-zA-Z-_.]/g, '');
}
