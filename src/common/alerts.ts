// One place renders Prometheus Operator alerting rules, for every construct that alerts.
import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { formatDuration } from './duration';
import { managedLabels } from './labels';
import { PrometheusRule, PrometheusRuleSpecGroupsRules, PrometheusRuleSpecGroupsRulesExpr } from '../../imports/monitoring.coreos.com';

/**
 * The `severity` label of an alert, which Alertmanager routes on.
 */
export enum AlertSeverity {
  /** Someone should act now (page). */
  CRITICAL = 'critical',
  /** Someone should look soon (ticket or chat). */
  WARNING = 'warning',
  /** For dashboards and inhibition only. */
  INFO = 'info',
}

/** One alerting rule: fires when `expr` has results for `for`. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: Duration;
  readonly severity: AlertSeverity;
  readonly summary: string;
  readonly description: string;
}

/** A PrometheusRule with one rule group, labelled as managed by this library plus `labels`. */
export function prometheusRule(scope: Construct, id: string, props: {
  readonly name: string;
  readonly namespace: string;
  readonly group: string;
  readonly labels?: Record<string, string>;
  readonly rules: AlertRule[];
}): PrometheusRule {
  return new PrometheusRule(scope, id, {
    metadata: {
      name: props.name,
      namespace: props.namespace,
      labels: managedLabels(props.labels),
    },
    spec: { groups: [{ name: props.group, rules: props.rules.map(renderRule) }] },
  });
}

function renderRule(rule: AlertRule): PrometheusRuleSpecGroupsRules {
  return {
    alert: rule.alert,
    expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr),
    for: formatDuration(rule.for),
    labels: { severity: rule.severity },
    annotations: { summary: rule.summary, description: rule.description },
  };
}
