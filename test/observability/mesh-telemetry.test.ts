import { JsonPatch } from 'cdk8s';
import { MeshTelemetry } from '../../src';
import { findOne, synthValid, testChart } from '../support';

describe('MeshTelemetry', () => {
  test('defaults: Envoy access logs mesh-wide, no tracing block', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    new MeshTelemetry(chart, 'telemetry');

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    expect(docs).toEqual([{
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'mesh-default', namespace: 'istio-system', labels: { 'app.kubernetes.io/managed-by': 'cdk8s-mesh' } },
      spec: {
        accessLogging: [{ providers: [{ name: 'envoy' }] }],
      },
    }]);
  });

  test('all options: root namespace, filtered logs, sampling and provider', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const telemetry = new MeshTelemetry(chart, 'telemetry', {
      rootNamespace: 'mesh-root',
      accessLogging: true,
      accessLogFilter: 'response.code >= 400',
      tracingSamplingPercentage: 0.5,
      tracingProvider: 'otel-tracing',
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    const resource = findOne(docs, 'Telemetry', 'mesh-default');
    expect(telemetry.rootNamespace).toBe('mesh-root');
    expect(resource.metadata.namespace).toBe('mesh-root');
    expect(resource.spec.accessLogging).toEqual([{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }]);
    expect(resource.spec.tracing).toEqual([{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: 0.5 }]);
  });

  test('accessLogging false turns Envoy access logs off explicitly', () => {
    const chart = testChart();
    new MeshTelemetry(chart, 'telemetry', { accessLogging: false });
    expect(findOne(synthValid(chart), 'Telemetry').spec.accessLogging).toEqual([{ providers: [{ name: 'envoy' }], disabled: true }]);
  });

  test('a tracing provider alone: spans go to it, 1% sampled (Istio\'s default rate)', () => {
    const chart = testChart();
    new MeshTelemetry(chart, 'telemetry', { tracingProvider: 'otel-tracing' });
    expect(findOne(synthValid(chart), 'Telemetry').spec.tracing).toEqual([{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: 1 }]);
  });

  test.each([0, 100])('sampling %d%% is allowed', (percent) => {
    const chart = testChart();
    new MeshTelemetry(chart, 'telemetry', { tracingProvider: 'zipkin', tracingSamplingPercentage: percent });
    expect(findOne(synthValid(chart), 'Telemetry').spec.tracing).toEqual([{ providers: [{ name: 'zipkin' }], randomSamplingPercentage: percent }]);
  });

  test('escape hatch: a JSON patch on the Telemetry survives synth', () => {
    const chart = testChart();
    const telemetry = new MeshTelemetry(chart, 'telemetry', { tracingProvider: 'otel' });
    telemetry.telemetry.addJsonPatch(JsonPatch.add('/spec/tracing/0/customTags', { cluster: { literal: { value: 'prod' } } }));
    expect(findOne(synthValid(chart), 'Telemetry').spec.tracing[0].customTags).toEqual({ cluster: { literal: { value: 'prod' } } });
  });

  describe('rejects bad input', () => {
    test.each([
      ['sampling below 0', { tracingProvider: 'otel', tracingSamplingPercentage: -1 }, 'test/telemetry: invalid tracingSamplingPercentage -1: must be a number from 0 to 100'],
      ['sampling above 100', { tracingProvider: 'otel', tracingSamplingPercentage: 101 }, 'test/telemetry: invalid tracingSamplingPercentage 101: must be a number from 0 to 100'],
      ['sampling NaN', { tracingProvider: 'otel', tracingSamplingPercentage: NaN }, 'test/telemetry: invalid tracingSamplingPercentage NaN: must be a number from 0 to 100'],
      ['sampling without a provider', { tracingSamplingPercentage: 10 },
        'test/telemetry: invalid tracingSamplingPercentage 10: needs tracingProvider: a tracing block without a provider turns tracing off in Istio; ' +
        'name the extensionProviders entry spans go to, or set the sampling in mesh config'],
      ['root namespace', { rootNamespace: 'Istio-System' }, 'test/telemetry: invalid rootNamespace "Istio-System": must be an RFC 1123 label'],
      ['empty provider', { tracingProvider: ' ' }, 'test/telemetry: invalid tracingProvider " ": must not be empty; leave it out for the default'],
      ['empty filter', { accessLogFilter: '' }, 'test/telemetry: invalid accessLogFilter "": must not be empty; leave it out for the default'],
      ['filter without logging', { accessLogging: false, accessLogFilter: 'response.code >= 500' },
        'test/telemetry: invalid accessLogFilter "response.code >= 500": only applies when accessLogging is on; remove it or set accessLogging: true'],
    ])('%s', (_, props, message) => {
      expect(() => new MeshTelemetry(testChart(), 'telemetry', props)).toThrow(message);
    });
  });
});
