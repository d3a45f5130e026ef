import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  SFNServiceException,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StepFunctionsExecutions } from '#adapters/sfn/executions.js';
import { AwsRequestFailedError, ServiceUnavailableError, ThrottledError } from '#core/errors.js';

const sfn = mockClient(SFNClient);

afterEach(() => {
  sfn.reset();
});

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:dr-failover-prod';
const executionArn = (name: string) => `arn:aws:states:eu-west-1:111122223333:execution:dr-failover-prod:${name}`;
const NOW = new Date('2026-11-25T03:18:00.000Z');
const minutesBefore = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const item = (name: string, status: 'RUNNING' | 'SUCCEEDED' | 'FAILED', startDate: Date, stopDate?: Date) => ({
  executionArn: executionArn(name),
  stateMachineArn: STATE_MACHINE_ARN,
  name,
  status,
  startDate,
  ...(stopDate ? { stopDate } : {}),
});

describe('StepFunctionsExecutions as the run guard reads it', () => {
  it('describes an execution: its status, dates and parsed input', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves({
      ...item('console-run-7', 'SUCCEEDED', minutesBefore(40), minutesBefore(30)),
      input: JSON.stringify({ plan: 'orders', mode: 'unplanned', dryRun: false }),
    });

    // Act
    const described = await new StepFunctionsExecutions(STATE_MACHINE_ARN).describeExecution(
      executionArn('console-run-7'),
    );

    // Assess
    expect(described).toEqual({
      executionArn: executionArn('console-run-7'),
      name: 'console-run-7',
      status: 'SUCCEEDED',
      startDate: minutesBefore(40),
      stopDate: minutesBefore(30),
      input: { plan: 'orders', mode: 'unplanned', dryRun: false },
    });
    expect(sfn).toReceiveCommandExactlyOnceWith(DescribeExecutionCommand, {
      executionArn: executionArn('console-run-7'),
    });
  });

  it('describes an execution whose input is not JSON as one without input', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves({ ...item('x', 'RUNNING', minutesBefore(1)), input: 'plan=orders' });

    // Act
    const described = await new StepFunctionsExecutions(STATE_MACHINE_ARN).describeExecution(executionArn('x'));

    // Assess
    expect(described).not.toHaveProperty('input');
    expect(described).toMatchObject({ name: 'x', status: 'RUNNING' });
  });

  it.each([
    [
      'ThrottlingException',
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: {},
        message: 'Rate exceeded',
      }),
      ThrottledError,
    ],
    [
      'a 500',
      new SFNServiceException({
        name: 'InternalServerError',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
        message: 'boom',
      }),
      ServiceUnavailableError,
    ],
    [
      'ExecutionDoesNotExist',
      new ExecutionDoesNotExist({ $metadata: { httpStatusCode: 400 }, message: 'Execution Does Not Exist' }),
      AwsRequestFailedError,
    ],
  ])(
    'translates a DescribeExecution failure with %s into a named error keeping the cause',
    async (_what, failure, named) => {
      // Prepare
      sfn.on(DescribeExecutionCommand).rejects(failure);

      // Act
      const attempt = new StepFunctionsExecutions(STATE_MACHINE_ARN).describeExecution(executionArn('x'));

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(named);
      await expect(attempt).rejects.toMatchObject({
        cause: failure,
        message: expect.stringContaining('DescribeExecution'),
      });
    },
  );

  it('lists RUNNING executions with statusFilter, then pages the recent ones with nextToken, each with its ARN', async () => {
    // Prepare
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' })
      .resolves({ executions: [item('orders-manual-ana', 'RUNNING', minutesBefore(1))], nextToken: 'running-2' })
      .on(ListExecutionsCommand, {
        stateMachineArn: STATE_MACHINE_ARN,
        statusFilter: 'RUNNING',
        nextToken: 'running-2',
      })
      .resolves({ executions: [item('orders-alarm-20261124T0300Z', 'RUNNING', minutesBefore(1400))] })
      .on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, statusFilter: undefined, nextToken: undefined })
      .resolves({
        executions: [
          item('orders-manual-ana', 'RUNNING', minutesBefore(1)),
          item('console-run-7', 'SUCCEEDED', minutesBefore(40), minutesBefore(30)),
        ],
        nextToken: 'recent-2',
      })
      .on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, statusFilter: undefined, nextToken: 'recent-2' })
      .resolves({
        executions: [item('old', 'FAILED', minutesBefore(3000), minutesBefore(2990))],
        nextToken: 'recent-3',
      });

    // Act
    const listed = await new StepFunctionsExecutions(STATE_MACHINE_ARN).recentExecutions(minutesBefore(1500));

    // Assess: the page with executions older than `since` is the last one read
    expect(listed.map((e) => [e.name, e.executionArn])).toEqual([
      ['orders-manual-ana', executionArn('orders-manual-ana')],
      ['orders-alarm-20261124T0300Z', executionArn('orders-alarm-20261124T0300Z')],
      ['console-run-7', executionArn('console-run-7')],
      ['old', executionArn('old')],
    ]);
    expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 4);
    expect(sfn).toHaveReceivedNthCommandWith(ListExecutionsCommand, 2, {
      nextToken: 'running-2',
      statusFilter: 'RUNNING',
    });
    expect(sfn).toHaveReceivedNthCommandWith(ListExecutionsCommand, 4, { nextToken: 'recent-2' });
  });

  it('throws ThrottledError keeping the cause when ListExecutions is throttled', async () => {
    // Prepare
    const throttled = new SFNServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    sfn.on(ListExecutionsCommand).rejects(throttled);

    // Act
    const attempt = new StepFunctionsExecutions(STATE_MACHINE_ARN).recentExecutions(minutesBefore(60));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ThrottledError);
    await expect(attempt).rejects.toMatchObject({ name: 'ThrottledError', cause: throttled });
  });
});
