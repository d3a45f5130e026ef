/**
 * The Aurora way back's grants (core/aurora-failback.ts), in the stack of the plan's primary region, which runs it:
 * Prepare and the failback function read the global cluster and the old primary's cluster snapshots; the failback
 * function copies Aurora's `rds:unplanned-global-failover-<old primary>-…` snapshot to `<old primary>-preserved-…`
 * (with the plan's `preserveKmsKeyArn`, only through RDS in its region, for an encrypted cluster), and nothing else:
 * no delete, no restore, no cluster created.
 */
import { clusterId } from '#core/aurora-failback.js';
import type { PlanWithDatabase } from '#core/plan.js';
import type { Grant } from './grant-rows.js';
import { sub } from './json.js';

type AuroraPlan = PlanWithDatabase<'aurora-global'>;

const snapshotArn = (p: AuroraPlan, name: string) =>
  `arn:aws:rds:${p.regions.primary}:${p.accountId}:cluster-snapshot:${name}`;
const globalClusterArn = (p: AuroraPlan) =>
  `arn:aws:rds::${p.accountId}:global-cluster:${p.database.globalClusterIdentifier}`;
const old = (p: AuroraPlan) => clusterId(p.database.primaryClusterArn);
/** The copies the way back names (`<old primary, at most 30 characters>-preserved-<run>`). */
const preserved = (p: AuroraPlan) => snapshotArn(p, `${old(p).slice(0, 30).replace(/-+$/, '')}-preserved-*`);

/** DescribeGlobalClusters of the plan's global database. */
const READ_GLOBAL: Grant = {
  sid: 'ObserveAuroraWayBack',
  actions: ['rds:DescribeGlobalClusters'],
  resources: (s) => s.auroraWayBack.map(globalClusterArn),
};

/**
 * DescribeDBClusterSnapshots listing the old primary's snapshots: the cluster, and the snapshots of the Region, whose
 * names (Aurora's timestamp) cannot be known in advance (as the readiness `backup` check's grant).
 */
const LIST_SNAPSHOTS: Grant = {
  sid: 'ListOldPrimarySnapshots',
  actions: ['rds:DescribeDBClusterSnapshots'],
  resources: (s) => s.auroraWayBack.flatMap((p) => [p.database.primaryClusterArn, snapshotArn(p, '*')]).filter(unique),
};

const unique = (v: string, i: number, all: string[]) => all.indexOf(v) === i;

export const OBSERVE_AURORA_WAY_BACK: readonly Grant[] = [READ_GLOBAL, LIST_SNAPSHOTS];

export const AURORA_WAY_BACK_ROWS: readonly Grant[] = [
  { ...READ_GLOBAL, sid: 'WatchAuroraRejoin' },
  { ...LIST_SNAPSHOTS, sid: 'FindUnplannedFailoverSnapshot' },
  {
    // CopyDBClusterSnapshot authorises on the source and on the copy: only Aurora's snapshot of the old primary, only
    // into the names the way back gives.
    sid: 'PreserveUnplannedFailoverSnapshot',
    actions: ['rds:CopyDBClusterSnapshot'],
    resources: (s) =>
      s.auroraWayBack.flatMap((p) => [snapshotArn(p, `rds:unplanned-global-failover-${old(p)}-*`), preserved(p)]),
  },
  {
    // Creating an RDS resource with a customer managed key needs kms:CreateGrant and kms:DescribeKey on it; RDS makes
    // the grant on the caller's behalf, so kms:ViaService keeps it to RDS (RDS User Guide, "Authorizing use of a
    // customer managed key", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html).
    sid: 'CopyEncryptedUnplannedSnapshot',
    actions: ['kms:CreateGrant', 'kms:DescribeKey'],
    resources: (s) =>
      s.auroraWayBack.flatMap((p) => (p.database.preserveKmsKeyArn ? [p.database.preserveKmsKeyArn] : [])),
    condition: { StringEquals: { 'kms:ViaService': sub(`rds.\${AWS::Region}.amazonaws.com`) } },
  },
];
