// Every check, on a minimal failing input and its corrected input (test/analysis/fixtures/<check>/),
// through the CLI and through the App API. Messages are istioctl's templates filled in, written out
// here as `istioctl analyze` prints them; the library's own checks use codes MESH0001 and up.
import { appMessages, cliMessages, fixture, line } from './support';
import { CHECKS } from '../../src/analysis/checks';

interface Case {
  /** The folder under fixtures/. */
  readonly fixture: string;
  /** The messages of fail.yaml, as istioctl's lines without the reference. */
  readonly messages: string[];
  /**
   * The messages through the App API when they differ: an app is part of a cluster, so what it
   * names outside the namespaces it holds is not judged missing.
   */
  readonly app?: string[];
}

/** A MESH0010 line: a gateway route to a host the mesh splits by weight, without the split. */
function gatewayRoute(origin: string, route: string, host: string, how: string, split: string, weights: string): string {
  return `Error [MESH0010] (${origin}) ${route} sends to ${host}.default.svc.cluster.local ${how}, but ${split} splits that host by weight ` +
    `for the mesh (${weights}); a gateway applies only its own routes, so it balances over every pod of the Service instead (about one ` +
    'request in two to a one-pod canary); route it with MeshIngress, whose routes carry the split, or give this route the same destinations and weights';
}
const PAY_SPLIT = 'v1 90%, v2 10%';
const CART_SPLIT = 'cart-v1.default.svc.cluster.local 95%, cart-v2.default.svc.cluster.local 5%';

const CASES: Case[] = [
  {
    fixture: 'ist0101-hosts',
    messages: [
      'Error [IST0101] (VirtualService default/reviews) Referenced host not found: "reviews"',
      'Error [IST0101] (VirtualService default/reviews) Referenced mirror host not found: "ratings.shop.svc.cluster.local"',
      'Error [IST0101] (VirtualService default/reviews) Referenced host not found: "api.internal"',
      'Error [IST0101] (VirtualService default/reviews) Referenced host:port not found: "details.shop.svc.cluster.local:9090"',
    ],
  },
  {
    fixture: 'ist0112-port-required',
    messages: ['Error [IST0112] (VirtualService default/reviews) This VirtualService routes to a service "reviews" that exposes multiple ports ' +
      '[9080 9090]. Specifying a port in the destination is required to disambiguate.'],
  },
  {
    fixture: 'ist0101-subsets',
    messages: ['Error [IST0101] (VirtualService shop/reviews) Referenced host+subset in destinationrule not found: "reviews+v2"'],
  },
  {
    fixture: 'ist0132-gateways',
    messages: [
      'Error [IST0101] (VirtualService shop/web) Referenced gateway not found: "internal"',
      'Warning [IST0132] (VirtualService shop/web) one or more host [api.example.com] defined in VirtualService shop/web not found in Gateway istio-system/public.',
      'Warning [IST0132] (VirtualService shop/web) one or more host [api.example.com] defined in VirtualService shop/web not found in Gateway shop/internal.',
    ],
  },
  {
    fixture: 'ist0162-gateway-ports',
    messages: ['Warning [IST0162] (Gateway istio-system/public) The gateway is listening on a target port (port 8081) that is not defined in the ' +
      'Service associated with its workload instances (Pod selector istio=ingressgateway). If you need to access the gateway port through the ' +
      'gateway Service, it will not be available.'],
  },
  {
    fixture: 'ist0145-conflicting-gateways',
    messages: [
      'Error [IST0145] (Gateway istio-system/blog) Conflict with gateways istio-system/shop (workload selector istio=ingressgateway, port 443, ' +
        'hosts www.example.com,blog.example.com).',
      'Error [IST0145] (Gateway istio-system/shop) Conflict with gateways istio-system/blog (workload selector istio=ingressgateway, port 443, ' +
        'hosts www.example.com).',
    ],
  },
  {
    fixture: 'ist0101-gateway-credentials',
    messages: [
      'Error [IST0101] (Gateway istio-system/partners) Referenced selector not found: "istio=partner-gateway"',
      'Error [IST0101] (Gateway istio-system/public) Referenced credentialName not found: "www-cert"',
    ],
    // a gateway's pods may run anywhere in the cluster an app is part of
    app: ['Error [IST0101] (Gateway istio-system/public) Referenced credentialName not found: "www-cert"'],
  },
  {
    fixture: 'ist0109-mesh-gateway-hosts',
    messages: ['default/reviews-timeouts', 'default/reviews'].map(vs => `Error [IST0109] (VirtualService ${vs}) The VirtualServices ` +
      'default/reviews,default/reviews-timeouts associated with mesh gateway define the same host */reviews.default.svc.cluster.local which ' +
      'can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.'),
  },
  {
    fixture: 'ist0130-unreachable-rules',
    messages: [
      'Warning [IST0130] (VirtualService default/reviews) VirtualService rule "api-again" not used (all matches used by prior rules).',
      'Warning [IST0130] (VirtualService default/reviews) VirtualService rule "fallback" not used (only the last rule can have no matches).',
      'Info [IST0131] (VirtualService default/reviews) VirtualService rule "api-again" match #0 is not used (duplicate/overlapping match in rule "api").',
      'Info [IST0131] (VirtualService default/reviews) VirtualService rule "api-v1" match #0 of prefix /api/v1 is not used ' +
        '(duplicate/overlapping match in rule #0 of prefix /api on "api").',
    ],
  },
  {
    fixture: 'ist0110-sidecar-selectors',
    messages: [
      'Error [IST0101] (Sidecar shop/ratings) Referenced selector not found: "app=ratings"',
      ...['reviews-v1', 'reviews'].map(s => `Error [IST0110] (Sidecar shop/${s}) The Sidecars [reviews reviews-v1] in namespace "shop" select the ` +
        'same workload pod "reviews", which can lead to undefined behavior.'),
      ...['default', 'scope'].map(s => `Error [IST0111] (Sidecar shop/${s}) The Sidecars [default scope] in namespace "shop" have no workload ` +
        'selector, which can lead to undefined behavior.'),
    ],
  },
  {
    fixture: 'ist0167-ineffective-sidecars',
    messages: [
      'Warning [IST0167] (Sidecar shop/default) The policy has no impact: namespace is in ambient mode, the policy has no impact.',
      'Warning [IST0167] (Sidecar shop/reviews) The policy has no impact: selected workload is in ambient mode, the policy has no impact.',
    ],
  },
  {
    fixture: 'ist0159-telemetry-selectors',
    messages: [
      'Error [IST0101] (Telemetry shop/ratings) Referenced selector not found: "app=ratings"',
      ...['reviews-v1', 'reviews'].map(t => `Error [IST0159] (Telemetry shop/${t}) The Telemetries [reviews reviews-v1] in namespace "shop" ` +
        'select the same workload pod "reviews", which can lead to undefined behavior.'),
      ...['default', 'tracing'].map(t => `Error [IST0160] (Telemetry shop/${t}) The Telemetries [default tracing] in namespace "shop" have no ` +
        'workload selector, which can lead to undefined behavior.'),
    ],
  },
  {
    fixture: 'ist0116-deployment-services',
    messages: [
      'Warning [IST0116] (Deployment shop/reviews) This deployment reviews is associated with multiple services using port 9080 but different ' +
        'protocols: [shop/reviews shop/reviews-udp]',
      'Warning [IST0137] (Deployment shop/reviews) This deployment reviews is associated with multiple services [shop/reviews shop/reviews-admin] ' +
        'using targetPort "9080" but different ports: [80 9080].',
    ],
  },
  {
    fixture: 'ist0118-port-names',
    messages: [
      'Warning [IST0150] (Service default/legacy) Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched ' +
        'traffic for ports serving TCP protocol from being forwarded correctly',
      'Info [IST0118] (Service default/reviews) Port name web (port: 9080, targetPort: 8080) doesn\'t follow the naming convention of Istio port.',
    ],
  },
  {
    fixture: 'ist0144-application-uid',
    messages: ['Warning [IST0144] (Deployment shop/reviews) User ID (UID) 1337 is reserved for the sidecar proxy.'],
  },
  {
    fixture: 'ist0128-destination-rule-tls',
    messages: [
      'Warning [IST0128] (DestinationRule default/payments-api) DestinationRule default/payments-api in namespace default has TLS mode set to ' +
        'SIMPLE but no caCertificates are set to validate server identity for host: api.payments.example.com',
      'Warning [IST0129] (DestinationRule default/payments-api) DestinationRule default/payments-api in namespace default has TLS mode set to ' +
        'MUTUAL but no caCertificates are set to validate server identity for host: api.payments.example.com at port number:8443',
    ],
  },
  {
    fixture: 'ist0173-destination-rule-subsets',
    messages: [
      'Error [IST0173] (DestinationRule default/reviews) The Subset v3 defined in the DestinationRule does not select any pods. ' +
        'Which may lead to 503 UH (NoHealthyUpstream).',
      'Warning [IST0174] (DestinationRule default/ratings) The host ratings defined in the DestinationRule does not match any services in the mesh.',
    ],
  },
  {
    fixture: 'ist0127-authorization-policies',
    messages: [
      'Error [IST0101] (AuthorizationPolicy shop/reviews) Referenced namespace not found: "frontend"',
      'Error [IST0101] (AuthorizationPolicy shop/reviews) Referenced namespace not found: "partner-*"',
      'Warning [IST0127] (AuthorizationPolicy shop/reviews) No matching workloads for this resource with the following labels: app=reviewz',
    ],
    // namespaces an app does not hold may exist in its cluster
    app: ['Warning [IST0127] (AuthorizationPolicy shop/reviews) No matching workloads for this resource with the following labels: app=reviewz'],
  },
  {
    fixture: 'ist0134-service-entry-addresses',
    // one per TCP port, as istioctl (the CLI's lines differ in their reference)
    messages: ['Warning [IST0134] (ServiceEntry default/database) ServiceEntry addresses are required for this protocol.'],
  },
  {
    fixture: 'ist0102-namespace-injection',
    messages: [
      'Warning [IST0123] (Namespace checkout) The namespace has more than one type of injection labels [istio-injection=enabled ' +
        'istio.io/dataplane-mode=ambient], which may lead to undefined behavior. Make sure only one injection label exists.',
      'Info [IST0102] (Namespace shop) The namespace is not enabled for Istio injection. Run \'kubectl label namespace shop istio-injection=enabled\' ' +
        'to enable it, or \'kubectl label namespace shop istio-injection=disabled\' to explicitly mark it as not needing injection.',
    ],
  },
  {
    fixture: 'ist0148-injection-by-default',
    messages: ['Info [IST0148] (Namespace shop) is enabled for Istio injection, as Istio is installed with enableNamespacesByDefault as true.'],
  },
  {
    fixture: 'mesh0001-duplicate-objects',
    messages: ['Error [MESH0001] (ConfigMap default/settings) duplicate object: FIRST and SECOND both define ConfigMap.core default/settings; ' +
      'the API server keeps only one of them, give one of them another name'],
  },
  {
    fixture: 'mesh0002-retries',
    messages: ['Warning [MESH0002] (VirtualService default/reviews) HTTP route "primary": retries do not fit in the route timeout 2s: after an ' +
      'attempt that runs into perTryTimeout 2s, none of the 3 retries can run (Envoy\'s route timeout includes every attempt and the back-off ' +
      'between them, istio/istio#21137); set retries.perTryTimeout to at most 431ms, or raise timeout to at least 8275ms'],
  },
  {
    fixture: 'mesh0003-route-weights',
    messages: ['Warning [MESH0003] (VirtualService default/reviews) HTTP route "canary": destination weights add up to 110, not 100, and Istio ' +
      'shares traffic in proportion to them: 81.8% to reviews/v1, 18.2% to reviews/v2; make them add up to 100'],
  },
  {
    fixture: 'mesh0004-selects-no-pods',
    messages: [
      'Warning [MESH0004] (DestinationRule default/reviews) Subset v2 of host reviews selects no pod (labels app=reviews,version=v2); none of the ' +
        'pods of Service default/reviews has the subset\'s labels; fix the subset\'s labels',
      'Warning [MESH0004] (Service default/details) The Service selects no pod (labels app=detail); its clients get no endpoints: fix the ' +
        'selector, or deploy the pods it names',
    ],
  },
  {
    fixture: 'mesh0005-app-version-labels',
    messages: ['Info [MESH0005] (Deployment shop/reviews) The pods of this mesh workload have no app or version label; Istio telemetry and Kiali ' +
      'name workloads by app and version (app or app.kubernetes.io/name, version or app.kubernetes.io/version)'],
  },
  {
    fixture: 'mesh0006-plain-text',
    messages: [
      'Warning [MESH0006] (PeerAuthentication shop/default) The mTLS mode of namespace shop is PERMISSIVE under the mesh-wide STRICT mode of ' +
        'PeerAuthentication istio-system/default, so plain-text clients get in there; remove the exception once those clients run with a sidecar',
      'Warning [MESH0006] (PeerAuthentication shop/legacy-billing) The mTLS mode of port 8080 of the pods it selects is DISABLE under the ' +
        'mesh-wide STRICT mode of PeerAuthentication istio-system/default, so plain-text clients get in there; remove the exception once those ' +
        'clients run with a sidecar',
    ],
  },
  {
    fixture: 'mesh0007-pod-security',
    messages: ['Error [MESH0007] (Deployment shop/reviews) The pods would be rejected by the Pod Security level "restricted" that namespace shop ' +
      'enforces: container "reviews" must not be privileged; container "reviews" must set allowPrivilegeEscalation: false; container "reviews" ' +
      'must run as non-root (runAsNonRoot: true); container "reviews" must have seccompProfile RuntimeDefault or Localhost (on the container or ' +
      'the pod); container "reviews" must drop ALL capabilities; fix the pod spec or lower the level of the namespace'],
  },
  {
    fixture: 'mesh0008-undeclared-namespaces',
    messages: ['Warning [MESH0008] (Deployment shop/reviews) Namespace shop is not among the objects analyzed, so its data plane (sidecar ' +
      'injection or ambient) is unknown, and a namespace created without labels gets no sidecars; add the Namespace with its labels, or fix ' +
      'the namespace name'],
  },
  {
    fixture: 'mesh0010-gateway-route-weights',
    messages: [
      gatewayRoute('HTTPRoute default/edge', 'rule #0', 'cart', 'itself, not to its versions\' Services', 'HTTPRoute default/cart', CART_SPLIT),
      gatewayRoute('HTTPRoute default/edge', 'rule #1', 'pay', 'as a Service, and an HTTPRoute cannot name a DestinationRule subset',
        'VirtualService default/pay', PAY_SPLIT),
      gatewayRoute('VirtualService default/shop', 'HTTP route "pay"', 'pay', 'without the same subsets and weights', 'VirtualService default/pay', PAY_SPLIT),
      gatewayRoute('VirtualService default/shop', 'HTTP route "pay-half"', 'pay', 'without the same subsets and weights', 'VirtualService default/pay', PAY_SPLIT),
      gatewayRoute('VirtualService default/shop', 'HTTP route "primary" of delegate VirtualService default/checkout', 'pay',
        'without the same subsets and weights', 'VirtualService default/pay', PAY_SPLIT),
      gatewayRoute('VirtualService default/shop', 'HTTP route "stall"', 'stall', 'itself, not to its versions\' Services, past the waypoint that applies ' +
        'that split (the gateway uses it only with istio.io/ingress-use-waypoint: "true" on the Service or its namespace)', 'HTTPRoute market/stall',
      'stall-v1.market.svc.cluster.local 80%, stall-v2.market.svc.cluster.local 20%').replace(/stall\.default\./, 'stall.market.'),
      gatewayRoute('VirtualService default/shop', 'HTTP route "cart"', 'cart', 'itself, not to its versions\' Services', 'HTTPRoute default/cart', CART_SPLIT),
    ],
  },
];

/** The lines of messages, deduplicated; the duplicate check names where each copy is, which differs by source. */
function lines(messages: any[]): string[] {
  return [...new Set(messages.map(m => line(m).replace(/duplicate object: .* and .* both define/, 'duplicate object: FIRST and SECOND both define')))];
}

describe.each(CASES)('$fixture', ({ fixture: name, messages, app }) => {
  test('the CLI reports the failing input with istioctl\'s messages', () => {
    expect(lines(cliMessages(fixture(name)))).toEqual(messages);
  });

  test('the App API reports the same', () => {
    // in the same order, but for the references (construct paths here, file lines there)
    expect(lines(appMessages(fixture(name))).sort()).toEqual([...app ?? messages].sort());
  });

  test('the corrected input is clean through both', () => {
    expect(cliMessages(fixture(name, 'pass'))).toEqual([]);
    expect(appMessages(fixture(name, 'pass'))).toEqual([]);
  });
});

test('every check and every code has a fixture', () => {
  // a new check gets a fixture folder named after the first code it reports
  const codes = new Set(CASES.flatMap(c => c.messages.map(m => /\[(\w+)\]/.exec(m)![1])));
  for (const check of CHECKS) {
    if (check.name === 'mesh.CallGraphAnalyzer') continue; // calls exist only at synth: test/analysis/call-graph.test.ts
    for (const type of check.messages) expect({ check: check.name, code: type.code, tested: codes.has(type.code) }).toMatchObject({ tested: true });
  }
});
