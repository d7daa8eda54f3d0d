// The README's table of checks lists every message type with its level, and only those.
import * as fs from 'fs';
import * as path from 'path';
import { ALL_MESSAGE_TYPES, documentationUrl } from '../../src/analysis/_catalog';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

test('the README table has one row per code, with its level', () => {
  const rows = [...README.matchAll(/^\| (?:<a id="(\w+)"><\/a>)?((?:IST|MESH)\d{4}) \| (Error|Warning|Info) \|/gm)]
    .map(m => `${m[2]} ${m[3]}`);
  expect(rows).toEqual(ALL_MESSAGE_TYPES.map(t => `${t.code} ${t.level}`));
});

test('each library code links to its row of the README, each istioctl code to istio.io', () => {
  for (const { code } of ALL_MESSAGE_TYPES) {
    const url = documentationUrl(code);
    if (code.startsWith('IST')) {
      expect(url).toBe(`https://istio.io/latest/docs/reference/config/analysis/${code.toLowerCase()}/`);
    } else {
      expect(url).toBe(`https://github.com/cdk8s-mesh/cdk8s-mesh/blob/main/README.md#${code.toLowerCase()}`);
      expect(README).toContain(`<a id="${code.toLowerCase()}"></a>${code}`);
    }
  }
});

test('the library\'s codes do not collide with istioctl\'s', () => {
  expect(ALL_MESSAGE_TYPES.filter(t => !/^(IST0\d{3}|MESH0\d{3})$/.test(t.code))).toEqual([]);
  expect(new Set(ALL_MESSAGE_TYPES.map(t => t.code)).size).toBe(ALL_MESSAGE_TYPES.length);
});
