import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThrottlingException } from '@aws-sdk/client-route-53';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runModelFromHistory } from '#report/history.js';
import { ALL_MOCKS, auroraWorld, lagMetrics, notifyWorld, route53World, runInput } from '../../statemachine/support.js';
import { ARN, cli, recordRun, sfn } from './support.js';

describe('dr-failover report', () => {
  let dir: string;
  beforeEach(() => {
    notifyWorld();
    dir = mkdtempSync(join(tmpdir(), 'dr-failover-report-'));
  });
  afterEach(() => {
    for (const m of ALL_MOCKS) m.reset();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds the run from every page of its history and writes report.json, report.md and timeline.svg', async () => {
    // Prepare: a real run (of an incident a minute old, on the real clock) with one throttled DNS change, served in
    // two pages.
    lagMetrics(() => 2_000);
    auroraWorld();
    route53World({ failFirstChanges: [new ThrottlingException({ $metadata: {}, message: 'Rate exceeded' })] });
    const history = await recordRun(runInput({ requestedBy: 'ana@example.com', reason: 'writer lost' }));
    const half = Math.floor(history.length / 2);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolves({ events: history.slice(0, half), nextToken: 'page-2' })
      .on(GetExecutionHistoryCommand, { executionArn: ARN, nextToken: 'page-2' })
      .resolves({ events: history.slice(half) });

    // Act
    const out = await cli(['report', ARN, '--out', dir]);

    // Assess
    expect(out.code).toBe(0);
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 2);
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: ARN,
      includeExecutionData: true,
    });
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^# dr-failover run orders-manual-20261125T0315Z: SUCCEEDED/);
    expect(md).toContain('| started by | ana@example.com |');
    expect(md).toContain('| why | writer lost |');
    expect(md).toMatch(
      /\| \*\*RTO\*\* \| .* against the 300 s target: (met|MISSED) \(incident → DNS answers the new writer \(Verify\)\) \|/,
    );
    expect(md).toMatch(/\| \*\*RPO\*\* \| replication lag 2 s .* against the 30 s limit: met \|/);
    expect(md).toMatch(
      /\| UpdateDns \| \+\S+ (ms|s|min)( \d+ s)? \| \d+ ms \| 2 \| UPSERT db\.orders\.example\.internal/,
    );
    expect(md).toMatch(/- UpdateDns: attempt 1 failed with ThrottledError .*; retried\./);
    expect(md).not.toContain('What on-call must do next');
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(json).toMatchObject({ source: 'aws', outcome: 'succeeded', execution: { arn: ARN, status: 'SUCCEEDED' } });
    const svg = readFileSync(join(dir, 'timeline.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('>incident</text>');
    expect(svg).toContain('RTO target 300 s');
    expect(svg).toContain('>UpdateDns</text>');
    expect(out.stdout).toContain(join(dir, 'report.md'));
  });

  it('tells on-call what to do next when the run failed', async () => {
    // Prepare: promotion never becomes writable within the plan's checks.
    lagMetrics(() => 2_000);
    auroraWorld({ checksUntilWritable: 1_000 });
    route53World();
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: await recordRun(runInput()) });

    // Act
    const out = await cli(['report', ARN, '--out', dir, '--json']);

    // Assess
    expect(out.code).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('# dr-failover run orders-manual-20261125T0315Z: FAILED');
    expect(md).toContain('## State of the world');
    expect(md).toMatch(
      /- Database: promotion of the standby in eu-west-1 was requested at .* but it is not writable yet/,
    );
    expect(md).toContain('## What on-call must do next');
    // The advice names the run's own resources, as the Failover Failed notification does.
    expect(md).toContain('Promotion was requested but the standby is not writable yet');
    expect(md).toContain(
      'aws rds describe-global-clusters --global-cluster-identifier orders-global --region eu-west-1',
    );
    expect(md).toMatch(/RTO\*\* \| not reached: the run failed/);
    expect(md).not.toContain('every step succeeded');
    expect(JSON.parse(out.stdout)).toMatchObject({
      run: { outcome: 'failed', error: { name: 'PromotionTimedOutError' } },
    });
  });

  it('says so in one line and exits 4 when the execution does not exist', async () => {
    // Prepare
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ $metadata: {}, message: 'Execution Does Not Exist' }));

    // Act
    const out = await cli(['report', ARN, '--out', dir]);

    // Assess
    expect(out.code).toBe(4);
    expect(out.stderr.trim()).toBe(`dr-failover: no such execution: Execution Does Not Exist (${ARN})`);
  });
});

describe('run model from GetExecutionHistory', () => {
  const t = (s: number) => new Date(Date.parse('2026-11-25T03:13:00Z') + s * 1000);
  const ev = (id: number, at: number, e: Omit<HistoryEvent, 'id' | 'timestamp'>): HistoryEvent =>
    ({ id, previousEventId: id - 1, timestamp: t(at), ...e }) as HistoryEvent;

  it('reads legacy LambdaFunction* events, counts their retries, and calls a stopped execution aborted', () => {
    // Prepare: Prepare retried once after a Lambda service error, then a person stopped the execution.
    const input = JSON.stringify({ plan: 'orders', mode: 'planned', incidentStartedAt: '2026-11-25T03:12:00Z' });
    const events = [
      ev(1, 0, { type: 'ExecutionStarted', executionStartedEventDetails: { input } }),
      ev(2, 0, { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Prepare', input } }),
      ev(3, 0, { type: 'LambdaFunctionScheduled', lambdaFunctionScheduledEventDetails: { resource: 'arn:x' } }),
      ev(4, 1, {
        type: 'LambdaFunctionFailed',
        lambdaFunctionFailedEventDetails: { error: 'Lambda.ServiceException', cause: 'busy' },
      }),
      ev(5, 2, { type: 'LambdaFunctionScheduled', lambdaFunctionScheduledEventDetails: { resource: 'arn:x' } }),
      ev(6, 9, { type: 'ExecutionAborted', executionAbortedEventDetails: {} }),
    ];

    // Act: events arrive in any order (pages, re-reads).
    const model = runModelFromHistory([...events].reverse(), {
      executionArn: 'arn:aws:states:eu-west-1:1:execution:sm:x',
    });

    // Assess
    expect(model.outcome).toBe('aborted');
    expect(model.execution.status).toBe('ABORTED');
    expect(model.zeroAt).toBe('2026-11-25T03:12:00.000Z');
    expect(model.steps.map((s) => [s.name, s.startMs, s.endMs, s.attempts])).toEqual([
      ['incident → run start', 0, 60_000, 1],
      ['Prepare', 60_000, 69_000, 2],
    ]);
    expect(model.warnings).toEqual(['Prepare: attempt 1 failed with Lambda.ServiceException (busy); retried.']);
    expect(model.start).toMatchObject({ mode: 'planned', reason: '(not given)' });
  });
});
