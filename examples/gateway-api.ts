// The reference example's ingress in the Gateway API form: `web` on shop.example.com over HTTPS,
// plain HTTP redirected, through a Gateway of class `istio` (Istio deploys its gateway, `shop-istio`,
// in istio-system) and HTTPRoutes, with a ReferenceGrant that lets the route reach `web` in its own
// namespace. The cluster needs the Gateway API CRDs (v1.6.1, standard channel) beside Istio.
import { App, AppProps, Chart, Duration } from 'cdk8s';
import { CanaryService, IngressApi, IngressTls, MeshIngress, ZeroTrustMesh, ZeroTrustNamespace } from '../src';

/** Builds the app; `main.ts` synthesizes it into dist/manifests/gateway-api/. */
export function gatewayApiApp(props: AppProps = {}): App {
  const app = new App(props);
  new ZeroTrustMesh(new Chart(app, 'mesh'), 'zero-trust');

  const frontend = new Chart(app, 'frontend');
  const namespace = new ZeroTrustNamespace(frontend, 'namespace', { name: 'frontend', rootNamespaceIngress: false });
  const web = new CanaryService(frontend, 'web', {
    namespace,
    name: 'web',
    port: 8080,
    stable: { version: 'v1', image: 'registry.example.com/web:3.2.0' },
    timeout: Duration.seconds(5),
    autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 70 },
  });

  const ingress = new MeshIngress(new Chart(app, 'ingress'), 'shop', {
    name: 'shop',
    tls: IngressTls.fromClusterIssuer('letsencrypt-prod'),
    api: IngressApi.gatewayApi(),
  });
  ingress.route('shop.example.com', web);
  return app;
}
