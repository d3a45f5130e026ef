#!/usr/bin/env node
// The `dr-failover` command. It runs the TypeScript sources in place through tsx: no build step, so the command
// always matches the checkout (npx dr-failover, npm link). npx puts node_modules/.bin first on PATH, so `node`
// here is the project's pinned Node 24 even where the machine's own Node is older.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `dr-failover needs Node 24 or later (this is ${process.version}): run it as \`npx dr-failover\` in the checkout, which uses the project's Node 24\n`,
  );
  process.exit(70);
}
const { register } = await import('tsx/esm/api');
register();
await import('../cli/main.ts');
