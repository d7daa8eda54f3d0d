import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshWarnings, WarningMode } from '../../src';

function chartWithWarning(): { app: ReturnType<typeof Testing.app>; chart: Chart; risky: Construct } {
  const app = Testing.app();
  const chart = new Chart(app, 'chart');
  const risky = new Construct(chart, 'risky');
  MeshWarnings.of(risky).add('retries cannot fit in the timeout; lower perTryTimeout');
  return { app, chart, risky };
}

describe('MeshWarnings', () => {
  const env = process.env.CDK8S_MESH_WARNINGS;
  afterEach(() => {
    if (env === undefined) delete process.env.CDK8S_MESH_WARNINGS;
    else process.env.CDK8S_MESH_WARNINGS = env;
    jest.restoreAllMocks();
  });
  beforeEach(() => delete process.env.CDK8S_MESH_WARNINGS);

  test('collects warnings with the construct path, once per message', () => {
    const { app, risky } = chartWithWarning();
    MeshWarnings.of(risky).add('retries cannot fit in the timeout; lower perTryTimeout');
    MeshWarnings.of(risky).add('second');
    expect(MeshWarnings.collect(app)).toEqual([
      { path: 'chart/risky', message: 'retries cannot fit in the timeout; lower perTryTimeout' },
      { path: 'chart/risky', message: 'second' },
    ]);
  });

  test('prints each warning once per app, even though cdk8s validates once per chart', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { app } = chartWithWarning();
    new Chart(app, 'other');
    app.synth();
    const lines = write.mock.calls.map(c => String(c[0])).filter(l => l.startsWith('[cdk8s-mesh]'));
    expect(lines).toEqual(['[cdk8s-mesh] warning at chart/risky: retries cannot fit in the timeout; lower perTryTimeout\n']);
  });

  test('WarningMode.ERROR fails synthesis with the path and the message', () => {
    const { app } = chartWithWarning();
    MeshWarnings.setMode(app, WarningMode.ERROR);
    expect(() => app.synth()).toThrow(
      '[chart/risky] warning treated as an error (WarningMode.ERROR): retries cannot fit in the timeout; lower perTryTimeout');
  });

  test('the nearest mode wins', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { app, chart } = chartWithWarning();
    MeshWarnings.setMode(app, WarningMode.ERROR);
    MeshWarnings.setMode(chart, WarningMode.COLLECT);
    expect(() => app.synth()).not.toThrow();
    expect(write.mock.calls.filter(c => String(c[0]).startsWith('[cdk8s-mesh]'))).toEqual([]);
  });

  test('CDK8S_MESH_WARNINGS=error overrides the mode set in code', () => {
    const { app, chart } = chartWithWarning();
    MeshWarnings.setMode(chart, WarningMode.COLLECT);
    process.env.CDK8S_MESH_WARNINGS = 'error';
    expect(() => app.synth()).toThrow('warning treated as an error');
  });

  test('an unknown CDK8S_MESH_WARNINGS value is rejected with the choices', () => {
    const { app } = chartWithWarning();
    process.env.CDK8S_MESH_WARNINGS = 'loud';
    expect(() => app.synth()).toThrow('invalid CDK8S_MESH_WARNINGS "loud": use one of print, error, collect');
  });
});
