// The import rules of dr-failover's layout (docs/architecture.md, "Layout"). `npm run lint` fails on a violation.
// Arrows go one way: scripts → lab → report → functions; cli → report → functions; infra → functions; docgen reads
// the rest to describe it. functions/ is what ships to Lambda: it imports nothing outside itself.
const ROOMS_ABOVE_FUNCTIONS = '^(cli|infra|report|lab|docgen|scripts|test)/';
const ENTRY_POINTS = [
  '^functions/[^/]+\\.ts$', // Lambda handlers (serverless.yml)
  '^scripts/', // npm entry points
  '^cli/main\\.ts$', // bin/dr-failover.js
  '^bin/',
  '^infra/serverless-wiring\\.cjs$', // serverless.yml ${file(...)}
  '^test/',
  '^vitest\\.config\\.ts$',
  '\\.d\\.ts$',
  '^\\.dependency-cruiser\\.cjs$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere (type-only imports count: they couple the modules just the same).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nobody imports is dead code, unless it is an entry point.',
      from: { orphan: true, pathNot: ENTRY_POINTS },
      to: {},
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'functions/core is the pure logic and its ports: it imports only itself, npm packages and node builtins.',
      from: { path: '^functions/core/' },
      to: { pathNot: ['^functions/core/', '(^|/)node_modules/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'functions-self-contained',
      severity: 'error',
      comment: 'functions/ is what ships to Lambda: nothing outside it may be bundled in.',
      from: { path: '^functions/' },
      to: { path: ROOMS_ABOVE_FUNCTIONS },
    },
    {
      name: 'handlers-are-entries',
      severity: 'error',
      comment: 'Only serverless.yml and the lab reach a handler; core, adapters and lib never import one.',
      from: { path: '^functions/(core|adapters|lib)/' },
      to: { path: '^functions/[^/]+\\.ts$' },
    },
    {
      name: 'cli-and-report-not-lab',
      severity: 'error',
      comment: 'The shipped CLI and the reports never depend on the local lab or on the npm scripts.',
      from: { path: '^(cli|report)/' },
      to: { path: '^(lab|scripts|infra|docgen)/' },
    },
    {
      name: 'report-not-cli',
      severity: 'error',
      comment: 'report/ serves the CLI and the lab; it knows neither.',
      from: { path: '^report/' },
      to: { path: '^cli/' },
    },
    {
      name: 'infra-reads-functions-only',
      severity: 'error',
      comment: 'The packaging wiring reads the plans and names of functions/, nothing else.',
      from: { path: '^infra/' },
      to: { path: '^(cli|report|lab|docgen|scripts)/' },
    },
    {
      name: 'lab-not-cli',
      severity: 'error',
      comment: 'The lab stands in for AWS under the functions; it does not use the CLI, the wiring or the scripts.',
      from: { path: '^lab/' },
      to: { path: '^(cli|infra|docgen|scripts)/' },
    },
    {
      name: 'docgen-not-entries',
      severity: 'error',
      comment: 'The doc generators read the rooms they describe, not the CLI or the scripts.',
      from: { path: '^docgen/' },
      to: { path: '^(cli|scripts)/' },
    },
    {
      name: 'scripts-are-entries',
      severity: 'error',
      comment: 'scripts/ holds npm entry points only: nothing imports them.',
      from: {},
      to: { path: '^scripts/' },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      comment: 'Product code never imports test code.',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves (a typo in a #room/* alias or a path).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^coverage', '^\\.serverless', '^\\.esbuild', '^drill-report'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'],
      mainFields: ['module', 'main', 'types'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
