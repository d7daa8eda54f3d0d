import { ApiObject, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { AlertRule, AlertSeverity, prometheusRule } from '../common/alerts';
import { enableAppChecks } from '../common/app-checks';
import { formatDuration } from '../common/duration';
import { checkDnsLabel, checkPercent, invalid } from '../common/validation';

/**
 * Options of one node health alert.
 */
export interface NodeAlertOptions {
  /**
   * The alert fires above this percentage (0 to 100).
   *
   * @default - per alert: see `NodeHealthAlertsProps`
   */
  readonly thresholdPercent?: number;

  /**
   * How long the condition must hold before the alert fires (the rule's `for`).
   *
   * @default - per alert: see `NodeHealthAlertsProps`
   */
  readonly sustainedFor?: Duration;

  /**
   * The alert's `severity` label.
   *
   * @default AlertSeverity.WARNING
   */
  readonly severity?: AlertSeverity;

  /**
   * Emit this alert.
   *
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * Properties of `NodeHealthAlerts`.
 */
export interface NodeHealthAlertsProps {
  /**
   * Name of the PrometheusRule and of its rule group.
   *
   * @default "node-health"
   */
  readonly name?: string;

  /**
   * Namespace of the PrometheusRule: one whose rules your Prometheus selects
   * (`ruleNamespaceSelector`).
   *
   * @default "monitoring"
   */
  readonly namespace?: string;

  /**
   * Labels of the PrometheusRule, for your Prometheus's `ruleSelector` (kube-prometheus-stack
   * selects `release: <its release name>` by default).
   *
   * @default - only `app.kubernetes.io/managed-by`
   */
  readonly labels?: { [key: string]: string };

  /**
   * PromQL label matchers that pick node_exporter's series, added to every selector
   * (e.g. `job="node-exporter"`).
   *
   * @default - every series with node_exporter's metric names
   */
  readonly nodeExporterSelector?: string;

  /**
   * CPU time waiting on storage. Consistently above 5% while the node is otherwise idle, the
   * storage backend is too slow for it.
   *
   * @default - above 5% for 10 minutes, warning
   */
  readonly iowait?: NodeAlertOptions;

  /**
   * CPU time the hypervisor gave to other guests. Steal makes mesh latency jitter.
   *
   * @default - above 10% for 10 minutes, warning
   */
  readonly cpuSteal?: NodeAlertOptions;

  /**
   * Fill of the conntrack table (`net.netfilter.nf_conntrack_max`). When it is full, the kernel
   * drops new connections.
   *
   * @default - above 80% for 5 minutes, warning
   */
  readonly conntrack?: NodeAlertOptions;

  /**
   * File handles allocated, of `fs.file-max`. At the limit, new sockets and files fail.
   *
   * @default - above 80% for 5 minutes, warning
   */
  readonly fileDescriptors?: NodeAlertOptions;
}

/** A series selector: the metric with its own matchers and node_exporter's. */
type Series = (metric: string, ...matchers: string[]) => string;

interface AlertDefinition {
  readonly prop: 'iowait' | 'cpuSteal' | 'conntrack' | 'fileDescriptors';
  readonly alert: string;
  readonly threshold: number;
  readonly sustainedFor: Duration;
  /** PromQL giving a percentage per node; `m` adds the node_exporter matchers to a series. */
  readonly percent: (m: Series) => string;
  readonly summary: string;
  readonly description: (threshold: number) => string;
}

// node_exporter's metric names: node_cpu_seconds_total{mode} (cpu collector), node_nf_conntrack_entries
// and _limit (conntrack collector), node_filefd_allocated and _maximum (filefd collector, from
// /proc/sys/fs/file-nr: the maximum is fs.file-max).
const ALERTS: AlertDefinition[] = [
  {
    prop: 'iowait',
    alert: 'NodeHighIowait',
    threshold: 5,
    sustainedFor: Duration.minutes(10),
    percent: m => `avg by (instance) (rate(${m('node_cpu_seconds_total', 'mode="iowait"')}[5m])) * 100`,
    summary: 'Node {{ $labels.instance }} waits on storage',
    description: t => `CPUs of {{ $labels.instance }} spent {{ $value | humanize }}% of their time waiting on I/O (threshold ${t}%). ` +
      'Sustained iowait means the storage backend is too slow for this node: pods and their sidecars stall on disk.',
  },
  {
    prop: 'cpuSteal',
    alert: 'NodeHighCpuSteal',
    threshold: 10,
    sustainedFor: Duration.minutes(10),
    percent: m => `avg by (instance) (rate(${m('node_cpu_seconds_total', 'mode="steal"')}[5m])) * 100`,
    summary: 'The hypervisor steals CPU from node {{ $labels.instance }}',
    description: t => `{{ $value | humanize }}% of the CPU time of {{ $labels.instance }} went to other guests of the hypervisor (threshold ${t}%). ` +
      'Steal makes mesh latency jitter: move the node to a less crowded host or a dedicated instance type.',
  },
  {
    prop: 'conntrack',
    alert: 'NodeConntrackTableFilling',
    threshold: 80,
    sustainedFor: Duration.minutes(5),
    percent: m => `${m('node_nf_conntrack_entries')} / ${m('node_nf_conntrack_entries_limit')} * 100`,
    summary: 'The conntrack table of node {{ $labels.instance }} is filling up',
    description: t => `The conntrack table of {{ $labels.instance }} is {{ $value | humanize }}% full (threshold ${t}%). ` +
      'When it is full the kernel drops new connections. Raise net.netfilter.nf_conntrack_max (TunedNodePool) ' +
      "and check that kube-proxy's conntrack settings do not lower it again.",
  },
  {
    prop: 'fileDescriptors',
    alert: 'NodeFileDescriptorsFilling',
    threshold: 80,
    sustainedFor: Duration.minutes(5),
    percent: m => `${m('node_filefd_allocated')} / ${m('node_filefd_maximum')} * 100`,
    summary: 'Node {{ $labels.instance }} is running out of file descriptors',
    description: t => `{{ $labels.instance }} has allocated {{ $value | humanize }}% of fs.file-max (threshold ${t}%). ` +
      'At the limit, new sockets and files fail with "too many open files in system". Raise fs.file-max (TunedNodePool).',
  },
];

/**
 * Node health alerts for a mesh: a PrometheusRule (prometheus-operator) on node_exporter's
 * standard metrics, for what the strategy warns about and the limits the node tuning raises.
 *
 * - `NodeHighIowait`: CPU time waiting on I/O above 5% for 10 minutes (slow storage);
 * - `NodeHighCpuSteal`: CPU steal above 10% for 10 minutes (mesh latency jitter);
 * - `NodeConntrackTableFilling`: conntrack table above 80% of `nf_conntrack_max`;
 * - `NodeFileDescriptorsFilling`: file handles above 80% of `fs.file-max`.
 *
 * Each alert carries a `severity` label and `summary` and `description` annotations.
 */
export class NodeHealthAlerts extends Construct {
  /** The PrometheusRule (escape hatch: `addJsonPatch`). */
  public readonly prometheusRule: ApiObject;

  /** Names of the alerts emitted. */
  public readonly alertNames: string[];

  public constructor(scope: Construct, id: string, props: NodeHealthAlertsProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    const name = checkDnsLabel(this, 'name', props.name ?? 'node-health');
    const namespace = checkDnsLabel(this, 'namespace', props.namespace ?? 'monitoring');
    const selector = checkSelector(this, props.nodeExporterSelector);
    const series: Series = (metric, ...matchers) => {
      const all = [...matchers, ...selector];
      return all.length > 0 ? `${metric}{${all.join(',')}}` : metric;
    };

    const rules: AlertRule[] = [];
    const alertNames: string[] = [];
    for (const def of ALERTS) {
      const options = props[def.prop] ?? {};
      if (options.enabled === false) continue;
      const threshold = checkPercent(this, `${def.prop}.thresholdPercent`, options.thresholdPercent ?? def.threshold);
      const sustainedFor = options.sustainedFor ?? def.sustainedFor;
      if (sustainedFor.toMilliseconds() <= 0) {
        throw invalid(this, `${def.prop}.sustainedFor`, formatDuration(sustainedFor), 'must be longer than 0, or one scrape blip fires the alert');
      }
      alertNames.push(def.alert);
      rules.push({
        alert: def.alert,
        expr: `${def.percent(series)} > ${threshold}`,
        for: sustainedFor,
        severity: options.severity ?? AlertSeverity.WARNING,
        summary: def.summary,
        description: def.description(threshold),
      });
    }
    if (rules.length === 0) {
      throw invalid(this, 'enabled', false, 'is set on every alert, so the PrometheusRule would be empty; enable at least one');
    }
    this.alertNames = alertNames;

    this.prometheusRule = prometheusRule(this, 'Resource', { name, namespace, group: name, labels: props.labels, rules });
  }
}

/** Checks the node_exporter matchers and returns them one by one. */
function checkSelector(scope: Construct, selector: string | undefined): string[] {
  if (selector === undefined) return [];
  const matcher = String.raw`\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=|!=|=~|!~)\s*("(?:[^"\\]|\\.)*")\s*`;
  if (!new RegExp(`^${matcher}(,${matcher})*$`).test(selector)) {
    throw invalid(scope, 'nodeExporterSelector', selector,
      'must be PromQL label matchers separated by commas, without braces (e.g. job="node-exporter")');
  }
  return [...selector.matchAll(new RegExp(matcher, 'g'))].map(m => `${m[1]}${m[2]}${m[3]}`);
}
