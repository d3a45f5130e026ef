/**
 * The ML platform drill's second PostgreSQL pair: the feature store's metadata database, plans/ml-platform.yml's
 * `feature-metadata` component (kind database, stage 2). A primary and its streaming standby like the registry's
 * (lab/regions.ts, started beside it), its own record on the lab's DNS server, and a workload writing through that
 * record (./workload.ts) whose acknowledged commits are the ground truth of what the component's failover lost. The
 * Region going dark kills its primary with the registry's (./incident.ts); the run's component function fails it
 * over in its stage; the drill then reads the world and judges the run's view of it (./feature-db-verdict.ts).
 */
import { Resolver } from 'node:dns/promises';
import type { ComponentReport } from '#core/components.js';
import type { PlanInput } from '#core/plan.js';
import { createTtlResolver } from '../dns-client.js';
import type { LocalDnsServer } from '../dns-server.js';
import { type LocalRegions, startLocalRegions } from '../regions.js';
import type { EventLog } from '../state-machine.js';
import { countLost, standbyInRecovery } from './checks.js';
import {
  type FeatureDb,
  type FeatureDbReport,
  type FeatureDbTruth,
  judgeFeatureDb,
  runViewOf,
} from './feature-db-verdict.js';
import { createWorkloadTable, writeRejected } from './sql.js';
import type { Teardown } from './teardown.js';
import { clock, round } from './time.js';
import type { DrillMode } from './types.js';
import { startWorkload } from './workload.js';

export const FEATURE_DB_NAME = 'feature-metadata';
const FEATURE_DB_RECORD = 'features-db.drill.dr-failover.internal';

/**
 * The registry's pair and, for the ML platform, the feature metadata's, started at once, each registered with
 * `teardown` as soon as it is up (one failing to start never leaves the other running).
 */
export const startPairs = async (
  withFeatureDb: boolean,
  teardown: Teardown,
): Promise<{ regions: LocalRegions; featurePair?: LocalRegions }> => {
  const started = await Promise.allSettled(
    Array.from({ length: withFeatureDb ? 2 : 1 }, () => teardown.starting(startLocalRegions(), (r) => r.cleanup())),
  );
  const up = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const [regions, featurePair] = up;
  if (!regions) throw new Error('no region pair started');
  return { regions, ...(featurePair ? { featurePair } : {}) };
};

type ComponentInput = NonNullable<PlanInput['components']>[number];

/**
 * The plan's `feature-metadata` component on the second pair: its own credentials file, the registry's fence
 * (read-only, 3 s bound), its own record on the lab's DNS server (UPSERT to its standby's address once writable).
 */
export const featureDbComponent = (pair: LocalRegions, dns: LocalDnsServer, ttl: number): ComponentInput => ({
  name: FEATURE_DB_NAME,
  kind: 'database',
  stage: 2,
  database: pair.databaseConfig({ file: pair.credentialsFile }, { fence: { method: 'read-only', timeoutSeconds: 3 } }),
  dns: {
    kind: 'local',
    controlEndpoint: dns.controlEndpoint,
    nameserver: dns.nameserver,
    recordName: FEATURE_DB_RECORD,
    ttl,
  },
  maxChecks: 30,
  checkIntervalSeconds: 1,
});

/** Its record → its primary, its workload table on both nodes, then the workload; returns once it writes. */
export const startFeatureDb = async (
  pair: LocalRegions,
  dns: LocalDnsServer,
  opts: { ttl: number; ratePerSecond: number },
  teardown: Teardown,
): Promise<FeatureDb> => {
  dns.set(FEATURE_DB_RECORD, pair.primary.host, opts.ttl);
  await createWorkloadTable(pair);
  const workload = teardown.add(
    startWorkload({
      resolver: createTtlResolver(dns.nameserver),
      recordName: FEATURE_DB_RECORD,
      port: pair.primary.port,
      credentials: pair.credentials,
      ratePerSecond: opts.ratePerSecond,
      clock,
    }),
    (w) => w.stop(),
  );
  await workload.waitForAck(() => true, 10_000);
  return { pair, recordName: FEATURE_DB_RECORD, workload };
};

/** The world as the drill finds it once the run has ended, its workload stopped first so its record is final. */
const truthOf = async (db: FeatureDb, nameserver: string, incidentAt: number): Promise<FeatureDbTruth> => {
  await db.workload.stop();
  const acks = [...db.workload.acks];
  const { pair } = db;
  const promoted = !(await standbyInRecovery(pair));
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([nameserver]);
  const answers = await resolver.resolve4(db.recordName).catch(() => []);
  // Up after a planned run (fenced or not); dark after the kill.
  const oldUp = pair.primary.pid() !== undefined;
  const firstOnNew = acks.find((a) => a.server === pair.standby.host && a.ackAt >= incidentAt);
  return {
    promoted,
    answers,
    acknowledged: acks.length,
    ...(firstOnNew ? { firstWriteOnNewMs: round(firstOnNew.ackAt - incidentAt) } : {}),
    ...(oldUp ? { oldPrimaryRejectsWrites: await writeRejected(pair.primary.connectionConfig()) } : {}),
    ...(promoted ? { lost: await countLost(pair, acks, incidentAt) } : {}),
  };
};

/** The feature metadata's part of the drill's report: the run's view, the world, and whether they agree. */
export const featureDbFindings = async (
  db: FeatureDb,
  run: {
    nameserver: string;
    mode: DrillMode;
    incidentAt: number;
    events: readonly EventLog[];
    components: Readonly<Record<string, ComponentReport>> | undefined;
  },
): Promise<FeatureDbReport> => {
  const truth = await truthOf(db, run.nameserver, run.incidentAt);
  const view = runViewOf(FEATURE_DB_NAME, run.events, run.components);
  const { primary, standby } = db.pair;
  const where = { record: db.recordName, primaryHost: primary.host, standbyHost: standby.host, mode: run.mode };
  return {
    name: FEATURE_DB_NAME,
    record: db.recordName,
    primary: `${primary.host}:${primary.port}`,
    standby: `${standby.host}:${standby.port}`,
    run: view,
    truth,
    ...judgeFeatureDb(view, truth, where),
  };
};
