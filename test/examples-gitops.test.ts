// The GitOps examples: the strategy's control plane delivered by Argo CD and by Flux, as `npm run synth`
// writes them (dist/manifests/argo-cd/, dist/manifests/flux/). Every document validates strictly against
// the Argo CD 3.5.1 and Flux CRDs, every release renders with Helm, the reference sizes arrive.
import { App, AppProps } from 'cdk8s';
import { releasesOf } from './control-plane/helm-support';
import { expectValidDocuments, findOne } from './support';
import { argoCdApp } from '../examples/argo-cd';
import { fluxApp } from '../examples/flux';
import { synthExample } from './support/examples';
import { chartsAvailable, helmTemplate } from './support/helm';


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
