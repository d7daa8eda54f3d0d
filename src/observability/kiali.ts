import { ApiObject, Duration, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MeshPrometheus } from './prometheus';
import { enableAppChecks } from '../common/app-checks';
import { configChecksum } from '../common/hash';
import { ISTIO_NAMESPACE, SIDECAR_INJECT_LABEL } from '../common/istio';
import { workloadLabels } from '../common/labels';
import { PodSecurity } from '../common/pod-security';
import { checkDnsLabel, invalid } from '../common/validation';
import { MeshWarnings } from '../common/warnings';

/**
 * How users log in to Kiali (Kiali's `auth.strategy`).
 */
export enum KialiAuthStrategy {
  /**
   * Users log in with a Kubernetes token and see only what their own RBAC allows; Kiali's default
   * on Kubernetes. Needs a session signing key (`signingKeySecretName`).
   */
  TOKEN = 'token',
  /**
   * No login: whoever reaches the UI acts with Kiali's own service account (Istio's addon does
   * this). Only for a UI reached through `kubectl port-forward` or an authenticating proxy.
   */
  ANONYMOUS = 'anonymous',
}

/**
 * Options of the Kiali server, shared by `Kiali` and `MeshObservability`.
 */
export interface KialiOptions {
  /**
   * The namespace Kiali runs in. Istio's addon installs it in the Istio namespace; a namespace of
   * its own works too (it must exist).
   *
   * @default - the Istio namespace
   */
  readonly namespace?: string;

  /**
   * Kiali's instance name (`deployment.instance_name`): the name of its ServiceAccount, ConfigMap,
   * Deployment and Service, and the prefix of its cluster-wide RBAC objects. Change it to run two
   * Kialis in one cluster.
   *
   * @default "kiali"
   */
  readonly instanceName?: string;

  /**
   * The exact Kiali release to run, as its image tag.
   *
   * @default Kiali.DEFAULT_VERSION (v2.26.0)
   */
  readonly version?: string;

  /**
   * The image repository, for a mirror of `quay.io/kiali/kiali`.
   *
   * @default "quay.io/kiali/kiali"
   */
  readonly imageRepository?: string;

  /**
   * How users log in.
   *
   * @default KialiAuthStrategy.TOKEN
   */
  readonly authStrategy?: KialiAuthStrategy;

  /**
   * Hide every action that changes the mesh (Kiali's `deployment.view_only_mode`).
   *
   * With `false` and the token strategy, users may change what their own RBAC allows; with `false`
   * and the anonymous strategy, Kiali's service account gets write access to Istio configuration.
   *
   * @default true
   */
  readonly viewOnly?: boolean;

  /**
   * The Secret, in Kiali's namespace, holding the session signing key under the key `key`
   * (16, 24 or 32 characters; Kiali refuses other lengths). Create it outside Git, for example
   * `kubectl -n istio-system create secret generic kiali-signing-key --from-literal=key=$(openssl rand -hex 16)`;
   * the pod starts once it exists. Not used by the anonymous strategy.
   *
   * @default "kiali-signing-key"
   */
  readonly signingKeySecretName?: string;

  /**
   * Grant Kiali's service account `pods/portforward` on every pod of the cluster, a privileged
   * grant. Kiali uses port-forwards to read each proxy's Envoy configuration from its admin port
   * (15000, reachable only inside the pod) and to change proxy log levels, and to read istiod's
   * debug endpoints on 15014: proxy status, registry services, Istio and Kiali validations, the
   * Istio version (kiali/kiali, kubernetes `ForwardGetRequest` and its callers).
   *
   * A port-forward reaches any port of any pod from inside the pod's network namespace, past its
   * sidecar's mTLS and AuthorizationPolicies and past NetworkPolicies, and Envoy's admin port
   * changes the proxy too; so it is off by default and Kiali runs with
   * `external_services.istio.istio_api_enabled: false`, without those features (Kiali docs, "No
   * Istiod Access"). The graph, metrics, workloads and Istio configuration stay.
   *
   * @default false
   */
  readonly allowPortForward?: boolean;

  /**
   * Resources of the Kiali container. Kiali's memory grows with the number of namespaces and
   * workloads it watches.
   *
   * @default - requests cpu 10m and memory 64Mi, limits memory 1Gi (Istio's addon)
   */
  readonly resources?: kplus.ContainerResources;
}

/**
 * Properties of a `Kiali`.
 */
export interface KialiProps extends KialiOptions {
  /**
   * Istio's control plane namespace (Kiali's `istio_namespace`).
   *
   * @default "istio-system"
   */
  readonly istioNamespace?: string;

  /**
   * The mesh root namespace (istiod's `meshConfig.rootNamespace`), which Kiali uses to validate
   * mesh-wide policies.
   *
   * @default - the Istio namespace
   */
  readonly rootNamespace?: string;

  /**
   * The Prometheus that holds the mesh's metrics: Kiali queries its `url`.
   *
   * @default MeshPrometheus.operator() (http://prometheus-operated.monitoring:9090)
   */
  readonly prometheus?: MeshPrometheus;
}

// Kiali's ports and paths, as Istio's addon configures them (samples/addons/kiali.yaml).
const API_PORT = 20001;
const METRICS_PORT = 9090;
const WEB_ROOT = '/kiali';
const CONFIG_DIR = '/kiali-configuration';
// Kiali overrides its config with files named <setting>/value.txt below this folder (kiali config/config.go).
const SIGNING_KEY_DIR = '/kiali-override-secrets/login-token-signing-key';

/**
 * Kiali, the console that draws the mesh graph from Prometheus metrics, as plain Kubernetes
 * manifests shaped like the Kiali addon Istio ships (`samples/addons/kiali.yaml`).
 *
 * Emits a ServiceAccount, a ConfigMap with Kiali's `config.yaml`, a read-only ClusterRole (plus
 * `pods/portforward` with `allowPortForward`) and its ClusterRoleBinding, a Deployment pinned to
 * one Kiali release that meets the restricted Pod Security Standard, and a Service (UI on port
 * 20001 under `/kiali`, Kiali's own metrics on 9090).
 *
 * Ambient mode needs no setting: Kiali turns its ambient views on when it finds the ztunnel
 * DaemonSet (`app.kubernetes.io/name: ztunnel`, listed cluster-wide), and its ambient labels
 * default to Istio's (kiali cache/cache.go `IsAmbientEnabled`, config/config.go). Its ztunnel
 * config view reads ztunnel's admin port through a port-forward, so it needs `allowPortForward`.
 */
export class Kiali extends Construct {
  /**
   * The Kiali release pinned by default: v2.26, the release Istio's addon ships for Istio 1.30
   * (istio/istio#60183), at its first patch.
   */
  public static readonly DEFAULT_VERSION = 'v2.26.0';

  /** The namespace Kiali runs in. */
  public readonly namespace: string;

  /** The instance name, also the name of the Deployment, Service, ConfigMap and ServiceAccount. */
  public readonly instanceName: string;

  /** The image the Deployment runs. */
  public readonly image: string;

  /** The Prometheus address Kiali queries. */
  public readonly prometheusUrl: string;

  /** The ConfigMap with Kiali's `config.yaml` (escape hatch: `addJsonPatch`). */
  public readonly configMap: ApiObject;

  /** The ClusterRole Kiali's service account is bound to (escape hatch: `addJsonPatch`). */
  public readonly clusterRole: ApiObject;

  /** The ClusterRoleBinding of Kiali's service account (escape hatch: `addJsonPatch`). */
  public readonly clusterRoleBinding: ApiObject;

  /** The Kiali Deployment. */
  public readonly deployment: kplus.Deployment;

  /** The Service in front of Kiali: `http` on 20001 (UI and API), `http-metrics` on 9090. */
  public readonly service: kplus.Service;

  public constructor(scope: Construct, id: string, props: KialiProps = {}) {
    super(scope, id);
    enableAppChecks(this);
    const istioNamespace = checkDnsLabel(this, 'istioNamespace', props.istioNamespace ?? ISTIO_NAMESPACE);
    const rootNamespace = checkDnsLabel(this, 'rootNamespace', props.rootNamespace ?? istioNamespace);
    this.namespace = checkDnsLabel(this, 'namespace', props.namespace ?? istioNamespace);
    this.instanceName = checkInstanceName(this, props.instanceName ?? 'kiali');
    this.prometheusUrl = (props.prometheus ?? MeshPrometheus.operator())._check(this).url;
    const version = checkVersion(this, props.version ?? Kiali.DEFAULT_VERSION);
    this.image = `${props.imageRepository ?? 'quay.io/kiali/kiali'}:${version}`;
    const authStrategy = props.authStrategy ?? KialiAuthStrategy.TOKEN;
    const viewOnly = props.viewOnly ?? true;
    const signingKeySecretName = checkDnsLabel(this, 'signingKeySecretName', props.signingKeySecretName ?? 'kiali-signing-key');
    const portForward = props.allowPortForward ?? false;

    // Only an anonymous Kiali acts with its own service account, so only it needs write access
    // (the kiali-server chart's clusterrole.yaml / clusterrole-viewer.yaml make the same choice).
    const writable = authStrategy === KialiAuthStrategy.ANONYMOUS && !viewOnly;
    if (writable) {
      MeshWarnings.of(this).add('anonymous Kiali without viewOnly lets whoever reaches its UI change Istio ' +
        'configuration mesh-wide with its service account; use KialiAuthStrategy.TOKEN or keep viewOnly');
    }

    const name = this.instanceName;
    const labels = { ...workloadLabels('kiali', version), 'app.kubernetes.io/instance': name };
    const metadata = { name, namespace: this.namespace, labels };

    const serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata });

    const config = Yaml.stringify(kialiConfig({
      name,
      namespace: this.namespace,
      istioNamespace,
      rootNamespace,
      prometheusUrl: this.prometheusUrl,
      authStrategy,
      viewOnly,
      portForward,
    }));
    const configMap = new kplus.ConfigMap(this, 'ConfigMap', { metadata, data: { 'config.yaml': config } });
    this.configMap = ApiObject.of(configMap);

    const roleName = writable ? name : `${name}-viewer`;
    this.clusterRole = new k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: roleName, labels },
      rules: clusterRoleRules(writable, portForward),
    });
    this.clusterRoleBinding = new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: roleName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name, namespace: this.namespace }],
    });

    // The selector stays fixed across upgrades (a Deployment's selector is immutable): no version in it.
    const selector = { 'app.kubernetes.io/name': 'kiali', 'app.kubernetes.io/instance': name };
    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata,
      replicas: 1,
      select: false,
      serviceAccount,
      // Kiali reads the cluster through the Kubernetes API with its service account token.
      automountServiceAccountToken: true,
      podMetadata: {
        labels: { ...labels, [SIDECAR_INJECT_LABEL]: 'false' },
        // Kiali reads its config once at start: a new hash rolls the pods when the config changes.
        annotations: configChecksum(config),
      },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: selector }));

    const probe = (options: kplus.ProbeOptions) => kplus.Probe.fromHttpGet(`${WEB_ROOT}/healthz`, { port: API_PORT, ...options });
    const container = this.deployment.addContainer({
      name: 'kiali',
      image: this.image,
      // the tag is an exact release, so a cached image is the right one
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/opt/kiali/kiali', '-config', `${CONFIG_DIR}/config.yaml`],
      ports: [
        { name: 'api-port', number: API_PORT },
        { name: 'http-metrics', number: METRICS_PORT },
      ],
      envVariables: {
        ACTIVE_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
        LOG_LEVEL: kplus.EnvValue.fromValue('info'),
      },
      // The image runs as user 1000 and writes nothing to disk, so cdk8s-plus's defaults hold:
      // non-root, read-only root filesystem, no privilege escalation.
      readiness: probe({ initialDelaySeconds: Duration.seconds(5), periodSeconds: Duration.seconds(30) }),
      liveness: probe({ initialDelaySeconds: Duration.seconds(5), periodSeconds: Duration.seconds(30) }),
      startup: probe({ initialDelaySeconds: Duration.seconds(30), periodSeconds: Duration.seconds(10), failureThreshold: 6 }),
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.millis(10) },
        memory: { request: Size.mebibytes(64), limit: Size.gibibytes(1) },
      },
    });
    container.mount(CONFIG_DIR, kplus.Volume.fromConfigMap(this, 'ConfigVolume', configMap, { name: `${name}-configuration` }));
    if (authStrategy !== KialiAuthStrategy.ANONYMOUS) {
      // Every strategy but anonymous signs sessions; the key stays in a Secret, never in Git.
      const secret = kplus.Secret.fromSecretName(this, 'SigningKey', signingKeySecretName);
      container.mount(SIGNING_KEY_DIR, kplus.Volume.fromSecret(this, 'SigningKeyVolume', secret, {
        name: `${name}-signing-key`,
        items: { key: { path: 'value.txt' } },
      }), { readOnly: true });
    }
    PodSecurity.restrict(this.deployment);

    this.service = new kplus.Service(this, 'Service', {
      metadata,
      ports: [
        { name: 'http', port: API_PORT, targetPort: API_PORT },
        { name: 'http-metrics', port: METRICS_PORT, targetPort: METRICS_PORT },
      ],
    });
    for (const [key, value] of Object.entries(selector)) {
      this.service.selectLabel(key, value);
    }
  }
}

interface KialiConfigInput {
  readonly name: string;
  readonly namespace: string;
  readonly istioNamespace: string;
  readonly rootNamespace: string;
  readonly prometheusUrl: string;
  readonly authStrategy: KialiAuthStrategy;
  readonly viewOnly: boolean;
  readonly portForward: boolean;
}

/** Kiali's config.yaml (keys as in kiali config/config.go); unset keys keep Kiali's defaults. */
function kialiConfig(c: KialiConfigInput): Record<string, unknown> {
  return {
    auth: { strategy: c.authStrategy },
    deployment: {
      cluster_wide_access: true,
      instance_name: c.name,
      namespace: c.namespace,
      view_only_mode: c.viewOnly,
    },
    external_services: {
      // Kiali links to Grafana and a tracing backend when they are enabled; neither is installed here.
      grafana: { enabled: false },
      // Kiali reaches istiod's debug endpoints only through port-forwards (kiali.io, "No Istiod Access")
      istio: { istio_api_enabled: c.portForward, root_namespace: c.rootNamespace },
      prometheus: { url: c.prometheusUrl },
      tracing: { enabled: false },
    },
    istio_namespace: c.istioNamespace,
    server: {
      observability: { metrics: { enabled: true, port: METRICS_PORT } },
      port: API_PORT,
      web_root: WEB_ROOT,
    },
  };
}

const READ = ['get', 'list', 'watch'];

/**
 * The kiali-server chart's viewer ClusterRole (clusterrole-viewer.yaml), without its OpenShift
 * groups and the retired `extensions` group, and without `pods/portforward` unless `portForward`;
 * `writable` adds the chart's write verbs.
 */
function clusterRoleRules(writable: boolean, portForward: boolean): k8s.PolicyRule[] {
  const write = writable ? ['patch'] : [];
  return [
    { apiGroups: [''], resources: ['configmaps', 'endpoints', 'pods/log'], verbs: READ },
    { apiGroups: [''], resources: ['namespaces', 'pods', 'replicationcontrollers', 'services'], verbs: [...READ, ...write] },
    // A tunnel into every pod: Kiali port-forwards to istiod (proxy status, registry, validations)
    // and to the proxies' admin port (Envoy configuration, log levels).
    ...portForward ? [{ apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] }] : [],
    { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'], verbs: [...READ, ...write] },
    { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: [...READ, ...write] },
    {
      apiGroups: ['networking.istio.io', 'security.istio.io', 'extensions.istio.io', 'telemetry.istio.io', 'gateway.networking.k8s.io'],
      resources: ['*'],
      verbs: writable ? [...READ, 'create', 'delete', 'patch'] : READ,
    },
    // The token strategy checks users' tokens with TokenReviews.
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: READ },
  ];
}

function checkInstanceName(scope: Construct, value: string): string {
  checkDnsLabel(scope, 'instanceName', value);
  // it names a Service, and Service names must start with a letter (RFC 1035)
  if (!/^[a-z]/.test(value) || value.length > 56) {
    throw invalid(scope, 'instanceName', value, 'must start with a letter and have at most 56 characters (it names a Service and "<name>-viewer")');
  }
  return value;
}

function checkVersion(scope: Construct, value: string): string {
  if (!/^v\d+\.\d+\.\d+$/.test(value)) {
    throw invalid(scope, 'version', value,
      `must be an exact Kiali release tag like "${Kiali.DEFAULT_VERSION}": a floating tag changes what runs without a change in Git`);
  }
  return value;
}
