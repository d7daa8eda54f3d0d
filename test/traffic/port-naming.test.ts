import { Duration } from 'cdk8s';
import { CANARY, newService, paymentService, ServiceProps, synthService } from './fixtures';
import { AppProtocol } from '../../src';
import { findOne, synthValid, testChart } from '../support';


const props = paymentService;

function servicePort(overrides: Partial<ServiceProps>) {
  return findOne(synthService(props(overrides)).docs, 'Service').spec.ports[0];
}

describe('port naming', () => {
  test.each<[Partial<ServiceProps>, string, string]>([
    [{}, 'http', 'http'],
    [{ protocol: AppProtocol.GRPC }, 'grpc', 'grpc'],
    [{ protocol: AppProtocol.HTTP2 }, 'http2', 'http2'],
    [{ protocol: AppProtocol.TCP }, 'tcp', 'tcp'],
    [{ portName: 'http-api' }, 'http-api', 'http'],
    [{ portName: 'grpc-payments' }, 'grpc-payments', 'grpc'],
    [{ portName: 'tcp-ledger' }, 'tcp-ledger', 'tcp'],
    [{ protocol: AppProtocol.HTTP2, portName: 'http2-api' }, 'http2-api', 'http2'],
  ])('%j names the port %s with appProtocol %s', (overrides, name, appProtocol) => {
    expect(servicePort(overrides)).toMatchObject({ name, appProtocol, protocol: 'TCP' });
  });

  test('TCP services get weighted TCP routes, still with mTLS and circuit breaking', () => {
    const chart = testChart();
    newService(chart, 'ledger', props({ protocol: AppProtocol.TCP, canary: { ...CANARY, weight: 10 } }));
    const docs = synthValid(chart);
    expect(findOne(docs, 'VirtualService').spec).toEqual({
      hosts: ['payment-service'],
      tcp: [{
        route: [
          { destination: { host: 'payment-service', subset: 'v1' }, weight: 90 },
          { destination: { host: 'payment-service', subset: 'v2' }, weight: 10 },
        ],
      }],
    });
    const policy = findOne(docs, 'DestinationRule').spec.trafficPolicy;
    expect(policy.connectionPool).toEqual({ tcp: { maxConnections: 1024 } });
    expect(policy.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
  });

  describe('bad input', () => {
    test.each<[string, Partial<ServiceProps>, string]>([
      ['a name Istio cannot classify', { portName: 'web' },
        'test/payment: invalid portName "web": Istio cannot classify it and would treat the port as opaque TCP; name it <protocol>[-<suffix>]'],
      ['a protocol CanaryService does not route', { portName: 'mysql-main' },
        'invalid portName "mysql-main": Istio reads protocol "mysql" from it, which CanaryService does not route'],
      ['grpc-web', { portName: 'grpc-web' }, 'invalid portName "grpc-web": Istio reads protocol "grpc-web" from it'],
      ['a name that is not a DNS label', { portName: 'HTTP' }, 'invalid portName "HTTP": must be an RFC 1123 label'],
      ['a name that disagrees with the protocol', { protocol: AppProtocol.HTTP, portName: 'grpc-api' },
        'invalid portName "grpc-api": its prefix "grpc" disagrees with protocol "http"'],
      ['a timeout on TCP', { protocol: AppProtocol.TCP, timeout: Duration.seconds(1) },
        'invalid timeout "1s": applies to HTTP routes only, and protocol is "tcp"'],
      ['retries on TCP', { protocol: AppProtocol.TCP, retries: { attempts: 2 } },
        'invalid retries {"attempts":2}: applies to HTTP routes only, and protocol is "tcp"'],
      ['a header route on TCP', { protocol: AppProtocol.TCP, canary: CANARY, canaryHeader: { name: 'x-canary', value: '1' } },
        'invalid canaryHeader {"name":"x-canary","value":"1"}: applies to HTTP routes only'],
      ['mirroring on TCP', { portName: 'tcp', canary: CANARY, mirrorPercentage: 5 }, 'invalid mirrorPercentage 5: applies to HTTP routes only'],
    ])('rejects %s', (_what, overrides, message) => {
      expect(() => newService(testChart(), 'payment', props(overrides))).toThrow(message);
    });
  });
});
