import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  ListExecutionsCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ALL_MOCKS,
  auroraWorld,
  execute,
  lagMetrics,
  notifyWorld,
  route53World,
  runInput,
} from '../../statemachine/support.js';
import { ANSI, cli, executionArnFor, STATE_MACHINE_ARN, sfn } from './support.js';

const at = (iso: string) => new Date(iso);

interface Listed {
  name: string;
  status: string;
  start: string;
  stop?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
}

/** The state machine's executions, newest first as ListExecutions lists them, and DescribeExecution of each. */
const serve = (runs: Listed[], pageSize = 100) => {
  const items: ExecutionListItem[] = runs.map((r) => ({
    executionArn: executionArnFor(r.name),
    stateMachineArn: STATE_MACHINE_ARN,
    name: r.name,
    status: r.status as ExecutionListItem['status'],
    startDate: at(r.start),
    ...(r.stop ? { stopDate: at(r.stop) } : {}),
  }));
  sfn.on(ListExecutionsCommand).callsFake((req: { nextToken?: string }) => {
    const from = Number(req.nextToken ?? 0);
    const page = items.slice(from, from + pageSize);
    return { executions: page, ...(from + pageSize < items.length ? { nextToken: String(from + pageSize) } : {}) };
  });
  sfn.on(DescribeExecutionCommand).callsFake((req: { executionArn: string }): DescribeExecutionCommandOutput => {
    const r = runs.find((x) => executionArnFor(x.name) === req.executionArn);
    if (!r) throw new Error(`no such execution in the test: ${req.executionArn}`);
    return {
      $metadata: {},
      executionArn: req.executionArn,
      stateMachineArn: STATE_MACHINE_ARN,
      name: r.name,
      status: r.status as DescribeExecutionCommandOutput['status'],
      startDate: at(r.start),
      ...(r.stop ? { stopDate: at(r.stop) } : {}),
      ...(r.input !== undefined ? { input: JSON.stringify(r.input) } : {}),
      ...(r.output !== undefined ? { output: JSON.stringify(r.output) } : {}),
      ...(r.error ? { error: r.error } : {}),
    };
  });
};

describe('dr-failover runs', () => {
  beforeEach(() => notifyWorld());
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
  });

  it('lists the runs of the plan only, newest first, with how each started, its status, times and RTO', async () => {
    // Prepare: a real successful run of plans/orders.yml gives the output whose RTO the list shows.
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World();
    const incident = new Date(Date.now() - 60_000).toISOString();
    const succeeded = await execute(runInput({ incidentStartedAt: incident, requestedBy: 'cli:ana' }));
    expect(succeeded.status).toBe('SUCCEEDED');
    const alarmInput = runInput({
      trigger: { kind: 'alarm', source: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:orders-db-primary-unhealthy' },
    });
    serve([
      { name: 'orders-alarm-20261125T0400Z', status: 'RUNNING', start: '2026-11-25T04:00:05Z', input: alarmInput },
      {
        name: 'feature-store-manual-20261125T0350Z',
        status: 'SUCCEEDED',
        start: '2026-11-25T03:50:00Z',
        stop: '2026-11-25T03:55:00Z',
      },
      {
        name: 'inc-4211-retry',
        status: 'FAILED',
        start: '2026-11-25T03:40:00Z',
        stop: '2026-11-25T03:41:00Z',
        input: runInput({ mode: 'planned', dryRun: true }),
        error: 'PromotionFailedError',
      },
      {
        name: 'other-plan-custom',
        status: 'SUCCEEDED',
        start: '2026-11-25T03:30:00Z',
        stop: '2026-11-25T03:31:00Z',
        input: { plan: 'feature-store' },
      },
      {
        name: 'orders-manual-20261125T0312Z',
        status: 'SUCCEEDED',
        start: '2026-11-25T03:12:10Z',
        stop: '2026-11-25T03:14:00Z',
        input: runInput({ incidentStartedAt: incident, requestedBy: 'cli:ana' }),
        output: succeeded.output,
      },
    ]);

    // Act
    const out = await cli(['runs', '--plan', 'orders']);
    const json = await cli(['runs', '--plan', 'orders', '--json']);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    const lines = out.stdout.split('\n');
    expect(lines[0]).toBe(`orders: the last 3 runs, newest first (${STATE_MACHINE_ARN})`);
    expect(lines[2]).toMatch(/^run\s+started by\s+mode\s+status\s+started\s+ended\s+RTO$/);
    expect(lines[4]).toMatch(
      /^orders-alarm-20261125T0400Z\s+alarm: orders-db-primary-unhealthy\s+unplanned\s+RUNNING\s+2026-11-25 04:00:05Z\s+—\s+—$/,
    );
    expect(lines[5]).toMatch(
      /^inc-4211-retry\s+manual: oncall:ana\s+planned \(dry run\)\s+FAILED\s+2026-11-25 03:40:00Z\s+2026-11-25 03:41:00Z\s+—$/,
    );
    expect(lines[6]).toMatch(
      /^orders-manual-20261125T0312Z\s+manual: cli:ana\s+unplanned\s+SUCCEEDED\s+2026-11-25 03:12:10Z\s+2026-11-25 03:14:00Z\s+\d+(\.\d+)? s/,
    );
    expect(out.stdout).not.toMatch(/feature-store|other-plan/);
    expect(out.stdout).not.toMatch(ANSI);
    const rows = JSON.parse(json.stdout) as { name: string; rtoSeconds?: number; error?: string }[];
    expect(rows.map((r) => r.name)).toEqual([
      'orders-alarm-20261125T0400Z',
      'inc-4211-retry',
      'orders-manual-20261125T0312Z',
    ]);
    expect(rows[1]?.error).toBe('PromotionFailedError');
    // A run whose name does not tell its plan is described once per listing: to find its plan, and for its row.
    const describedRetry = sfn
      .commandCalls(DescribeExecutionCommand)
      .filter((c) => c.args[0].input.executionArn === executionArnFor('inc-4211-retry'));
    expect(describedRetry).toHaveLength(2);
    // The RTO is the run's own: incident → Verify, as its state recorded it.
    const verified = (succeeded.output as { timeline: { step: string; endedAt: string }[] }).timeline.findLast(
      (t) => t.step === 'Verify',
    );
    expect(rows[2]?.rtoSeconds).toBeCloseTo((Date.parse(verified?.endedAt ?? '') - Date.parse(incident)) / 1000, 1);
  });

  it('stops at --limit, reading only as many pages as it needs', async () => {
    // Prepare: 250 runs of the plan, 100 a page.
    serve(
      Array.from({ length: 250 }, (_, i) => ({
        name: `orders-manual-${String(i).padStart(4, '0')}`,
        status: 'SUCCEEDED',
        start: new Date(Date.UTC(2026, 10, 25) - i * 60_000).toISOString(),
        input: runInput(),
      })),
    );

    // Act
    const out = await cli(['runs', '--plan', 'orders', '--limit', '3', '--json']);

    // Assess
    expect(out.code).toBe(0);
    expect((JSON.parse(out.stdout) as unknown[]).length).toBe(3);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(1);
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toMatchObject({
      stateMachineArn: STATE_MACHINE_ARN,
    });
  });

  it('says so when the plan has no runs, and refuses a bad --limit before calling AWS', async () => {
    // Prepare
    serve([]);

    // Act
    const none = await cli(['runs', '--plan', 'orders']);
    const bad = await cli(['runs', '--plan', 'orders', '--limit', '0']);

    // Assess
    expect(none.code).toBe(0);
    expect(none.stdout).toBe(`no runs of plan orders on ${STATE_MACHINE_ARN}\n`);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit must be a whole number from 1 to 100, not "0"/);
  });
});
