// The one place where CanaryService builds pods, for every mode (one Deployment per version, or the
// single Deployment a progressive-delivery controller copies), so pod-level settings added here reach
// every workload it emits.
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { TopologySpread } from './topology-spread';
import { workloadLabels } from '../common/labels';
import { PodSecurity } from '../common/pod-security';
import { PodSysctls } from '../node-tuning/pod-sysctls';

/**
 * One version of a service: the image it runs and how its pods are sized and probed.
 */
export interface ServiceVersion {
  /**
   * The version name: the pods' `version` label (Istio telemetry and Kiali group by it) and the
   * DestinationRule subset that routes to them. An RFC 1123 label, e.g. "v2".
   */
  readonly version: string;

  /**
   * The container image, pinned by tag or digest (e.g. "registry.example.com/payment:1.5.0").
   */
  readonly image: string;

  /**
   * Percentage of requests (0-100) routed to this version. Only for the static split: with
   * `analysis`, the controller moves the traffic.
   *
   * @default - 100 minus the other version's weight; a canary with no weight on either version
   * gets 0 (deployed, reachable by `canaryHeader` and mirroring, no user traffic)
   */
  readonly weight?: number;

  /**
   * Number of pods. With more than one, a PodDisruptionBudget keeps all but one running during
   * voluntary disruptions (node drains).
   *
   * @default 2
   */
  readonly replicas?: number;

  /**
   * CPU and memory requests and limits of the application container (the sidecar is sized by
   * the mesh's proxy settings).
   *
   * @default - cdk8s-plus-27's defaults: requests cpu 1000m / memory 512Mi, limits cpu 1500m / memory 2048Mi
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * When a pod may receive traffic. Istio rewrites HTTP, TCP and gRPC probes so they pass through
   * the sidecar under STRICT mTLS.
   *
   * @default - a TCP probe on the target port
   */
  readonly readiness?: kplus.Probe;

  /**
   * When to restart the container.
   *
   * @default - none: a liveness probe that fails under load restarts healthy pods, so it is opt-in
   */
  readonly liveness?: kplus.Probe;

  /**
   * When the container has started: until it succeeds, the readiness and liveness probes do not
   * run, and when it fails `failureThreshold` times the kubelet restarts the container. Give one
   * with a `liveness` probe, generous enough for the slowest start (`failureThreshold` x
   * `periodSeconds`), so liveness cannot restart a container that is still starting.
   *
   * @default - none: cdk8s-plus-27 would add a TCP startup probe on the port (failureThreshold 3,
   * period 10s), which restarts any container that takes more than about 30s to listen, and nothing
   * needs it without a liveness probe (readiness already keeps a starting pod out of the traffic)
   */
  readonly startup?: kplus.Probe;

  /**
   * Environment variables of the application container.
   *
   * @default - none
   */
  readonly envVariables?: { [name: string]: kplus.EnvValue };

  /**
   * Arguments to the image's entrypoint.
   *
   * @default - the image's CMD
   */
  readonly args?: string[];
}

/** What `addWorkload` needs besides the version. */
export interface WorkloadOptions {
  /** Deployment name. */
  readonly name: string;
  readonly namespace: string;
  /** The service name: the `app` label and the container name. */
  readonly app: string;
  readonly version: ServiceVersion;
  /** The pod count, or undefined when an autoscaler sets it. */
  readonly replicas?: number;
  readonly containerPort: number;
  readonly serviceAccount: kplus.IServiceAccount;
  /** The Deployment's pod selector: a subset of the pod labels. */
  readonly selector: Record<string, string>;
  /** Kernel parameters of the pods' network namespace. */
  readonly sysctls?: PodSysctls;
  /** Absolute paths that get an `emptyDir` each: the root filesystem is read-only. */
  readonly writablePaths: string[];
  /** How the pods spread over nodes and zones. */
  readonly spread: TopologySpread;
  /** The labels that tell this workload's pods from others, for the spread. */
  readonly spreadLabels: Record<string, string>;
}

/** Default number of pods of a version. */
export const DEFAULT_REPLICAS = 2;

/**
 * A Deployment running one version, with cdk8s-plus' secure container defaults (non-root,
 * read-only root filesystem, no privilege escalation) completed to the Pod Security Standards
 * "restricted" profile.
 */
export function addWorkload(scope: Construct, id: string, options: WorkloadOptions): kplus.Deployment {
  const v = options.version;
  const labels = workloadLabels(options.app, v.version);
  const deployment = new kplus.Deployment(scope, id, {
    metadata: { name: options.name, namespace: options.namespace, labels },
    replicas: options.replicas ?? 1,
    serviceAccount: options.serviceAccount,
    podMetadata: { labels },
    select: false,
    containers: [{
      name: options.app,
      image: v.image,
      // also the port of probes given without one
      portNumber: options.containerPort,
      resources: v.resources,
      readiness: v.readiness ?? kplus.Probe.fromTcpSocket({ port: options.containerPort }),
      liveness: v.liveness,
      startup: v.startup,
      envVariables: v.envVariables,
      args: v.args,
    }],
  });
  deployment.select(kplus.LabelSelector.of({ labels: options.selector }));
  // with an autoscaler, `spec.replicas` in Git would be restored by every GitOps sync
  if (options.replicas === undefined) deployment.markHasAutoscaler();
  if (!v.startup) {
    // With a port and no `startup`, cdk8s-plus-27 adds a TCP startup probe that cannot be turned off
    // through its props (`props.startup ?? (this.portNumber ? tcp probe : undefined)`, lib/container.js).
    ApiObject.of(deployment).addJsonPatch(JsonPatch.remove('/spec/template/spec/containers/0/startupProbe'));
  }

  options.writablePaths.forEach((path, i) => {
    const volume = kplus.Volume.fromEmptyDir(deployment, `Writable${i}`, `writable-${i}`);
    deployment.containers[0].mount(path, volume);
  });
  const spread = options.spread._render(scope, 'spread', options.spreadLabels);
  if (spread) {
    // cdk8s-plus-27 has no topology spread constraints (see topology-spread.ts)
    ApiObject.of(deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/topologySpreadConstraints', spread));
  }

  PodSecurity.restrict(deployment);
  options.sysctls?.applyTo(deployment);
  return deployment;
}

/**
 * A PodDisruptionBudget for the pods `selector` matches: maxUnavailable 1 lets node drains proceed
 * one pod at a time whatever the replica count, and never blocks every eviction (as minAvailable
 * equal to the replica count would).
 */
export function addDisruptionBudget(scope: Construct, id: string, o: {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
}): ApiObject {
  return new k8s.KubePodDisruptionBudget(scope, id, {
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: o.selector } },
  });
}
