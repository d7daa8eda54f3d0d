// istioctl's destinationrule.CaCertificateAnalyzer (analyzers/destinationrule/ca-certificates.go):
// TLS mode SIMPLE or MUTUAL without caCertificates does not verify the server's certificate, for the
// whole host (IST0128) or a port (IST0129); a credentialName on a DestinationRule with a
// workloadSelector carries the CA and is fine.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';

export const destinationRuleTls: Check = {
  name: 'destinationrule.CaCertificateAnalyzer',
  description: 'Checks if caCertificates is set when TLS mode is SIMPLE/MUTUAL',
  messages: [IST.NoServerCertificateVerificationDestinationLevel, IST.NoServerCertificateVerificationPortLevel],
  run(context: CheckContext) {
    for (const dr of context.index.ofType(TYPES.DestinationRule)) {
      const name = `${dr.namespace}/${dr.name}`;
      const host = String(dr.spec.host ?? '');
      const selected = dr.spec.workloadSelector !== undefined && dr.spec.workloadSelector !== null;
      const unverified = (tls: any) => (tls?.mode === 'SIMPLE' || tls?.mode === 'MUTUAL') && !tls.caCertificates
        && !(tls.credentialName && selected);
      const policy = dr.spec.trafficPolicy;
      if (unverified(policy?.tls)) {
        context.report(dr, IST.NoServerCertificateVerificationDestinationLevel, [name, dr.namespace, policy.tls.mode, host],
          ['spec', 'trafficPolicy', 'tls', 'caCertificates']);
      }
      (policy?.portLevelSettings ?? []).forEach((p: any, i: number) => {
        if (!unverified(p?.tls)) return;
        // the PortSelector as Go's protobuf prints it
        context.report(dr, IST.NoServerCertificateVerificationPortLevel, [name, dr.namespace, p.tls.mode, host, `number:${p.port?.number}`],
          ['spec', 'trafficPolicy', 'portLevelSettings', i, 'tls', 'caCertificates']);
      });
    }
  },
};
