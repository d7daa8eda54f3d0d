import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { writeApplication } from './argo-cd-applications';
import { ResolvedControlPlane } from './control-plane-model';
import { DeliveryBinding, DeliveryRenderer } from './delivery-binding';
import { writeHelmRelease, writeHelmRepository } from './flux-helm-releases';
import { bindHelmDelivery, checkChartVersion, DEFAULT_CHART_VERSION, ISTIO_HELM_REPOSITORY } from './helm-delivery';
import { renderIstioOperator } from './istio-operator';
import { checkDuration, formatDuration } from '../common/duration';
import { checkDnsLabel, checkHttpUrl, invalid } from '../common/validation';

/**
 * Options of both GitOps deliveries, which install Istio's Helm charts.
 */
export interface IstioGitOpsDeliveryOptions {
  /**
   * The version of Istio's charts, pinned (a semantic version, never a range: the GitOps repository
   * says exactly what runs). It is also the Istio version installed.
   *
   * @default "1.30.3"
   */
  readonly chartVersion?: string;

  /**
   * The Helm repository of Istio's charts (a mirror, say). The cluster's GitOps controller must reach it.
   *
   * @default "https://istio-release.storage.googleapis.com/charts"
   */
  readonly repository?: string;

  /**
   * Whether this control plane installs the charts a cluster has once, whatever the revisions: `base`
   * (the CRDs and the default revision's validation webhook), and the `cni` and `ztunnel` node agents
   * when on (with Flux, also the HelmRepository). When two revisions run side by side for a canary
   * upgrade, set it false on all control planes but one, the newest: CRDs stay backward compatible
   * (Istio docs, "Canary upgrades").
   *
   * @default true
   */
  readonly clusterComponents?: boolean;
}

/**
 * Options of the Argo CD delivery.
 */
export interface ArgoCdDeliveryOptions extends IstioGitOpsDeliveryOptions {
  /**
   * The namespace of the Applications: Argo CD's own.
   *
   * @default "argocd"
   */
  readonly namespace?: string;

  /**
   * The Argo CD project of the Applications. Istio's charts write cluster-scoped objects (CRDs,
   * webhooks, ClusterRoles), which the project must allow.
   *
   * @default "default"
   */
  readonly project?: string;

  /**
   * The cluster the charts install into, as Argo CD knows it.
   *
   * @default "https://kubernetes.default.svc" (the cluster Argo CD runs in)
   */
  readonly destinationServer?: string;

  /**
   * Sync automatically, pruning what the charts no longer render and reverting changes made by hand.
   *
   * @default true
   */
  readonly automatedSync?: boolean;
}

/**
 * Options of the Flux delivery.
 */
export interface FluxDeliveryOptions extends IstioGitOpsDeliveryOptions {
  /**
   * The namespace of the HelmRepository and the HelmReleases: Flux's own, which exists before
   * Istio's namespace does.
   *
   * @default "flux-system"
   */
  readonly namespace?: string;

  /**
   * How often Flux reconciles the repository and the releases.
   *
   * @default Duration.minutes(10)
   */
  readonly interval?: Duration;
}

/**
 * How the control plane reaches the cluster: an IstioOperator for `istioctl install`, or Istio's Helm
 * charts as releases that Argo CD or Flux apply from the GitOps repository. The props of the
 * IstioControlPlane are the same for all three; each delivery renders them its own way.
 */
export class IstioDelivery {
  /**
   * An `install.istio.io/v1alpha1` IstioOperator for `istioctl install -f FILE -y`. Revision tags are
   * set with `istioctl tag set TAG --revision REVISION` (Istio docs, "Revision tags").
   */
  public static istioctl(): IstioDelivery {
    return new IstioDelivery('istioctl', {
      bind: (scope, model) => ({
        istioOperator: renderIstioOperator(scope, model),
        releases: [],
        helm: false,
        addGateway: () => {},
        addHelmValues: () => {
          throw invalid(scope, 'addHelmValues', 'istioctl',
            'Helm values apply to the Argo CD and Flux deliveries; with istioctl, patch the IstioOperator (istioOperator.addJsonPatch)');
        },
      }),
    });
  }

  /**
   * Argo CD Applications, one per release of Istio's charts (base, istiod, cni, ztunnel, a gateway
   * each), from Istio's Helm repository with the values inline, in sync waves from -10 in install
   * order.
   */
  public static argoCd(options: ArgoCdDeliveryOptions = {}): IstioDelivery {
    return new IstioDelivery('argo-cd', {
      bind: (scope, model) => {
        const git = checkGitOpsOptions(scope, options);
        const settings = {
          namespace: checkDnsLabel(scope, 'delivery.namespace', options.namespace ?? 'argocd'),
          project: checkName(scope, 'delivery.project', options.project ?? 'default'),
          destinationServer: checkHttpUrl(scope, 'delivery.destinationServer', options.destinationServer ?? 'https://kubernetes.default.svc'),
          automated: options.automatedSync ?? true,
          ...git,
        };
        return bindHelmDelivery(scope, model, git, (s, release) => writeApplication(s, settings, release));
      },
    });
  }

  /**
   * A Flux HelmRepository for Istio's charts and one HelmRelease per release (base, istiod, cni,
   * ztunnel, a gateway each), each depending on the releases installed before it.
   */
  public static flux(options: FluxDeliveryOptions = {}): IstioDelivery {
    return new IstioDelivery('flux', {
      bind: (scope, model) => {
        const git = checkGitOpsOptions(scope, options);
        const interval = options.interval === undefined ? '10m'
          : formatDuration(checkDuration(scope, 'delivery.interval', options.interval, Duration.seconds(1), 'Duration.minutes(10)'));
        const settings = { namespace: checkDnsLabel(scope, 'delivery.namespace', options.namespace ?? 'flux-system'), interval, ...git };
        // one per cluster, like base: the other control planes' releases refer to it by name
        if (git.clusterComponents) writeHelmRepository(scope, settings);
        return bindHelmDelivery(scope, model, git, (s, release) => writeHelmRelease(s, settings, release));
      },
    });
  }

  /** The tool that applies the control plane: "istioctl", "argo-cd" or "flux". */
  public readonly tool: string;

  private constructor(tool: string, private readonly renderer: DeliveryRenderer) {
    this.tool = tool;
  }

  /**
   * Writes the objects of this delivery for a control plane.
   *
   * @internal
   */
  public _bind(scope: Construct, model: ResolvedControlPlane): DeliveryBinding {
    return this.renderer.bind(scope, model);
  }
}

function checkGitOpsOptions(scope: Construct, options: IstioGitOpsDeliveryOptions) {
  return {
    chartVersion: checkChartVersion(scope, 'delivery.chartVersion', options.chartVersion ?? DEFAULT_CHART_VERSION),
    repository: checkHttpUrl(scope, 'delivery.repository', options.repository ?? ISTIO_HELM_REPOSITORY),
    clusterComponents: options.clusterComponents ?? true,
  };
}

function checkName(scope: Construct, field: string, value: string): string {
  if (typeof value !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value) || value.length > 253) {
    throw invalid(scope, field, value, 'must be a Kubernetes object name: lowercase letters, digits, "-" or "." (e.g. "default")');
  }
  return value;
}
