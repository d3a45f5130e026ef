/**
 * The component function's contract with AWS: through its real handler and the real adapters, the exact commands
 * each step sends (aws-sdk-client-mock), and what it sends in a dry run (reads only).
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetMultiRegionAccessPointRoutesCommand,
  S3ControlClient,
  SubmitMultiRegionAccessPointRoutesCommand,
} from '@aws-sdk/client-s3-control';
import {
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { ComponentIteration } from '#core/components.js';
import type { ComponentConfig } from '#core/plan-components.js';
import type { FailoverState } from '#core/state.js';
import { handler } from '../../../functions/component.js';
import { platformPlan } from '../../statemachine/components-world.js';

const cw = mockClient(CloudWatchClient);
const s3c = mockClient(S3ControlClient);
const sm = mockClient(SageMakerClient);
const ecs = mockClient(ECSClient);
const asg = mockClient(AutoScalingClient);
const lambda = mockClient(LambdaClient);
const MOCKS = [cw, s3c, sm, ecs, asg, lambda];
afterEach(() => {
  for (const m of MOCKS) m.reset();
});

const PLAN = platformPlan();
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:dr-failover-dev:ml-orders-manual-1';
const context = { getRemainingTimeInMillis: () => 50_000 } as Context;
const invoke = (step: string, state: unknown) =>
  (handler as (e: unknown, c: Context) => Promise<unknown>)({ step, executionId: EXECUTION, state }, context);
const componentNamed = (name: string) => PLAN.components?.find((c) => c.name === name) as ComponentConfig;
const iteration = (component: ComponentConfig, dryRun = false): ComponentIteration => ({
  component,
  run: { plan: PLAN.name, executionId: EXECUTION, regions: PLAN.regions, mode: 'unplanned', dryRun },
});
const sent = () => MOCKS.flatMap((m) => m.calls().map((c) => (c.args[0] as object).constructor.name));

describe('the component function', () => {
  it('CheckComponentGates: one GetMetricData per gate, S3 in the standby region, DynamoDB from the primary', async () => {
    // Prepare
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const state = { plan: PLAN, input: { mode: 'unplanned', dryRun: false }, timeline: [] };

    // Act
    const out = (await invoke('CheckComponentGates', state)) as FailoverState;

    // Assess
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(2);
    const regions = await Promise.all(calls.map((c) => c.thisValue.config.region()));
    expect(regions.sort()).toEqual(['eu-west-1', 'us-east-1']);
    const s3 = calls.map((c) => c.args[0].input).find((i) => i.MetricDataQueries?.length === 3);
    expect(s3?.MetricDataQueries?.map((q) => q.MetricStat?.Metric)).toEqual(
      ['ReplicationLatency', 'OperationsPendingReplication', 'BytesPendingReplication'].map((MetricName) => ({
        Namespace: 'AWS/S3',
        MetricName,
        Dimensions: expect.arrayContaining([
          { Name: 'SourceBucket', Value: 'ml-artifacts-us-east-1' },
          { Name: 'DestinationBucket', Value: 'ml-artifacts-eu-west-1' },
          { Name: 'RuleId', Value: 'artifacts' },
        ]),
      })),
    );
    // No datapoints: unknown, never within, and counted as a check.
    expect(out.componentGates).toMatchObject({ checks: 1, decision: 'retry' });
    expect(out.components?.['model-artifacts']?.gate).toMatchObject({ status: 'unknown', within: false });
  });

  it('ComponentAction, access point: reads the routes, then submits standby 100 and primary 0 in one request', async () => {
    // Prepare
    s3c.on(GetMultiRegionAccessPointRoutesCommand).resolves({
      Routes: [
        { Bucket: 'ml-artifacts-us-east-1', Region: 'us-east-1', TrafficDialPercentage: 100 },
        { Bucket: 'ml-artifacts-eu-west-1', Region: 'eu-west-1', TrafficDialPercentage: 0 },
      ],
    });
    s3c.on(SubmitMultiRegionAccessPointRoutesCommand).resolves({});

    // Act
    const out = (await invoke('ComponentAction', iteration(componentNamed('model-artifacts')))) as ComponentIteration;

    // Assess
    expect(s3c).toReceiveCommandExactlyOnceWith(SubmitMultiRegionAccessPointRoutesCommand, {
      AccountId: '111122223333',
      Mrap: 'arn:aws:s3::111122223333:accesspoint/mfzwi23gnjvgw.mrap',
      RouteUpdates: [
        { Bucket: 'ml-artifacts-eu-west-1', Region: 'eu-west-1', TrafficDialPercentage: 100 },
        { Bucket: 'ml-artifacts-us-east-1', Region: 'us-east-1', TrafficDialPercentage: 0 },
      ],
    });
    expect(out.progress).toMatchObject({ status: 'done', checks: 1 });
  });

  it('ComponentAction, SageMaker capacity: raises once, then only reads until InService at the count', async () => {
    // Prepare
    sm.on(DescribeEndpointCommand)
      .resolvesOnce({
        EndpointStatus: 'InService',
        ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 1, DesiredInstanceCount: 1 }],
      })
      .resolves({
        EndpointStatus: 'InService',
        ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 4, DesiredInstanceCount: 4 }],
      });
    sm.on(UpdateEndpointWeightsAndCapacitiesCommand).resolves({});

    // Act
    const first = (await invoke('ComponentAction', iteration(componentNamed('serving')))) as ComponentIteration;
    const second = (await invoke('ComponentAction', first)) as ComponentIteration;

    // Assess
    expect(sm).toReceiveCommandExactlyOnceWith(UpdateEndpointWeightsAndCapacitiesCommand, {
      EndpointName: 'ranking',
      DesiredWeightsAndCapacities: [{ VariantName: 'primary', DesiredInstanceCount: 4 }],
    });
    expect(sm).toHaveReceivedCommandTimes(DescribeEndpointCommand, 2);
    expect(first.progress).toMatchObject({ status: 'pending', checks: 1, detail: 'raised 1 → 4' });
    expect(second.progress).toMatchObject({ status: 'done', checks: 2 });
  });

  it('ComponentAction, ECS and Auto Scaling capacity: UpdateService desiredCount, SetDesiredCapacity without cooldown', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [{ serviceName: 'api', desiredCount: 1, runningCount: 1, deployments: [{ status: 'PRIMARY' }] }],
    });
    ecs.on(UpdateServiceCommand).resolves({});
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'workers',
          DesiredCapacity: 0,
          MaxSize: 10,
          MinSize: 0,
          Instances: [],
        } as never,
      ],
    });
    asg.on(SetDesiredCapacityCommand).resolves({});
    const capacity = (name: string, target: unknown) =>
      ({ kind: 'capacity', name, stage: 1, target, maxChecks: 3, checkIntervalSeconds: 10 }) as ComponentConfig;

    // Act
    await invoke(
      'ComponentAction',
      iteration(capacity('api', { kind: 'ecs-service', cluster: 'serving', service: 'api', count: 3 })),
    );
    await invoke(
      'ComponentAction',
      iteration(capacity('workers', { kind: 'auto-scaling-group', groupName: 'workers', count: 2 })),
    );

    // Assess
    expect(ecs).toReceiveCommandExactlyOnceWith(UpdateServiceCommand, {
      cluster: 'serving',
      service: 'api',
      desiredCount: 3,
    });
    expect(asg).toReceiveCommandExactlyOnceWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: 'workers',
      DesiredCapacity: 2,
      HonorCooldown: false,
    });
  });

  it('ComponentAction, custom action: one synchronous Invoke with the run context and its idempotency key', async () => {
    // Prepare
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode('{"ok":true}') as never });

    // Act
    const out = (await invoke('ComponentAction', iteration(componentNamed('warm-cache')))) as ComponentIteration;

    // Assess
    const call = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(call?.FunctionName).toBe('arn:aws:lambda:eu-west-1:111122223333:function:warm-feature-cache');
    expect(call?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(call?.Payload as Uint8Array))).toEqual({
      plan: PLAN.name,
      component: 'warm-cache',
      mode: 'unplanned',
      dryRun: false,
      idempotencyKey: `${EXECUTION}:warm-cache`,
      input: { table: 'online-features' },
    });
    expect(out.progress?.status).toBe('done');
  });

  it('ComponentAction in a dry run: reads capacity, sends nothing to the access point or the custom action', async () => {
    // Prepare
    sm.on(DescribeEndpointCommand).resolves({
      EndpointStatus: 'InService',
      ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 1, DesiredInstanceCount: 1 }],
    });

    // Act
    for (const name of ['model-artifacts', 'serving', 'warm-cache']) {
      await invoke('ComponentAction', iteration(componentNamed(name), true));
    }

    // Assess
    expect(sent()).toEqual(['DescribeEndpointCommand']);
  });

  it('refuses a step it does not have, with InvalidInputError and no AWS call', async () => {
    await expect(invoke('Promote', {})).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(sent()).toEqual([]);
  });
});
