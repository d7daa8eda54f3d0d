// The mesh analysis of a cdk8s app: every object of every chart, rendered once per synth by the
// whole-app checks (src/common/app-checks.ts), analyzed once per synth. At synth, Error messages
// fail it and Warning messages go through MeshWarnings; Info messages only reach
// MeshAnalysis.analyze(). Internal.
import { IConstruct } from 'constructs';
import { analyze, AnalysisResult, DeclaredCall, Finding, logLine } from './_engine';
import { AnalysisInput, AnalyzedObject, ObjectIndex, TYPES } from './_object-index';
import { AnalysisLevel } from './analysis-level';
import type { RenderedObject } from '../common/app-checks';
import { MeshWarnings } from '../common/warnings';
import { MeshModel, WorkloadIntent } from '../graph/model';
import { MeshIngress } from '../ingress/mesh-ingress';
import { AnalysisEngine } from '../traffic/canary-analysis';
import { CanaryService } from '../traffic/canary-service';
import { ZeroTrustNamespace } from '../zero-trust/zero-trust-namespace';

const results = new WeakMap<RenderedObject[], AnalysisResult>();

/** The analysis of the objects an app renders (the list renderedObjects() gives, once per synth). */
export function analyzeRendered(objects: RenderedObject[]): AnalysisResult {
  let result = results.get(objects);
  if (!result) {
    const root = objects[0]?.object.node.root;
    // an app is part of a cluster: what it names in namespaces it does not hold may exist there
    result = analyze(objects.map(({ object, manifest }) => ({ manifest, source: { construct: object } })), {
      partOfCluster: true,
      assumed: root ? namedWorkloads(root, objects) : [],
      calls: root ? declaredCalls(root) : [],
    });
    results.set(objects, result);
  }
  return result;
}

/**
 * What the library's constructs already check when they are built, by code: at synth these
 * messages are left out for the objects those constructs made, so that a problem is reported once,
 * in the construct's words (its props), where the user can fix it. MeshAnalysis.analyze() still
 * returns them. Each entry names the construct check it stands for.
 */
const CHECKED_BY_CONSTRUCTS: Record<string, (finding: Finding, index: ObjectIndex) => boolean> = {
  // CanaryService warns about the retry trap of the route it renders (src/traffic/retries.ts)
  MESH0002: f => madeBy(f.object, CanaryService),
  // MeshIngress fails the synth for a host of its VirtualServices that its Gateway does not serve (src/ingress/istio-api.ts)
  IST0132: f => madeBy(f.object, MeshIngress),
  // ZeroTrustNamespace.allowPlainText warns about each plain-text exception it adds
  MESH0006: f => madeBy(f.object, ZeroTrustNamespace),
  // ZeroTrustNamespace fails the synth for a workload its Pod Security level rejects
  MESH0007: (f, index) => {
    const namespace = index.find(TYPES.Namespace, undefined, f.object.namespace ?? '');
    return namespace !== undefined && madeBy(namespace, ZeroTrustNamespace);
  },
};

/** The whole-app check: errors fail the synth, warnings are reported through MeshWarnings. */
export function meshAnalysisCheck(objects: RenderedObject[], _root: IConstruct): string[] {
  const { findings, index } = analyzeRendered(objects);
  const reported = findings.filter(f => !CHECKED_BY_CONSTRUCTS[f.type.code]?.(f, index));
  const errors = reported.filter(f => f.type.level === AnalysisLevel.ERROR).map(logLine);
  const warnings = reported.filter(f => f.type.level === AnalysisLevel.WARNING)
    .map(f => ({ scope: f.object.source.construct!, line: logLine(f) }));
  return [...errors, ...MeshWarnings._reportAppWarnings(warnings)];
}

/**
 * What the app's mesh model names without creating it: a namespace that exists elsewhere
 * (ZeroTrustNamespace.fromName()) stands in as a Namespace with its data plane's labels; a workload
 * deployed by other means (MeshWorkload.fromService(), the ingress gateway as a caller), as pods
 * with its labels and its Service, so that the policies written for it select something; the
 * Service of a gateway a MeshIngress routes through, with the ports it was given; the Services
 * Flagger creates for a CanaryService it rolls out.
 */
function namedWorkloads(root: IConstruct, objects: RenderedObject[]): AnalysisInput[] {
  const model = MeshModel.existing(root);
  const namespaces: AnalysisInput[] = [...model?.namespaces.values() ?? []].filter(n => !n.managed).map(n => ({
    manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.name, labels: n.dataPlane.namespaceLabels({ revision: n.revision }) } },
    source: { reference: `named by ${n.construct.node.path}` },
  }));
  const services = new Set(objects.filter(o => o.object.kind === 'Service').map(o => `${o.manifest.metadata?.namespace}/${o.manifest.metadata?.name}`));
  // the Services of gateways that Istio's install deploys and MeshIngress routes through
  const gatewayServices: AnalysisInput[] = (model?.gatewayServices ?? []).filter(g => !services.has(`${g.namespace}/${g.name}`)).map(g => ({
    manifest: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: g.name, namespace: g.namespace },
      spec: { selector: g.selector, ports: g.ports.map(p => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: 'TCP' })) },
    },
    source: { reference: `named by ${g.construct.node.path}` },
  }));
  return [...namespaces, ...gatewayServices, ...(model?.workloads ?? []).flatMap(w => {
    const namespace = w.namespace.name;
    const source = { reference: `named by ${w.construct.node.path}` };
    // a workload the app deploys without its Service: Flagger creates it, and <name>-primary and
    // <name>-canary (Flagger docs, "How it works"), which ambient's DestinationRules and gateway routes name
    if (w.owned) {
      if (!w.serviceName || services.has(`${namespace}/${w.serviceName}`)) return [];
      const flagger = w.routing?.engine === AnalysisEngine.FLAGGER ? ['primary', 'canary'].map(s => `${w.serviceName}-${s}`) : [];
      return [w.serviceName, ...flagger].map(name => standInService(w, source, name));
    }
    const pod: AnalysisInput = {
      manifest: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${w.serviceName ?? w.serviceAccountName}-named`, namespace, labels: { ...w.selector, ...w.podLabels } },
        spec: { serviceAccountName: w.serviceAccountName, containers: [] },
      },
      source,
    };
    if (!w.serviceName || services.has(`${namespace}/${w.serviceName}`)) return [pod];
    return [pod, standInService(w, source, w.serviceName)];
  })];
}

/** A workload's Service as the model knows it, under a name. */
function standInService(w: WorkloadIntent, source: AnalysisInput['source'], name: string): AnalysisInput {
  const ports = w.ports.map(p => ({ name: `${p.http ? 'http' : 'tcp'}-${p.port}`, port: p.port, targetPort: p.targetPort }));
  return { manifest: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: w.namespace.name }, spec: { selector: w.selector, ports } }, source };
}

/** The calls of the app's service graph, as the emitted objects must let them through. */
function declaredCalls(root: IConstruct): DeclaredCall[] {
  const model = MeshModel.existing(root);
  if (!model) return [];
  const resolved = model.resolved();
  return model.workloads.flatMap(w => resolved.outbound(w)).map(call => ({
    from: {
      namespace: call.caller.namespace.name,
      serviceAccount: call.caller.serviceAccountName,
      labels: { ...call.caller.podLabels, ...call.caller.selector },
      // a proxy of a namespace the app manages is scoped by the Sidecars its data plane writes
      scoped: call.caller.namespace.managed && call.caller.namespace.dataPlane.name === 'sidecar',
      ingressGateway: call.caller.ingressGateway === true,
    },
    to: {
      namespace: call.callee.namespace.name,
      labels: { ...call.callee.podLabels, ...call.callee.selector },
      service: call.callee.serviceName!,
      host: call.host,
    },
    principal: call.principal,
    ports: call.targetPorts,
    http: call.callee.ports.every(p => p.http),
    methods: call.methods,
    paths: call.paths,
    description: `${call.caller.description} -> ${call.callee.description}`,
  }));
}

function madeBy(object: AnalyzedObject, type: abstract new (...args: any[]) => IConstruct): boolean {
  return object.source.construct?.node.scopes.some(s => s instanceof type) ?? false;
}
