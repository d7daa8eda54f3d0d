import { Duration } from 'cdk8s';
import { formatDuration } from '../../src/common/duration';
import { PodSecurityLevel, podSecurityLabels, workloadLabels } from '../../src/common/labels';
import { checkDnsLabel, checkPercent, checkPort, checkTrustDomain, invalidMessage } from '../../src/common/validation';
import { testChart } from '../support';

describe('formatDuration', () => {
  test.each([
    [Duration.millis(500), '500ms'],
    [Duration.millis(1500), '1500ms'],
    [Duration.seconds(2), '2s'],
    [Duration.seconds(90), '90s'],
    [Duration.minutes(10), '10m'],
    [Duration.hours(2), '2h'],
    [Duration.seconds(0), '0s'],
  ])('%s is %s', (d, expected) => expect(formatDuration(d)).toBe(expected));
});

describe('labels', () => {
  test('workload labels carry app and version for Istio telemetry and Kiali', () => {
    expect(workloadLabels('payment-service', 'v1')).toEqual({
      'app': 'payment-service',
      'version': 'v1',
      'app.kubernetes.io/name': 'payment-service',
      'app.kubernetes.io/version': 'v1',
      'app.kubernetes.io/managed-by': 'cdk8s-mesh',
    });
    expect(workloadLabels('kiali', undefined, 'observability')).toEqual({
      'app': 'kiali',
      'app.kubernetes.io/name': 'kiali',
      'app.kubernetes.io/component': 'observability',
      'app.kubernetes.io/managed-by': 'cdk8s-mesh',
    });
  });

  test('pod security labels enforce, audit and warn at one level', () => {
    expect(podSecurityLabels(PodSecurityLevel.RESTRICTED)).toEqual({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });
});

describe('validation', () => {
  const scope = testChart();

  test('messages name the field, the value and the rule', () => {
    expect(invalidMessage('port', 0, 'must be from 1 to 65535')).toBe('invalid port 0: must be from 1 to 65535');
  });

  test('DNS labels', () => {
    expect(checkDnsLabel(scope, 'name', 'payments')).toBe('payments');
    expect(() => checkDnsLabel(scope, 'name', 'a'.repeat(64))).toThrow('test: invalid name "aaaa');
    expect(() => checkDnsLabel(scope, 'name', '-x')).toThrow('must be an RFC 1123 label');
  });

  test('ports', () => {
    expect(checkPort(scope, 'port', 65535)).toBe(65535);
    expect(() => checkPort(scope, 'port', 0)).toThrow('test: invalid port 0: must be an integer port from 1 to 65535');
    expect(() => checkPort(scope, 'port', 80.5)).toThrow('invalid port 80.5');
  });

  test('percentages', () => {
    expect(checkPercent(scope, 'weight', 0)).toBe(0);
    expect(() => checkPercent(scope, 'weight', 101)).toThrow('test: invalid weight 101: must be a number from 0 to 100');
    expect(() => checkPercent(scope, 'weight', NaN)).toThrow('invalid weight NaN');
  });

  test('trust domains: what istiod accepts (dot-separated RFC 1123 labels), one rule for every construct', () => {
    for (const ok of ['cluster.local', 'prod.example.com', 'td1', 'east-1.mesh']) {
      expect(checkTrustDomain(scope, 'trustDomain', ok)).toBe(ok);
    }
    const rule = "must be a trust domain istiod accepts: dot-separated RFC 1123 labels of lowercase letters, digits and '-', " +
      "without '_', a scheme or '/' (e.g. \"cluster.local\" or \"prod.example.com\")";
    expect(() => checkTrustDomain(scope, 'trustDomain', 'prod_example.com')).toThrow(`test: invalid trustDomain "prod_example.com": ${rule}`);
    for (const bad of ['', 'Cluster.Local', 'cluster.local.', 'spiffe://cluster.local', 'a/b', '-x.local', 'a..b', `${'a'.repeat(63)}.${'b'.repeat(190)}`]) {
      expect(() => checkTrustDomain(scope, 'trustDomain', bad)).toThrow(`invalid trustDomain ${JSON.stringify(bad)}`);
    }
  });
});
