// istioctl's gateway.SecretAnalyzer (analyzers/gateway/secret.go): a Gateway's selector must select
// pods (IST0101), and each TLS server's credentialName must be a Secret in the namespace of those
// pods (IST0101). Without a cluster, Secrets are rarely among the objects (cert-manager, External
// Secrets or Sealed Secrets make them): a credential is checked only where that is knowable, in a
// namespace where the objects hold a Secret or something that makes one. istioctl's IST0161 (a
// Secret whose certificate is invalid) needs the Secret's data and is not checked.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { ObjectIndex, TYPES } from '../_object-index';
import { gatewayPods } from './_gateways';
import { selectorString } from './_shared';

/** Objects that make a Secret of the given name in their namespace: the field that names it. */
const SECRET_MAKERS: Record<string, (spec: any, name: string) => string | undefined> = {
  'Secret.core': (_spec, name) => name,
  'Certificate.cert-manager.io': spec => spec?.secretName,
  'ExternalSecret.external-secrets.io': (spec, name) => spec?.target?.name ?? name,
  'SealedSecret.bitnami.com': (spec, name) => spec?.template?.metadata?.name ?? name,
};

export const gatewayCredentials: Check = {
  name: 'gateway.SecretAnalyzer',
  description: 'Checks a gateway\'s referenced secrets for correctness',
  messages: [IST.ReferencedResourceNotFound],
  run(context: CheckContext) {
    const { index } = context;
    const secrets = knownSecrets(index);
    for (const gateway of index.ofType(TYPES.Gateway)) {
      const pods = gatewayPods(index, gateway.spec.selector);
      if (pods.length === 0) {
        // the gateway's pods may run anywhere in the cluster (Istio's gateway charts)
        if (!context.judges('*')) continue;
        const selector = selectorString(gateway.spec.selector);
        context.report(gateway, IST.ReferencedResourceNotFound, ['selector', selector], ['spec', 'selector', selector.split('=')[0]]);
        continue;
      }
      // istioctl takes the namespace of the first pod selected
      const podNamespace = pods[0].namespace;
      (gateway.spec.servers ?? []).forEach((server: any, i: number) => {
        const credential = server?.tls?.credentialName;
        if (!credential) return;
        const [namespace, name] = String(credential).includes('/')
          ? String(credential).split('/', 2) : [podNamespace, String(credential)];
        const known = secrets.get(namespace);
        if (known && !known.has(name)) {
          context.report(gateway, IST.ReferencedResourceNotFound, ['credentialName', credential], ['spec', 'servers', i, 'tls', 'credentialName']);
        }
      });
    }
  },
};

/** The Secret names the objects make, by namespace; a namespace is absent when they make none there. */
function knownSecrets(index: ObjectIndex): Map<string, Set<string>> {
  const known = new Map<string, Set<string>>();
  for (const object of index.all) {
    const maker = SECRET_MAKERS[object.type];
    const name = maker?.(object.spec, object.name);
    if (!name || object.namespace === undefined) continue;
    const set = known.get(object.namespace) ?? new Set<string>();
    known.set(object.namespace, set.add(name));
  }
  return known;
}
