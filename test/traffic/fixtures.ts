// The payment-service of the strategy, shared by the CanaryService tests.
import { CanaryService, CanaryServiceProps } from '../../src';
import { synthValid, testChart } from '../support';

export const STABLE = { version: 'v1', image: 'registry.example.com/payment:1.4.2' };
export const CANARY = { version: 'v2', image: 'registry.example.com/payment:1.5.0' };

/** The smallest valid props, one stable version, with overrides. */
export function paymentService(overrides: Partial<CanaryServiceProps> = {}): CanaryServiceProps {
  return { namespace: 'payments', name: 'payment-service', port: 8080, stable: STABLE, ...overrides };
}

/** Synthesizes a CanaryService with id `payment` in a fresh chart, validating every document. */
export function synthService(props: CanaryServiceProps) {
  const chart = testChart();
  const service = new CanaryService(chart, 'payment', props);
  return { chart, service, docs: synthValid(chart) };
}
