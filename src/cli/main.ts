// The `cdk8s-mesh` command (bin/cdk8s-mesh): `cdk8s-mesh analyze ...`. Internal.
import * as fs from 'fs';
import { ANALYZE_HELP, CommandIo, EXIT, runAnalyze } from './analyze';

const HELP = `cdk8s-mesh: the mesh analysis of cdk8s-mesh, for any YAML, without a cluster.

Usage:
  cdk8s-mesh analyze [flags] FILE|DIR|- ...   Analyze Istio configuration and print validation messages

Run 'cdk8s-mesh analyze --help' for its flags.
`;

/** Runs the command and returns its exit code. */
export function run(args: string[], io: CommandIo): number {
  const [command, ...rest] = args;
  if (command === 'analyze') return runAnalyze(rest, io);
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.stdout(rest[0] === 'analyze' ? ANALYZE_HELP : HELP);
    return EXIT.OK;
  }
  io.stderr(`Error: unknown command "${command}" for "cdk8s-mesh"\nRun 'cdk8s-mesh --help' for usage.\n`);
  return EXIT.INCORRECT_USAGE;
}

/** The process: arguments from the command line, exit code set when done. */
export function main(): void {
  const io: CommandIo = {
    stdout: text => process.stdout.write(text),
    stderr: text => process.stderr.write(text),
    readStdin: () => fs.readFileSync(0, 'utf8'),
    stdoutIsTty: process.stdout.isTTY === true,
    stdinIsTty: process.stdin.isTTY === true,
    env: process.env,
  };
  try {
    process.exitCode = run(process.argv.slice(2), io);
  } catch (e) {
    // a bug of the analysis itself: say so plainly, no stack trace unless asked for
    process.stderr.write(`Error: internal error of cdk8s-mesh analyze: ${(e as Error)?.message ?? e}\n` +
      (process.env.CDK8S_MESH_DEBUG ? `${(e as Error)?.stack}\n` : 'Set CDK8S_MESH_DEBUG=1 for details.\n'));
    process.exitCode = EXIT.UNKNOWN_ERROR;
  }
}
