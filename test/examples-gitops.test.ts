// The GitOps examples: the strategy's control plane delivered by Argo CD and by Flux, as `npm run synth`
// writes them (dist/manifests/argo-cd/, dist/manifests/flux/). Every document validates strictly against
// the Argo CD 3.5.1 and Flux CRDs, every release renders with Helm, the reference sizes arrive.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps } from 'cdk8s';
import * as YAML from 'yaml';
import { releasesOf } from './control-plane/helm-support';
import { argoCdApp } from '../examples/argo-cd';
import { fluxApp } from '../examples/flux';
import { MeshWarnings, WarningMode } from '../src';
import { expectValidDocuments, findOne } from './support';
import { chartsAvailable, helmTemplate } from './support/helm';

/** Synthesizes an example into a fresh folder: each file's documents, and the files' text. */
function synthExample(build: (props: AppProps) => App): { files: Record<string, any[]>; texts: Record<string, string>; warnings: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-gitops-example-'));
  const app = build({ outdir });
  MeshWarnings.setMode(app, WarningMode.COLLECT);
  app.synth();
  const files: Record<string, any[]> = {};
  const texts: Record<string, string> = {};
  for (const file of fs.readdirSync(outdir).sort()) {
    texts[file] = fs.readFileSync(path.join(outdir, file), 'utf8');
    files[file] = YAML.parseAllDocuments(texts[file]).map(d => d.toJSON());
  }
  return { files, texts, warnings: MeshWarnings.collect(app).length };
}

describe.each<[string, (props: AppProps) => App, string[]]>([
  ['argo-cd', argoCdApp, ['Application', 'Application', 'Application', 'Application']],
  ['flux', fluxApp, ['HelmRepository', 'HelmRelease', 'HelmRelease', 'HelmRelease', 'HelmRelease']],
])('examples/%s.ts', (_name, build, kinds) => {
  const { files, texts, warnings } = synthExample(build);

  test('one file, every document valid against its CRD, no warning', () => {
    expect(Object.keys(files)).toEqual(['istio.k8s.yaml']);
    const docs = files['istio.k8s.yaml'];
    expect(docs.map(d => d.kind)).toEqual(kinds);
    expectValidDocuments(docs);
    expect(warnings).toBe(0);
  });

  test('the strategy\'s sizes and ports, in the values of the releases (MISSION.md, section 2)', () => {
    const releases = releasesOf(files['istio.k8s.yaml']);
    expect(releases.map(r => r.releaseName)).toEqual(['istio-base', 'istio-cni', 'istiod', 'istio-ingressgateway']);
    const values = Object.fromEntries(releases.map(r => [r.chart, r.values]));
    expect(values.istiod.resources).toEqual({ requests: { cpu: '500m', memory: '2048Mi' } });
    expect(values.istiod.global.proxy.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } });
    expect(values.gateway.resources).toEqual({ requests: { cpu: '1000m', memory: '1024Mi' } });
    expect(values.gateway.service.ports.map((p: any) => `${p.name} ${p.port}->${p.targetPort}`))
      .toEqual(['status-port 15021->15021', 'http2 80->8080', 'https 443->8443']);
  });

  (chartsAvailable() ? test : test.skip)('every release renders with helm template, offline', () => {
    for (const release of releasesOf(files['istio.k8s.yaml'])) {
      expect(helmTemplate(release).length).toBeGreaterThan(0);
    }
    const gateway = releasesOf(files['istio.k8s.yaml']).find(r => r.chart === 'gateway')!;
    expect(findOne(helmTemplate(gateway), 'Deployment').spec.template.spec.containers[0].resources.requests)
      .toEqual({ cpu: '1000m', memory: '1024Mi' });
  });

  test('two synths are byte-identical', () => {
    expect(synthExample(build).texts).toEqual(texts);
  });
});
