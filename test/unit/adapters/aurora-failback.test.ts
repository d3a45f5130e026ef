import {
  CopyDBClusterSnapshotCommand,
  DBClusterSnapshotAlreadyExistsFault,
  DBClusterSnapshotNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeGlobalClustersCommand,
  GlobalClusterNotFoundFault,
  InvalidDBClusterSnapshotStateFault,
  KMSKeyNotAccessibleFault,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AuroraFailback } from '#adapters/database/aurora-failback.js';
import { AuroraPair } from '#adapters/database/aurora-pair.js';
import { AmbiguousTopologyError, ConfigurationError, RebuildFailedError, ResourceBusyError } from '#core/errors.js';
import type { PlanWithDatabase } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const rds = mockClient(RDSClient);
const US = 'arn:aws:rds:us-east-1:111122223333:cluster:orders-us';
const EU = 'arn:aws:rds:eu-west-1:111122223333:cluster:orders-eu';
const SOURCE = 'rds:unplanned-global-failover-orders-us-2026-12-07-10-05';
const SOURCE_ARN = `arn:aws:rds:us-east-1:111122223333:cluster-snapshot:${SOURCE}`;
const COPY = 'orders-us-preserved-orders-failback-20261207T1000Z';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const failback = (kmsKeyArn?: string) =>
  new AuroraFailback({
    globalClusterId: 'orders-global',
    writerArn: EU,
    oldPrimaryArn: US,
    region: 'us-east-1',
    ...(kmsKeyArn ? { kmsKeyArn } : {}),
  });
const fault = <T>(Fault: new (o: { $metadata: object; message: string }) => T, message = 'refused') =>
  new Fault({ $metadata: {}, message });
const globalCluster = (old?: 'connected' | 'pending-resync', writer = EU) =>
  rds.on(DescribeGlobalClustersCommand, { GlobalClusterIdentifier: 'orders-global' }).resolves({
    GlobalClusters: [
      {
        GlobalClusterIdentifier: 'orders-global',
        GlobalClusterMembers: [
          { DBClusterArn: EU, IsWriter: writer === EU },
          ...(old ? [{ DBClusterArn: US, IsWriter: writer === US, SynchronizationStatus: old }] : []),
        ],
      },
    ],
  });
const snapshotsOfOld = (...snapshots: Record<string, unknown>[]) =>
  rds.on(DescribeDBClusterSnapshotsCommand, { DBClusterIdentifier: 'orders-us' }).resolves({
    DBClusterSnapshots: snapshots,
  });
const unplanned = (Status = 'available') => ({
  DBClusterSnapshotIdentifier: SOURCE,
  DBClusterSnapshotArn: SOURCE_ARN,
  SnapshotCreateTime: new Date('2026-12-07T10:05:00Z'),
  Status,
});

afterEach(() => rds.reset());

describe('AuroraPair.observe', () => {
  it('reads the global cluster and the old primary snapshots in the primary region, one call each', async () => {
    // Prepare
    const plan = loadPlanFile('plans/orders.yml') as PlanWithDatabase<'aurora-global'>;
    globalCluster('pending-resync');
    snapshotsOfOld(unplanned(), {
      DBClusterSnapshotIdentifier: COPY,
      SourceDBClusterSnapshotArn: SOURCE_ARN,
      Status: 'copying',
    });
    const regions: string[] = [];

    // Act
    const view = await new AuroraPair(plan, {
      rds: (r) => {
        regions.push(r);
        return new RDSClient({ region: r });
      },
    }).observe();

    // Assess
    expect(view).toStrictEqual({
      reachable: true,
      exists: true,
      writerArn: EU,
      oldPrimary: { member: true, synchronization: 'pending-resync' },
      unplannedSnapshot: { id: SOURCE, status: 'available' },
      preservedCopy: { id: COPY, status: 'copying' },
    });
    expect(regions).toStrictEqual(['us-east-1']);
    expect(rds.commandCalls(DescribeGlobalClustersCommand).map((c) => c.args[0].input)).toStrictEqual([
      { GlobalClusterIdentifier: 'orders-global' },
    ]);
    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand).map((c) => c.args[0].input)).toStrictEqual([
      { DBClusterIdentifier: 'orders-us' },
    ]);
  });

  it('is not reachable when a call fails, and does not exist for GlobalClusterNotFound', async () => {
    // Prepare
    const plan = loadPlanFile('plans/orders.yml') as PlanWithDatabase<'aurora-global'>;
    snapshotsOfOld();
    rds
      .on(DescribeGlobalClustersCommand)
      .rejectsOnce(fault(GlobalClusterNotFoundFault))
      .rejects(new Error('socket hang up'));

    // Act / Assess
    expect(await new AuroraPair(plan).observe()).toMatchObject({ reachable: true, exists: false });
    expect(await new AuroraPair(plan).observe()).toMatchObject({ reachable: false });
  });
});

describe('AuroraFailback.preserve', () => {
  it("sends CopyDBClusterSnapshot of Aurora's unplanned-failover snapshot to the run's name", async () => {
    // Prepare
    snapshotsOfOld(unplanned());
    rds.on(CopyDBClusterSnapshotCommand).resolves({
      DBClusterSnapshot: {
        DBClusterSnapshotIdentifier: COPY,
        Status: 'copying',
        SourceDBClusterSnapshotArn: SOURCE_ARN,
      },
    });

    // Act
    const copy = await failback().preserve(COPY);

    // Assess
    expect(copy).toMatchObject({ id: COPY, status: 'creating' });
    expect(rds).toReceiveCommandExactlyOnceWith(CopyDBClusterSnapshotCommand, {
      SourceDBClusterSnapshotIdentifier: SOURCE,
      TargetDBClusterSnapshotIdentifier: COPY,
      CopyTags: true,
    });
  });

  it('reuses a copy made before, copies nothing while Aurora has not taken its snapshot, and reports none taken', async () => {
    // Prepare / Act / Assess: a copy of the same source exists (an earlier run), under another name.
    snapshotsOfOld(unplanned(), {
      DBClusterSnapshotIdentifier: 'orders-us-preserved-earlier',
      SourceDBClusterSnapshotArn: SOURCE_ARN,
      Status: 'available',
    });
    expect(await failback().preserve(COPY)).toMatchObject({ id: 'orders-us-preserved-earlier', status: 'available' });
    // Aurora's snapshot is still being taken.
    rds.reset();
    snapshotsOfOld(unplanned('creating'));
    expect(await failback().preserve(COPY)).toMatchObject({ id: COPY, status: 'creating' });
    // None yet, the old primary still resyncing: it may come.
    rds.reset();
    snapshotsOfOld();
    globalCluster('pending-resync');
    expect(await failback().preserved(COPY)).toMatchObject({ status: 'creating' });
    // None, and the old primary rejoined: Aurora took none.
    rds.reset();
    snapshotsOfOld();
    globalCluster('connected');
    expect(await failback().preserve(COPY)).toMatchObject({ status: 'absent' });
    expect(rds.commandCalls(CopyDBClusterSnapshotCommand)).toHaveLength(0);
  });

  it('takes an existing copy of the same source as success, and refuses one of another source', async () => {
    // Prepare
    snapshotsOfOld(unplanned());
    rds.on(CopyDBClusterSnapshotCommand).rejects(fault(DBClusterSnapshotAlreadyExistsFault));
    rds
      .on(DescribeDBClusterSnapshotsCommand, { DBClusterSnapshotIdentifier: COPY })
      .resolvesOnce({
        DBClusterSnapshots: [
          { DBClusterSnapshotIdentifier: COPY, SourceDBClusterSnapshotArn: SOURCE_ARN, Status: 'available' },
        ],
      })
      .resolves({ DBClusterSnapshots: [{ DBClusterSnapshotIdentifier: COPY, SourceDBClusterSnapshotArn: 'other' }] });

    // Act / Assess
    expect(await failback().preserve(COPY)).toMatchObject({ id: COPY, status: 'available' });
    await expect(failback().preserve(COPY)).rejects.toBeInstanceOf(RebuildFailedError);
  });

  it('retries a source not yet available (ResourceBusyError) and fails one gone', async () => {
    // Prepare
    snapshotsOfOld(unplanned());
    rds
      .on(CopyDBClusterSnapshotCommand)
      .rejectsOnce(fault(InvalidDBClusterSnapshotStateFault))
      .rejects(fault(DBClusterSnapshotNotFoundFault));

    // Act / Assess
    await expect(failback().preserve(COPY)).rejects.toBeInstanceOf(ResourceBusyError);
    expect(await failback().preserve(COPY)).toMatchObject({ status: 'failed' });
  });
});

describe('AuroraFailback.preserve of an encrypted snapshot', () => {
  const encrypted = (key = KEY) => ({ ...unplanned(), StorageEncrypted: true, KmsKeyId: key });

  it("names the plan's key (the source's own) in the copy, and none for an unencrypted source", async () => {
    // Prepare
    snapshotsOfOld(encrypted());
    rds.on(CopyDBClusterSnapshotCommand).resolves({
      DBClusterSnapshot: {
        DBClusterSnapshotIdentifier: COPY,
        Status: 'copying',
        StorageEncrypted: true,
        KmsKeyId: KEY,
      },
    });

    // Act
    const copy = await failback(KEY).preserve(COPY);
    rds.resetHistory();
    snapshotsOfOld(unplanned());
    await failback(KEY).preserve(COPY);

    // Assess
    expect(copy.detail).toBe(`manual snapshot ${COPY}, a copy of ${SOURCE}, encrypted with ${KEY}, is copying`);
    expect(rds.commandCalls(CopyDBClusterSnapshotCommand).map((c) => c.args[0].input)).toStrictEqual([
      { SourceDBClusterSnapshotIdentifier: SOURCE, TargetDBClusterSnapshotIdentifier: COPY, CopyTags: true },
    ]);
  });

  it('sends the key when the plan names it, and the key by its id matches its ARN', async () => {
    // Prepare: RDS names the source's key by its id.
    snapshotsOfOld(encrypted('6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f'));
    rds.on(CopyDBClusterSnapshotCommand).resolves({});

    // Act
    await failback(KEY).preserve(COPY);

    // Assess
    expect(rds).toReceiveCommandExactlyOnceWith(CopyDBClusterSnapshotCommand, {
      SourceDBClusterSnapshotIdentifier: SOURCE,
      TargetDBClusterSnapshotIdentifier: COPY,
      CopyTags: true,
      KmsKeyId: KEY,
    });
  });

  it("refuses a source encrypted with another key than the plan's before copying (ConfigurationError)", async () => {
    // Prepare
    snapshotsOfOld(encrypted('arn:aws:kms:us-east-1:111122223333:key/00000000-4a5b-4c6d-8e7f-9a0b1c2d3e4f'));

    // Act / Assess
    await expect(failback(KEY).preserve(COPY)).rejects.toThrow(ConfigurationError);
    expect(rds.commandCalls(CopyDBClusterSnapshotCommand)).toHaveLength(0);
  });

  it('turns KMSKeyNotAccessibleFault into ConfigurationError naming the plan field, the SDK error kept as cause', async () => {
    // Prepare: the plan names no key; RDS may not use the source's for this caller.
    snapshotsOfOld(encrypted());
    const refused = fault(KMSKeyNotAccessibleFault, 'The caller is not authorized to use the KMS key.');
    rds.on(CopyDBClusterSnapshotCommand).rejects(refused);

    // Act
    const error = await failback()
      .preserve(COPY)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(`the KMS key ${KEY} that encrypts it`);
    expect((error as Error).message).toContain('database.preserveKmsKeyArn');
    expect((error as Error).cause).toBe(refused);
    expect(rds).toReceiveCommandExactlyOnceWith(CopyDBClusterSnapshotCommand, {
      SourceDBClusterSnapshotIdentifier: SOURCE,
      TargetDBClusterSnapshotIdentifier: COPY,
      CopyTags: true,
    });
  });

  it('points at the key policy, not at naming the key, when the plan already names it and RDS still refuses', async () => {
    // Prepare
    snapshotsOfOld(encrypted());
    rds.on(CopyDBClusterSnapshotCommand).rejects(fault(KMSKeyNotAccessibleFault, 'not authorized to use the KMS key'));

    // Act
    const error = await failback(KEY)
      .preserve(COPY)
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain("the key's policy must let the account's IAM policies decide");
    expect((error as Error).message).not.toContain('Name that key');
  });
});

describe('AuroraFailback.rebuild and rebuildStatus', () => {
  it('creates nothing: waiting for Aurora to re-add the old primary, or found it a member', async () => {
    globalCluster();
    expect(await failback().rebuild()).toMatchObject({ outcome: 'waiting' });
    rds.reset();
    globalCluster('pending-resync');
    expect(await failback().rebuild()).toMatchObject({ outcome: 'exists' });
    rds.reset();
    globalCluster('connected', US);
    await expect(failback().rebuild()).rejects.toBeInstanceOf(AmbiguousTopologyError);
  });

  it('is replicating once the old primary is a connected member, pending before, failed when the writer moved', async () => {
    globalCluster();
    expect(await failback().rebuildStatus()).toMatchObject({
      state: 'pending',
      detail: 'orders-us is not a member yet',
    });
    rds.reset();
    globalCluster('pending-resync');
    expect(await failback().rebuildStatus()).toMatchObject({ state: 'pending' });
    rds.reset();
    globalCluster('connected');
    expect(await failback().rebuildStatus()).toMatchObject({ state: 'replicating' });
    rds.reset();
    globalCluster('connected', US);
    expect(await failback().rebuildStatus()).toMatchObject({ state: 'failed' });
  });
});
