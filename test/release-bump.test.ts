// projen's bump, as the release workflow runs it (`npx projen release` sets MAJOR=0, then bumps),
// on a copy of this repository with commits after a release tag: the version and changelog entry
// the next release gets. Nothing is published or pushed.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

/** A clone of HEAD tagged v0.3.0, with `commits` after the tag; returns what the bump wrote. */
function bumpAfter(commits: string[]): { version: string; changelog: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-mesh-bump-'));
  try {
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args],
      { cwd: dir, stdio: 'pipe' });
    execFileSync('git', ['clone', '--quiet', '--no-local', '--depth', '1', `file://${ROOT}`, dir], { stdio: 'pipe' });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    git('tag', 'v0.3.0');
    for (const message of commits) git('commit', '--quiet', '--allow-empty', '-m', message);
    execFileSync('npx', ['projen', 'bump'], { cwd: dir, stdio: 'pipe', env: { ...process.env, MAJOR: '0' } });
    return {
      version: fs.readFileSync(path.join(dir, 'dist', 'version.txt'), 'utf8').trim(),
      changelog: fs.readFileSync(path.join(dir, 'dist', 'changelog.md'), 'utf8'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a feature and a fix after 0.3.0: a patch, 0.3.1, with both in its changelog entry', () => {
  const { version, changelog } = bumpAfter(['feat: MeshIngress routes by header', 'fix: the gateway keeps its status port']);
  expect(version).toBe('0.3.1');
  expect(changelog).toMatch(/^## \[?0\.3\.1\]?/m);
  expect(changelog).toMatch(/### Features\s+\* MeshIngress routes by header/);
  expect(changelog).toMatch(/### Bug Fixes\s+\* the gateway keeps its status port/);
}, 120_000);

test('a breaking change in 0.x: a minor, 0.4.0, and the entry says what breaks', () => {
  const { version, changelog } = bumpAfter(['feat!: CanaryService takes its namespace as an object']);
  expect(version).toBe('0.4.0');
  expect(changelog).toMatch(/⚠ BREAKING CHANGES|BREAKING CHANGES/);
  expect(changelog).toContain('CanaryService takes its namespace as an object');
}, 120_000);
