import { Duration } from 'cdk8s';
import { CANARY, newService, paymentService, ServiceProps, STABLE, synthService } from './fixtures';
import { CircuitBreaker } from '../../src';
import { findOne, synthValid, testChart, warningsOf } from '../support';


const props = paymentService;

describe('circuit breaking', () => {
  test('defaults: bounded connection pool, and outlier detection that ejects one pod of two', () => {
    const chart = testChart();
    newService(chart, 'payment', props());
    expect(findOne(synthValid(chart), 'DestinationRule').spec.trafficPolicy).toEqual({
      tls: { mode: 'ISTIO_MUTUAL' },
      connectionPool: { tcp: { maxConnections: 1024 }, http: { http1MaxPendingRequests: 1024, http2MaxRequests: 1024 } },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
    });
  });

  test('every setting can be changed', () => {
    const chart = testChart();
    newService(chart, 'payment', props({
      circuitBreaker: {
        maxConnections: 10,
        http1MaxPendingRequests: 20,
        http2MaxRequests: 30,
        consecutive5xxErrors: 2,
        interval: Duration.millis(500),
        baseEjectionTime: Duration.minutes(2),
        maxEjectionPercent: 100,
      },
    }));
    const policy = findOne(synthValid(chart), 'DestinationRule').spec.trafficPolicy;
    expect(policy.connectionPool).toEqual({ tcp: { maxConnections: 10 }, http: { http1MaxPendingRequests: 20, http2MaxRequests: 30 } });
    expect(policy.outlierDetection).toEqual({ consecutive5xxErrors: 2, interval: '500ms', baseEjectionTime: '2m', maxEjectionPercent: 100 });
  });

  test('0 consecutive errors turns outlier detection off, without warning', () => {
    const chart = testChart();
    newService(chart, 'payment', props({ circuitBreaker: { consecutive5xxErrors: 0, maxEjectionPercent: 10 } }));
    expect(findOne(synthValid(chart), 'DestinationRule').spec.trafficPolicy.outlierDetection.consecutive5xxErrors).toBe(0);
    expect(warningsOf(chart)).toEqual([]);
  });

  describe('ejection warnings', () => {
    /** A chart with a stable version of `stable` pods and a canary of one pod. */
    const chartWith = (stable: number, circuitBreaker: CircuitBreaker = {}) =>
      synthService(props({ stable: { ...STABLE, replicas: stable }, canary: { ...CANARY, replicas: 1 }, circuitBreaker })).chart;

    test('when outlier detection could never eject a pod of a version', () => {
      // Envoy 1.28+ ejects only while 100 * (ejected + 1) / pods <= maxEjectionPercent: 100/3 > 10;
      // one pod of v2 and 10%: never ejected, so its subset keeps answering
      expect(warningsOf(chartWith(3, { maxEjectionPercent: 10 }))).toEqual([
        'test/payment: service payments/payment-service: outlier detection can never eject a pod of v1: with 3 pods, ' +
        'maxEjectionPercent 10 allows none (Envoy 1.28+ ejects only while ejected pods stay within it, the first one included); ' +
        'set circuitBreaker.maxEjectionPercent to at least 34',
      ]);
    });

    test('none for the default, which ejects one pod of two and never the last one', () => {
      expect(warningsOf(chartWith(2))).toEqual([]);
    });

    test('when the only pod of a version can be ejected: its subset would answer 503', () => {
      expect(warningsOf(chartWith(3, { maxEjectionPercent: 100, baseEjectionTime: Duration.seconds(45) }))).toEqual([
        'test/payment: service payments/payment-service: outlier detection can eject the only pod of v2 for baseEjectionTime 45s ' +
        "(longer at each new ejection), and with Istio's panic routing off (minHealthPercent 0) the v2 subset then answers 503 " +
        'to all its traffic; run at least 2 replicas or set circuitBreaker.maxEjectionPercent below 100',
      ]);
    });
  });

  describe('bad input', () => {
    test.each<[string, Partial<ServiceProps>, string]>([
      ['zero connections', { circuitBreaker: { maxConnections: 0 } }, 'test/payment: invalid circuitBreaker.maxConnections 0: must be a positive integer'],
      ['fractional pending requests', { circuitBreaker: { http1MaxPendingRequests: 1.5 } }, 'invalid circuitBreaker.http1MaxPendingRequests 1.5: must be a positive integer'],
      ['too many requests', { circuitBreaker: { http2MaxRequests: 2 ** 31 } }, 'invalid circuitBreaker.http2MaxRequests 2147483648: must be a positive integer (at most 2147483647)'],
      ['negative errors', { circuitBreaker: { consecutive5xxErrors: -1 } }, 'invalid circuitBreaker.consecutive5xxErrors -1: must be a non-negative integer'],
      ['ejection percent', { circuitBreaker: { maxEjectionPercent: 120 } }, 'invalid circuitBreaker.maxEjectionPercent 120: must be an integer from 0 to 100'],
      ['zero interval', { circuitBreaker: { interval: Duration.millis(0) } }, 'invalid circuitBreaker.interval "0ms": must be a positive duration'],
      ['zero ejection time', { circuitBreaker: { baseEjectionTime: Duration.millis(0) } }, 'invalid circuitBreaker.baseEjectionTime "0ms": must be a positive duration'],
    ])('rejects %s', (_what, overrides, message) => {
      expect(() => newService(testChart(), 'payment', props(overrides))).toThrow(message);
    });
  });
});
