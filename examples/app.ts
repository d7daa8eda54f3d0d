// The reference strategy as one cdk8s app. The other constructs join it as they land.
import { App, AppProps, Chart } from 'cdk8s';
import { ZeroTrustMesh } from '../src';

/** Builds the reference app; `main.ts` synthesizes it, tests inspect it. */
export function referenceApp(props: AppProps = {}): App {
  const app = new App(props);

  // Step one of the strategy: STRICT mTLS mesh-wide, so plain-text callers fail.
  const mesh = new Chart(app, 'mesh');
  new ZeroTrustMesh(mesh, 'zero-trust');

  return app;
}
