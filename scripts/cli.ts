/**
 * The `dr-failover` command (package.json "bin", through bin/dr-failover.js). See scripts/cli/program.ts.
 */
import { realDeps } from './cli/context.js';
import { runCli } from './cli/program.js';

process.exitCode = await runCli(process.argv.slice(2), realDeps());
