/**
 * `npm run drill`: a real regional failover of PostgreSQL on this machine, measured end to end.
 * See lab/drill/run-drill.ts for what runs; this file is the command line, live progress and the report.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { aggregate } from '#lab/drill/aggregate.js';
import { createProgressView } from '#lab/drill/progress.js';
import { reportDirName, summaryText, writeReport } from '#lab/drill/report.js';
import { roundTripRefusal } from '#lab/drill/round-trip.js';
import { runRoundTripCommand } from '#lab/drill/round-trip-report.js';
import { runDrill } from '#lab/drill/run-drill.js';
import { cleanupActiveDrills, failInOneLine } from '#lab/drill/teardown.js';
import type { DrillMode, DrillPlatform, DrillReport, DrillResult, DrillTraffic } from '#lab/drill/types.js';

failInOneLine('drill');

const USAGE = `Usage: npm run drill -- [options]

  --mode planned|unplanned   unplanned (default): kill the primary, detect, fail over.
                             planned: switch over on request, fence first, lose nothing.
  --iterations N             run N drills and report medians and spread (default 1)
  --rate N                   workload commits per second (default 50)
  --detector-interval MS     detector probe interval (default 500)
  --detector-failures N      consecutive failed probes that raise the alarm (default 3)
  --wait-ms MS               length of every Wait state of the state machine (default 100; the plan says 1 s)
  --ttl S                    TTL of the DNS record clients resolve (default 1)
  --rto-target S             the plan's RTO target (default 30)
  --start alarm|manual       unplanned only: how the run starts (default alarm: kill + detector + trigger)
  --traffic KIND             how traffic moves: upsert (default: the DNS server's control API, Route 53's
                             stand-in), routing-control (routing controls on a local cluster stand-in of five
                             loopback endpoints, the record served as a failover pair that follows them) or
                             health-check (a take-over alarm on a CloudWatch stand-in the pair follows)
  --control-plane up|down    down: the DNS control API refuses every call, as Route 53's would with us-east-1 out
  --cluster-down REGIONS     routing-control: cluster endpoints to make unreachable, e.g. us-west-2,eu-west-1
  --plan database|ml-platform
                             database (default): the database alone. ml-platform: an ML platform's switch in one
                             run: the model registry (the database, with MLflow's model versions), the model
                             artifacts' bucket pair (S3 server, replicated after a delay), an online-feature table,
                             the feature metadata database (a second PostgreSQL pair), serving capacity and a
                             custom action; the report names the model versions whose artifacts never reached the
                             standby bucket and the feature metadata's lost commits, and checks the run's view of
                             both with its own. Runs once: not with --iterations or --round-trip
  --replication-delay MS     ml-platform: artifact upload → its copy in the standby bucket (default 400)
  --version-interval MS      ml-platform: time between two model versions registered (default 40)
  --round-trip               there and back: unplanned failover (kill), the old primary preserved and its lost
                             writes recorded, rebuilt as the new primary's standby, then a planned failback
  --second-incident          with --round-trip: instead of the failback, the new primary's region is lost too;
                             the primary region's stack fails over to the rebuilt old primary (unplanned, started
                             by the plan's trigger.wayBackAlarms alarm)
  --json                     plain progress on stderr, the result as JSON on stdout
  --keep                     leave the servers up after the (last) drill and print how to connect; Ctrl-C ends
  --report-dir DIR           where reports go (default drill-report)
  -h, --help
`;

const fail = (message: string): never => {
  process.stderr.write(`drill: ${message}\n\n${USAGE}`);
  process.exit(2);
};

const int = (value: string | undefined, name: string, fallback: number, min: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, not "${value}"`);
  return n;
};

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        mode: { type: 'string' },
        iterations: { type: 'string' },
        rate: { type: 'string' },
        'detector-interval': { type: 'string' },
        'detector-failures': { type: 'string' },
        'wait-ms': { type: 'string' },
        ttl: { type: 'string' },
        'rto-target': { type: 'string' },
        start: { type: 'string' },
        traffic: { type: 'string' },
        'control-plane': { type: 'string' },
        'cluster-down': { type: 'string' },
        plan: { type: 'string' },
        'replication-delay': { type: 'string' },
        'version-interval': { type: 'string' },
        'round-trip': { type: 'boolean', default: false },
        'second-incident': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        'report-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const mode = (values.mode ?? 'unplanned') as DrillMode;
if (mode !== 'planned' && mode !== 'unplanned') fail(`--mode must be planned or unplanned, not "${values.mode}"`);
const start = (values.start ?? 'alarm') as 'alarm' | 'manual';
if (start !== 'alarm' && start !== 'manual') fail(`--start must be alarm or manual, not "${values.start}"`);
const traffic = (values.traffic ?? 'upsert') as DrillTraffic;
if (!['upsert', 'routing-control', 'health-check'].includes(traffic)) {
  fail(`--traffic must be upsert, routing-control or health-check, not "${values.traffic}"`);
}
const controlPlane = (values['control-plane'] ?? 'up') as 'up' | 'down';
if (controlPlane !== 'up' && controlPlane !== 'down') fail(`--control-plane must be up or down, not "${controlPlane}"`);
const clusterDown = values['cluster-down']?.split(',').filter((r) => r !== '') ?? [];
if (clusterDown.length > 0 && traffic !== 'routing-control') fail('--cluster-down needs --traffic routing-control');
const platform = (values.plan ?? 'database') as DrillPlatform;
if (platform !== 'database' && platform !== 'ml-platform') {
  fail(`--plan must be database or ml-platform, not "${values.plan}"`);
}
const iterations = int(values.iterations, 'iterations', 1, 1);
const roundTripRefused = values['round-trip'] ? roundTripRefusal(platform) : undefined;
if (roundTripRefused) fail(roundTripRefused);
// The handlers' SDK clients keep the endpoint of the first drill's S3 server for the life of the process.
if (platform === 'ml-platform' && iterations > 1) {
  fail("--plan ml-platform runs one drill, not --iterations: the handlers' SDK clients keep the first S3 server");
}
if (platform !== 'ml-platform' && (values['replication-delay'] ?? values['version-interval']) !== undefined) {
  fail('--replication-delay and --version-interval need --plan ml-platform');
}
const options = {
  mode,
  start,
  ratePerSecond: int(values.rate, 'rate', 50, 1),
  detectorIntervalMs: int(values['detector-interval'], 'detector-interval', 500, 10),
  detectorFailures: int(values['detector-failures'], 'detector-failures', 3, 1),
  waitMs: int(values['wait-ms'], 'wait-ms', 100, 0),
  dnsTtlSeconds: int(values.ttl, 'ttl', 1, 0),
  rtoTargetSeconds: int(values['rto-target'], 'rto-target', 30, 1),
  traffic,
  controlPlane,
  clusterEndpointsDown: clusterDown,
  platform,
  ml: {
    replicationDelayMs: int(values['replication-delay'], 'replication-delay', 400, 0),
    versionIntervalMs: int(values['version-interval'], 'version-interval', 40, 1),
  },
};
const json = values.json === true;
const keep = values.keep === true;
const command = `npm run drill${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

// Ctrl-C and kill: stop and remove everything, then exit. (local-regions also kills its servers on 'exit'.)
let interruptedAt: number | undefined;
const onSignal = (signal: NodeJS.Signals) => {
  if (interruptedAt !== undefined) {
    // Ctrl-C reaches npm and this process at once, and npm forwards it again: only a later, deliberate second
    // signal abandons the cleanup.
    if (Date.now() - interruptedAt > 2000) process.exit(130);
    return;
  }
  interruptedAt = Date.now();
  process.stderr.write(`\ndrill: ${signal}: stopping and removing everything the drill started…\n`);
  const bound = setTimeout(() => process.exit(130), 10_000);
  bound.unref();
  void cleanupActiveDrills().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const out = json ? process.stderr : process.stdout;
const view = createProgressView({ stream: out, live: !json });
if (values['round-trip']) {
  if (iterations > 1 || keep || values.mode !== undefined)
    fail('--round-trip runs once, unplanned out and planned back');
  const roundTrip = { ...options, secondIncident: values['second-incident'] === true };
  await runRoundTripCommand(roundTrip, {
    view,
    out,
    json,
    command,
    reportRoot: values['report-dir'] ?? 'drill-report',
  });
}
if (values['second-incident']) fail('--second-incident goes with --round-trip');
const reports: DrillReport[] = [];
let kept: DrillResult['kept'];
const wallStart = Date.now();

try {
  for (let i = 1; i <= iterations; i++) {
    view.note(
      `${iterations > 1 ? `\n── iteration ${i}/${iterations}: ` : '── '}${mode} failover drill` +
        (mode === 'unplanned' && start === 'alarm' ? ' (the primary will be killed)' : ''),
    );
    const result = await runDrill({
      ...options,
      keep: keep && i === iterations,
      onProgress: view.onProgress,
    });
    view.finish();
    reports.push(result.report);
    kept = result.kept;
  }
} catch (error) {
  view.finish();
  process.stderr.write(`\ndrill failed: ${error instanceof Error ? error.message : String(error)}\n`);
  await cleanupActiveDrills();
  process.exit(1);
}

const agg = aggregate(reports);
const reportDir = path.join(values['report-dir'] ?? 'drill-report', reportDirName(new Date(wallStart)));
await writeReport(reportDir, reports, agg, command);

if (json) {
  process.stdout.write(`${JSON.stringify({ reportDir, aggregate: agg, iterations: reports }, null, 2)}\n`);
} else {
  out.write(`${summaryText(reports, agg, reportDir)}\n`);
}

// A drill passes when every run succeeded, nothing split, a planned run lost nothing, and an ML platform run's
// artifact check and its view of the second database did not disagree with the drill's ground truth.
const passed = reports.every(
  (r) =>
    r.outcome === 'succeeded' &&
    r.splitBrain?.ok === true &&
    (r.mode !== 'planned' || r.rpo?.lostCount === 0) &&
    r.ml?.comparison.verdict !== 'disagree' &&
    r.ml?.featureDb?.verdict !== 'disagree',
);

if (kept) {
  const { regions, dns } = kept;
  out.write(
    [
      '',
      'Servers left up (--keep). Ctrl-C stops and removes them.',
      `  new primary (was standby): host ${regions.standby.host} port ${regions.standby.port}`,
      `  old primary (fenced):      host ${regions.primary.host} port ${regions.primary.port}`,
      `  user ${regions.credentials.username}, database postgres; the password is in ${regions.credentialsFile} (mode 0600)`,
      `  DNS: dig @${dns.nameserver.split(':')[0]} -p ${dns.nameserver.split(':')[1]} ${kept.plan.dns.recordName}`,
      `  data directories under ${regions.baseDir}`,
      ...(kept.platform
        ? [
            `  buckets ${kept.platform.buckets.primary} and ${kept.platform.buckets.standby} on the S3 server ${kept.platform.s3.endpoint}`,
            "    (path-style; s3rver's fixed access key S3RVER / S3RVER)",
          ]
        : []),
      ...(kept.featureDb
        ? [
            `  feature metadata: new primary ${kept.featureDb.pair.standby.host}:${kept.featureDb.pair.standby.port}, ` +
              `old ${kept.featureDb.pair.primary.host}:${kept.featureDb.pair.primary.port} (record ${kept.featureDb.recordName}); ` +
              `its password is in ${kept.featureDb.pair.credentialsFile}`,
          ]
        : []),
      '',
    ].join('\n'),
  );
  // The DNS server lives in this process: stay up until interrupted.
  await new Promise<never>(() => undefined);
}
process.exit(passed ? 0 : 1);
