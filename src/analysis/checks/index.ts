// The checks the analysis runs, in this order. A new check is a file of its own in this folder and
// one line here. Internal.
import type { Check } from '../_engine';
import { gatewayCredentials } from './ist0101-gateway-credentials';
import { virtualServiceDestinationHosts } from './ist0101-virtualservice-destination-hosts';
import { virtualServiceGateways } from './ist0101-virtualservice-gateways';
import { virtualServiceSubsets } from './ist0101-virtualservice-subsets';
import { namespaceInjection } from './ist0102-namespace-injection';
import { conflictingMeshGatewayHosts } from './ist0109-conflicting-mesh-gateway-hosts';
import { sidecarSelectors } from './ist0110-sidecar-selectors';
import { deploymentServices } from './ist0116-deployment-services';
import { portNames } from './ist0118-port-names';
import { authorizationPolicies } from './ist0127-authorization-policies';
import { destinationRuleTls } from './ist0128-destination-rule-tls';
import { unreachableRules } from './ist0130-unreachable-rules';
import { serviceEntryAddresses } from './ist0134-service-entry-addresses';
import { applicationUid } from './ist0144-application-uid';
import { conflictingGateways } from './ist0145-conflicting-gateways';
import { telemetrySelectors } from './ist0159-telemetry-selectors';
import { telemetryDefaultSelectors } from './ist0160-telemetry-default-selectors';
import { gatewayPorts } from './ist0162-gateway-ports';
import { destinationRuleSubsets } from './ist0173-destination-rule-subsets';
import { duplicateObjects } from './mesh0001-duplicate-objects';
import { retriesExceedRouteTimeout } from './mesh0002-retries-exceed-route-timeout';
import { routeWeights } from './mesh0003-route-weights';
import { selectsNoPods } from './mesh0004-selects-no-pods';
import { appVersionLabels } from './mesh0005-app-version-labels';
import { plainTextUnderStrictMesh } from './mesh0006-plain-text-under-strict-mesh';
import { podSecurity } from './mesh0007-pod-security';
import { undeclaredNamespaces } from './mesh0008-undeclared-namespaces';
import { callGraphPolicies } from './mesh0009-call-graph-policies';
import { gatewayRouteWeights } from './mesh0010-gateway-route-weights';

export const CHECKS: readonly Check[] = [
  // istioctl's analyzers (Istio 1.30 pkg/config/analysis/analyzers)
  authorizationPolicies,
  deploymentServices,
  applicationUid,
  destinationRuleTls,
  destinationRuleSubsets,
  gatewayPorts,
  gatewayCredentials,
  conflictingGateways,
  namespaceInjection,
  portNames,
  sidecarSelectors,
  conflictingMeshGatewayHosts,
  virtualServiceDestinationHosts,
  virtualServiceSubsets,
  virtualServiceGateways,
  serviceEntryAddresses,
  telemetrySelectors,
  telemetryDefaultSelectors,
  unreachableRules,
  // the library's own
  duplicateObjects,
  retriesExceedRouteTimeout,
  routeWeights,
  selectsNoPods,
  appVersionLabels,
  plainTextUnderStrictMesh,
  podSecurity,
  undeclaredNamespaces,
  callGraphPolicies,
  gatewayRouteWeights,
];
