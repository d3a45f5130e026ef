import { ThrottlingException } from '@aws-sdk/client-route-53';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALL_MOCKS, auroraWorld, lagMetrics, notifyWorld, route53World, runInput } from '../../statemachine/support.js';
import { ANSI, ARN, cli, NAME, recordRun, sfn, until } from './support.js';

/** Answers DescribeExecution and GetExecutionHistory with the run as it stood at each poll. */
const serve = (polls: HistoryEvent[][]) => {
  let i = 0;
  const current = () => polls[Math.min(i, polls.length - 1)] as HistoryEvent[];
  sfn.on(DescribeExecutionCommand).callsFake(() => {
    const events = current();
    const last = events.at(-1)?.type;
    const status = last === 'ExecutionSucceeded' ? 'SUCCEEDED' : last === 'ExecutionFailed' ? 'FAILED' : 'RUNNING';
    return { executionArn: ARN, status, startDate: new Date(), stateMachineArn: 'x' };
  });
  sfn.on(GetExecutionHistoryCommand).callsFake(() => {
    const events = current();
    i += 1;
    return { events };
  });
};

describe('dr-failover watch', () => {
  beforeEach(() => notifyWorld());
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('shows each step as it starts and ends, the retries, the lag, then RTO and RPO, and exits 0 on success', async () => {
    // Prepare: a real run (of an incident a minute old, on the real clock) whose first DNS change is throttled once
    // (retried by the state machine).
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World({ failFirstChanges: [new ThrottlingException({ $metadata: {}, message: 'Rate exceeded' })] });
    const history = await recordRun(runInput());
    serve([until(history, 'TaskStateEntered', 'Promote'), until(history, 'TaskStateEntered', 'Verify'), history]);

    // Act
    const out = await cli(['watch', ARN, '--interval', '2']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.sleeps).toEqual([2000, 2000]);
    const lines = out.stdout.split('\n');
    const started = lines.findIndex((l) => l.includes('▶ Promote'));
    const ended = lines.findIndex((l) => l.includes('✓ Promote'));
    expect(started).toBeGreaterThan(-1);
    expect(ended).toBeGreaterThan(started);
    expect(out.stdout).toMatch(/✓ CheckLag .*lag 2 s/);
    expect(out.stdout).toMatch(/↻ UpdateDns\s+attempt 1 failed: ThrottledError/);
    expect(out.stdout).toMatch(/✓ UpdateDns .*\(2 attempts\)/);
    expect(out.stdout).toMatch(/── orders-manual-20261125T0315Z: SUCCEEDED/);
    expect(out.stdout).toMatch(
      /RTO {2}\d.* against the 300 s target: (met|MISSED) \(incident → DNS answers the new writer/,
    );
    expect(out.stdout).toMatch(/RPO {2}replication lag 2 s .*against the 30 s limit: met/);
    expect(out.stdout).toContain('exit 0');
    // Every step reported once: polls re-read the whole history.
    expect(lines.filter((l) => l.includes('✓ Prepare'))).toHaveLength(1);
    expect(out.stdout).not.toMatch(ANSI);
  });

  it('ends with the error, what on-call must do next and exit 1 when the run fails', async () => {
    // Prepare: Route 53 refuses the change every time.
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World({
      failFirstChanges: Array.from({ length: 10 }, () => Object.assign(new Error('denied'), { name: 'AccessDenied' })),
    });
    serve([await recordRun(runInput())]);

    // Act
    const out = await cli(['watch', ARN]);

    // Assess
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/✗ UpdateDns .*DnsChangeFailedError/);
    expect(out.stdout).toMatch(/FAILED DnsChangeFailedError/);
    expect(out.stdout).toContain('now  Database: the standby in eu-west-1 IS promoted and writable');
    expect(out.stdout).toContain(
      'now  DNS: not changed by this run: db.orders.example.internal still points at the old primary.',
    );
    expect(out.stdout).toContain('next The standby IS promoted and writable, but DNS still points at the old primary');
    expect(out.stdout).toContain('exit 1');
  });

  it('shows the approve and deny commands while a run waits for a person', async () => {
    // Prepare: the run as Step Functions records it once Prepare asked for approval (the token is in the
    // TaskScheduled parameters: the resolved Payload).
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    const prepared = until(await recordRun(runInput()), 'TaskStateExited', 'Prepare');
    const at = prepared.at(-1)?.timestamp ?? new Date();
    const next = (offset: number, e: Omit<HistoryEvent, 'id' | 'timestamp'>): HistoryEvent =>
      ({
        id: prepared.length + offset,
        previousEventId: prepared.length + offset - 1,
        timestamp: at,
        ...e,
      }) as HistoryEvent;
    const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAcW5vdC1hLXJlYWwtdG9rZW4=';
    const resource = { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' };
    const waiting = [
      ...prepared,
      next(1, { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'ApproveFailover', input: '{}' } }),
      next(2, {
        type: 'TaskScheduled',
        taskScheduledEventDetails: {
          ...resource,
          region: 'eu-west-1',
          parameters: JSON.stringify({
            FunctionName: 'arn:fn',
            Payload: { step: 'ApproveFailover', taskToken: token },
          }),
        },
      }),
      next(3, { type: 'TaskStarted', taskStartedEventDetails: resource }),
      next(4, { type: 'TaskSubmitted', taskSubmittedEventDetails: resource }),
    ];
    serve([waiting, waiting]);

    // Act
    const out = await cli(['watch', ARN, '--timeout', '10', '--interval', '5']);

    // Assess
    expect(out.code).toBe(6);
    expect(out.stdout).toContain('▶ ApproveFailover');
    expect(out.stdout).toContain('? ApproveFailover        waiting for a person to approve or deny:');
    expect(out.stdout).toContain(`npx dr-failover approve '${token}' --region eu-west-1`);
    expect(out.stdout).toContain(`npx dr-failover deny '${token}' --region eu-west-1 --reason "…"`);
    // Announced once, not at every poll.
    expect(out.stdout.split('waiting for a person').length).toBe(2);
  });

  it('exits 3 when the RPO guard aborts the run', async () => {
    // Prepare: lag far beyond the orders plan's 30 s, which says abort.
    lagMetrics(() => 600_000);
    auroraWorld();
    route53World();
    serve([await recordRun(runInput())]);

    // Act
    const out = await cli(['watch', ARN]);

    // Assess
    expect(out.code).toBe(3);
    expect(out.stdout).toMatch(/ABORTED ReplicationLagExceededError/);
    expect(out.stdout).toMatch(/RTO {2}not reached/);
  });

  it('prints one JSON object per line with --json, ending with the outcome and exit code', async () => {
    // Prepare
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    serve([await recordRun(runInput())]);

    // Act
    const out = await cli(['watch', ARN, '--json']);

    // Assess
    const objects = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; step?: string });
    expect(objects[0]).toMatchObject({ event: 'step-started' });
    expect(objects.filter((o) => o.event === 'step-ended').map((o) => o.step)).toContain('Verify');
    expect(objects.at(-1)).toMatchObject({
      event: 'ended',
      outcome: 'succeeded',
      exitCode: 0,
      rto: { targetSeconds: 300 },
    });
  });

  it('stops following after --timeout with exit 6 and leaves the run going', async () => {
    // Prepare
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    const history = await recordRun(runInput());
    serve([until(history, 'TaskStateEntered', 'Fence')]);

    // Act
    const out = await cli(['watch', ARN, '--interval', '5', '--timeout', '10']);

    // Assess
    expect(out.code).toBe(6);
    expect(out.sleeps).toEqual([5000]);
    expect(out.stdout).toMatch(/RUNNING/);
    expect(out.stdout).toMatch(/RTO {2}not yet: the run is still going/);
  });

  it("builds the execution ARN from a name and the plan, and asks the plan's standby region", async () => {
    // Prepare
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    serve([await recordRun(runInput())]);

    // Act
    const out = await cli(['watch', NAME, '--plan', 'orders', '--stage', 'dev']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.regions).toEqual(['eu-west-1']);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: ARN });
  });

  it('says so in one line and exits 4 when the execution does not exist', async () => {
    // Prepare
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ $metadata: {}, message: `Execution Does Not Exist: '${ARN}'` }));

    // Act
    const out = await cli(['watch', ARN]);

    // Assess
    expect(out.code).toBe(4);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n')).toEqual([
      `dr-failover: no such execution: Execution Does Not Exist: '${ARN}' (${ARN})`,
    ]);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a name without a plan or state machine, before calling AWS (exit 2)', async () => {
    // Act
    const out = await cli(['watch', NAME]);

    // Assess
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/which state machine\? pass --plan/);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('colours its output on a terminal, and not with NO_COLOR', async () => {
    // Prepare
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    serve([await recordRun(runInput())]);

    // Act
    const tty = await cli(['watch', ARN], { tty: true });
    const noColor = await cli(['watch', ARN], { tty: true, env: { NO_COLOR: '1' } });

    // Assess
    expect(tty.stdout).toMatch(ANSI);
    expect(noColor.stdout).not.toMatch(ANSI);
    expect(noColor.code).toBe(0);
  });
});
