// Automatic canary analysis: "if latency exceeds 200ms or 500 errors spike, you cut it
// automatically" is the job of an existing progressive-delivery controller (Flagger or Argo
// Rollouts); CanaryService only emits its resources.
import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ArgoRolloutsRollout } from './argo-rollouts';
import type { CanarySpec, CanarySpecInput } from './canary-spec';
import { FlaggerRollout } from './flagger';
import { isHttpFamily } from './port-naming';
import type { CanaryRollout } from './rollout';
import { checkDurationMs, formatDuration } from '../common/duration';
import { checkHttpUrl, invalid } from '../common/validation';
import { MeshPrometheus } from '../observability/prometheus';

/**
 * The progressive-delivery controller that runs the analysis.
 */
export enum AnalysisEngine {
  /** Flagger (`flagger.app/v1beta1` Canary). */
  FLAGGER = 'flagger',
  /** Argo Rollouts (`argoproj.io/v1alpha1` Rollout and AnalysisTemplate). */
  ARGO_ROLLOUTS = 'argo-rollouts',
}

/**
 * Settings every engine shares. The defaults are the strategy's: cut the canary when p99 latency
 * passes 200 ms or more than 1% of requests fail with 5xx.
 */
export interface CanaryAnalysisOptions {
  /**
   * Highest p99 request duration the canary may show in an interval.
   *
   * @default Duration.millis(200)
   */
  readonly maxRequestDuration?: Duration;

  /**
   * Lowest percentage of canary requests (0-100) that must not fail with 5xx in an interval.
   *
   * @default 99
   */
  readonly minSuccessRate?: number;

  /**
   * How often the metrics are checked and the traffic moved, and the window they are measured over.
   * At least 60 seconds, 4 scrapes of Istio's Prometheus (every 15 seconds): `rate()` needs two
   * samples in its window, and a shorter window goes empty on one late or failed scrape, which
   * Argo Rollouts records as an error and Flagger counts as a failed check.
   *
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;

  /**
   * Number of failed checks after which the canary is rolled back.
   *
   * @default 5
   */
  readonly threshold?: number;

  /**
   * Percentage of traffic moved to the canary at each passed check.
   *
   * @default 5 (the strategy's first canary step)
   */
  readonly stepWeight?: number;

  /**
   * Highest canary percentage before promotion.
   *
   * @default 50
   */
  readonly maxWeight?: number;
}

/**
 * A load test that Flagger's load tester runs during the analysis, so the canary gets traffic to
 * measure even when users send little.
 */
export interface LoadTestWebhook {
  /** URL of the Flagger load tester (e.g. "http://flagger-loadtester.test/"). */
  readonly url: string;

  /** The command it runs (e.g. "hey -z 1m -q 10 -c 2 http://payment-service-canary.payments:8080/"). */
  readonly command: string;

  /**
   * Time the load tester has to start the command.
   *
   * @default - Flagger's default
   */
  readonly timeout?: Duration;
}

/**
 * Settings of a Flagger analysis.
 */
export interface FlaggerAnalysisOptions extends CanaryAnalysisOptions {
  /**
   * Prometheus URL for this canary's metrics.
   *
   * @default - the metrics server Flagger was installed with
   */
  readonly metricsServer?: string;

  /**
   * A load test run at every analysis step.
   *
   * @default - no load test: the analysis relies on real traffic
   */
  readonly loadTest?: LoadTestWebhook;

  /**
   * A gate Flagger asks before promoting (a `confirm-promotion` webhook, e.g. the load tester's
   * "http://flagger-loadtester.test/gate/check"): promotion waits until it answers 200.
   *
   * @default - promotion is automatic
   */
  readonly confirmPromotionUrl?: string;
}

/**
 * Settings of an Argo Rollouts analysis.
 */
export interface ArgoRolloutsAnalysisOptions extends CanaryAnalysisOptions {
  /**
   * Address of the Prometheus that scrapes the Istio proxies.
   *
   * @default - MeshPrometheus.operator().url: "http://prometheus-operated.monitoring:9090"
   */
  readonly prometheusAddress?: string;
}

/**
 * The controller that analyses a canary and promotes or rolls it back.
 */
export class CanaryAnalysis {
  /**
   * Flagger: a Canary targeting the service's Deployment. Flagger creates the primary copy, the
   * Services, DestinationRules and VirtualService itself.
   */
  public static flagger(options: FlaggerAnalysisOptions = {}): CanaryAnalysis {
    return new CanaryAnalysis(AnalysisEngine.FLAGGER, new FlaggerRollout(options));
  }

  /**
   * Argo Rollouts: a Rollout with Istio subset-level traffic routing and an AnalysisTemplate over
   * Istio's Prometheus metrics.
   */
  public static argoRollouts(options: ArgoRolloutsAnalysisOptions = {}): CanaryAnalysis {
    return new CanaryAnalysis(AnalysisEngine.ARGO_ROLLOUTS, new ArgoRolloutsRollout(options));
  }

  private constructor(
    /** The controller that runs the analysis. */
    public readonly engine: AnalysisEngine,
    /** @internal */
    public readonly _rollout: CanaryRollout,
  ) {}
}

/**
 * What a progressive-delivery controller cannot be combined with: weights (it moves the traffic),
 * and protocols without HTTP request metrics.
 */
export function checkControllerFits(scope: IConstruct, props: CanarySpecInput, spec: CanarySpec, engine: AnalysisEngine): void {
  for (const [field, weight] of [['stable.weight', props.stable.weight], ['canary.weight', props.canary?.weight]] as const) {
    if (weight !== undefined) {
      throw invalid(scope, field, weight, 'cannot be combined with analysis: the controller moves the traffic step by step; remove the weight');
    }
  }
  if (!isHttpFamily(spec.protocol)) {
    throw invalid(scope, 'analysis', engine,
      `needs HTTP request metrics (istio_requests_total), and protocol is "${spec.protocol}"; use an HTTP protocol or remove analysis`);
  }
}

/** An analysis with defaults applied and every value checked. */
export interface ResolvedAnalysis {
  readonly maxRequestDurationMs: number;
  readonly minSuccessRate: number;
  /** The interval as Flagger accepts it (`^[0-9]+(m|s)`), also a Prometheus range. */
  readonly interval: string;
  readonly intervalMs: number;
  readonly threshold: number;
  readonly stepWeight: number;
  readonly maxWeight: number;
  readonly metricsServer?: string;
  readonly loadTest?: { readonly url: string; readonly command: string; readonly timeout?: string };
  readonly confirmPromotionUrl?: string;
  readonly prometheusAddress: string;
}

/**
 * Istio's Prometheus addon and PodMonitor example scrape every 15s. `rate()` needs two samples in its
 * window; a window of 4 scrape intervals still has them after a late or failed scrape (Robust
 * Perception, "What range should I use with rate()?"). With fewer, the query returns nothing:
 * Argo Rollouts records a measurement error, Flagger halts and counts a failed check ("no values found").
 */
const SCRAPE_INTERVAL_SECONDS = 15;
const MIN_INTERVAL_SECONDS = 4 * SCRAPE_INTERVAL_SECONDS;

/**
 * Applies the defaults and checks every setting.
 *
 * The route timeout bounds what is measured: no request lasts longer.
 */
export function resolveAnalysis(scope: IConstruct, o: FlaggerAnalysisOptions & ArgoRolloutsAnalysisOptions, spec: CanarySpec): ResolvedAnalysis {
  const routeTimeoutMs = spec.resilience.budget.timeoutMs;

  const maxRequestDuration = o.maxRequestDuration ?? Duration.millis(200);
  const maxRequestDurationMs = checkDurationMs(scope, 'analysis.maxRequestDuration', maxRequestDuration);
  if (routeTimeoutMs !== undefined && maxRequestDurationMs >= routeTimeoutMs) {
    throw invalid(scope, 'analysis.maxRequestDuration', formatDuration(maxRequestDuration),
      `can never be exceeded: requests end at the route timeout ${formatDuration(Duration.millis(routeTimeoutMs))}; set it below the timeout`);
  }

  const minSuccessRate = o.minSuccessRate ?? 99;
  if (typeof minSuccessRate !== 'number' || !(minSuccessRate > 0 && minSuccessRate <= 100)) {
    throw invalid(scope, 'analysis.minSuccessRate', minSuccessRate, 'must be a percentage more than 0 and at most 100 (e.g. 99)');
  }

  const interval = o.interval ?? Duration.minutes(1);
  const intervalMs = interval.toMilliseconds({ integral: false });
  if (!Number.isInteger(intervalMs / 1000) || intervalMs < MIN_INTERVAL_SECONDS * 1000) {
    throw invalid(scope, 'analysis.interval', Number.isInteger(intervalMs) ? formatDuration(interval) : `${intervalMs}ms`,
      `must be whole seconds and at least ${MIN_INTERVAL_SECONDS}s, 4 scrapes of Istio's Prometheus (every ${SCRAPE_INTERVAL_SECONDS}s): ` +
      'the interval is also the rate() window, which needs two samples even after a missed scrape');
  }

  const threshold = o.threshold ?? 5;
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw invalid(scope, 'analysis.threshold', threshold, 'must be a positive integer (failed checks before rollback)');
  }

  const maxWeight = o.maxWeight ?? 50;
  if (!Number.isInteger(maxWeight) || maxWeight < 1 || maxWeight > 100) {
    throw invalid(scope, 'analysis.maxWeight', maxWeight, 'must be an integer from 1 to 100');
  }
  const stepWeight = o.stepWeight ?? 5;
  if (!Number.isInteger(stepWeight) || stepWeight < 1 || stepWeight > 100) {
    throw invalid(scope, 'analysis.stepWeight', stepWeight, 'must be an integer from 1 to 100');
  }
  if (stepWeight > maxWeight) {
    throw invalid(scope, 'analysis.stepWeight', stepWeight, `must not be larger than analysis.maxWeight (${maxWeight})`);
  }

  let loadTest: ResolvedAnalysis['loadTest'];
  if (o.loadTest) {
    if (!o.loadTest.command || !o.loadTest.command.trim()) {
      throw invalid(scope, 'analysis.loadTest.command', o.loadTest.command, 'must not be empty (e.g. "hey -z 1m -q 10 -c 2 http://payment-service-canary.payments:8080/")');
    }
    loadTest = {
      url: checkHttpUrl(scope, 'analysis.loadTest.url', o.loadTest.url),
      command: o.loadTest.command,
      timeout: o.loadTest.timeout && formatDuration(Duration.millis(checkDurationMs(scope, 'analysis.loadTest.timeout', o.loadTest.timeout))),
    };
  }

  return {
    maxRequestDurationMs,
    minSuccessRate,
    interval: formatInterval(intervalMs / 1000),
    intervalMs,
    threshold,
    stepWeight,
    maxWeight,
    metricsServer: o.metricsServer === undefined ? undefined : checkHttpUrl(scope, 'analysis.metricsServer', o.metricsServer),
    loadTest,
    confirmPromotionUrl: o.confirmPromotionUrl === undefined ? undefined : checkHttpUrl(scope, 'analysis.confirmPromotionUrl', o.confirmPromotionUrl),
    prometheusAddress: checkHttpUrl(scope, 'analysis.prometheusAddress', o.prometheusAddress ?? MeshPrometheus.operator().url),
  };
}

/** The canary weights the controller goes through: stepWeight, 2 x stepWeight, ..., maxWeight. */
export function canarySteps(stepWeight: number, maxWeight: number): number[] {
  const steps: number[] = [];
  for (let w = stepWeight; w < maxWeight; w += stepWeight) steps.push(w);
  steps.push(maxWeight);
  return steps;
}

/** Minutes when whole, else seconds: Flagger's interval pattern has no hours. */
function formatInterval(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}
