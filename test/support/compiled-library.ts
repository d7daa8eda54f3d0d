// The library compiled with jsii (lib/, .jsii), as `npm pack` packs it, for the tests that pack it.
// jsii rewrites lib/ and .jsii: a test file compiling while another packs (parallel jest workers)
// would pack half-written files. So compiling holds a lock, and is skipped when the output is newer
// than every input, as in `npx projen build`, which compiles before it tests.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const LOCK = path.join(os.tmpdir(), `cdk8s-mesh-jsii-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
/** A compile takes ~15 s on a busy machine; a lock older than this was left by a killed run. */
const STALE_LOCK_MS = 300_000;

/** Compiles the library with jsii unless lib/ and .jsii are newer than its sources; safe in parallel. */
export function compileLibrary(): void {
  withLock(() => {
    if (!upToDate()) {
      execFileSync('npx', ['jsii', '--silence-warnings=reserved-word'], { cwd: ROOT, stdio: 'pipe' });
    }
  });
}

function upToDate(): boolean {
  const assembly = path.join(ROOT, '.jsii');
  if (!fs.existsSync(assembly) || !fs.existsSync(path.join(ROOT, 'lib', 'src', 'index.js'))) {
    return false;
  }
  const inputs = [
    path.join(ROOT, 'package.json'),
    path.join(ROOT, 'tsconfig.json'),
    ...filesUnder(path.join(ROOT, 'src')),
    ...filesUnder(path.join(ROOT, 'imports')),
  ];
  const built = fs.statSync(assembly).mtimeMs;
  return inputs.every(f => fs.statSync(f).mtimeMs < built);
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

function withLock(action: () => void): void {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
      const held = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) {
        fs.rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    action();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}
