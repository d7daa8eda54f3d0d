// CanaryService's workload options beyond their defaults: how pods spread, which paths are
// writable on the read-only root filesystem, and autoscaling of the stable version (static split).
import { Topology } from 'cdk8s-plus-27';
import { CANARY, paymentService, ServiceProps, STABLE, synthService } from './fixtures';
import { TopologySpread } from '../../src';
import { findAll, findOne } from '../support';

const POD_TEMPLATE_HASHES = ['pod-template-hash', 'rollouts-pod-template-hash'];
const V1_PODS = { matchLabels: { app: 'payment-service', version: 'v1' } };

function podSpec(docs: any[], name = 'payment-service-v1') {
  return findOne(docs, 'Deployment', name).spec.template.spec;
}

function synthesizing(overrides: Partial<ServiceProps>) {
  return () => synthService(paymentService(overrides));
}

describe('CanaryService workload options', () => {
  describe('spread', () => {
    test('defaults to preferred over nodes and zones, one pod of skew, counting each ReplicaSet apart', () => {
      // GIVEN / WHEN
      const { docs } = synthService(paymentService());

      // THEN
      expect(podSpec(docs).topologySpreadConstraints).toEqual([
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: V1_PODS, matchLabelKeys: POD_TEMPLATE_HASHES },
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: V1_PODS, matchLabelKeys: POD_TEMPLATE_HASHES },
      ]);
    });

    test('preferred() takes its topologies and maxSkew, and still schedules anyway', () => {
      const { docs } = synthService(paymentService({
        spread: TopologySpread.preferred({ topologies: [Topology.REGION, Topology.custom('example.com/rack')], maxSkew: 3 }),
      }));
      expect(podSpec(docs).topologySpreadConstraints).toEqual([
        { maxSkew: 3, topologyKey: 'topology.kubernetes.io/region', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: V1_PODS, matchLabelKeys: POD_TEMPLATE_HASHES },
        { maxSkew: 3, topologyKey: 'example.com/rack', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: V1_PODS, matchLabelKeys: POD_TEMPLATE_HASHES },
      ]);
    });

    test('required() never breaks the spread, over nodes only by default', () => {
      const { docs } = synthService(paymentService({ spread: TopologySpread.required() }));
      expect(podSpec(docs).topologySpreadConstraints).toEqual([
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: V1_PODS, matchLabelKeys: POD_TEMPLATE_HASHES },
      ]);
    });

    test('required() takes zones and a maxSkew', () => {
      const { docs } = synthService(paymentService({
        spread: TopologySpread.required({ topologies: [Topology.ZONE, Topology.HOSTNAME], maxSkew: 2 }),
      }));
      expect(podSpec(docs).topologySpreadConstraints).toEqual([
        { maxSkew: 2, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: V1_PODS, matchLabelKeys: POD_TEMPLATE_HASHES },
        { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: V1_PODS, matchLabelKeys: POD_TEMPLATE_HASHES },
      ]);
    });

    test('none() emits no constraints, leaving the scheduler its defaults', () => {
      const { docs } = synthService(paymentService({ spread: TopologySpread.none() }));
      expect(podSpec(docs)).not.toHaveProperty('topologySpreadConstraints');
    });

    test('each version spreads its own pods', () => {
      const { docs } = synthService(paymentService({ canary: CANARY, spread: TopologySpread.required() }));
      expect(podSpec(docs, 'payment-service-v1').topologySpreadConstraints.map((c: any) => c.labelSelector)).toEqual([V1_PODS]);
      expect(podSpec(docs, 'payment-service-v2').topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'payment-service', version: 'v2' } },
          matchLabelKeys: POD_TEMPLATE_HASHES,
        },
      ]);
    });

    describe('bad input', () => {
      const skew = 'must be a positive integer (1 allows one pod more on a node, or in a zone, than on any other)';
      test.each<[string, TopologySpread, string]>([
        ['a maxSkew of 0', TopologySpread.preferred({ maxSkew: 0 }), `test/payment: invalid spread.maxSkew 0: ${skew}`],
        ['a negative maxSkew', TopologySpread.required({ maxSkew: -1 }), `test/payment: invalid spread.maxSkew -1: ${skew}`],
        ['a fractional maxSkew', TopologySpread.required({ maxSkew: 1.5 }), `test/payment: invalid spread.maxSkew 1.5: ${skew}`],
        ['a topology listed twice', TopologySpread.preferred({ topologies: [Topology.ZONE, Topology.HOSTNAME, Topology.ZONE] }),
          'test/payment: invalid spread.topologies ["topology.kubernetes.io/zone","kubernetes.io/hostname","topology.kubernetes.io/zone"]: ' +
          'lists a topology twice; list each once'],
        ['a custom topology equal to a known one', TopologySpread.required({ topologies: [Topology.HOSTNAME, Topology.custom('kubernetes.io/hostname')] }),
          'test/payment: invalid spread.topologies ["kubernetes.io/hostname","kubernetes.io/hostname"]: lists a topology twice; list each once'],
        ['a topology that is no label key', TopologySpread.preferred({ topologies: [Topology.custom('rack name')] }),
          'test/payment: invalid spread.topologies "rack name": must be a label key [prefix/]name'],
        ['a required spread over nothing', TopologySpread.required({ topologies: [] }),
          'test/payment: invalid spread.topologies []: must name at least one topology for a required spread; use TopologySpread.none() for no constraint'],
      ])('rejects %s', (_what, spread, message) => {
        expect(synthesizing({ spread })).toThrow(message);
      });
    });
  });

  describe('writablePaths', () => {
    test('default to an emptyDir on /tmp, the root filesystem read-only', () => {
      const { docs } = synthService(paymentService());
      const pod = podSpec(docs);
      expect(pod.volumes).toEqual([{ name: 'writable-0', emptyDir: {} }]);
      expect(pod.containers[0].volumeMounts).toEqual([{ name: 'writable-0', mountPath: '/tmp' }]);
      expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    });

    test('a list replaces the default: one emptyDir and one mount per path, in order', () => {
      const { docs } = synthService(paymentService({ writablePaths: ['/var/cache/nginx', '/run', '/tmp/uploads'] }));
      const pod = podSpec(docs);
      expect(pod.volumes).toEqual([
        { name: 'writable-0', emptyDir: {} },
        { name: 'writable-1', emptyDir: {} },
        { name: 'writable-2', emptyDir: {} },
      ]);
      expect(pod.containers[0].volumeMounts).toEqual([
        { name: 'writable-0', mountPath: '/var/cache/nginx' },
        { name: 'writable-1', mountPath: '/run' },
        { name: 'writable-2', mountPath: '/tmp/uploads' },
      ]);
      expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    });

    test('reach every version', () => {
      const { docs } = synthService(paymentService({ canary: CANARY, writablePaths: ['/data'] }));
      for (const d of findAll(docs, 'Deployment')) {
        expect(d.spec.template.spec.containers[0].volumeMounts).toEqual([{ name: 'writable-0', mountPath: '/data' }]);
      }
    });

    test('an empty list leaves nothing writable', () => {
      const { docs } = synthService(paymentService({ writablePaths: [] }));
      const pod = podSpec(docs);
      expect(pod).not.toHaveProperty('volumes');
      expect(pod.containers[0]).not.toHaveProperty('volumeMounts');
      expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    });

    describe('bad input', () => {
      const path = 'must be absolute container paths without "..", ".", "//" or a trailing "/" (e.g. "/tmp"), not "/"';
      test.each<[string, string[], string]>([
        ['a relative path', ['tmp'], `test/payment: invalid writablePaths "tmp": ${path}`],
        ['"/" itself', ['/'], `test/payment: invalid writablePaths "/": ${path}`],
        ['a trailing slash', ['/tmp', '/var/cache/'], `test/payment: invalid writablePaths "/var/cache/": ${path}`],
        ['a ".." segment', ['/app/../etc'], `test/payment: invalid writablePaths "/app/../etc": ${path}`],
        ['an empty path', [''], `test/payment: invalid writablePaths "": ${path}`],
        ['a "." segment (another spelling of a path)', ['/tmp', '/tmp/.'], `test/payment: invalid writablePaths "/tmp/.": ${path}`],
        ['a double slash (another spelling of a path)', ['/a//b'], `test/payment: invalid writablePaths "/a//b": ${path}`],
        ['a path listed twice', ['/tmp', '/run', '/tmp'], 'test/payment: invalid writablePaths ["/tmp","/run","/tmp"]: lists a path twice; list each once'],
      ])('rejects %s', (_what, writablePaths, message) => {
        expect(synthesizing({ writablePaths })).toThrow(message);
      });
    });
  });

  describe('autoscaling', () => {
    test('defaults: 2 pods at least, CPU at 80%, the Deployment leaving its count to the autoscaler', () => {
      // GIVEN / WHEN
      const { service, docs } = synthService(paymentService({ autoscaling: { maxReplicas: 6 } }));

      // THEN
      const hpa = findOne(docs, 'HorizontalPodAutoscaler');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.metadata).toEqual({
        name: 'payment-service-v1',
        namespace: 'payments',
        labels: expect.objectContaining({ 'app': 'payment-service', 'version': 'v1', 'app.kubernetes.io/name': 'payment-service' }),
      });
      expect(hpa.spec).toEqual({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'payment-service-v1' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
      });
      expect(service.autoscaler).toBeDefined();
      // a count in Git would be restored by every GitOps sync, undoing the autoscaler
      expect(findOne(docs, 'Deployment').spec).not.toHaveProperty('replicas');
      expect(findOne(docs, 'PodDisruptionBudget', 'payment-service-v1').spec).toEqual({ maxUnavailable: 1, selector: V1_PODS });
    });

    test('cpuUtilization alone sets the CPU target', () => {
      const { docs } = synthService(paymentService({ autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 65 } }));
      expect(findOne(docs, 'HorizontalPodAutoscaler').spec).toMatchObject({
        minReplicas: 3,
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } }],
      });
    });

    test('memoryUtilization alone scales on memory only, without the CPU default', () => {
      const { docs } = synthService(paymentService({ autoscaling: { maxReplicas: 4, memoryUtilization: 75 } }));
      expect(findOne(docs, 'HorizontalPodAutoscaler').spec.metrics).toEqual([
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 75 } } },
      ]);
    });

    test('cpuUtilization and memoryUtilization together give both metrics', () => {
      const { docs } = synthService(paymentService({ autoscaling: { maxReplicas: 4, cpuUtilization: 70, memoryUtilization: 120 } }));
      expect(findOne(docs, 'HorizontalPodAutoscaler').spec.metrics).toEqual([
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 120 } } },
      ]);
    });

    test('minReplicas 1: the disruption budget follows maxReplicas and lets a drain evict the last pod', () => {
      const { docs } = synthService(paymentService({ autoscaling: { minReplicas: 1, maxReplicas: 3 } }));
      expect(findOne(docs, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 1, maxReplicas: 3 });
      expect(findOne(docs, 'Deployment').spec).not.toHaveProperty('replicas');
      // maxUnavailable, never minAvailable: one pod may always go, whatever the autoscaler's count
      expect(findOne(docs, 'PodDisruptionBudget').spec).toEqual({ maxUnavailable: 1, selector: V1_PODS });
    });

    test('one pod at most: no disruption budget', () => {
      const { docs } = synthService(paymentService({ autoscaling: { minReplicas: 1, maxReplicas: 1 } }));
      expect(findOne(docs, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 1, maxReplicas: 1 });
      expect(findAll(docs, 'PodDisruptionBudget')).toEqual([]);
    });

    test('scales the stable version only: the canary keeps its fixed count', () => {
      const { docs } = synthService(paymentService({ canary: { ...CANARY, replicas: 3 }, autoscaling: { maxReplicas: 6 } }));
      expect(findAll(docs, 'HorizontalPodAutoscaler').map(d => d.spec.scaleTargetRef.name)).toEqual(['payment-service-v1']);
      expect(findOne(docs, 'Deployment', 'payment-service-v1').spec).not.toHaveProperty('replicas');
      expect(findOne(docs, 'Deployment', 'payment-service-v2').spec.replicas).toBe(3);
      expect(findAll(docs, 'PodDisruptionBudget').map(d => d.metadata.name)).toEqual(['payment-service-v1', 'payment-service-v2']);
    });

    describe('bad input', () => {
      const percent = 'must be a whole percentage of the request greater than zero (e.g. 80)';
      test.each<[string, Partial<ServiceProps>, string]>([
        ['a minReplicas of 0', { autoscaling: { minReplicas: 0, maxReplicas: 3 } },
          'test/payment: invalid autoscaling.minReplicas 0: must be a positive integer'],
        ['a fractional minReplicas', { autoscaling: { minReplicas: 1.5, maxReplicas: 3 } },
          'test/payment: invalid autoscaling.minReplicas 1.5: must be a positive integer'],
        ['a maxReplicas below minReplicas', { autoscaling: { minReplicas: 4, maxReplicas: 3 } },
          'test/payment: invalid autoscaling.maxReplicas 3: must be an integer of at least minReplicas (4)'],
        ['a maxReplicas below the default minReplicas', { autoscaling: { maxReplicas: 1 } },
          'test/payment: invalid autoscaling.maxReplicas 1: must be an integer of at least minReplicas (2)'],
        ['a fractional maxReplicas', { autoscaling: { maxReplicas: 4.5 } },
          'test/payment: invalid autoscaling.maxReplicas 4.5: must be an integer of at least minReplicas (2)'],
        ['a cpuUtilization of 0', { autoscaling: { maxReplicas: 4, cpuUtilization: 0 } },
          `test/payment: invalid autoscaling.cpuUtilization 0: ${percent}`],
        ['a fractional cpuUtilization', { autoscaling: { maxReplicas: 4, cpuUtilization: 72.5 } },
          `test/payment: invalid autoscaling.cpuUtilization 72.5: ${percent}`],
        ['a negative memoryUtilization', { autoscaling: { maxReplicas: 4, memoryUtilization: -10 } },
          `test/payment: invalid autoscaling.memoryUtilization -10: ${percent}`],
        ['a fractional memoryUtilization', { autoscaling: { maxReplicas: 4, cpuUtilization: 80, memoryUtilization: 0.5 } },
          `test/payment: invalid autoscaling.memoryUtilization 0.5: ${percent}`],
        ['stable.replicas beside autoscaling', { stable: { ...STABLE, replicas: 3 }, autoscaling: { maxReplicas: 6 } },
          'test/payment: invalid stable.replicas 3: cannot be combined with autoscaling, which sets the count between minReplicas ' +
          'and maxReplicas; remove one of the two'],
      ])('rejects %s', (_what, overrides, message) => {
        expect(synthesizing(overrides)).toThrow(message);
      });
    });
  });
});
