import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsRequestFailedError, ThrottledError } from '#core/errors.js';
import type { Plan } from '#core/plan.js';
import type { AlarmFacts, LagReading, ReadinessProbes, WriterFacts } from '#core/ports.js';
import {
  evaluateAlarms,
  evaluateBackup,
  evaluateDns,
  evaluateFunctions,
  evaluateLag,
  evaluateStandby,
  evaluateStateMachine,
} from '#core/readiness/checks.js';
import { summariseReport } from '#core/readiness/model.js';
import { runReadinessChecks } from '#core/readiness/runner.js';
import { loadPlanFile } from '#lib/plan-catalog.js';
import { healthyFailoverRecords } from '../fixtures/failover-records.js';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
const orders: Plan = loadPlanFile('plans/orders.yml');
const featureStore: Plan = loadPlanFile('plans/feature-store.yml');

const lag = (over: Partial<LagReading> = {}): LagReading => ({
  status: 'known',
  seconds: 1,
  observedAt: NOW.toISOString(),
  source: 'cloudwatch:AWS/RDS AuroraGlobalDBRPOLag',
  ...over,
});

const WRITER = 'orders-us.cluster-abc.us-east-1.rds.amazonaws.com';
const REPLICA = 'orders-eu.cluster-def.eu-west-1.rds.amazonaws.com';
const primaryWriter: WriterFacts = {
  role: 'primary',
  endpoints: [WRITER],
  forbidden: [REPLICA],
  detail: 'orders-us is the writer',
};

const alarm = (over: Partial<AlarmFacts> = {}): AlarmFacts => ({
  name: 'orders-db-primary-unhealthy',
  exists: true,
  state: 'OK',
  stateSince: hoursAgo(2),
  rule: {
    name: 'dr-failover-dev-orders-alarm-1',
    exists: true,
    enabled: true,
    matchesAlarm: true,
    targetsTrigger: true,
  },
  ...over,
});

/** Probes that all answer "healthy", overridable one by one. */
const healthyProbes = (over: Partial<ReadinessProbes> = {}): ReadinessProbes => ({
  standby: async () => ({ exists: true, role: 'replica', state: 'available', replication: 'connected', detail: 'ok' }),
  replicationLag: async () => lag(),
  backup: async () => ({ kind: 'found', newestAt: hoursAgo(3), source: 'automated snapshot', detail: '1 backup' }),
  writer: async () => primaryWriter,
  dnsRecord: async () => ({ values: [WRITER], detail: 'db.orders CNAME' }),
  alarms: async () => [alarm()],
  stateMachine: async () => ({ name: 'dr-failover-dev', exists: true, state: 'ACTIVE' }),
  functions: async () => [{ name: 'dr-failover-dev-promote', exists: true, state: 'Active', lastUpdate: 'Successful' }],
  failoverRecords: async () => healthyFailoverRecords(loadPlanFile('plans/orders.yml')),
  // The plan has no components: a component read would be a bug.
  component: async (c) => {
    throw new Error(`no component ${c.name} in this plan`);
  },
  traffic: async () => ({
    controls: { primary: 'On', standby: 'Off' },
    endpoints: [{ region: 'us-west-2', answered: true }],
    detail: 'routing controls primary On, standby Off',
  }),
  ...over,
});

const never = <T>() => new Promise<T>(() => undefined);

afterEach(() => {
  vi.useRealTimers();
});

describe('evaluateLag', () => {
  it('is OK within the warn share of the RPO, WARN above it, CRITICAL above the RPO', () => {
    // Act
    const ok = evaluateLag(lag({ seconds: 10 }), orders);
    const warn = evaluateLag(lag({ seconds: 20 }), orders);
    const critical = evaluateLag(lag({ seconds: 31 }), orders);

    // Assess: orders has maxLagSeconds 30 and the default lagWarnPercent 50.
    expect([ok.status, warn.status, critical.status]).toEqual(['OK', 'WARN', 'CRITICAL']);
    expect(critical.summary).toContain('above the RPO (limit 30 s)');
  });

  it('judges bytes against rpo.maxLagBytes when the plan has one', () => {
    // Act
    const result = evaluateLag(lag({ seconds: 1, bytes: 300_000_000 }), featureStore);

    // Assess
    expect(result.status).toBe('CRITICAL');
    expect(result.summary).toContain('300000000 bytes');
  });

  it('is CRITICAL when the lag is unknown: the RPO guard would not pass', () => {
    // Act
    const result = evaluateLag(lag({ status: 'unknown', seconds: undefined, detail: 'no datapoint' }), orders);

    // Assess
    expect(result).toMatchObject({ status: 'CRITICAL', details: { detail: 'no datapoint' } });
  });
});

describe('evaluateBackup', () => {
  it('is OK for a backup younger than maxBackupAgeHours and CRITICAL for an older one', () => {
    // Act
    const fresh = evaluateBackup({ kind: 'found', newestAt: hoursAgo(25), source: 's', detail: '' }, orders, NOW);
    const stale = evaluateBackup({ kind: 'found', newestAt: hoursAgo(27), source: 's', detail: '' }, orders, NOW);

    // Assess: the default maxBackupAgeHours is 26.
    expect(fresh).toMatchObject({ status: 'OK', details: { ageHours: 25, maxBackupAgeHours: 26 } });
    expect(stale.status).toBe('CRITICAL');
    expect(stale.summary).toContain('27 h old');
  });

  it('is CRITICAL with no backup, and a documented WARN when backups cannot be checked', () => {
    // Act
    const none = evaluateBackup({ kind: 'none', detail: 'no snapshot of orders-eu' }, orders, NOW);
    const unchecked = evaluateBackup({ kind: 'not-checked', detail: 'self-managed' }, orders, NOW);

    // Assess
    expect(none.status).toBe('CRITICAL');
    expect(unchecked).toMatchObject({ status: 'WARN', summary: 'backups not checked: self-managed' });
  });
});

describe('evaluateDns', () => {
  it('is OK when the record answers the current writer, whatever the case and trailing dot', () => {
    // Act
    const result = evaluateDns({ values: [`${WRITER.toUpperCase()}.`], detail: '' }, primaryWriter);

    // Assess
    expect(result.status).toBe('OK');
  });

  it('is CRITICAL when the record answers the standby while it is still a read-only replica', () => {
    // Act
    const result = evaluateDns({ values: [REPLICA], detail: '' }, primaryWriter);

    // Assess
    expect(result.status).toBe('CRITICAL');
    expect(result.summary).toContain('still a read-only replica');
  });

  it('expects the promoted standby after a failover', () => {
    // Prepare
    const promoted: WriterFacts = { role: 'standby', endpoints: [REPLICA], forbidden: [], detail: 'promoted' };

    // Act
    const onStandby = evaluateDns({ values: [REPLICA], detail: '' }, promoted);
    const onOldPrimary = evaluateDns({ values: [WRITER], detail: '' }, promoted);

    // Assess
    expect([onStandby.status, onOldPrimary.status]).toEqual(['OK', 'CRITICAL']);
  });

  it('is a WARN when the writer cannot be read, CRITICAL when the record is missing', () => {
    // Act
    const unread = evaluateDns({ values: [WRITER], detail: '' }, new ThrottledError('DescribeDBClusters throttled'));
    const darkPrimary = evaluateDns(
      { values: [WRITER], detail: '' },
      { ...primaryWriter, endpoints: [], detail: 'us-east-1 gave no answer' },
    );
    const missing = evaluateDns({ values: [], detail: 'not found' }, primaryWriter);

    // Assess
    expect([unread.status, darkPrimary.status, missing.status]).toEqual(['WARN', 'WARN', 'CRITICAL']);
  });
});

describe('evaluateAlarms', () => {
  it('is OK when every alarm exists, is OK and is wired to the trigger', () => {
    expect(evaluateAlarms([alarm()], orders, NOW).status).toBe('OK');
  });

  it.each([
    ['the alarm is missing', { exists: false }],
    ['the rule is missing', { rule: { name: 'r', exists: false } }],
    ['the rule is disabled', { rule: { name: 'r', exists: true, enabled: false } }],
    ['the rule matches another alarm', { rule: { name: 'r', exists: true, enabled: true, matchesAlarm: false } }],
    [
      'the rule targets something else',
      { rule: { name: 'r', exists: true, enabled: true, matchesAlarm: true, targetsTrigger: false } },
    ],
    ['it has had INSUFFICIENT_DATA for too long', { state: 'INSUFFICIENT_DATA', stateSince: hoursAgo(1) }],
  ] as [string, Partial<AlarmFacts>][])('is CRITICAL when %s', (_, over) => {
    // Act
    const result = evaluateAlarms([alarm(), alarm({ name: 'orders-api-writes-failing', ...over })], orders, NOW);

    // Assess
    expect(result.status).toBe('CRITICAL');
    expect(result.summary).toContain('orders-api-writes-failing');
  });

  it('is a WARN for a short spell of INSUFFICIENT_DATA, an alarm in ALARM, or a plan without alarms', () => {
    // Act
    const recent = evaluateAlarms([alarm({ state: 'INSUFFICIENT_DATA', stateSince: hoursAgo(0.25) })], orders, NOW);
    const firing = evaluateAlarms([alarm({ state: 'ALARM' })], orders, NOW);
    const none = evaluateAlarms([], orders, NOW);

    // Assess
    expect([recent.status, firing.status, none.status]).toEqual(['WARN', 'WARN', 'WARN']);
    expect(recent.summary).toContain('for 15 min');
  });
});

describe('evaluateStandby, evaluateStateMachine, evaluateFunctions', () => {
  it('reads a missing standby as CRITICAL, a promoted one as WARN, a blocker at its own status', () => {
    // Act
    const missing = evaluateStandby({ exists: false, detail: 'not found' });
    const promoted = evaluateStandby({ exists: true, role: 'promoted', state: 'available', detail: '' });
    const headless = evaluateStandby({
      exists: true,
      role: 'replica',
      detail: '',
      blocker: { status: 'CRITICAL', reason: 'headless' },
    });

    // Assess
    expect([missing.status, promoted.status, headless.status]).toEqual(['CRITICAL', 'WARN', 'CRITICAL']);
  });

  it('wants the state machine ACTIVE and every function neither missing nor failed', () => {
    // Act
    const deleting = evaluateStateMachine({ name: 'sm', exists: true, state: 'DELETING' });
    const functions = evaluateFunctions([
      { name: 'a', exists: true, state: 'Active' },
      { name: 'b', exists: true, state: 'Inactive' },
    ]);
    const failed = evaluateFunctions([
      { name: 'a', exists: true, state: 'Active', lastUpdate: 'Failed', detail: 'image gone' },
      { name: 'c', exists: false },
    ]);

    // Assess
    expect(deleting.status).toBe('CRITICAL');
    expect(functions).toMatchObject({ status: 'WARN', summary: 'b is Inactive' });
    expect(failed.status).toBe('CRITICAL');
    expect(failed.summary).toContain('c does not exist');
  });
});

describe('runReadinessChecks', () => {
  it('reports every check, OK overall when all are OK', async () => {
    // Act
    const report = await runReadinessChecks(orders, { probes: healthyProbes(), now: () => NOW });

    // Assess
    expect(report).toMatchObject({ plan: 'orders', status: 'OK', counts: { OK: 9, WARN: 0, CRITICAL: 0 } });
    expect(report.checks.map((c) => c.check)).toEqual([
      'standby',
      'replication-lag',
      'backup',
      'dns',
      'trigger-alarms',
      'traffic',
      'failover-records',
      'state-machine',
      'functions',
    ]);
    expect(summariseReport(report)).toBe('orders: DR readiness OK (9 checks OK)');
  });

  it('does not let a hung primary-region read hold up the others: it becomes a WARN at the timeout', async () => {
    // Prepare
    vi.useFakeTimers();
    const probes = healthyProbes({ writer: never, dnsRecord: never });

    // Act
    const pending = runReadinessChecks(orders, { probes, now: () => NOW }, { timeoutMs: 20_000 });
    await vi.advanceTimersByTimeAsync(20_000);
    const report = await pending;

    // Assess
    const dns = report.checks.find((c) => c.check === 'dns');
    expect(dns).toMatchObject({ scope: 'primary', status: 'WARN', details: { timedOut: true } });
    expect(dns?.summary).toContain('no answer within 20000 ms');
    expect(report.checks.filter((c) => c.check !== 'dns').every((c) => c.status === 'OK')).toBe(true);
    expect(report.status).toBe('WARN');
  });

  it('reads a standby-region check that times out as CRITICAL', async () => {
    // Prepare
    vi.useFakeTimers();
    const probes = healthyProbes({ standby: never });

    // Act
    const pending = runReadinessChecks(orders, { probes, now: () => NOW });
    await vi.advanceTimersByTimeAsync(orders.readiness.checkTimeoutSeconds * 1000);
    const report = await pending;

    // Assess
    expect(report.checks.find((c) => c.check === 'standby')).toMatchObject({
      status: 'CRITICAL',
      summary: expect.stringContaining('the standby region did not answer'),
    });
  });

  it('reads a throttled check as WARN and a refused one as CRITICAL, naming the error', async () => {
    // Prepare
    const probes = healthyProbes({
      backup: async () => {
        throw new ThrottledError('DescribeDBClusterSnapshots failed: Throttling');
      },
      stateMachine: async () => {
        throw new AwsRequestFailedError('DescribeStateMachine failed: AccessDeniedException');
      },
    });

    // Act
    const report = await runReadinessChecks(orders, { probes, now: () => NOW });

    // Assess
    expect(report.checks.find((c) => c.check === 'backup')).toMatchObject({
      status: 'WARN',
      summary: 'could not check this time: ThrottledError: DescribeDBClusterSnapshots failed: Throttling',
    });
    expect(report.checks.find((c) => c.check === 'state-machine')?.status).toBe('CRITICAL');
    expect(report).toMatchObject({ status: 'CRITICAL', counts: { OK: 7, WARN: 1, CRITICAL: 1 } });
  });

  it('judges the record even when the writer read fails on its own', async () => {
    // Prepare
    const probes = healthyProbes({
      writer: async () => {
        throw new AwsRequestFailedError('DescribeDBClusters failed: AccessDenied');
      },
      dnsRecord: async () => ({ values: [WRITER], detail: '' }),
    });

    // Act
    const report = await runReadinessChecks(orders, { probes, now: () => NOW });

    // Assess
    expect(report.checks.find((c) => c.check === 'dns')).toMatchObject({
      status: 'WARN',
      summary: expect.stringContaining('the current writer could not be read'),
    });
  });

  it('lets a bug escape once every check has settled', async () => {
    // Prepare
    const standby = vi.fn(healthyProbes().standby);
    const probes = healthyProbes({
      standby,
      alarms: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'AlarmName')");
      },
    });

    // Act / Assess
    await expect(runReadinessChecks(orders, { probes, now: () => NOW })).rejects.toThrow(TypeError);
    expect(standby).toHaveBeenCalledOnce();
  });

  it('runs only the checks asked for', async () => {
    // Act
    const report = await runReadinessChecks(
      orders,
      { probes: healthyProbes(), now: () => NOW },
      { only: ['backup', 'dns'] },
    );

    // Assess
    expect(report.checks.map((c) => c.check)).toEqual(['backup', 'dns']);
  });
});
