// `npm test` must be able to fail on a changed snapshot: it never rewrites them.
import * as fs from 'fs';
import * as path from 'path';

test('the test task runs jest with --ci and never with --updateSnapshot', () => {
  const tasks = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '.projen', 'tasks.json'), 'utf8')).tasks;
  const jestStep = tasks.test.steps.find((s: any) => s.execArgs?.[0] === 'jest');
  expect(jestStep.execArgs).toContain('--ci');
  expect(JSON.stringify(tasks.test)).not.toMatch(/--updateSnapshot|"-u"/);
  expect(tasks['test:update'].steps[0].execArgs).toContain('--updateSnapshot');
});
