// istioctl's injection.Analyzer (analyzers/injection/injection.go), for namespaces: a namespace with
// more than one kind of data-plane label (istio-injection, istio.io/rev, istio.io/dataplane-mode; a
// sidecar-injected namespace that is also ambient) is ambiguous (IST0123); one with neither injection
// label nor ambient mode gets no sidecars (IST0102), unless the injector injects every namespace
// (IST0148). istio-system is skipped. istioctl's IST0103 (a pod without its proxy) reads running pods,
// which are injected; pod templates never are, so it is not checked.
import { DATAPLANE_MODE_LABEL, INJECTION_LABEL, ISTIO_NAMESPACE, REVISION_LABEL } from '../../common/istio';
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';

export const namespaceInjection: Check = {
  name: 'injection.Analyzer',
  description: 'Checks conditions related to Istio sidecar injection',
  messages: [IST.NamespaceMultipleInjectionLabels, IST.NamespaceNotInjected, IST.NamespaceInjectionEnabledByDefault],
  run(context: CheckContext) {
    const { index } = context;
    const configMaps = new Map<string, any>();
    for (const object of index.all) {
      if (object.type === 'ConfigMap.core' && !configMaps.has(object.name)) configMaps.set(object.name, object.manifest);
    }
    for (const ns of index.ofType(TYPES.Namespace)) {
      if (ns.name === ISTIO_NAMESPACE) continue;
      const injection = ns.labels[INJECTION_LABEL];
      const revision = ns.labels[REVISION_LABEL];
      const labels = injection === undefined ? [] : [`${INJECTION_LABEL}=${injection}`];
      for (const l of [REVISION_LABEL, DATAPLANE_MODE_LABEL]) {
        if (l in ns.labels && (injection === undefined || injection === 'enabled')) labels.push(`${l}=${ns.labels[l]}`);
      }
      if (labels.length > 1) context.report(ns, IST.NamespaceMultipleInjectionLabels, [labels]);
      if (ns.labels[DATAPLANE_MODE_LABEL] === 'ambient') continue;
      if (!injection && revision === undefined) {
        // the default revision's injector: the namespace names no revision
        if (injectsEveryNamespace(configMaps.get('istio-sidecar-injector'))) context.report(ns, IST.NamespaceInjectionEnabledByDefault, []);
        else context.report(ns, IST.NamespaceNotInjected, [ns.name, ns.name], ['metadata', 'name']);
      }
    }
  },
};

/** sidecarInjectorWebhook.enableNamespacesByDefault in the injector's `values` (GetEnableNamespacesByDefaultFromInjectedConfigMap). */
function injectsEveryNamespace(configMap: any): boolean {
  try {
    return JSON.parse(configMap?.data?.values ?? '')?.sidecarInjectorWebhook?.enableNamespacesByDefault === true;
  } catch {
    return false;
  }
}
