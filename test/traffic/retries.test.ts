import { App, Chart, Duration, Testing } from 'cdk8s';
import { newService, paymentService, ServiceProps, synthService } from './fixtures';
import { MeshWarnings, WarningMode } from '../../src';
import { findOne, testChart, warningsOf } from '../support';


const props = paymentService;

function route(overrides: Partial<ServiceProps>) {
  const { chart, docs } = synthService(props(overrides));
  return { chart, route: findOne(docs, 'VirtualService').spec.http[0] };
}

describe('timeouts and retries', () => {
  test('without them, the safe retry policy is written, so Istio\'s own default never applies', () => {
    // Istio's default retries gRPC "unavailable" and 503 too, which the application may have processed
    const { route: r } = route({});
    expect(r.timeout).toBeUndefined();
    expect(r.retries).toEqual({ attempts: 2, retryOn: 'connect-failure,refused-stream,reset-before-request' });
  });

  test('a timeout alone keeps the safe retry policy', () => {
    const { route: r } = route({ timeout: Duration.millis(1500) });
    expect(r.timeout).toBe('1500ms');
    expect(r.retries).toEqual({ attempts: 2, retryOn: 'connect-failure,refused-stream,reset-before-request' });
  });

  test('attempts 0 turns retries off, written as such', () => {
    const { route: r } = route({ timeout: Duration.seconds(1), retries: { attempts: 0 } });
    expect(r.retries).toEqual({ attempts: 0 });
  });

  test('by default only requests the application never received are retried, and no perTryTimeout is derived', () => {
    // a per-try timeout would only cut slow requests short: none of these conditions retries it
    const { chart, route: r } = route({ timeout: Duration.seconds(2), retries: { attempts: 3 } });
    expect(r.retries).toEqual({ attempts: 3, retryOn: 'connect-failure,refused-stream,reset-before-request' });
    expect(warningsOf(chart)).toEqual([]);
  });

  test('gRPC gets the same default: UNAVAILABLE may come after the call was processed', () => {
    const { route: r } = route({ portName: 'grpc', retries: { attempts: 1 } });
    expect(r.retries.retryOn).toBe('connect-failure,refused-stream,reset-before-request');
  });

  describe('retryOn that retries timed-out attempts', () => {
    const resent = (conditions: string) =>
      `test/payment: service payments/payment-service: retries.retryOn ${conditions} re-sends requests the application may ` +
      'already be processing (an attempt that ran into its per-try timeout or was reset after it was sent is retried), ' +
      'so a non-idempotent request such as a payment POST can run twice; retry only what never reached the application ' +
      'with connect-failure, refused-stream, reset-before-request, or make the endpoint idempotent';

    test('derives a perTryTimeout that fits every attempt and the worst-case back-off, and warns', () => {
      // 3 retries: 4 attempts and at most 25 + 75 + 175 ms of back-off in 2s: (2000 - 275) / 4 = 431ms
      const { chart, route: r } = route({ timeout: Duration.seconds(2), retries: { attempts: 3, retryOn: ['gateway-error', 'connect-failure'] } });
      expect(r.retries).toEqual({ attempts: 3, perTryTimeout: '431ms', retryOn: 'gateway-error,connect-failure' });
      expect(warningsOf(chart)).toEqual([resent('"gateway-error"')]);
    });

    test('the derived perTryTimeout uses the default of 2 retries: (2000 - 100) / 3 = 633ms', () => {
      const { route: r } = route({ timeout: Duration.seconds(2), retries: { retryOn: ['5xx'] } });
      expect(r.retries).toMatchObject({ attempts: 2, perTryTimeout: '633ms' });
    });

    test('back-off is capped at 250ms per retry', () => {
      // 5 retries: 25 + 75 + 175 + 250 + 250 = 775ms; (10000 - 775) / 6 = 1537ms
      const { route: r } = route({ timeout: Duration.seconds(10), retries: { attempts: 5, retryOn: ['reset'] } });
      expect(r.retries.perTryTimeout).toBe('1537ms');
    });

    test('without a route timeout, no perTryTimeout is invented, and the warning names every such condition', () => {
      const { chart, route: r } = route({ retries: { attempts: 3, retryOn: ['5xx', 'reset', '429'] } });
      expect(r.retries).toEqual({ attempts: 3, retryOn: '5xx,reset,429' });
      expect(warningsOf(chart)).toEqual([resent('"5xx", "reset"')]);
    });

    test('status codes and reset-before-request do not count', () => {
      const { chart, route: r } = route({ timeout: Duration.seconds(2), retries: { retryOn: ['503', 'reset-before-request', 'unavailable'] } });
      expect(r.retries.perTryTimeout).toBeUndefined();
      expect(warningsOf(chart)).toEqual([]);
    });
  });

  test('retryOn is written as given, status codes included', () => {
    const { route: r } = route({ retries: { retryOn: ['connect-failure', '429'] } });
    expect(r.retries.retryOn).toBe('connect-failure,429');
  });

  test('perTryTimeout that fits is kept without warning', () => {
    const { chart, route: r } = route({ timeout: Duration.seconds(2), retries: { attempts: 3, perTryTimeout: Duration.millis(431) } });
    expect(r.retries.perTryTimeout).toBe('431ms');
    expect(warningsOf(chart)).toEqual([]);
  });

  describe('the trap: a route timeout that leaves no time for retries', () => {
    const trap = { timeout: Duration.seconds(2), retries: { attempts: 3, perTryTimeout: Duration.seconds(2) } };

    test('is reproduced as asked, and reported as a warning naming the service and the fix', () => {
      const { chart, route: r } = route(trap);
      expect(r.timeout).toBe('2s');
      expect(r.retries).toMatchObject({ attempts: 3, perTryTimeout: '2s' });
      expect(warningsOf(chart)).toEqual([
        'test/payment: service payments/payment-service: retries do not fit in the route timeout: ' +
        "Envoy's route timeout 2s includes every attempt, so after an attempt that runs into perTryTimeout 2s " +
        'none of the 3 retries can run (istio/istio#21137); set retries.perTryTimeout to at most 431ms, ' +
        'raise timeout to at least 8275ms, or leave retries.perTryTimeout unset ' +
        '(retryOn "connect-failure,refused-stream,reset-before-request" does not retry a timed-out attempt)',
      ]);
    });

    test('when retryOn retries timed-out attempts, leaving perTryTimeout unset derives one that fits', () => {
      const { chart } = route({ ...trap, retries: { ...trap.retries, retryOn: ['gateway-error', 'connect-failure'] } });
      const trapWarning = warningsOf(chart).find(w => w.includes('retries do not fit'));
      expect(trapWarning).toMatch(/or leave retries\.perTryTimeout unset to derive one that fits$/);
    });

    test('says how many retries still fit when some do', () => {
      const { chart } = route({ timeout: Duration.seconds(2), retries: { attempts: 3, perTryTimeout: Duration.millis(600) } });
      expect(warningsOf(chart)).toHaveLength(1);
      expect(warningsOf(chart)[0]).toContain('only 2 of the 3 retries can run');
    });

    test('fails synthesis when warnings are errors', () => {
      const app: App = Testing.app();
      const chart = new Chart(app, 'mesh');
      MeshWarnings.setMode(app, WarningMode.ERROR);
      newService(chart, 'payment', props(trap));
      expect(() => app.synth()).toThrow(
        '[mesh/payment] warning treated as an error (WarningMode.ERROR): service payments/payment-service: retries do not fit');
    });
  });

  describe('bad input', () => {
    test.each<[string, Partial<ServiceProps>, string]>([
      ['zero timeout', { timeout: Duration.millis(0) }, 'test/payment: invalid timeout "0ms": must be a positive duration in whole milliseconds'],
      ['fractional timeout', { timeout: Duration.millis(0.5) }, 'invalid timeout "0.5ms": must be a positive duration in whole milliseconds'],
      ['negative attempts', { retries: { attempts: -1 } }, 'invalid retries.attempts -1: must be a non-negative integer'],
      ['fractional attempts', { retries: { attempts: 1.5 } }, 'invalid retries.attempts 1.5: must be a non-negative integer'],
      ['a per-try timeout without retries', { retries: { attempts: 0, perTryTimeout: Duration.seconds(1) } },
        'invalid retries.perTryTimeout "1s": has no effect with retries.attempts 0 (no retries); remove it'],
      ['conditions without retries', { retries: { attempts: 0, retryOn: ['5xx'] } },
        'invalid retries.retryOn ["5xx"]: has no effect with retries.attempts 0 (no retries); remove it'],
      ['zero perTryTimeout', { retries: { perTryTimeout: Duration.millis(0) } }, 'invalid retries.perTryTimeout "0ms": must be a positive duration'],
      ['perTryTimeout over the timeout', { timeout: Duration.seconds(1), retries: { perTryTimeout: Duration.seconds(2) } },
        'invalid retries.perTryTimeout "2s": is longer than the route timeout 1s, which includes every attempt'],
      ['timeout too short for the retries', { timeout: Duration.millis(100), retries: { attempts: 3, retryOn: ['gateway-error'] } },
        "invalid timeout \"100ms\": is too short for 3 retries and Envoy's back-off between them (275ms)"],
      ['empty retryOn', { retries: { retryOn: [] } }, 'invalid retries.retryOn []: must name at least one condition'],
      ['unknown retryOn', { retries: { retryOn: ['5xx', 'timeout'] } }, 'invalid retries.retryOn "timeout": must be an HTTP status code or one of 5xx, gateway-error'],
    ])('rejects %s', (_what, overrides, message) => {
      expect(() => newService(testChart(), 'payment', props(overrides))).toThrow(message);
    });
  });
});
