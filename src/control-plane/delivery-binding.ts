// What a delivery gives the IstioControlPlane it is bound to (aws-cdk's `bind` pattern: the
// delivery decides which objects exist; the construct only records intent). Internal.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ResolvedControlPlane } from './control-plane-model';
import { IstioHelmChart } from './helm-chart';
import { ResolvedGateway } from './resolve-gateway';

/** A delivery bound to one control plane. */
export interface DeliveryBinding {
  /** The IstioOperator, for istioctl. */
  readonly istioOperator?: ApiObject;
  /** The objects that deliver each chart release (Argo CD Applications, Flux HelmReleases), in install order. */
  readonly releases: ApiObject[];
  /** Whether the control plane is installed from Helm charts. */
  readonly helm: boolean;
  /** Called for each gateway after it was checked and added to the model. */
  addGateway(gateway: ResolvedGateway): void;
  /** Values merged over the translated values of every release of a chart (checked against the chart). */
  addHelmValues(chart: IstioHelmChart, values: { [key: string]: any }): void;
}

/** A delivery: writes the objects for a control plane. */
export interface DeliveryRenderer {
  bind(scope: Construct, model: ResolvedControlPlane): DeliveryBinding;
}
