/**
 * The `dr-failover` command (package.json "bin", through bin/dr-failover.js). See cli/program.ts.
 */
import { realDeps } from './context.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), realDeps());
