import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  DescribeEndpointCommand,
  SageMakerClient,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { capacityFor } from '#adapters/capacity/index.js';
import { adjustCapacity, nextCapacityStep } from '#core/capacity.js';
import { ConfigurationError, ThrottledError } from '#core/errors.js';
import { capacityConfig } from '#core/plan-capacity.js';

const ecs = mockClient(ECSClient);
const asg = mockClient(AutoScalingClient);
const sm = mockClient(SageMakerClient);

afterEach(() => {
  ecs.reset();
  asg.reset();
  sm.reset();
});

const ECS = capacityConfig.parse({ kind: 'ecs-service', cluster: 'serving-eu', service: 'ranker', count: 6 });
const ASG = capacityConfig.parse({ kind: 'auto-scaling-group', groupName: 'feature-workers-eu', count: 4 });
const SM = capacityConfig.parse({
  kind: 'sagemaker-endpoint',
  endpointName: 'ranker-eu',
  variantName: 'AllTraffic',
  count: 3,
});

describe('nextCapacityStep', () => {
  it('raises once, waits while the service is busy or not yet ready, and never lowers', () => {
    // Act / Assess
    expect(nextCapacityStep(6, { desired: 1, ready: 1, busy: false, detail: '' })).toEqual({ action: 'raise', to: 6 });
    expect(nextCapacityStep(6, { desired: 1, ready: 1, busy: true, detail: 'Updating' }).action).toBe('wait');
    expect(nextCapacityStep(6, { desired: 6, ready: 2, busy: false, detail: '' }).action).toBe('wait');
    expect(nextCapacityStep(6, { desired: 10, ready: 10, busy: false, detail: '' }).action).toBe('done');
    expect(nextCapacityStep(6, { desired: 2, ready: 2, max: 4, busy: false, detail: '' })).toEqual({
      action: 'refuse',
      reason: "the plan asks for 6, above the resource's maximum of 4",
    });
  });
});

describe('ECS service capacity', () => {
  const service = (desiredCount: number, runningCount: number, deployments = 1) => ({
    services: [
      {
        serviceName: 'ranker',
        status: 'ACTIVE',
        desiredCount,
        runningCount,
        pendingCount: desiredCount - runningCount,
        deployments: Array.from({ length: deployments }, () => ({})),
      },
    ],
  });

  it('raises the desired count with one UpdateService, then reports ready once every task runs', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolvesOnce(service(1, 1)).resolvesOnce(service(6, 6));
    ecs.on(UpdateServiceCommand).resolves({});
    const control = await capacityFor(ECS, 'eu-west-1');

    // Act
    const first = await adjustCapacity(ECS, control);
    const second = await adjustCapacity(ECS, control);

    // Assess
    expect(first).toEqual({ state: 'pending', raisedFrom: 1, detail: 'raised 1 → 6' });
    expect(second).toMatchObject({ state: 'ready' });
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, { cluster: 'serving-eu', services: ['ranker'] });
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: 'serving-eu',
      service: 'ranker',
      desiredCount: 6,
    });
  });

  it('leaves a service already at or above the plan’s count as it is, and waits out a rolling deployment', async () => {
    // Prepare
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(service(8, 8))
      .resolvesOnce(service(6, 6, 2));
    const control = await capacityFor(ECS, 'eu-west-1');

    // Act
    const above = await adjustCapacity(ECS, control);
    const rolling = await adjustCapacity(ECS, control);

    // Assess
    expect(above.state).toBe('ready');
    expect(rolling).toEqual({
      state: 'pending',
      detail: '6 ready of 6 desired (6 running, 0 pending, 2 deployment(s))',
    });
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('names a missing service as configuration and keeps throttling retryable', async () => {
    // Prepare
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce({ services: [], failures: [{ reason: 'MISSING' }] })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const control = await capacityFor(ECS, 'eu-west-1');

    // Act
    const missing = await adjustCapacity(ECS, control).catch((e: unknown) => e);
    const throttled = await adjustCapacity(ECS, control).catch((e: unknown) => e);

    // Assess
    expect(missing).toBeInstanceOf(ConfigurationError);
    expect((missing as Error).message).toMatch(/the service is MISSING/);
    expect(throttled).toBeInstanceOf(ThrottledError);
  });
});

describe('Auto Scaling group capacity', () => {
  const group = (desired: number, healthy: number, max = 10, status?: string) => ({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'feature-workers-eu',
        MinSize: 0,
        MaxSize: max,
        DesiredCapacity: desired,
        DefaultCooldown: 300,
        AvailabilityZones: ['eu-west-1a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(),
        ...(status ? { Status: status } : {}),
        Instances: [
          ...Array.from({ length: healthy }, (_, i) => ({
            InstanceId: `i-${i}`,
            LifecycleState: 'InService' as const,
            HealthStatus: 'Healthy',
            AvailabilityZone: 'eu-west-1a',
            ProtectedFromScaleIn: false,
          })),
          {
            InstanceId: 'i-pending',
            LifecycleState: 'Pending' as const,
            HealthStatus: 'Healthy',
            AvailabilityZone: 'eu-west-1a',
            ProtectedFromScaleIn: false,
          },
        ],
      },
    ],
  });

  it('sets the desired capacity without honouring the cooldown, and counts only InService and Healthy instances', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolvesOnce(group(1, 1)).resolvesOnce(group(4, 3));
    asg.on(SetDesiredCapacityCommand).resolves({});
    const control = await capacityFor(ASG, 'eu-west-1');

    // Act
    const first = await adjustCapacity(ASG, control);
    const second = await adjustCapacity(ASG, control);

    // Assess
    expect(first.state).toBe('pending');
    expect(second).toEqual({
      state: 'pending',
      detail: '3 ready of 4 desired (3 InService and Healthy of 4 instance(s))',
    });
    expect(asg.commandCalls(SetDesiredCapacityCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'feature-workers-eu',
      DesiredCapacity: 4,
      HonorCooldown: false,
    });
  });

  it('refuses, without a call that changes anything, a count above the group’s MaxSize', async () => {
    // Prepare
    asg.on(DescribeAutoScalingGroupsCommand).resolves(group(1, 1, 2));
    const control = await capacityFor(ASG, 'eu-west-1');

    // Act
    const error = await adjustCapacity(ASG, control).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      "capacity auto-scaling-group: the plan asks for 4, above the resource's maximum of 2",
    );
    expect(asg).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });
});

describe('SageMaker endpoint capacity', () => {
  const endpoint = (status: string, current: number, desired = current) => ({
    EndpointName: 'ranker-eu',
    EndpointArn: 'arn:aws:sagemaker:eu-west-1:111122223333:endpoint/ranker-eu',
    EndpointConfigName: 'ranker-eu-config',
    EndpointStatus: status as 'InService',
    CreationTime: new Date(),
    LastModifiedTime: new Date(),
    ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: current, DesiredInstanceCount: desired }],
  });

  it('raises the variant’s instance count when InService and is ready only when InService again at the count', async () => {
    // Prepare
    sm.on(DescribeEndpointCommand)
      .resolvesOnce(endpoint('InService', 1))
      .resolvesOnce(endpoint('Updating', 1, 3))
      .resolvesOnce(endpoint('InService', 3));
    sm.on(UpdateEndpointWeightsAndCapacitiesCommand).resolves({ EndpointArn: 'arn' });
    const control = await capacityFor(SM, 'eu-west-1');

    // Act
    const states = [
      await adjustCapacity(SM, control),
      await adjustCapacity(SM, control),
      await adjustCapacity(SM, control),
    ];

    // Assess
    expect(states.map((s) => s.state)).toEqual(['pending', 'pending', 'ready']);
    expect(sm).toHaveReceivedCommandTimes(UpdateEndpointWeightsAndCapacitiesCommand, 1);
    expect(sm.commandCalls(UpdateEndpointWeightsAndCapacitiesCommand)[0]?.args[0].input).toEqual({
      EndpointName: 'ranker-eu',
      DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 3 }],
    });
  });

  it('names a failed endpoint or a missing variant as configuration', async () => {
    // Prepare
    sm.on(DescribeEndpointCommand)
      .resolvesOnce({ ...endpoint('Failed', 0), FailureReason: 'image not found' })
      .resolvesOnce({ ...endpoint('InService', 1), ProductionVariants: [{ VariantName: 'Other' }] });
    const control = await capacityFor(SM, 'eu-west-1');

    // Act
    const errors = [
      await adjustCapacity(SM, control).catch((e: unknown) => e),
      await adjustCapacity(SM, control).catch((e: unknown) => e),
    ];

    // Assess
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'DescribeEndpoint ranker-eu: the endpoint is Failed: image not found',
      'DescribeEndpoint ranker-eu: no production variant AllTraffic',
    ]);
    expect(sm).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });
});
