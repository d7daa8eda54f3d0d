// Under a mesh-wide STRICT PeerAuthentication (the root namespace's, without a selector), every
// PERMISSIVE or DISABLE mode - of a namespace, a workload or a port - lets plain-text clients in
// where the mesh promises mTLS (Istio docs, "PeerAuthentication": the narrowest policy wins).
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';

const WEAK = new Set(['PERMISSIVE', 'DISABLE']);

export const plainTextUnderStrictMesh: Check = {
  name: 'mesh.PeerAuthenticationAnalyzer',
  description: 'Checks for PERMISSIVE or DISABLE mTLS exceptions under a STRICT mesh',
  messages: [MESH.PlainTextUnderStrictMesh],
  run(context: CheckContext) {
    const { index } = context;
    const policies = index.ofType(TYPES.PeerAuthentication);
    const meshWide = policies.find(p => p.namespace === index.meshConfig.rootNamespace && !p.spec.selector && p.spec.mtls?.mode === 'STRICT');
    if (!meshWide) return;
    const strict = `${meshWide.namespace}/${meshWide.name}`;
    for (const policy of policies) {
      if (policy === meshWide) continue;
      const mode = policy.spec.mtls?.mode;
      const whose = policy.spec.selector ? 'the pods it selects' : `namespace ${policy.namespace}`;
      if (WEAK.has(mode)) context.report(policy, MESH.PlainTextUnderStrictMesh, [`The mTLS mode of ${whose}`, mode, strict], ['spec', 'mtls', 'mode']);
      for (const [port, setting] of Object.entries<any>(policy.spec.portLevelMtls ?? {})) {
        if (WEAK.has(setting?.mode)) {
          context.report(policy, MESH.PlainTextUnderStrictMesh, [`The mTLS mode of port ${port} of ${whose}`, setting.mode, strict],
            ['spec', 'portLevelMtls', port, 'mode']);
        }
      }
    }
  },
};
