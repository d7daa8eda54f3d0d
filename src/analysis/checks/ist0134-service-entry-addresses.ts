// istioctl's serviceentry.Analyzer (analyzers/serviceentry/protocoladdresses.go): a ServiceEntry
// with a TCP port (or one without a protocol) needs addresses, unless the mesh config captures DNS
// (ISTIO_META_DNS_CAPTURE) and allocates addresses (ISTIO_META_DNS_AUTO_ALLOCATE or
// PILOT_ENABLE_IP_AUTOALLOCATE). One message per such port, as in istioctl.
import { IST } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { TYPES } from '../_object-index';

export const serviceEntryAddresses: Check = {
  name: 'serviceentry.Analyzer',
  description: 'Checks the validity of ServiceEntry',
  messages: [IST.ServiceEntryAddressesRequired],
  run(context: CheckContext) {
    const metadata = context.index.meshConfig.proxyMetadata;
    const allocated = metadata.ISTIO_META_DNS_CAPTURE === 'true'
      && (metadata.ISTIO_META_DNS_AUTO_ALLOCATE === 'true' || metadata.PILOT_ENABLE_IP_AUTOALLOCATE === 'true');
    if (allocated) return;
    for (const se of context.index.ofType(TYPES.ServiceEntry)) {
      const addresses = se.spec.addresses;
      const statusAddresses = se.manifest.status?.addresses;
      if ((Array.isArray(addresses) && addresses.length > 0) || (Array.isArray(statusAddresses) && statusAddresses.length > 0)) continue;
      (se.spec.ports ?? []).forEach((p: any, i: number) => {
        if (!p?.protocol || String(p.protocol).toUpperCase() === 'TCP') {
          context.report(se, IST.ServiceEntryAddressesRequired, [], ['spec', 'ports', i, 'name']);
        }
      });
    }
  },
};
