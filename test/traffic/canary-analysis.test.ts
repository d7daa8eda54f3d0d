import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import { CANARY, newService, paymentService, ServiceProps, STABLE, synthService } from './fixtures';
import { AnalysisEngine, CanaryAnalysis } from '../../src';
import { findAll, findOne, synthValid, testChart, warningsOf } from '../support';


/** The payment-service rolling out v2 with an engine. */
function props(analysis: CanaryAnalysis, overrides: Partial<ServiceProps> = {}): ServiceProps {
  return paymentService({ canary: CANARY, analysis, ...overrides });
}

const synth = synthService;

const kinds = (docs: any[]) => docs.map(d => `${d.kind}/${d.metadata.name}`);

/** The canonical revision the Argo Rollouts workload's pods carry. */
const revisionOf = (docs: any[]): string => findOne(docs, 'Deployment').spec.template.metadata.labels['service.istio.io/canonical-revision'];

describe('CanaryAnalysis', () => {
  test('engines', () => {
    expect(CanaryAnalysis.flagger().engine).toBe(AnalysisEngine.FLAGGER);
    expect(CanaryAnalysis.argoRollouts().engine).toBe(AnalysisEngine.ARGO_ROLLOUTS);
  });

  describe('Flagger', () => {
    test('defaults: a Canary with the strategy thresholds, and no VirtualService or DestinationRule', () => {
      // GIVEN
      const chart = testChart();

      // WHEN
      const service = newService(chart, 'payment', props(CanaryAnalysis.flagger()));

      // THEN
      const docs = synthValid(chart);
      expect(docs).toMatchSnapshot();
      // Flagger creates the Services, DestinationRules and VirtualService itself
      expect(kinds(docs)).toEqual([
        'ServiceAccount/payment-service',
        'Deployment/payment-service',
        'HorizontalPodAutoscaler/payment-service',
        'PodDisruptionBudget/payment-service',
        'Canary/payment-service',
      ]);
      expect([service.service, service.destinationRule, service.virtualService, service.rollout])
        .toEqual([undefined, undefined, undefined, undefined]);
      expect(service.autoscaler).toBeDefined();
      const canary = findOne(docs, 'Canary');
      expect(canary.apiVersion).toBe('flagger.app/v1beta1');
      expect(canary.spec.provider).toBe('istio');
      expect(canary.spec.targetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'payment-service' });
      expect(canary.spec.autoscalerRef).toEqual({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'payment-service' });
      expect(canary.spec.service).toMatchObject({
        name: 'payment-service',
        port: 8080,
        targetPort: 8080,
        portName: 'http',
        appProtocol: 'http',
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      });
      expect(canary.spec.analysis).toEqual({
        interval: '1m',
        threshold: 5,
        stepWeight: 5,
        maxWeight: 50,
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
          { name: 'request-duration', thresholdRange: { max: 200 }, interval: '1m' },
        ],
      });
      expect(warningsOf(chart)).toEqual([]);
    });

    test('all options', () => {
      // GIVEN
      const chart = testChart();

      // WHEN
      newService(chart, 'payment', props(CanaryAnalysis.flagger({
        maxRequestDuration: Duration.millis(300),
        minSuccessRate: 99.5,
        interval: Duration.seconds(75),
        threshold: 3,
        stepWeight: 10,
        maxWeight: 60,
        metricsServer: 'http://prometheus.monitoring:9090',
        loadTest: { url: 'http://flagger-loadtester.test/', command: 'hey -z 1m -q 10 -c 2 http://payment-service-canary.payments:8080/', timeout: Duration.seconds(5) },
        confirmPromotionUrl: 'http://flagger-loadtester.test/gate/check',
      }), {
        canary: { ...CANARY, replicas: 3 },
        timeout: Duration.seconds(2),
        retries: { attempts: 2 },
        circuitBreaker: { http2MaxRequests: 200, maxEjectionPercent: 34 },
      }));

      // THEN
      const docs = synthValid(chart);
      expect(docs).toMatchSnapshot();
      const spec = findOne(docs, 'Canary').spec;
      expect(spec.metricsServer).toBe('http://prometheus.monitoring:9090');
      expect(spec.service.timeout).toBe('2s');
      expect(spec.service.retries).toEqual({ attempts: 2, retryOn: 'connect-failure,refused-stream,reset-before-request' });
      expect(spec.service.trafficPolicy.connectionPool).toEqual({ http: { http1MaxPendingRequests: 1024, http2MaxRequests: 200 } });
      expect(spec.analysis.metrics.map((m: any) => [m.name, m.thresholdRange, m.interval])).toEqual([
        ['request-success-rate', { min: 99.5 }, '75s'],
        ['request-duration', { max: 300 }, '75s'],
      ]);
      expect(spec.analysis.webhooks).toEqual([
        {
          name: 'load-test',
          type: 'rollout',
          url: 'http://flagger-loadtester.test/',
          timeout: '5s',
          metadata: { cmd: 'hey -z 1m -q 10 -c 2 http://payment-service-canary.payments:8080/' },
        },
        { name: 'confirm-promotion', type: 'confirm-promotion', url: 'http://flagger-loadtester.test/gate/check' },
      ]);
      expect(warningsOf(chart)).toEqual([]);
    });

    test('the Deployment runs the canary version, selected by a single app label as Flagger requires', () => {
      const { docs } = synth(props(CanaryAnalysis.flagger(), { canary: { ...CANARY, replicas: 4 } }));
      const deployment = findOne(docs, 'Deployment');
      expect(deployment.spec.selector).toEqual({ matchLabels: { app: 'payment-service' } });
      expect(deployment.spec.template.metadata.labels).toMatchObject({ app: 'payment-service', version: 'v2' });
      expect(deployment.spec.template.spec.containers[0].image).toBe(CANARY.image);
    });

    test('the replica count is an HPA Flagger copies to the primary, not a spec.replicas that GitOps would restore after Flagger scales the target to 0', () => {
      const { docs } = synth(props(CanaryAnalysis.flagger(), { canary: { ...CANARY, replicas: 4 } }));
      expect(findOne(docs, 'Deployment').spec).not.toHaveProperty('replicas');
      const hpa = findOne(docs, 'HorizontalPodAutoscaler');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.metadata).toMatchObject({ name: 'payment-service', namespace: 'payments' });
      expect(hpa.spec).toEqual({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'payment-service' },
        minReplicas: 4,
        maxReplicas: 4,
      });
      expect(findOne(docs, 'Canary').spec.autoscalerRef.name).toBe(hpa.metadata.name);
    });

    test('the budget covers the primary copy too: Flagger relabels app, not app.kubernetes.io/name', () => {
      const { docs } = synth(props(CanaryAnalysis.flagger()));
      expect(findOne(docs, 'PodDisruptionBudget').spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'payment-service' } });
    });

    test('interval in seconds when it is not whole minutes, as Flagger accepts it', () => {
      const { docs } = synth(props(CanaryAnalysis.flagger({ interval: Duration.seconds(90) })));
      expect(findOne(docs, 'Canary').spec.analysis.interval).toBe('90s');
    });
  });

  describe('Argo Rollouts', () => {
    test('defaults: a Rollout and AnalysisTemplate whose names line up with the emitted routing', () => {
      // GIVEN
      const chart = testChart();

      // WHEN
      const service = newService(chart, 'payment', props(CanaryAnalysis.argoRollouts()));

      // THEN
      const docs = synthValid(chart);
      expect(docs).toMatchSnapshot();
      expect(kinds(docs)).toEqual([
        'ServiceAccount/payment-service',
        'Service/payment-service',
        'Deployment/payment-service',
        'PodDisruptionBudget/payment-service',
        'DestinationRule/payment-service',
        'VirtualService/payment-service',
        'Rollout/payment-service',
        'AnalysisTemplate/payment-service',
      ]);
      expect(service.flaggerCanary).toBeUndefined();

      const rollout = findOne(docs, 'Rollout');
      const istio = rollout.spec.strategy.canary.trafficRouting.istio;
      const vs = findOne(docs, 'VirtualService');
      const dr = findOne(docs, 'DestinationRule');
      // the Rollout names the VirtualService, its route and the DestinationRule subsets emitted
      expect(istio.virtualService.name).toBe(vs.metadata.name);
      const route = vs.spec.http.find((r: any) => r.name === istio.virtualService.routes[0]);
      expect(route.route).toEqual([
        { destination: { host: 'payment-service', subset: istio.destinationRule.stableSubsetName }, weight: 100 },
        { destination: { host: 'payment-service', subset: istio.destinationRule.canarySubsetName }, weight: 0 },
      ]);
      expect(istio.destinationRule.name).toBe(dr.metadata.name);
      expect(dr.spec.subsets).toEqual([
        { name: istio.destinationRule.stableSubsetName, labels: { app: 'payment-service' } },
        { name: istio.destinationRule.canarySubsetName, labels: { app: 'payment-service' } },
      ]);
      expect(dr.spec.trafficPolicy.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
      expect(warningsOf(chart)).toEqual([]);
    });

    test('the Rollout takes its pods from the Deployment, kept at 0 replicas', () => {
      const { docs } = synth(props(CanaryAnalysis.argoRollouts(), { canary: { ...CANARY, replicas: 3 } }));
      const rollout = findOne(docs, 'Rollout');
      const deployment = findOne(docs, 'Deployment');
      expect(rollout.spec.replicas).toBe(3);
      expect(rollout.spec.workloadRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
      expect(rollout.spec.selector).toEqual(deployment.spec.selector);
      expect(deployment.spec.replicas).toBe(0);
      expect(deployment.spec.template.spec.containers[0].image).toBe(CANARY.image);
      expect(deployment.spec.template.metadata.labels).toMatchObject({ app: 'payment-service', version: 'v2' });
    });

    test('steps walk from stepWeight to maxWeight, one interval each, with the analysis in the background', () => {
      const { docs } = synth(props(CanaryAnalysis.argoRollouts({ stepWeight: 20, maxWeight: 50, interval: Duration.minutes(2) })));
      const canary = findOne(docs, 'Rollout').spec.strategy.canary;
      expect(canary.steps).toEqual([
        { setWeight: 20 }, { pause: { duration: '2m' } },
        { setWeight: 40 }, { pause: { duration: '2m' } },
        { setWeight: 50 }, { pause: { duration: '2m' } },
      ]);
      expect(canary.analysis).toEqual({
        templates: [{ templateName: 'payment-service' }],
        startingStep: 1,
        args: [
          { name: 'service', value: 'payment-service' },
          { name: 'namespace', value: 'payments' },
          { name: 'canary-revision', value: revisionOf(docs) },
        ],
      });
    });

    describe('the canary is told apart by a revision of its pod template, which Istio reports as destination_canonical_revision', () => {
      test('the pods carry it and the Rollout passes it to the analysis', () => {
        const { docs } = synth(props(CanaryAnalysis.argoRollouts()));
        const revision = revisionOf(docs);
        expect(revision).toMatch(/^v2-[0-9a-f]{10}$/);
        const args = findOne(docs, 'Rollout').spec.strategy.canary.analysis.args;
        expect(args.find((a: any) => a.name === 'canary-revision').value).toBe(revision);
      });

      test('a new image committed under the same version name gets a new revision, so stable requests are not counted', () => {
        const first = revisionOf(synth(props(CanaryAnalysis.argoRollouts())).docs);
        const rebuilt = revisionOf(synth(props(CanaryAnalysis.argoRollouts(), { canary: { ...CANARY, image: 'registry.example.com/payment:1.5.1' } })).docs);
        expect(rebuilt).toMatch(/^v2-/);
        expect(rebuilt).not.toBe(first);
      });

      test('the same template gives the same revision, escape-hatch patches included', () => {
        const again = revisionOf(synth(props(CanaryAnalysis.argoRollouts())).docs);
        expect(revisionOf(synth(props(CanaryAnalysis.argoRollouts())).docs)).toBe(again);
        const chart = testChart();
        const service = newService(chart, 'payment', props(CanaryAnalysis.argoRollouts()));
        ApiObject.of(service.deployments[0]).addJsonPatch(JsonPatch.add('/spec/template/metadata/annotations', { team: 'payments' }));
        expect(revisionOf(synthValid(chart))).not.toBe(again);
      });

      test('a long version name still gives a valid label value', () => {
        const version = 'v'.repeat(63);
        const revision = revisionOf(synth(props(CanaryAnalysis.argoRollouts(), { canary: { ...CANARY, version } })).docs);
        expect(revision).toHaveLength(63);
        expect(revision).toMatch(/^v{52}-[0-9a-f]{10}$/);
      });

      test('other modes keep Istio\'s own revision, the version label', () => {
        for (const overrides of [{ analysis: CanaryAnalysis.flagger() }, { analysis: undefined }]) {
          const { docs } = synth(props(CanaryAnalysis.flagger(), overrides));
          for (const d of findAll(docs, 'Deployment')) {
            expect(d.spec.template.metadata.labels).not.toHaveProperty(['service.istio.io/canonical-revision']);
          }
        }
      });
    });

    test('the AnalysisTemplate checks the canary version\'s 5xx rate and p99 from Istio\'s standard metrics', () => {
      const { docs } = synth(props(CanaryAnalysis.argoRollouts()));
      const template = findOne(docs, 'AnalysisTemplate');
      const rollout = findOne(docs, 'Rollout');
      expect(template.apiVersion).toBe('argoproj.io/v1alpha1');
      expect(template.metadata.name).toBe(rollout.spec.strategy.canary.analysis.templates[0].templateName);
      expect(template.spec.args.map((a: any) => a.name)).toEqual(rollout.spec.strategy.canary.analysis.args.map((a: any) => a.name));
      const selector = 'reporter="destination",destination_workload_namespace="{{args.namespace}}",' +
        'destination_app="{{args.service}}",destination_canonical_revision="{{args.canary-revision}}"';
      expect(template.spec.metrics).toEqual([
        {
          name: 'request-success-rate',
          interval: '1m',
          successCondition: 'result[0] >= 99',
          failureLimit: 4,
          provider: {
            prometheus: {
              // the default Prometheus everywhere: MeshPrometheus.operator()
              address: 'http://prometheus-operated.monitoring:9090',
              // 0% rather than no result when every request failed (no non-5xx series at all)
              query: `100 * (sum(rate(istio_requests_total{${selector},response_code!~"5.."}[1m])) or ` +
                `sum(rate(istio_requests_total{${selector}}[1m])) * 0) / sum(rate(istio_requests_total{${selector}}[1m]))`,
            },
          },
        },
        {
          name: 'request-duration',
          interval: '1m',
          successCondition: 'result[0] <= 200',
          failureLimit: 4,
          provider: {
            prometheus: {
              address: 'http://prometheus-operated.monitoring:9090',
              query: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector}}[1m])))`,
            },
          },
        },
      ]);
    });

    test('all options', () => {
      // GIVEN
      const chart = testChart();

      // WHEN
      newService(chart, 'payment', props(CanaryAnalysis.argoRollouts({
        maxRequestDuration: Duration.millis(250),
        minSuccessRate: 98,
        interval: Duration.seconds(90),
        threshold: 2,
        stepWeight: 25,
        maxWeight: 75,
        prometheusAddress: 'https://prometheus.monitoring.svc:9090',
      }), {
        canaryHeader: { name: 'x-canary', value: 'always' },
        timeout: Duration.seconds(3),
        retries: { attempts: 1, perTryTimeout: Duration.seconds(1) },
      }));

      // THEN
      const docs = synthValid(chart);
      expect(docs).toMatchSnapshot();
      const metrics = findOne(docs, 'AnalysisTemplate').spec.metrics;
      expect(metrics.map((m: any) => [m.successCondition, m.failureLimit, m.interval, m.provider.prometheus.address])).toEqual([
        ['result[0] >= 98', 1, '90s', 'https://prometheus.monitoring.svc:9090'],
        ['result[0] <= 250', 1, '90s', 'https://prometheus.monitoring.svc:9090'],
      ]);
      // the header route sends testers to the canary subset; the Rollout only weights the primary route
      const http = findOne(docs, 'VirtualService').spec.http;
      expect(http.map((r: any) => r.name)).toEqual(['canary-header', 'primary']);
      expect(http[0].route).toEqual([{ destination: { host: 'payment-service', subset: 'canary' } }]);
      expect(findOne(docs, 'Rollout').spec.strategy.canary.trafficRouting.istio.virtualService.routes).toEqual(['primary']);
      expect(warningsOf(chart)).toEqual([]);
    });
  });

  describe.each([
    ['Flagger', () => CanaryAnalysis.flagger()],
    ['Argo Rollouts', () => CanaryAnalysis.argoRollouts()],
  ])('GitOps flow with %s', (_engine, analysis) => {
    test('without a canary, the workload runs the stable version', () => {
      const { docs } = synth(props(analysis(), { canary: undefined }));
      expect(findOne(docs, 'Deployment').spec.template.spec.containers[0].image).toBe(STABLE.image);
    });

    test('moving a promoted canary into stable changes no workload, so no new rollout starts', () => {
      const rollingOut = synth(props(analysis())).docs;
      const promoted = synth(props(analysis(), { stable: CANARY, canary: undefined })).docs;
      expect(promoted).toEqual(rollingOut);
    });

    test('the trap is reported in analysis mode too', () => {
      const { chart } = synth(props(analysis(), { timeout: Duration.seconds(2), retries: { attempts: 3, perTryTimeout: Duration.seconds(2) } }));
      expect(warningsOf(chart)).toHaveLength(1);
    });

    test('one replica: no budget', () => {
      const { docs } = synth(props(analysis(), { canary: { ...CANARY, replicas: 1 } }));
      expect(findAll(docs, 'PodDisruptionBudget')).toEqual([]);
    });
  });

  describe('bad input', () => {
    const flagger = CanaryAnalysis.flagger;
    const argo = CanaryAnalysis.argoRollouts;
    test.each<[string, CanaryAnalysis, Partial<ServiceProps>, string]>([
      ['latency threshold of 0', flagger({ maxRequestDuration: Duration.millis(0) }), {},
        'test/payment: invalid analysis.maxRequestDuration "0ms": must be a positive duration'],
      ['latency threshold at the route timeout', argo({ maxRequestDuration: Duration.seconds(2) }), { timeout: Duration.seconds(2) },
        'invalid analysis.maxRequestDuration "2s": can never be exceeded: requests end at the route timeout 2s; set it below the timeout'],
      ['success rate over 100', flagger({ minSuccessRate: 101 }), {}, 'invalid analysis.minSuccessRate 101: must be a percentage more than 0 and at most 100'],
      ['success rate of 0', argo({ minSuccessRate: 0 }), {}, 'invalid analysis.minSuccessRate 0: must be a percentage more than 0 and at most 100'],
      ['step weight of 0', flagger({ stepWeight: 0 }), {}, 'invalid analysis.stepWeight 0: must be an integer from 1 to 100'],
      ['step weight over 100', argo({ stepWeight: 101 }), {}, 'invalid analysis.stepWeight 101: must be an integer from 1 to 100'],
      ['step weight over max weight', flagger({ stepWeight: 30, maxWeight: 20 }), {},
        'invalid analysis.stepWeight 30: must not be larger than analysis.maxWeight (20)'],
      ['max weight over 100', argo({ maxWeight: 120 }), {}, 'invalid analysis.maxWeight 120: must be an integer from 1 to 100'],
      ['threshold of 0', flagger({ threshold: 0 }), {}, 'invalid analysis.threshold 0: must be a positive integer'],
      ['interval of one scrape', argo({ interval: Duration.seconds(15) }), {},
        "invalid analysis.interval \"15s\": must be whole seconds and at least 60s, 4 scrapes of Istio's Prometheus (every 15s): " +
        'the interval is also the rate() window, which needs two samples even after a missed scrape'],
      ['interval under four scrapes', flagger({ interval: Duration.seconds(45) }), {}, 'invalid analysis.interval "45s": must be whole seconds and at least 60s'],
      ['interval in fractions of a second', flagger({ interval: Duration.millis(60500) }), {}, 'invalid analysis.interval "60500ms": must be whole seconds'],
      ['Prometheus address that is not a URL', argo({ prometheusAddress: 'prometheus:9090' }), {},
        'invalid analysis.prometheusAddress "prometheus:9090": must be an absolute http:// or https:// URL with a host'],
      ['metrics server that is not a URL', flagger({ metricsServer: 'not a url' }), {}, 'invalid analysis.metricsServer "not a url": must be an absolute http:// or https:// URL with a host'],
      ['load tester that is not a URL', flagger({ loadTest: { url: 'ftp://loadtester', command: 'hey' } }), {},
        'invalid analysis.loadTest.url "ftp://loadtester": must be an absolute http:// or https:// URL with a host'],
      ['empty load test command', flagger({ loadTest: { url: 'http://flagger-loadtester.test/', command: ' ' } }), {},
        'invalid analysis.loadTest.command " ": must not be empty'],
      ['confirmation gate that is not a URL', flagger({ confirmPromotionUrl: 'gate' }), {}, 'invalid analysis.confirmPromotionUrl "gate": must be an absolute http:// or https:// URL with a host'],
      ['static canary weight', argo(), { canary: { ...CANARY, weight: 5 } },
        'invalid canary.weight 5: cannot be combined with analysis: the controller moves the traffic step by step; remove the weight'],
      ['static stable weight', flagger(), { stable: { ...STABLE, weight: 95 } }, 'invalid stable.weight 95: cannot be combined with analysis'],
      ['TCP', argo(), { portName: 'tcp' }, 'invalid analysis "argo-rollouts": needs HTTP request metrics (istio_requests_total), and protocol is "tcp"'],
      ['Flagger and a header route', flagger(), { canaryHeader: { name: 'x-canary', value: '1' } },
        'invalid canaryHeader {"name":"x-canary","value":"1"}: cannot be combined with Flagger: Flagger owns the VirtualService'],
      ['Flagger and mirroring', flagger(), { mirrorPercentage: 10 }, 'invalid mirrorPercentage 10: cannot be combined with Flagger'],
      ['Flagger and maxConnections', flagger(), { circuitBreaker: { maxConnections: 100 } },
        'invalid circuitBreaker.maxConnections 100: cannot be passed to Flagger, whose Canary has no TCP connection pool'],
      ['Flagger and a long name', flagger(), { name: 'a'.repeat(56) }, 'is too long for Flagger, which creates the Services <name>-primary and <name>-canary'],
      ['Argo Rollouts and mirroring', argo(), { mirrorPercentage: 10 },
        'invalid mirrorPercentage 10: cannot be combined with Argo Rollouts: between rollouts its canary subset points at the stable pods'],
    ])('rejects %s', (_what, analysis, overrides, message) => {
      expect(() => newService(testChart(), 'payment', props(analysis, overrides))).toThrow(message);
    });
  });
});
