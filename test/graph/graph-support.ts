// What the service-graph tests ask of the emitted YAML about a service.
import { CanaryService } from '../../src';
import { findOne } from '../support';

/** What the cluster knows of a service: its pods, its identity, its host, its container port. */
export function endpoint(docs: any[], service: CanaryService) {
  const deployment = findOne(docs, 'Deployment', `${service.serviceName}-v1`);
  return {
    name: service.serviceName,
    namespace: service.namespace,
    labels: deployment.spec.template.metadata.labels,
    principal: `cluster.local/ns/${service.namespace}/sa/${deployment.spec.template.spec.serviceAccountName}`,
    host: `${service.serviceName}.${service.namespace}.svc.cluster.local`,
    targetPort: findOne(docs, 'Service', service.serviceName).spec.ports[0].targetPort,
  };
}

export type Endpoint = ReturnType<typeof endpoint>;
