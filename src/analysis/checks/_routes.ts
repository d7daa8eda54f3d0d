// The destinations of a VirtualService, as istioctl's virtualservice analyzers walk them
// (analyzers/virtualservice/util.go): tcp, tls, then http routes; and http mirrors. Internal.
import type { FieldPath } from '../_object-index';

/** A destination of a VirtualService route, with where it is. */
export interface RouteDestination {
  /** `tcp`, `tls` or `http`; `http.mirror` or `http.mirrors` for mirrors. */
  readonly rule: string;
  readonly destination: any;
  /** Where its host is in the VirtualService. */
  readonly field: FieldPath;
}

/** Every route destination: tcp, tls, then http (getRouteDestinations). */
export function routeDestinations(spec: any): RouteDestination[] {
  const out: RouteDestination[] = [];
  for (const rule of ['tcp', 'tls', 'http']) {
    (spec[rule] ?? []).forEach((route: any, i: number) => (route?.route ?? []).forEach((d: any, j: number) => {
      if (d?.destination) out.push({ rule, destination: d.destination, field: ['spec', rule, i, 'route', j, 'destination', 'host'] });
    }));
  }
  return out;
}

/** Every http mirror destination (getHTTPMirrorDestinations). */
export function mirrorDestinations(spec: any): RouteDestination[] {
  const out: RouteDestination[] = [];
  (spec.http ?? []).forEach((route: any, i: number) => {
    if (route?.mirror) out.push({ rule: 'http.mirror', destination: route.mirror, field: ['spec', 'http', i, 'mirror', 'host'] });
    (route?.mirrors ?? []).forEach((m: any, j: number) => {
      if (m?.destination) out.push({ rule: 'http.mirrors', destination: m.destination, field: ['spec', 'http', i, 'mirrors', j, 'destination', 'host'] });
    });
  });
  return out;
}
