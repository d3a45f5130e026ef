/**
 * Cold-start benchmark of the packaged functions (a benchmark, not a test). Every failover step runs cold, so
 * the orchestration pays roughly the sum of the cold starts along its happy path.
 *
 *   npm run bench:cold [-- --package-dir .serverless] [--runs 5] [--out bench/cold.json]
 *
 * Without --package-dir it packages a throwaway copy of the service (`osls package --stage bench`). Each bundle
 * is unzipped and imported in a fresh Node process (this process's Node, the project's 24), with the function's
 * deployed NODE_OPTIONS, N times; so is an empty module, in the same run, as the baseline. "ready" is the time
 * from process start to the module evaluated (performance.now() counts from the process's time origin),
 * "import" the time spent in `await import()` alone.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { copyService, osls, REPO } from '#infra/packaging.js';

/** The happy path's Task steps, in order, and the function each one calls. */
const HAPPY_PATH: [step: string, fn: string][] = [
  ['Prepare', 'prepare'],
  ['NotifyStarted', 'notify'],
  ['CheckLag', 'checkLag'],
  ['Fence', 'fence'],
  ['Promote', 'promote'],
  ['PromotionStatus', 'promotionStatus'],
  ['UpdateDns', 'updateDns'],
  ['DnsStatus', 'dnsStatus'],
  ['Verify', 'verify'],
  ['NotifySucceeded', 'notify'],
];

interface Sample {
  /** process start → module evaluated */
  ready: number;
  /** `await import()` alone */
  import: number;
}
interface FunctionResult {
  function: string;
  handler: string;
  zipBytes: number;
  mjsBytes: number;
  mapBytes: number;
  nodeOptions: string;
  readyMs: number;
  importMs: number;
  ratio: number;
  samples: Sample[];
}

const { values: args } = parseArgs({
  options: {
    'package-dir': { type: 'string' },
    runs: { type: 'string', default: '5' },
    out: { type: 'string', default: join(REPO, 'bench', 'cold.json') },
    stage: { type: 'string', default: 'bench' },
    region: { type: 'string', default: 'eu-west-1' },
  },
});
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const kb = (bytes: number) => `${round(bytes / 1024)} KB`;
const childEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  // No credentials reach the children: nothing here may call AWS.
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
};

/** Packages a copy of the service (infra/packaging.ts: the deploy tests package it the same way). */
const packageService = async (root: string): Promise<string> => {
  const out = join(root, 'package');
  const started = performance.now();
  const run = await osls(copyService(root), out, args.stage, args.region, { echo: true });
  if (run.code !== 0) throw new Error(`osls package exited with ${run.code}`);
  console.log(`packaged in ${round((performance.now() - started) / 1000)} s → ${out}`);
  return out;
};

const PROBE = `
const t0 = performance.now();
await import(process.argv[1]);
const t1 = performance.now();
process.stdout.write(JSON.stringify({ ready: t1, import: t1 - t0 }));
`;

/** One fresh process importing `file`; the timings it reports. */
const probe = async (file: string, env: NodeJS.ProcessEnv, cwd: string): Promise<Sample> => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', PROBE, pathToFileURL(file).href],
    { env, cwd },
  );
  return JSON.parse(stdout) as Sample;
};

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/** The packaged functions: name, handler and deployed environment, from the template. */
const functionsOf = (template: Template) =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id, r]) => {
      const props = r.Properties as {
        Handler: string;
        Environment?: { Variables?: Record<string, string> };
      };
      const name = id.replace(/LambdaFunction$/, '');
      return {
        name: name.charAt(0).toLowerCase() + name.slice(1),
        handler: props.Handler,
        variables: props.Environment?.Variables ?? {},
      };
    });
type PackagedFunction = ReturnType<typeof functionsOf>[number];

/** One function's bundle unzipped and imported RUNS times in fresh processes, an empty module's beside it each time. */
const measureFunction = async (
  fn: PackagedFunction,
  packageDir: string,
  work: string,
  empty: string,
  baseline: Sample[],
): Promise<FunctionResult> => {
  const zip = join(packageDir, `${fn.name}.zip`);
  const root = join(work, 'unzipped', fn.name);
  mkdirSync(root, { recursive: true });
  await promisify(execFile)('unzip', ['-q', '-o', zip, '-d', root]);
  const mjs = join(root, fn.handler.replace(/\.[^.]+$/, '.mjs'));
  let mapBytes = 0;
  try {
    mapBytes = statSync(`${mjs}.map`).size;
  } catch {
    // no source map in the zip
  }
  // The deployed environment's variables (NODE_OPTIONS included), the Lambda task root, no credentials.
  const env = childEnv({
    ...fn.variables,
    STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111122223333:stateMachine:bench',
    LAMBDA_TASK_ROOT: root,
    AWS_REGION: args.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const samples: Sample[] = [];
  // Interleave the baseline with each function's runs, so both see the same machine load.
  for (let i = 0; i < RUNS; i += 1) {
    samples.push(await probe(mjs, env, root));
    baseline.push(await probe(empty, env, dirname(empty)));
  }
  return {
    function: fn.name,
    handler: fn.handler,
    zipBytes: statSync(zip).size,
    mjsBytes: statSync(mjs).size,
    mapBytes,
    nodeOptions: fn.variables.NODE_OPTIONS ?? '',
    readyMs: round(median(samples.map((s) => s.ready))),
    importMs: round(median(samples.map((s) => s.import))),
    ratio: 0,
    samples,
  };
};

const main = async () => {
  const work = mkdtempSync(join(tmpdir(), 'dr-failover-bench-'));
  try {
    const packageDir = args['package-dir'] ? resolve(args['package-dir']) : await packageService(work);
    const template = JSON.parse(
      readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
    const functions = functionsOf(template);

    const empty = join(work, 'empty', 'empty.mjs');
    mkdirSync(dirname(empty), { recursive: true });
    writeFileSync(empty, 'export {};\n');

    const results: FunctionResult[] = [];
    const baseline: Sample[] = [];
    for (const fn of functions) results.push(await measureFunction(fn, packageDir, work, empty, baseline));
    const baselineReady = median(baseline.map((s) => s.ready));
    for (const r of results) r.ratio = round(r.readyMs / baselineReady, 2);

    const byName = new Map(results.map((r) => [r.function, r]));
    const path = HAPPY_PATH.map(([step, fn]) => {
      const r = byName.get(fn);
      if (!r) throw new Error(`no packaged function ${fn} for step ${step}`);
      return { step, function: fn, readyMs: r.readyMs, importMs: r.importMs };
    });
    const sum = (xs: number[]) => round(xs.reduce((a, b) => a + b, 0));
    const report = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      runs: RUNS,
      packageDir,
      baseline: { readyMs: round(baselineReady), importMs: round(median(baseline.map((s) => s.import))) },
      functions: results,
      happyPath: {
        steps: path,
        readyMs: sum(path.map((p) => p.readyMs)),
        importMs: sum(path.map((p) => p.importMs)),
        overBaselineMs: sum(path.map((p) => p.readyMs - baselineReady)),
      },
      // With coldStarts.warmUp (core/warm-up.ts) the first step starts cold and the warm-up it sends initialises
      // the others meanwhile: counted here as warm when their step comes (an environment whose init has not
      // finished by then makes that step cold again; on Lambda, init also overlaps with the state transitions).
      happyPathWithWarmUp: {
        coldSteps: path.slice(0, 1).map((p) => p.step),
        readyMs: sum(path.slice(0, 1).map((p) => p.readyMs)),
        importMs: sum(path.slice(0, 1).map((p) => p.importMs)),
        overBaselineMs: sum(path.slice(0, 1).map((p) => p.readyMs - baselineReady)),
        assumption: 'every step after the first finds the environment its warm-up started already initialised',
      },
    };
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);

    console.table(
      results.map((r) => ({
        function: r.function,
        zip: kb(r.zipBytes),
        mjs: kb(r.mjsBytes),
        map: r.mapBytes ? kb(r.mapBytes) : '-',
        'ready ms': r.readyMs,
        'import ms': r.importMs,
        'x empty': r.ratio,
      })),
    );
    console.log(
      `empty module: ready ${report.baseline.readyMs} ms (import ${report.baseline.importMs} ms), ${RUNS} runs, Node ${process.version}`,
    );
    console.log(
      `happy path (${path.length} steps): ready ${report.happyPath.readyMs} ms, import ${report.happyPath.importMs} ms, ` +
        `${report.happyPath.overBaselineMs} ms over ${path.length} empty cold starts → ${args.out}`,
    );
    const warm = report.happyPathWithWarmUp;
    console.log(
      `with the warm-up (first step cold, the rest warm): ready ${warm.readyMs} ms, our code's import ${warm.importMs} ms, ` +
        `${warm.overBaselineMs} ms over one empty cold start (all-cold / warm-up: ${round(report.happyPath.readyMs / warm.readyMs, 2)}×)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

await main();
