// The shop the reference examples run around the strategy's payment-service: web (frontend) calls
// checkout (orders), which calls payment (payments) and inventory (orders). The same services and
// sizes on either data plane; `app.ts` runs them with sidecars, `ambient.ts` on ztunnel, and each
// declares the calls.
import { Chart, Duration } from 'cdk8s';
import { CanaryService, PodSysctls, ServiceVersion, ZeroTrustNamespace } from '../src';

/** A team's namespace and the chart its services go in. */
export interface Team {
  readonly chart: Chart;
  readonly namespace: ZeroTrustNamespace;
}

/** The shop's four services. */
export interface Shop {
  readonly web: CanaryService;
  readonly checkout: CanaryService;
  readonly inventory: CanaryService;
  readonly payment: CanaryService;
}

/** The four services. `sysctls`: a restricted namespace admits only Kubernetes' safe ones. */
export function addShop(teams: { frontend: Team; orders: Team; payments: Team }, sysctls: PodSysctls): Shop {
  const { frontend, orders, payments } = teams;
  const version = (name: string, tag: string): ServiceVersion => ({ version: 'v1', image: `registry.example.com/${name}:${tag}` });
  const web = new CanaryService(frontend.chart, 'web', {
    namespace: frontend.namespace,
    name: 'web',
    port: 8080,
    stable: version('web', '3.2.0'),
    timeout: Duration.seconds(5),
    autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 70 },
    sysctls,
  });
  const checkout = new CanaryService(orders.chart, 'checkout', {
    namespace: orders.namespace,
    name: 'checkout',
    port: 8080,
    stable: version('checkout', '2.0.1'),
    timeout: Duration.seconds(3),
    // payment retries below it: retry at one hop only, or tries multiply along the chain
    retries: { attempts: 0 },
    sysctls,
  });
  const inventory = new CanaryService(orders.chart, 'inventory', {
    namespace: orders.namespace,
    name: 'inventory',
    port: 8080,
    stable: version('inventory', '1.7.4'),
    timeout: Duration.seconds(1),
    sysctls,
  });
  // the canary, exactly as the strategy writes it (95/5): its retry trap is reported as a warning
  const payment = new CanaryService(payments.chart, 'payment', {
    namespace: payments.namespace,
    name: 'payment-service',
    port: 8080,
    stable: { version: 'v1', image: 'registry.example.com/payment:1.4.2' },
    canary: { version: 'v2', image: 'registry.example.com/payment:1.5.0', weight: 5 },
    timeout: Duration.seconds(2),
    retries: { attempts: 3, perTryTimeout: Duration.seconds(2) },
    sysctls,
  });
  return { web, checkout, inventory, payment };
}
