/**
 * The drill's world: two "regions" on embedded PostgreSQL (a primary and its streaming standby), the loopback DNS
 * server answering the record clients use, the plan generated for their ports, and a workload writing through DNS.
 */
import { type Plan, type PlanInput, parsePlan } from '#core/plan.js';
import { localCloudWatch } from '../cloudwatch-standin.js';
import { createTtlResolver } from '../dns-client.js';
import { type LocalDnsServer, startLocalDnsServer } from '../dns-server.js';
import { type MlPlatform, mlArtifactCheck, mlComponents, mlSettingsOf, startMlPlatform } from '../ml/platform.js';
import type { LocalRegions } from '../regions.js';
import { type LocalRoutingCluster, startRoutingCluster } from '../routing-cluster.js';
import { featureDbComponent, startFeatureDb, startPairs } from './feature-db.js';
import { createWorkloadTable } from './sql.js';
import type { Teardown } from './teardown.js';
import { clock, round, sleep } from './time.js';
import type { DrillEnvironment, DrillOptions, DrillPlatform, DrillProgress, DrillTraffic } from './types.js';
import { startWorkload } from './workload.js';

export const DRILL_PLAN_NAME = 'drill';
/** The ML platform drill's plan: plans/ml-platform.yml's shape on the lab's servers. */
export const ML_PLAN_NAME = 'ml-platform';
export const DRILL_ALARM_NAME = 'drill-primary-unreachable';
/** The drill plan's alarm in its primary region watching its standby region (trigger.wayBackAlarms). */
const DRILL_WAY_BACK_ALARM_NAME = 'drill-standby-unreachable';
export const DRILL_RECORD = 'db.drill.dr-failover.internal';
export const DRILL_ACCOUNT_ID = '000000000000';
const DRILL_REGIONS = { primary: 'us-east-1', standby: 'eu-west-1' };

/** The drill's settings: the options given, with their defaults. */
export const settingsOf = (options: DrillOptions) => ({
  ratePerSecond: options.ratePerSecond ?? 50,
  detectorIntervalMs: options.detectorIntervalMs ?? 500,
  detectorFailures: options.detectorFailures ?? 3,
  waitMs: options.waitMs ?? 100,
  dnsTtlSeconds: options.dnsTtlSeconds ?? 1,
  rtoTargetSeconds: options.rtoTargetSeconds ?? 30,
  warmupMs: options.warmupMs ?? 1000,
  splitBrainWindowMs: options.splitBrainWindowMs ?? 1500,
  traffic: options.traffic ?? 'upsert',
  controlPlane: options.controlPlane ?? 'up',
  platform: options.platform ?? 'database',
  ml: mlSettingsOf(options.ml),
});
export type DrillSettings = ReturnType<typeof settingsOf>;

const CONTROL_PANEL = 'arn:aws:route53-recovery-control::000000000000:controlpanel/d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0';
/** The drill's two routing controls: traffic to the primary "region", and to the standby. */
export const DRILL_CONTROLS = {
  primary: `${CONTROL_PANEL}/routingcontrol/a1a1a1a1a1a1a1a1`,
  standby: `${CONTROL_PANEL}/routingcontrol/b2b2b2b2b2b2b2b2`,
};

/** The health-check drills' take-over alarm, on the CloudWatch stand-in. */
export const DRILL_TAKE_OVER = { name: 'drill-take-over', namespace: 'DrFailover/Drill', metricName: 'TakeOver' };

/** The plan's traffic section: UPSERT (the default), the take-over alarm, or the cluster stand-in's routing controls. */
const trafficOf = (
  traffic: DrillTraffic,
  cluster: LocalRoutingCluster | undefined,
  nameserver: string,
): PlanInput['traffic'] => {
  // Verify resolves the record through the drill's DNS server, as the drill's clients do.
  const verify = { resolvers: [nameserver] };
  if (traffic === 'health-check') {
    return {
      kind: 'health-check',
      records: [DRILL_RECORD],
      healthCheckId: 'd0d0d0d0-0000-4000-8000-00000000c0de',
      alarm: DRILL_TAKE_OVER,
      verify,
    };
  }
  return cluster
    ? {
        kind: 'routing-control',
        clusterArn: 'arn:aws:route53-recovery-control::000000000000:cluster/d0d0d0d0-0000-4000-8000-000000000000',
        clusterEndpoints: cluster.endpoints,
        routingControls: DRILL_CONTROLS,
        records: [DRILL_RECORD],
        endpointTimeoutMs: 1_000,
        verify,
      }
    : { kind: 'upsert' };
};

/** Builds and validates the drill's plan for the ports chosen at run time. */
export const drillPlan = (
  regions: LocalRegions,
  dns: LocalDnsServer,
  opts: {
    dnsTtlSeconds: number;
    rtoTargetSeconds: number;
    rpo?: Partial<PlanInput['rpo']>;
    cluster?: LocalRoutingCluster;
    traffic?: DrillTraffic;
    platform?: DrillPlatform;
    /** The ML platform's second database, on its own pair (./feature-db.ts). */
    featureDb?: NonNullable<PlanInput['components']>[number];
  },
): Plan => {
  const ml = opts.platform === 'ml-platform';
  const database = regions.databaseConfig(
    { file: regions.credentialsFile },
    { fence: { method: 'read-only', timeoutSeconds: 3 } },
  );
  return parsePlan(
    {
      name: ml ? ML_PLAN_NAME : DRILL_PLAN_NAME,
      description: ml
        ? 'Local drill: an ML platform - the model registry on embedded PostgreSQL, artifacts, features, serving'
        : 'Local drill: embedded PostgreSQL primary and streaming standby on loopback',
      accountId: DRILL_ACCOUNT_ID,
      regions: DRILL_REGIONS,
      trigger: {
        alarms: [DRILL_ALARM_NAME],
        // The next incident after a way out, started in the primary region's stack (a plan with components has none).
        ...(ml ? {} : { wayBackAlarms: [DRILL_WAY_BACK_ALARM_NAME] }),
        automatic: true,
        windowMinutes: 15,
        cooldownMinutes: 60,
      },
      // After a kill the standby cannot know what the dead primary wrote after its last message: the adapter says
      // "unknown", which the RPO guard never reads as zero. The drill's plan therefore proceeds (RPO measured, not
      // bounded), after one reading once the primary is gone (nothing more can reach the standby); plans that must
      // bound it say `abort` or `wait-for-approval`.
      rpo: {
        maxLagSeconds: 5,
        maxLagChecks: 2,
        lagCheckIntervalSeconds: 1,
        onExceeded: 'proceed',
        ...opts.rpo,
      },
      rto: { targetSeconds: opts.rtoTargetSeconds },
      promotion: { maxStatusChecks: 30, statusCheckIntervalSeconds: 1 },
      database,
      dns: {
        kind: 'local',
        controlEndpoint: dns.controlEndpoint,
        nameserver: dns.nameserver,
        recordName: DRILL_RECORD,
        recordType: 'A',
        ttl: opts.dnsTtlSeconds,
      },
      traffic: trafficOf(opts.traffic ?? 'upsert', opts.cluster, dns.nameserver),
      dnsSync: { maxStatusChecks: 30, statusCheckIntervalSeconds: 1 },
      notify: { eventBus: 'dr-failover-drill' },
      ...(ml
        ? {
            components: mlComponents(DRILL_REGIONS, DRILL_ACCOUNT_ID, opts.featureDb),
            artifacts: mlArtifactCheck(database.standby),
          }
        : {}),
    } satisfies PlanInput,
    'drill plan (generated for this run)',
  );
};

/** Starts the regions, DNS and the workload, each registered with `teardown`; returns once the workload writes. */
export const startWorld = async (
  settings: DrillSettings,
  options: Pick<DrillOptions, 'rpo' | 'traffic' | 'controlPlane' | 'clusterEndpointsDown'>,
  teardown: Teardown,
  progress: (p: DrillProgress) => void,
): Promise<DrillEnvironment> => {
  const setup = (step: string, detail: string, ms?: number) =>
    progress({ group: 'setup', step, status: 'done', at: clock(), ...(ms !== undefined ? { ms } : {}), detail });
  let mark = clock();
  const { regions, featurePair } = await startPairs(settings.platform === 'ml-platform', teardown);
  const { primary, standby } = regions;
  setup(
    'regions',
    `primary ${primary.host}:${primary.port}, standby ${standby.host}:${standby.port} streaming`,
    round(clock() - mark),
  );
  if (featurePair) {
    const [p, s] = [featurePair.primary, featurePair.standby];
    const pids = `postmaster pids ${p.pid()} and ${s.pid()}`;
    setup('feature-metadata pair', `primary ${p.host}:${p.port}, standby ${s.host}:${s.port} streaming (${pids})`);
  }
  mark = clock();
  const dns = teardown.add(
    await startLocalDnsServer({ records: { [DRILL_RECORD]: { address: primary.host, ttl: settings.dnsTtlSeconds } } }),
    (d) => d.stop(),
  );
  setup(
    'dns',
    `${DRILL_RECORD} A ${primary.host} TTL ${settings.dnsTtlSeconds} s via ${dns.nameserver}`,
    round(clock() - mark),
  );
  const cluster = await startTraffic(options, dns, regions, settings.dnsTtlSeconds, teardown, setup);
  const plan = drillPlan(regions, dns, {
    ...settings,
    ...(options.rpo ? { rpo: options.rpo } : {}),
    ...(cluster ? { cluster } : {}),
    traffic: settings.traffic,
    platform: settings.platform,
    ...(featurePair ? { featureDb: featureDbComponent(featurePair, dns, settings.dnsTtlSeconds) } : {}),
  });
  await createWorkloadTable(regions);
  const platform =
    settings.platform === 'ml-platform' ? await startPlatform(regions, settings, teardown, setup) : undefined;
  const featureDb = featurePair
    ? await startFeatureDb(
        featurePair,
        dns,
        { ttl: settings.dnsTtlSeconds, ratePerSecond: settings.ratePerSecond },
        teardown,
      )
    : undefined;
  const workload = teardown.add(
    startWorkload({
      resolver: createTtlResolver(dns.nameserver),
      recordName: DRILL_RECORD,
      port: primary.port,
      credentials: regions.credentials,
      ratePerSecond: settings.ratePerSecond,
      clock,
    }),
    (w) => w.stop(),
  );
  await workload.waitForAck(() => true, 10_000);
  await sleep(settings.warmupMs);
  setup(
    'workload',
    `${workload.acks.length} commits acknowledged at ${settings.ratePerSecond}/s through ${DRILL_RECORD}`,
  );
  if (featureDb) {
    const acks = featureDb.workload.acks.length;
    setup(
      'feature-metadata',
      `${acks} commits acknowledged at ${settings.ratePerSecond}/s through ${featureDb.recordName}`,
    );
  }
  return {
    regions,
    dns,
    plan,
    workload,
    ...(cluster ? { cluster } : {}),
    ...(platform ? { platform } : {}),
    ...(featureDb ? { featureDb } : {}),
  };
};

/** The ML platform around the registry; returns once some artifacts have replicated (and others are pending). */
const startPlatform = async (
  regions: LocalRegions,
  settings: DrillSettings,
  teardown: Teardown,
  setup: (step: string, detail: string, ms?: number) => void,
): Promise<MlPlatform> => {
  const mark = clock();
  const platform = teardown.add(
    await startMlPlatform({
      registry: regions.primary.connectionConfig(),
      regions: DRILL_REGIONS,
      accountId: DRILL_ACCOUNT_ID,
      settings: settings.ml,
    }),
    (p) => p.stop(),
  );
  for (const deadline = clock() + 30_000; platform.replicator.copied().length < 3; await sleep(20)) {
    if (clock() > deadline) throw new Error('the lab replicator copied no 3 artifacts within 30 s');
  }
  setup('ml platform', platform.summary, round(clock() - mark));
  return platform;
};

/**
 * The traffic side of the world: for `routing-control`, the cluster stand-in (primary On, standby Off) and the record
 * served as a failover pair following it; `--control-plane down` closes the DNS server's control API.
 */
const startTraffic = async (
  options: Pick<DrillOptions, 'traffic' | 'controlPlane' | 'clusterEndpointsDown'>,
  dns: LocalDnsServer,
  regions: LocalRegions,
  ttl: number,
  teardown: Teardown,
  setup: (step: string, detail: string) => void,
): Promise<LocalRoutingCluster | undefined> => {
  if (options.controlPlane === 'down') {
    dns.controlPlane('down');
    setup('control plane', 'DNS control API (the Route 53 control plane stand-in) refuses every call');
  }
  const traffic = options.traffic ?? 'upsert';
  if (traffic === 'upsert') return undefined;
  // The SDK signs every request; the stand-ins do not check signatures, but the client needs credentials to sign.
  process.env.AWS_ACCESS_KEY_ID ??= 'DRILLSTANDIN';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'drill-stand-in-not-a-secret';
  if (traffic === 'health-check') {
    await startTakeOverAlarm(dns, regions, ttl, setup);
    return undefined;
  }
  const cluster = teardown.add(
    await startRoutingCluster({ [DRILL_CONTROLS.primary]: 'On', [DRILL_CONTROLS.standby]: 'Off' }),
    (c) => c.stop(),
  );
  const down = options.clusterEndpointsDown ?? [];
  cluster.unreachable(down);
  dns.failover(DRILL_RECORD, {
    primary: { address: regions.primary.host, ttl },
    secondary: { address: regions.standby.host, ttl },
    primaryHealthy: () =>
      cluster.state(DRILL_CONTROLS.primary) === 'On' || cluster.state(DRILL_CONTROLS.standby) !== 'On',
  });
  const where = down.length > 0 ? `; unreachable: ${down.join(', ')}` : '';
  setup('cluster', `5 endpoints on loopback (${cluster.endpoints.map((e) => e.region).join(', ')})${where}`);
  return cluster;
};

/**
 * `health-check`: the take-over alarm on the CloudWatch stand-in, which the real CloudWatch client reaches through
 * the SDK's own endpoint setting, and the record served as a failover pair whose primary follows the alarm.
 */
const startTakeOverAlarm = async (
  dns: LocalDnsServer,
  regions: LocalRegions,
  ttl: number,
  setup: (step: string, detail: string) => void,
) => {
  const cloudwatch = await localCloudWatch();
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH = cloudwatch.url;
  // A period of CloudWatch's, shortened as the Wait states are: the alarm evaluates 500 ms after the datapoint.
  cloudwatch.watch(DRILL_TAKE_OVER, 500);
  dns.failover(DRILL_RECORD, {
    primary: { address: regions.primary.host, ttl },
    secondary: { address: regions.standby.host, ttl },
    primaryHealthy: () => cloudwatch.state(DRILL_TAKE_OVER.name) !== 'ALARM',
  });
  setup(
    'alarm',
    `${DRILL_TAKE_OVER.name} on the CloudWatch stand-in ${cloudwatch.url} (evaluates 500 ms after a datapoint)`,
  );
};
