// The Kubernetes Service of a CanaryService: one port, named and typed for Istio's protocol
// selection (port-naming.ts). Internal.
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { CanarySpec } from './canary-spec';

/** The Service `<name>`, selecting every pod with `app: <name>`. */
export function addService(scope: Construct, spec: CanarySpec): ApiObject {
  return new k8s.KubeService(scope, 'Service', {
    metadata: { name: spec.name, namespace: spec.namespace.name, labels: spec.labels },
    spec: {
      selector: { app: spec.name },
      ports: [{
        name: spec.portName,
        port: spec.port,
        targetPort: k8s.IntOrString.fromNumber(spec.targetPort),
        protocol: 'TCP',
        appProtocol: spec.protocol,
      }],
    },
  });
}
