// The payment-service of the strategy, shared by the CanaryService tests.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { CanaryService, CanaryServiceProps, IZeroTrustNamespace, ZeroTrustNamespace } from '../../src';
import { synthValid, testChart } from '../support';

export const STABLE = { version: 'v1', image: 'registry.example.com/payment:1.4.2' };
export const CANARY = { version: 'v2', image: 'registry.example.com/payment:1.5.0' };

/** CanaryService props; the namespace may be left out, `newService` puts the service in `payments`. */
export type ServiceProps = Omit<CanaryServiceProps, 'namespace'> & { readonly namespace?: IZeroTrustNamespace };

/** The smallest valid props, one stable version, with overrides. */
export function paymentService(overrides: Partial<ServiceProps> = {}): ServiceProps {
  return { name: 'payment-service', port: 8080, stable: STABLE, ...overrides };
}

/** The namespace `payments`, as an app refers to a namespace created elsewhere (one per app). */
export function paymentsNamespace(scope: Construct): IZeroTrustNamespace {
  const chart = Chart.of(scope);
  return (chart.node.tryFindChild('payments-namespace') as IZeroTrustNamespace | undefined)
    ?? ZeroTrustNamespace.fromName(chart, 'payments-namespace', 'payments');
}

/** A CanaryService, in `payments` unless the props name a namespace. */
export function newService(scope: Construct, id: string, props: ServiceProps): CanaryService {
  return new CanaryService(scope, id, { ...props, namespace: props.namespace ?? paymentsNamespace(scope) });
}

/** Synthesizes a CanaryService with id `payment` in a fresh chart, validating every document. */
export function synthService(props: ServiceProps) {
  const chart = testChart();
  const service = newService(chart, 'payment', props);
  return { chart, service, docs: synthValid(chart) };
}
