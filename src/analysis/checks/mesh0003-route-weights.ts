// Istio does not require a route's destination weights to add up to 100: it shares traffic in
// proportion to them (only a total of 0 is rejected, pkg/config/validation validateHTTPRouteDestinations),
// so `90` and `20` send 82% and 18%, rarely what was meant.
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';
import { goQuote } from '../_format';
import { TYPES } from '../_object-index';

export const routeWeights: Check = {
  name: 'mesh.RouteWeightAnalyzer',
  description: 'Checks that the destination weights of each route add up to 100',
  messages: [MESH.RouteWeightsNot100],
  run(context: CheckContext) {
    for (const vs of context.index.ofType(TYPES.VirtualService)) {
      for (const protocol of ['http', 'tcp', 'tls']) {
        (vs.spec[protocol] ?? []).forEach((route: any, i: number) => {
          const destinations: any[] = route?.route ?? [];
          if (destinations.length < 2) return;
          const weights = destinations.map(d => Number(d?.weight ?? 0));
          const total = weights.reduce((a, b) => a + b, 0);
          if (total === 100 || total <= 0) return;
          const shares = destinations.map((d, j) => {
            const name = d?.destination?.subset ? `${d.destination.host}/${d.destination.subset}` : String(d?.destination?.host);
            return `${Math.round(weights[j] * 1000 / total) / 10}% to ${name}`;
          }).join(', ');
          const name = protocol === 'http' && route?.name ? goQuote(String(route.name)) : `#${i}`;
          context.report(vs, MESH.RouteWeightsNot100, [`${protocol.toUpperCase()} route ${name}`, total, shares], ['spec', protocol, i, 'route']);
        });
      }
    }
  },
};
