import { Duration, JsonPatch } from 'cdk8s';
import { AlertSeverity, NodeHealthAlerts } from '../../src';
import { findOne, synthValid, testChart } from '../support';

function rulesOf(docs: any[]): any[] {
  const rule = findOne(docs, 'PrometheusRule');
  expect(rule.spec.groups).toHaveLength(1);
  return rule.spec.groups[0].rules;
}

describe('NodeHealthAlerts', () => {
  test('defaults: iowait, CPU steal, conntrack and file descriptor alerts on node_exporter metrics', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const alerts = new NodeHealthAlerts(chart, 'node-health');

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    const rule = findOne(docs, 'PrometheusRule', 'node-health');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata).toEqual({
      name: 'node-health',
      namespace: 'monitoring',
      labels: { 'app.kubernetes.io/managed-by': 'cdk8s-mesh' },
    });
    expect(rule.spec.groups[0].name).toBe('node-health');
    expect(alerts.alertNames).toEqual(['NodeHighIowait', 'NodeHighCpuSteal', 'NodeConntrackTableFilling', 'NodeFileDescriptorsFilling']);
    expect(rulesOf(docs).map(r => [r.alert, r.expr, r.for, r.labels])).toEqual([
      ['NodeHighIowait', 'avg by (instance) (rate(node_cpu_seconds_total{mode="iowait"}[5m])) * 100 > 5', '10m', { severity: 'warning' }],
      ['NodeHighCpuSteal', 'avg by (instance) (rate(node_cpu_seconds_total{mode="steal"}[5m])) * 100 > 10', '10m', { severity: 'warning' }],
      ['NodeConntrackTableFilling', 'node_nf_conntrack_entries / node_nf_conntrack_entries_limit * 100 > 80', '5m', { severity: 'warning' }],
      ['NodeFileDescriptorsFilling', 'node_filefd_allocated / node_filefd_maximum * 100 > 80', '5m', { severity: 'warning' }],
    ]);
    for (const r of rulesOf(docs)) {
      expect(Object.keys(r.annotations).sort()).toEqual(['description', 'summary']);
      expect(r.annotations.summary).toContain('{{ $labels.instance }}');
      expect(r.annotations.description).toContain('{{ $value | humanize }}%');
    }
  });

  test('all options: thresholds, durations, severities, a disabled alert, selector, labels', () => {
    // GIVEN
    const chart = testChart();

    // WHEN
    const alerts = new NodeHealthAlerts(chart, 'node-health', {
      name: 'mesh-nodes',
      namespace: 'observability',
      labels: { release: 'kube-prometheus-stack' },
      nodeExporterSelector: 'job="node-exporter", cluster=~"prod-.*"',
      iowait: { thresholdPercent: 2.5, sustainedFor: Duration.minutes(15), severity: AlertSeverity.CRITICAL },
      cpuSteal: { enabled: false },
      conntrack: { thresholdPercent: 90, severity: AlertSeverity.CRITICAL },
      fileDescriptors: { sustainedFor: Duration.minutes(1), severity: AlertSeverity.INFO },
    });

    // THEN
    const docs = synthValid(chart);
    expect(docs).toMatchSnapshot();
    const rule = findOne(docs, 'PrometheusRule', 'mesh-nodes');
    expect(rule.metadata.namespace).toBe('observability');
    expect(rule.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'cdk8s-mesh', 'release': 'kube-prometheus-stack' });
    expect(rule.spec.groups[0].name).toBe('mesh-nodes');
    expect(alerts.alertNames).toEqual(['NodeHighIowait', 'NodeConntrackTableFilling', 'NodeFileDescriptorsFilling']);
    expect(rulesOf(docs).map(r => [r.expr, r.for, r.labels.severity])).toEqual([
      ['avg by (instance) (rate(node_cpu_seconds_total{mode="iowait",job="node-exporter",cluster=~"prod-.*"}[5m])) * 100 > 2.5', '15m', 'critical'],
      ['node_nf_conntrack_entries{job="node-exporter",cluster=~"prod-.*"} / node_nf_conntrack_entries_limit{job="node-exporter",cluster=~"prod-.*"} * 100 > 90', '5m', 'critical'],
      ['node_filefd_allocated{job="node-exporter",cluster=~"prod-.*"} / node_filefd_maximum{job="node-exporter",cluster=~"prod-.*"} * 100 > 80', '1m', 'info'],
    ]);
    // the threshold in the text follows the one in the expression
    expect(rulesOf(docs)[0].annotations.description).toContain('(threshold 2.5%)');
  });

  test('descriptions say what the condition means and what to do', () => {
    const chart = testChart();
    new NodeHealthAlerts(chart, 'node-health');
    const [iowait, steal, conntrack, fds] = rulesOf(synthValid(chart)).map(r => r.annotations.description);
    expect(iowait).toContain('the storage backend is too slow');
    expect(steal).toContain('mesh latency jitter');
    expect(conntrack).toContain('net.netfilter.nf_conntrack_max');
    expect(conntrack).toContain('kube-proxy');
    expect(fds).toContain('fs.file-max');
  });

  test('escape hatch: a JSON patch on the PrometheusRule survives synth', () => {
    const chart = testChart();
    const alerts = new NodeHealthAlerts(chart, 'node-health');
    alerts.prometheusRule.addJsonPatch(JsonPatch.add('/spec/groups/0/interval', '1m'));
    expect(findOne(synthValid(chart), 'PrometheusRule').spec.groups[0].interval).toBe('1m');
  });

  describe('bad input', () => {
    const alerts = (props: ConstructorParameters<typeof NodeHealthAlerts>[2]) => () => new NodeHealthAlerts(testChart(), 'alerts', props);

    test('a threshold outside 0-100', () => {
      expect(alerts({ iowait: { thresholdPercent: 105 } })).toThrow(
        'test/alerts: invalid iowait.thresholdPercent 105: must be a number from 0 to 100');
      expect(alerts({ cpuSteal: { thresholdPercent: -1 } })).toThrow('test/alerts: invalid cpuSteal.thresholdPercent -1');
      expect(alerts({ conntrack: { thresholdPercent: NaN } })).toThrow('test/alerts: invalid conntrack.thresholdPercent NaN');
      expect(alerts({ fileDescriptors: { thresholdPercent: 100.5 } })).toThrow('test/alerts: invalid fileDescriptors.thresholdPercent 100.5');
    });

    test('a zero duration', () => {
      expect(alerts({ conntrack: { sustainedFor: Duration.seconds(0) } })).toThrow(
        'test/alerts: invalid conntrack.sustainedFor "0s": must be longer than 0, or one scrape blip fires the alert');
    });

    test('every alert disabled', () => {
      expect(alerts({ iowait: { enabled: false }, cpuSteal: { enabled: false }, conntrack: { enabled: false }, fileDescriptors: { enabled: false } }))
        .toThrow('test/alerts: invalid enabled false: is set on every alert, so the PrometheusRule would be empty; enable at least one');
    });

    test('a selector that is not PromQL label matchers', () => {
      const rule = 'must be PromQL label matchers separated by commas, without braces (e.g. job="node-exporter")';
      expect(alerts({ nodeExporterSelector: '{job="node-exporter"}' })).toThrow(
        `test/alerts: invalid nodeExporterSelector "{job=\\"node-exporter\\"}": ${rule}`);
      expect(alerts({ nodeExporterSelector: 'job=node-exporter' })).toThrow(rule);
      expect(alerts({ nodeExporterSelector: '' })).toThrow(rule);
      expect(alerts({ nodeExporterSelector: 'job="a",' })).toThrow(rule);
    });

    test('names that are not RFC 1123 labels', () => {
      expect(alerts({ name: 'Node Health' })).toThrow('test/alerts: invalid name "Node Health": must be an RFC 1123 label');
      expect(alerts({ namespace: 'Monitoring' })).toThrow('test/alerts: invalid namespace "Monitoring": must be an RFC 1123 label');
    });
  });
});
