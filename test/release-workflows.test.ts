// The GitHub workflows projen generates build what .ci/run builds, and release from main only.
// They run where .ci/run cannot (GitHub), so a drift between the two would go unseen here.
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const workflow = (name: string) => YAML.parse(fs.readFileSync(path.join(ROOT, '.github', 'workflows', `${name}.yml`), 'utf8'));
const runs = (job: any): string[] => job.steps.filter((s: any) => s.run).map((s: any) => s.run);
const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf8')).tasks;

test('pull requests build with the command .ci/run runs, with CI set, and fail on changed files', () => {
  const build = workflow('build');
  expect(Object.keys(build.on)).toContain('pull_request');
  expect(fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npx projen build$/m);
  expect(runs(build.jobs.build)).toEqual(expect.arrayContaining(['npm ci', 'npx projen build']));
  expect(build.jobs.build.env.CI).toBe('true');
  // no self-mutation: a build that changes committed files fails, as in .ci/run
  expect(Object.keys(build.jobs)).not.toContain('self-mutation');
});

test('main releases: bump within 0.x, the full build, then npm with provenance', () => {
  const release = workflow('release');
  expect(release.on.push.branches).toEqual(['main']);
  expect(runs(release.jobs.release)).toContain('npx projen release');
  expect(tasks.release.env.MAJOR).toBe('0');
  expect(tasks.release.steps.map((s: any) => s.spawn).filter(Boolean)).toEqual(['bump', 'build', 'unbump']);
  const npm = release.jobs.release_npm.steps.find((s: any) => s.env?.NPM_TOKEN);
  expect(npm.env).toMatchObject({ NPM_CONFIG_PROVENANCE: 'true', NPM_TOKEN: '${{ secrets.NPM_TOKEN }}' });
});

test('the workflows name no secret but the npm token and the token GitHub gives every workflow', () => {
  const names = fs.readdirSync(path.join(ROOT, '.github', 'workflows'))
    .flatMap(f => [...fs.readFileSync(path.join(ROOT, '.github', 'workflows', f), 'utf8').matchAll(/secrets\.(\w+)/g)].map(m => m[1]));
  expect([...new Set(names)].sort()).toEqual(['GITHUB_TOKEN', 'NPM_TOKEN']);
});
