// `npm run synth` runs the cdk8s CLI the way a user runs `cdk8s synth`: the CLI lists the files it
// finds in its own output folder, so the app must leave them there, and nothing may read like a
// failure (no stack trace, no "No manifests synthesized") when every file was written.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { EXAMPLES } from '../examples';

const ROOT = path.resolve(__dirname, '..');

test('npm run synth (cdk8s synth) lists every file written and prints no stack trace', () => {
  // WHEN, with stderr folded into the output as a terminal shows it
  const run = spawnSync('bash', ['-c', 'npm run synth 2>&1'], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' },
  });
  const output = run.stdout;

  // THEN
  expect({ status: run.status, output }).toEqual({ status: 0, output: expect.any(String) });
  const manifests = path.join(ROOT, 'dist', 'manifests');
  const apps = EXAMPLES.map(([name]) => name);
  expect(apps).toContain('reference');
  for (const app of apps) {
    const written = fs.readdirSync(path.join(manifests, app)).sort();
    expect(written.length).toBeGreaterThan(0);
    for (const file of written) expect(output).toContain(`  - dist/.cdk8s-cli/${app}/${file}`);
    expect(output).toContain(`cdk8s-mesh: wrote ${written.length} files to dist/manifests/${app}/ (all or nothing): ${written.join(', ')}`);
  }
  expect(output).not.toMatch(/No manifests synthesized/);
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // a stack frame
  expect(output).not.toMatch(/\bError\b/);
}, 180_000);
