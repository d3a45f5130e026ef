import {
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DBSnapshotAlreadyExistsFault,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { RdsFailback } from '#adapters/database/rds-failback.js';
import { RdsPair } from '#adapters/database/rds-pair.js';
import { AmbiguousTopologyError, ConfigurationError, RebuildFailedError, ResourceBusyError } from '#core/errors.js';
import type { PlanWithDatabase } from '#core/plan.js';
import { parsePlan } from '#core/plan.js';
import { loadPlanFile } from '#lib/plan-catalog.js';

const rds = mockClient(RDSClient);

const WRITER = 'arn:aws:rds:us-east-2:111122223333:db:feature-store-replica';
const OLD = 'arn:aws:rds:us-west-2:111122223333:db:feature-store';
const REBUILT = 'arn:aws:rds:us-west-2:111122223333:db:feature-store-failback';
const KEY = 'arn:aws:kms:us-west-2:111122223333:key/11111111-2222-3333-4444-555555555555';
const SNAPSHOT = 'feature-store-preserved-feature-store-failback-20261207T1600Z';

const failback = (kmsKeyArn?: string) =>
  new RdsFailback({ oldPrimaryArn: OLD, writerArn: WRITER, rebuiltArn: REBUILT, ...(kmsKeyArn ? { kmsKeyArn } : {}) });
const fault = <T>(Fault: new (o: { $metadata: object; message: string }) => T, message = 'refused') =>
  new Fault({ $metadata: {}, message });
const writer = (over: Record<string, unknown> = {}) =>
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store-replica' }).resolves({
    DBInstances: [
      { DBInstanceIdentifier: 'feature-store-replica', BackupRetentionPeriod: 1, StorageEncrypted: false, ...over },
    ],
  });

afterEach(() => rds.reset());

describe('RdsFailback.preserve', () => {
  it('sends CreateDBSnapshot of the old primary under the run name, creating', async () => {
    // Prepare
    rds
      .on(CreateDBSnapshotCommand)
      .resolves({ DBSnapshot: { DBInstanceIdentifier: 'feature-store', Status: 'creating' } });

    // Act
    const copy = await failback().preserve(SNAPSHOT);

    // Assess
    expect(rds).toReceiveCommandExactlyOnceWith(CreateDBSnapshotCommand, {
      DBSnapshotIdentifier: SNAPSHOT,
      DBInstanceIdentifier: 'feature-store',
    });
    expect(copy).toMatchObject({ id: SNAPSHOT, status: 'creating' });
  });

  it('takes a snapshot of that name that exists, of the old primary, as success (a retry)', async () => {
    // Prepare
    rds.on(CreateDBSnapshotCommand).rejects(fault(DBSnapshotAlreadyExistsFault));
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: SNAPSHOT, DBInstanceIdentifier: 'feature-store', Status: 'available' }],
    });

    // Act
    const copy = await failback().preserve(SNAPSHOT);

    // Assess
    expect(rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: SNAPSHOT });
    expect(copy.status).toBe('available');
  });

  it('throws RebuildFailedError when the snapshot of that name is of another instance', async () => {
    rds.on(CreateDBSnapshotCommand).rejects(fault(DBSnapshotAlreadyExistsFault));
    rds
      .on(DescribeDBSnapshotsCommand)
      .resolves({ DBSnapshots: [{ DBInstanceIdentifier: 'other', Status: 'available' }] });
    await expect(failback().preserve(SNAPSHOT)).rejects.toThrow(RebuildFailedError);
  });

  it('reports absent when the old primary does not exist, and busy (retryable) when it is not available', async () => {
    rds
      .on(CreateDBSnapshotCommand)
      .rejectsOnce(fault(DBInstanceNotFoundFault))
      .rejects(fault(InvalidDBInstanceStateFault));
    expect((await failback().preserve(SNAPSHOT)).status).toBe('absent');
    await expect(failback().preserve(SNAPSHOT)).rejects.toThrow(ResourceBusyError);
  });
});

describe('RdsFailback.rebuild', () => {
  it('sends CreateDBInstanceReadReplica with the writer ARN as source, no key for an unencrypted writer', async () => {
    // Prepare
    writer();
    rds.on(CreateDBInstanceReadReplicaCommand).resolves({});

    // Act
    const result = await failback(KEY).rebuild();

    // Assess
    expect(rds).toReceiveCommandExactlyOnceWith(CreateDBInstanceReadReplicaCommand, {
      DBInstanceIdentifier: 'feature-store-failback',
      SourceDBInstanceIdentifier: WRITER,
    });
    expect(rds.commandCalls(CreateDBInstanceReadReplicaCommand)[0]?.args[0].input.KmsKeyId).toBeUndefined();
    expect(result.outcome).toBe('started');
  });

  it('encrypts the replica of an encrypted writer with the plan key, and refuses without one (ConfigurationError, nothing sent)', async () => {
    writer({ StorageEncrypted: true });
    rds.on(CreateDBInstanceReadReplicaCommand).resolves({});
    await failback(KEY).rebuild();
    expect(rds).toHaveReceivedCommandWith(CreateDBInstanceReadReplicaCommand, { KmsKeyId: KEY });
    rds.resetHistory();
    await expect(failback().rebuild()).rejects.toThrow(ConfigurationError);
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceReadReplicaCommand);
  });

  it('refuses a writer without automated backups (ConfigurationError, nothing sent)', async () => {
    writer({ BackupRetentionPeriod: 0 });
    await expect(failback().rebuild()).rejects.toThrow(/automated backups off/);
    expect(rds).not.toHaveReceivedCommand(CreateDBInstanceReadReplicaCommand);
  });

  it('takes an existing replica of the writer as success, and one of anything else as AmbiguousTopologyError', async () => {
    // Prepare
    writer();
    rds.on(CreateDBInstanceReadReplicaCommand).rejects(fault(DBInstanceAlreadyExistsFault));
    const rebuilt = rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store-failback' });
    rebuilt.resolvesOnce({ DBInstances: [{ ReadReplicaSourceDBInstanceIdentifier: WRITER }] });
    rebuilt.resolves({ DBInstances: [{ DBInstanceStatus: 'available' }] });

    // Act + Assess
    expect((await failback().rebuild()).outcome).toBe('exists');
    await expect(failback().rebuild()).rejects.toThrow(AmbiguousTopologyError);
  });
});

describe('RdsFailback.rebuildStatus', () => {
  it.each([
    [{ DBInstanceStatus: 'creating', ReadReplicaSourceDBInstanceIdentifier: WRITER }, 'pending'],
    [
      {
        DBInstanceStatus: 'available',
        ReadReplicaSourceDBInstanceIdentifier: WRITER,
        StatusInfos: [{ StatusType: 'read replication', Status: 'replicating', Normal: true }],
      },
      'replicating',
    ],
    [
      {
        DBInstanceStatus: 'available',
        ReadReplicaSourceDBInstanceIdentifier: WRITER,
        StatusInfos: [{ StatusType: 'read replication', Status: 'error', Normal: false }],
      },
      'failed',
    ],
    [{ DBInstanceStatus: 'incompatible-parameters', ReadReplicaSourceDBInstanceIdentifier: WRITER }, 'failed'],
    [{ DBInstanceStatus: 'available' }, 'failed'],
  ])('reads %j as %s', async (instance, state) => {
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store-failback' })
      .resolves({ DBInstances: [instance] });
    expect((await failback().rebuildStatus()).state).toBe(state);
  });

  it('reads a replica that is gone as failed', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(fault(DBInstanceNotFoundFault));
    expect((await failback().rebuildStatus()).state).toBe('failed');
  });
});

describe('RdsPair.observe', () => {
  const plan = parsePlan(loadPlanFile('plans/feature-store.yml'), 'test') as PlanWithDatabase<'rds-instance'>;

  it('describes the writer, the rebuilt replica and the old primary; not found is absent, a failure unreachable', async () => {
    // Prepare
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store-replica' }).resolves({
      DBInstances: [{ DBInstanceStatus: 'available' }],
    });
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store-failback' })
      .rejects(fault(DBInstanceNotFoundFault));
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'feature-store' }).rejects(new Error('socket hang up'));

    // Act
    const view = await new RdsPair(plan).observe();

    // Assess
    expect(view.replica).toStrictEqual({
      id: 'feature-store-replica',
      reachable: true,
      exists: true,
      status: 'available',
    });
    expect(view.rebuilt).toStrictEqual({ id: 'feature-store-failback', reachable: true, exists: false });
    expect(view.source).toStrictEqual({ id: 'feature-store', reachable: false, exists: false });
    expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 3);
  });
});
