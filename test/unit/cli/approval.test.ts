import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, NOW, sfn } from './support.js';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAf0wZ3Jvb3QtdG9rZW4tZm9yLXRlc3Rz';

describe('dr-failover approve / deny', () => {
  afterEach(() => {
    sfn.reset();
  });

  it("approves with SendTaskSuccess, saying who and when, in the plan's standby region", async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).resolves({});

    // Act
    const out = await cli([
      'approve',
      TOKEN,
      '--plan',
      'feature-store',
      '--by',
      'ana@example.com',
      '--reason',
      'lag is stale',
    ]);

    // Assess
    expect(out.code).toBe(0);
    expect(out.regions).toEqual(['us-east-2']);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '');
    expect(output).toEqual({ approved: true, by: 'ana@example.com', reason: 'lag is stale', at: NOW.toISOString() });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.taskToken).toBe(TOKEN);
    expect(out.stdout).toMatch(/^approved by ana@example.com/);
  });

  it('denies with SendTaskFailure: error ApprovalDeniedError, the reason as cause', async () => {
    // Prepare
    sfn.on(SendTaskFailureCommand).resolves({});

    // Act
    const out = await cli(['deny', TOKEN, '--reason', 'primary is back', '--region', 'eu-west-1', '--json']);

    // Assess
    expect(out.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'ApprovalDeniedError',
      cause: 'primary is back',
    });
    expect(JSON.parse(out.stdout)).toMatchObject({
      answered: 'denied',
      region: 'eu-west-1',
      reason: 'primary is back',
    });
  });

  it('refuses to deny without a reason, sending nothing (exit 2)', async () => {
    // Act
    const missing = await cli(['deny', TOKEN, '--region', 'eu-west-1']);
    const blank = await cli(['deny', TOKEN, '--region', 'eu-west-1', '--reason', '  ']);

    // Assess
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--reason <text>'/);
    expect(blank.code).toBe(2);
    expect(blank.stderr.trim()).toBe('dr-failover: --reason must not be empty: say why the failover is denied');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses a token with spaces (a paste mistake) before calling AWS (exit 2)', async () => {
    // Act
    const out = await cli(['approve', 'AQCE AAAA', '--region', 'eu-west-1']);

    // Assess
    expect(out.code).toBe(2);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('needs a region: from --region, --plan or AWS_REGION (exit 2 without one)', async () => {
    // Act
    const out = await cli(['approve', TOKEN], { env: { AWS_REGION: '', AWS_DEFAULT_REGION: '' } });

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toBe('dr-failover: no region: pass --region or --plan (or set AWS_REGION)');
  });

  it.each([
    [
      new TaskTimedOut({ $metadata: {}, message: 'Task Timed Out' }),
      5,
      /has expired or was already answered \(TaskTimedOut\)/,
    ],
    [
      new TaskDoesNotExist({ $metadata: {}, message: 'Task Does Not Exist' }),
      5,
      /no approval request waits for this token/,
    ],
    [new InvalidToken({ $metadata: {}, message: 'Invalid Token' }), 2, /not a valid task token \(InvalidToken\)/],
  ])('answers %s with a clear line and its exit code', async (error, code, message) => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).rejects(error);

    // Act
    const out = await cli(['approve', TOKEN, '--region', 'eu-west-1']);

    // Assess
    expect(out.code).toBe(code);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });
});
