/**
 * A component database's contract with AWS: through the component function's real handler and the real RDS, CloudWatch
 * and Route 53 adapters, the exact commands each phase sends (aws-sdk-client-mock), each to its Region.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBInstancesCommand,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComponentIteration } from '#core/components.js';
import type { ComponentConfig } from '#core/plan-components.js';
import type { FailoverState } from '#core/state.js';
import { handler } from '../../../functions/component.js';
import { FEATURE_DB, planWithFeatureDb } from '../../fixtures/component-database.js';

const rds = mockClient(RDSClient);
const cw = mockClient(CloudWatchClient);
const r53 = mockClient(Route53Client);
const MOCKS = [rds, cw, r53];
afterEach(() => {
  for (const m of MOCKS) m.reset();
});

const SOURCE = FEATURE_DB.source.arn;
const ENDPOINT = FEATURE_DB.replica.endpoint;
const RECORD = FEATURE_DB.record;
const PLAN = planWithFeatureDb({ rpo: { maxLagSeconds: 5 } });
const COMPONENT = PLAN.components?.[0] as ComponentConfig;
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:ml-orders-manual-1';
const context = { getRemainingTimeInMillis: () => 50_000 } as Context;
const invoke = (step: string, state: unknown) =>
  (handler as (e: unknown, c: Context) => Promise<unknown>)({ step, executionId: EXECUTION, state }, context);
const iteration = (
  over: Partial<ComponentIteration> = {},
  mode: 'planned' | 'unplanned' = 'unplanned',
  dryRun = false,
) => ({
  component: COMPONENT,
  run: { plan: PLAN.name, executionId: EXECUTION, regions: PLAN.regions, mode, dryRun },
  ...over,
});
const act = async (it: ComponentIteration) => (await invoke('ComponentAction', it)) as ComponentIteration;
const regionOf = (c: { thisValue: unknown }) =>
  (c.thisValue as { config: { region: () => Promise<string> } }).config.region();
const sent = () => MOCKS.flatMap((m) => m.calls().map((c) => (c.args[0] as object).constructor.name));

/** The replica: a read replica of SOURCE until `promoted`, then standalone and available. */
const replica = (promoted = false) =>
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'features-replica' }).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'features-replica',
        DBInstanceStatus: 'available',
        BackupRetentionPeriod: 7,
        Endpoint: { Address: ENDPOINT, Port: 5432 },
        ...(promoted ? {} : { ReadReplicaSourceDBInstanceIdentifier: SOURCE }),
      },
    ],
  });

describe("a component database's calls", () => {
  it('CheckComponentGates: its ReplicaLag (GetMetricData) and its replica (DescribeDBInstances), in the standby region, judged on its own rpo', async () => {
    // Prepare: 7 s behind, over its own 5 s (the plan allows 30 s).
    replica();
    cw.on(GetMetricDataCommand).callsFake(() => ({
      MetricDataResults: [
        { Id: 'replica_lag', Timestamps: [new Date(Date.now() - 90_000)], Values: [7], StatusCode: 'Complete' },
      ],
    }));
    const state = { plan: PLAN, input: { mode: 'unplanned', dryRun: false }, timeline: [] };

    // Act
    const out = (await invoke('CheckComponentGates', state)) as FailoverState;

    // Assess
    const query = cw.commandCalls(GetMetricDataCommand)[0];
    expect(await regionOf(query as never)).toBe('eu-west-1');
    expect(query?.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Metric).toEqual({
      Namespace: 'AWS/RDS',
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'features-replica' }],
    });
    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'features-replica' });
    expect(out.components?.['feature-metadata']?.gate).toEqual({
      status: 'known',
      within: false,
      reason: 'lag 7 s exceeds RPO 5 s',
    });
    expect(out.componentGates?.decision).toBe('retry');
  });

  it('first action, unplanned: observes the replica, then sets its source group read-only in the primary region, nothing else', async () => {
    // Prepare
    replica();
    rds.on(ModifyDBParameterGroupCommand).resolves({ DBParameterGroupName: 'features-pg' });

    // Act
    const out = await act(iteration());

    // Assess
    const modify = rds.commandCalls(ModifyDBParameterGroupCommand);
    expect(modify).toHaveLength(1);
    expect(modify[0]?.args[0].input).toEqual({
      DBParameterGroupName: 'features-pg',
      Parameters: [{ ParameterName: 'default_transaction_read_only', ParameterValue: '1', ApplyMethod: 'immediate' }],
    });
    expect(await regionOf(modify[0] as never)).toBe('us-east-1');
    expect(sent()).toEqual(['DescribeDBInstancesCommand', 'ModifyDBParameterGroupCommand']);
    expect(out.progress?.status).toBe('pending');
    expect(out.database?.phase).toBe('promote');
    expect(out.progress?.detail).toBe(
      `old primary: fenced (read-only-parameter); standby: NOT promoted; record ${RECORD} not changed by this run`,
    );
  });

  it('promote: PromoteReadReplica of its replica with its backup retention, in the standby region', async () => {
    // Prepare
    replica();
    rds.on(PromoteReadReplicaCommand).resolves({});
    const fence = { fenced: true, method: 'read-only-parameter', detail: 'set' };

    // Act
    const out = await act(iteration({ database: { phase: 'promote', fence } }));

    // Assess
    const promote = rds.commandCalls(PromoteReadReplicaCommand);
    expect(promote.map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'features-replica', BackupRetentionPeriod: 7 },
    ]);
    expect(await regionOf(promote[0] as never)).toBe('eu-west-1');
    expect(out.database?.phase).toBe('status');
    expect(out.progress?.status).toBe('pending');
  });

  it('once writable: UPSERT of its own record to its endpoint, then GetChange until INSYNC', async () => {
    // Prepare
    replica(true);
    r53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
    r53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });

    // Act
    const first = await act(
      iteration({ database: { phase: 'status', promote: { outcome: 'started', detail: 'accepted' } } }),
    );
    const second = await act(first);
    const third = await act(second);

    // Assess
    expect(r53).toHaveReceivedCommandExactlyOnceWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      ChangeBatch: {
        Comment: `dr-failover: plan ml-orders (component feature-metadata) points ${RECORD} at ${ENDPOINT}`,
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: RECORD, Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: ENDPOINT }] },
          },
        ],
      },
    });
    expect(r53).toHaveReceivedCommandExactlyOnceWith(GetChangeCommand, { Id: '/change/C1' });
    expect(first.database?.phase).toBe('record');
    expect(second.progress?.status).toBe('pending');
    expect(second.database?.phase).toBe('record-status');
    expect(third.progress?.status).toBe('done');
    expect(third.progress?.detail).toContain(`record ${RECORD} UPSERT to ${ENDPOINT} (in sync)`);
  });

  it('re-entry finds the replica already the writer: no fence, no promotion, its record moved', async () => {
    // Prepare
    replica(true);
    r53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: '/change/C2', Status: 'INSYNC', SubmittedAt: new Date() } });

    // Act
    const out = await act(iteration({}, 'planned'));

    // Assess
    expect(sent()).toEqual(['DescribeDBInstancesCommand', 'ChangeResourceRecordSetsCommand']);
    expect(out.progress?.status).toBe('done');
    expect(out.progress?.detail).toMatch(/^old primary: not fenced by this run \(its standby was already the writer\)/);
  });

  it('a dry run reads its lag and its replica, and sends nothing that changes anything', async () => {
    // Prepare
    replica();
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    const out = await act(iteration({}, 'planned', true));

    // Assess
    expect([...new Set(sent())].sort()).toEqual(['DescribeDBInstancesCommand', 'GetMetricDataCommand']);
    expect(out.progress?.status).toBe('dry-run');
    expect(out.progress?.detail).toMatch(/^would fence its old primary \(planned\), promote its standby, UPSERT /);
  });
});
