// `npm run synth` runs the cdk8s CLI the way a user runs `cdk8s synth`: the CLI lists the files it
// finds in its own output folder, so the app must leave them there, and nothing may read like a
// failure (no stack trace, no "No manifests synthesized") when every file was written.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

test('npm run synth (cdk8s synth) lists every file written and prints no stack trace', () => {
  // WHEN, with stderr folded into the output as a terminal shows it
  const run = spawnSync('bash', ['-c', 'npm run synth 2>&1'], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' },
  });
  const output = run.stdout;

  // THEN
  expect({ status: run.status, output }).toEqual({ status: 0, output: expect.any(String) });
  const written = fs.readdirSync(path.join(ROOT, 'dist', 'manifests', 'reference')).sort();
  expect(written).toEqual(['istio.k8s.yaml', 'mesh.k8s.yaml', 'nodes.k8s.yaml', 'payments.k8s.yaml']);
  for (const file of written) expect(output).toContain(`  - dist/.cdk8s-cli/reference/${file}`);
  expect(output).toContain(`cdk8s-mesh: wrote 4 files to dist/manifests/reference/ (all or nothing): ${written.join(', ')}`);
  expect(output).not.toMatch(/No manifests synthesized/);
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // a stack frame
  expect(output).not.toMatch(/\bError\b/);
}, 180_000);
