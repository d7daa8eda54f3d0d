// The istioctl delivery: the model as one `install.istio.io/v1alpha1` IstioOperator, the file
// `istioctl install -f FILE -y` reads. Internal.
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { compact, ResolvedControlPlane, ResolvedPilotScaling } from './control-plane-model';
import { GatewayKind, ResolvedGateway } from './resolve-gateway';
import { ISTIO_NAMESPACE } from '../common/istio';

/** Writes the IstioOperator, whose spec reads the model at synth time (gateways are added later). */
export function renderIstioOperator(scope: Construct, model: ResolvedControlPlane): ApiObject {
  return new ApiObject(scope, 'Resource', {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: model.name, namespace: model.namespace },
    spec: Lazy.any({ produce: () => istioOperatorSpec(model) }),
  });
}

/** The IstioOperator's spec. */
export function istioOperatorSpec(model: ResolvedControlPlane): any {
  const ingress = model.gateways.filter(g => g.kind === GatewayKind.INGRESS);
  const egress = model.gateways.filter(g => g.kind === GatewayKind.EGRESS);
  return {
    ...compact({
      profile: model.profile,
      revision: model.revision,
      hub: model.hub,
      tag: model.tag,
      meshConfig: model.meshConfig,
      values: {
        global: {
          proxy: { resources: model.proxyResources },
          // the charts locate istiod through it: it must follow a non-default namespace
          istioNamespace: model.namespace === ISTIO_NAMESPACE ? undefined : model.namespace,
        },
        // a fixed count needs the autoscaler off; autoscaling needs the HPA that hpaSpec patches
        pilot: model.pilotScaling ? { autoscaleEnabled: model.pilotScaling.replicas === undefined } : undefined,
        gateways: { seccompProfile: model.gatewaySeccompProfile },
      },
    }),
    components: compact({
      pilot: { k8s: { resources: model.pilotResources, ...pilotScaling(model.pilotScaling) } },
      // the ambient profile has the CNI agent (and ztunnel) already: written only when asked for
      cni: model.cniRequested ? { enabled: true } : undefined,
      ingressGateways: ingress.map(gatewaySpec),
      egressGateways: egress.length > 0 ? egress.map(gatewaySpec) : undefined,
    }) ?? {},
  };
}

function pilotScaling(scaling: ResolvedPilotScaling | undefined): any {
  if (!scaling) return {};
  if (scaling.replicas !== undefined) return { replicaCount: scaling.replicas };
  const target = scaling.targetCpuUtilization;
  return {
    hpaSpec: {
      minReplicas: scaling.minReplicas,
      maxReplicas: scaling.maxReplicas,
      // autoscaling/v2 MetricSpec; replaces the chart's list, which holds only this CPU metric
      ...(target !== undefined ? {
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }],
      } : {}),
    },
  };
}

/** A gateway's `GatewayComponentSpec`. */
function gatewaySpec(gateway: ResolvedGateway): any {
  const service = {
    ...(gateway.serviceType ? { type: gateway.serviceType } : {}),
    ...(gateway.ports ? { ports: gateway.ports.map(p => ({ ...p })) } : {}),
  };
  const k8s = {
    ...(gateway.resources ? { resources: gateway.resources } : {}),
    ...(Object.keys(service).length > 0 ? { service } : {}),
    ...(gateway.serviceAnnotations ? { serviceAnnotations: { ...gateway.serviceAnnotations } } : {}),
  };
  return {
    name: gateway.name,
    enabled: gateway.enabled,
    ...(gateway.namespace ? { namespace: gateway.namespace } : {}),
    ...(gateway.labels ? { label: { ...gateway.labels } } : {}),
    ...(Object.keys(k8s).length > 0 ? { k8s } : {}),
  };
}
