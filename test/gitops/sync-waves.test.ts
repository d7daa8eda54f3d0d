import { ApiObject } from 'cdk8s';
import { ArgoCdSyncWaves, ZeroTrustMesh } from '../../src';
import { findOne, synthValid, testChart } from '../support';

describe('ArgoCdSyncWaves', () => {
  test('namespaces first, then policies, workloads unannotated', () => {
    // GIVEN
    const chart = testChart();
    new ZeroTrustMesh(chart, 'zero-trust');
    new ApiObject(chart, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } });
    new ApiObject(chart, 'svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'payments' }, spec: { ports: [{ port: 80 }] } });

    // WHEN
    ArgoCdSyncWaves.apply(chart);

    // THEN
    const docs = synthValid(chart);
    expect(findOne(docs, 'Namespace').metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-2' });
    expect(findOne(docs, 'PeerAuthentication').metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-1' });
    expect(findOne(docs, 'Service').metadata.annotations).toBeUndefined();
  });

  test('DestinationRules come before the VirtualServices that route to their subsets', () => {
    expect(ArgoCdSyncWaves.waveOf('DestinationRule')).toBeLessThan(ArgoCdSyncWaves.waveOf('VirtualService'));
    expect(ArgoCdSyncWaves.waveOf('Namespace')).toBeLessThan(ArgoCdSyncWaves.waveOf('AuthorizationPolicy'));
    expect(ArgoCdSyncWaves.waveOf('AuthorizationPolicy')).toBeLessThan(ArgoCdSyncWaves.waveOf('Deployment'));
  });
});
